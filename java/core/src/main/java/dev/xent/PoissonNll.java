package dev.xent;

import dev.xent.ElementwiseRun.Extras;
import dev.xent.engine.ElementwiseLossCall.Broadcast;
import dev.xent.engine.ElementwiseLossCall.Op;
import dev.xent.engine.Engine;
import java.lang.foreign.Arena;
import java.util.Objects;

/**
 * Poisson negative log-likelihood, as PyTorch's {@code F.poisson_nll_loss(input, target,
 * log_input, full, eps, reduction)}, on one engine. Immutable: the {@code withX} methods return
 * a copy.
 *
 * <p>With input x and target count t: log input (default) {@code loss = exp(x) - t x}, gradient
 * {@code exp(x) - t}; otherwise x is the rate and {@code loss = x - t log(x + eps)}, gradient
 * {@code 1 - t / (x + eps)}. {@code full} adds Stirling's approximation of log(t!),
 * {@code t log t - t + 0.5 log(2 pi t)}, where t > 1 only (PyTorch masks t <= 1 to 0); it does not
 * depend on x. MEAN divides by the number of elements.
 *
 * <p>Differences from PyTorch: a negative target, or a negative rate when the input is not a
 * log-rate, is an {@link IllegalArgumentException} naming the element and the value (PyTorch
 * computes with it).
 *
 * <p>Made by {@link Xent#poissonNll()}. Each element is a row: an upstream gradient per row has one
 * value per element.
 */
public final class PoissonNll extends LossFunction<DenseTensor, DenseTensor, ElementwiseLoss> {
    /** PyTorch's default eps. */
    public static final double DEFAULT_EPS = 1e-8;

    private final Engine engine;
    private final boolean logInput;
    private final boolean full;
    private final float eps;
    private final Reduction reduction;
    /** What device calls enqueue on; null: the default stream. */
    private final Stream stream;

    private PoissonNll(Engine engine, boolean logInput, boolean full, float eps, Reduction reduction, Stream stream) {
        this.engine = engine;
        this.logInput = logInput;
        this.full = full;
        this.eps = eps;
        this.reduction = reduction;
        this.stream = stream;
    }

    /** Defaults (log input, full false, eps 1e-8, MEAN) on {@code engine}. */
    PoissonNll(Engine engine) {
        this(Objects.requireNonNull(engine, "engine"), true, false, (float) DEFAULT_EPS, Reduction.MEAN, null);
    }

    /** Whether the input is log(rate) (true, the default) or the rate itself. */
    public PoissonNll withLogInput(boolean logInput) {
        return new PoissonNll(engine, logInput, full, eps, reduction, stream);
    }

    /** Whether to add the Stirling term for targets above 1. */
    public PoissonNll withFull(boolean full) {
        return new PoissonNll(engine, logInput, full, eps, reduction, stream);
    }

    /** Added to the rate inside the log when the input is the rate (>= 0). */
    public PoissonNll withEps(double eps) {
        if (!(eps >= 0 && eps < Float.MAX_VALUE)) throw new IllegalArgumentException("eps must be >= 0 and finite, got " + eps);
        return new PoissonNll(engine, logInput, full, (float) eps, reduction, stream);
    }

    public PoissonNll withReduction(Reduction reduction) {
        return new PoissonNll(engine, logInput, full, eps, Objects.requireNonNull(reduction, "reduction"), stream);
    }

    public PoissonNll withEngine(Engine engine) {
        return new PoissonNll(Objects.requireNonNull(engine, "engine"), logInput, full, eps, reduction, null);
    }

    public boolean logInput() {
        return logInput;
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

    public Engine engine() {
        return engine;
    }

    @Override
    long rows(DenseTensor input) {
        return input.count();
    }

    @Override
    ElementwiseLoss run(DenseTensor input, DenseTensor target, float[] upstream, DenseTensor grad) {
        Extras x = new Extras(null, Broadcast.PER_ELEMENT, null, null, null, Broadcast.PER_ELEMENT, null, full, logInput, eps);
        return ElementwiseRun.run(engine, Op.POISSON_NLL, reduction, input, target, upstream, grad, x);
    }

    // ---- on device memory ------------------------------------------------------------------------

    /** The stream the device calls enqueue on (null: the default stream). */
    public PoissonNll withStream(Stream stream) {
        if (stream != null) stream.checkAlive();
        return new PoissonNll(engine, logInput, full, eps, reduction, stream);
    }

    /**
     * Device outputs for this loss's calls over inputs of {@code input}'s shape, on their device;
     * {@link DeviceElementwiseLoss#close()} frees them. Allocating synchronises; the calls do not.
     */
    public DeviceElementwiseLoss deviceOutputs(DenseTensor input) {
        return deviceOutputs(input, null);
    }

    /** As {@link #deviceOutputs(DenseTensor)}, freed when {@code arena} closes. */
    public DeviceElementwiseLoss deviceOutputs(DenseTensor input, Arena arena) {
        return ElementwiseRun.deviceOutputs(engine, Op.POISSON_NLL, reduction, input, null, null, arena);
    }

    /** The loss of device tensors into {@code out}, enqueued on the stream; returns {@code out}. */
    public DeviceElementwiseLoss forward(DenseTensor input, DenseTensor target, DeviceElementwiseLoss out) {
        return runOnDevice(input, target, null, null, out);
    }

    /**
     * Loss and gradient of device tensors, enqueued on the stream, with the upstream gradient in
     * device memory (1 fp32 for SUM and MEAN, one per element for NONE; null: 1); {@code grad} may
     * be {@code input}. Returns {@code out}.
     */
    public DeviceElementwiseLoss forwardBackward(DenseTensor input, DenseTensor target, DeviceMemory upstream, DenseTensor grad,
            DeviceElementwiseLoss out) {
        return runOnDevice(input, target, upstream, Objects.requireNonNull(grad, "grad"), out);
    }

    private DeviceElementwiseLoss runOnDevice(DenseTensor input, DenseTensor target, DeviceMemory upstream, DenseTensor grad,
            DeviceElementwiseLoss out) {
        Objects.requireNonNull(input, "input");
        ElementwiseRun.DeviceExtras x = new ElementwiseRun.DeviceExtras(Broadcast.PER_ELEMENT, null, null, Broadcast.PER_ELEMENT, null,
                full, logInput, eps);
        return ElementwiseRun.runOnDevice(engine, Op.POISSON_NLL, reduction, input, target, upstream, grad, x, out, null, null,
                stream);
    }
}
