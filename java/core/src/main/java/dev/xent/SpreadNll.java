package dev.xent;

import dev.xent.ElementwiseRun.Extras;
import dev.xent.engine.ElementwiseLossCall.Broadcast;
import dev.xent.engine.ElementwiseLossCall.Op;
import dev.xent.engine.Engine;
import dev.xent.internal.Checks;
import java.lang.foreign.Arena;
import java.util.Objects;

/**
 * What {@link GaussianNll} and {@link LaplaceNll} share: a negative log-likelihood with a location
 * (the input), a target and a spread (GaussianNll's var, LaplaceNll's scale), fp32, per element,
 * one per row (the input's shape with last axis 1) or one value, clamped to at least eps. The
 * options are immutable ({@code withX} returns a copy); the calls follow the package's argument
 * order: input, target, spread, upstream gradient, then the gradient buffers. Each element is a row:
 * an upstream gradient per row has one value per element.
 *
 * @param <L> the concrete loss, which the {@code withX} methods return
 */
public abstract sealed class SpreadNll<L extends SpreadNll<L>> permits GaussianNll, LaplaceNll {
    /** The default clamp of the spread. */
    public static final double DEFAULT_EPS = 1e-6;

    private final Op op;
    private final String spreadName;
    private final Engine engine;
    private final boolean full;
    private final float eps;
    private final Reduction reduction;
    /** What device calls enqueue on; null: the default stream. */
    private final Stream stream;

    SpreadNll(Op op, String spreadName, Engine engine, boolean full, float eps, Reduction reduction, Stream stream) {
        this.op = op;
        this.spreadName = spreadName;
        this.engine = Objects.requireNonNull(engine, "engine");
        this.full = full;
        this.eps = eps;
        this.reduction = reduction;
        this.stream = stream;
    }

    /** The same loss with these options. */
    abstract L copy(Engine engine, boolean full, float eps, Reduction reduction, Stream stream);

    /** Whether to add the constant term (the class says which). */
    public L withFull(boolean full) {
        return copy(engine, full, eps, reduction, stream);
    }

    /** The spread is clamped to at least eps (> 0, finite) before use. */
    public L withEps(double eps) {
        if (!(eps > 0 && eps < Float.MAX_VALUE)) throw new IllegalArgumentException("eps must be positive and finite, got " + eps);
        return copy(engine, full, (float) eps, reduction, stream);
    }

    public L withReduction(Reduction reduction) {
        return copy(engine, full, eps, Objects.requireNonNull(reduction, "reduction"), stream);
    }

    /** The same options on another engine (and its default stream). */
    public L withEngine(Engine engine) {
        return copy(Objects.requireNonNull(engine, "engine"), full, eps, reduction, null);
    }

    /** The stream the device calls enqueue on (null: the default stream). */
    public L withStream(Stream stream) {
        if (stream != null) stream.checkAlive();
        return copy(engine, full, eps, reduction, stream);
    }

    public Engine engine() {
        return engine;
    }

    public boolean full() {
        return full;
    }

    public float eps() {
        return eps;
    }

    public Reduction reduction() {
        return reduction;
    }

    /** The loss; per-element losses under NONE. */
    public ElementwiseLoss forward(DenseTensor input, DenseTensor target, float[] spread) {
        return run(input, target, spread, null, null, null);
    }

    /** Loss and gradient w.r.t. the input in one pass, upstream 1. {@code grad} may be {@code input}. */
    public ElementwiseLoss forwardBackward(DenseTensor input, DenseTensor target, float[] spread, DenseTensor grad) {
        return run(input, target, spread, null, Objects.requireNonNull(grad, "grad"), null);
    }

    /**
     * Loss and gradients w.r.t. the input and, when {@code spreadGrad} is not null, a learned spread,
     * with a scalar upstream gradient (SUM, MEAN). {@code spreadGrad} is fp32 with the spread's length
     * (per element, per row or one value); an entry shared by several elements gets the sum of their
     * gradients, as autograd gives a broadcast tensor, summed in a fixed order on every engine (the
     * same bits run to run). It may not overlap any other buffer.
     */
    public ElementwiseLoss forwardBackward(DenseTensor input, DenseTensor target, float[] spread, float upstream,
            DenseTensor grad, float[] spreadGrad) {
        Objects.requireNonNull(input, "input");
        float[] up = Checks.scalarUpstream(upstream, reduction, input.count());
        return run(input, target, spread, up, Objects.requireNonNull(grad, "grad"), spreadGrad);
    }

    /** As above with one upstream gradient per element (NONE); {@code spreadGrad} may be null. */
    public ElementwiseLoss forwardBackward(DenseTensor input, DenseTensor target, float[] spread, float[] upstreamPerRow,
            DenseTensor grad, float[] spreadGrad) {
        Objects.requireNonNull(input, "input");
        float[] up = Checks.rowUpstream(upstreamPerRow, reduction, input.count());
        return run(input, target, spread, up, Objects.requireNonNull(grad, "grad"), spreadGrad);
    }

    /** Overwrites the input with the gradient of the loss (upstream 1). */
    public ElementwiseLoss forwardBackwardInPlace(DenseTensor input, DenseTensor target, float[] spread) {
        return forwardBackward(input, target, spread, input);
    }

    private ElementwiseLoss run(DenseTensor input, DenseTensor target, float[] spread, float[] upstream, DenseTensor grad,
            float[] spreadGrad) {
        Objects.requireNonNull(input, "input");
        Broadcast b = ElementwiseRun.auxBroadcast(spreadName, spread, input);
        Extras x = new Extras(null, Broadcast.PER_ELEMENT, null, spreadName, spread, b, spreadGrad, full, false, eps);
        return ElementwiseRun.run(engine, op, reduction, input, target, upstream, grad, x);
    }

    // ---- on device memory ------------------------------------------------------------------------

    /**
     * Device outputs for this loss's calls over inputs of {@code input}'s shape, on their device;
     * {@link DeviceElementwiseLoss#close()} frees them. Allocating synchronises; the calls do not.
     */
    public DeviceElementwiseLoss deviceOutputs(DenseTensor input) {
        return deviceOutputs(input, null);
    }

    /** As {@link #deviceOutputs(DenseTensor)}, freed when {@code arena} closes. */
    public DeviceElementwiseLoss deviceOutputs(DenseTensor input, Arena arena) {
        return ElementwiseRun.deviceOutputs(engine, op, reduction, input, null, null, arena);
    }

    /**
     * The loss of device tensors into {@code out}, enqueued on the stream: {@code spread} is fp32
     * device memory of exactly one value per element, per row or one in all. Returns {@code out}.
     */
    public DeviceElementwiseLoss forward(DenseTensor input, DenseTensor target, DeviceMemory spread, DeviceElementwiseLoss out) {
        return runOnDevice(input, target, spread, null, null, null, out);
    }

    /**
     * Loss and gradients of device tensors, enqueued on the stream, with the upstream gradient in
     * device memory (1 fp32 for SUM and MEAN, one per element for NONE; null: 1), and the gradient
     * w.r.t. a learned spread into {@code spreadGrad} (the spread's size; null: not wanted).
     * Returns {@code out}.
     */
    public DeviceElementwiseLoss forwardBackward(DenseTensor input, DenseTensor target, DeviceMemory spread, DeviceMemory upstream,
            DenseTensor grad, DeviceMemory spreadGrad, DeviceElementwiseLoss out) {
        return runOnDevice(input, target, spread, upstream, Objects.requireNonNull(grad, "grad"), spreadGrad, out);
    }

    private DeviceElementwiseLoss runOnDevice(DenseTensor input, DenseTensor target, DeviceMemory spread, DeviceMemory upstream,
            DenseTensor grad, DeviceMemory spreadGrad, DeviceElementwiseLoss out) {
        Objects.requireNonNull(input, "input");
        Broadcast b = ElementwiseRun.auxBroadcast(spreadName, spread, input);
        ElementwiseRun.DeviceExtras x = new ElementwiseRun.DeviceExtras(Broadcast.PER_ELEMENT, spreadName, spread, b, spreadGrad,
                full, false, eps);
        return ElementwiseRun.runOnDevice(engine, op, reduction, input, target, upstream, grad, x, out, null, null, stream);
    }
}
