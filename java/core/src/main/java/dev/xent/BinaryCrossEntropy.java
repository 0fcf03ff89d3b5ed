package dev.xent;

import dev.xent.ElementwiseRun.Extras;
import dev.xent.engine.ElementwiseLossCall.Broadcast;
import dev.xent.engine.ElementwiseLossCall.Op;
import dev.xent.engine.Engine;
import dev.xent.internal.Checks;
import java.lang.foreign.Arena;
import java.util.Objects;

/**
 * Binary cross-entropy with logits, as PyTorch's {@code F.binary_cross_entropy_with_logits}
 * (binary and multi-label), on one engine. Immutable: the {@code withX} methods return a copy.
 *
 * <p>With logit x, target y in [0, 1], weight w (default 1) and positive weight pw (default 1),
 * computed in logit space, stable for any x:
 * {@code loss = w [(1-y) x + (1 + (pw-1) y)(log1p(exp(-|x|)) + max(-x, 0))]}, gradient
 * {@code w [sigmoid(x)(1 + (pw-1) y) - pw y]}, evaluated as {@code w [(1-y) sigmoid(x) - pw y sigmoid(-x)]}
 * (the same value without the cancellation near y = 1 for large x). The input may have any shape; the target has its
 * shape and dtype. {@code pos_weight} has one value per entry of the last axis (one per class);
 * {@code weight} is per element or one per last-axis entry. MEAN divides the sum by the number of
 * elements (weights multiply, they do not divide, as in PyTorch). Losses are fp32; the gradient
 * has the input's dtype. The loss is evaluated as {@code w [(1-y) max(x, 0) + pw y max(-x, 0) +
 * (1 + (pw-1) y) log1p(exp(-|x|))]}: the same value as sums of non-negative terms, so nothing
 * cancels (x = -30, y = 0 gives 9.4e-14, not 0).
 *
 * <p>Differences from PyTorch: a target outside [0, 1] (or NaN) is an
 * {@link IllegalArgumentException} naming the element and the value (PyTorch computes with it);
 * weights are fp32 whatever the input's dtype; infinite logits give the limit of the loss (+inf,
 * or 0 where the term's coefficient is 0, e.g. x = +inf with y = 1), where PyTorch's formula
 * gives NaN; and the cancellations above are avoided, so tiny losses and gradients keep their
 * digits where PyTorch's fp32 result is 0.
 *
 * <p>Made by {@link Xent#binaryCrossEntropy()}. Each element is a row: an upstream gradient per row
 * has one value per element.
 */
public final class BinaryCrossEntropy extends LossFunction<DenseTensor, DenseTensor, ElementwiseLoss> {
    private final Engine engine;
    private final float[] weight;
    private final float[] posWeight;
    private final Reduction reduction;
    /** What device calls enqueue on; null: the default stream. */
    private final Stream stream;

    private BinaryCrossEntropy(Engine engine, float[] weight, float[] posWeight, Reduction reduction, Stream stream) {
        this.engine = engine;
        this.weight = weight;
        this.posWeight = posWeight;
        this.reduction = reduction;
        this.stream = stream;
    }

    /** Defaults (no weights, MEAN) on {@code engine}. */
    BinaryCrossEntropy(Engine engine) {
        this(Objects.requireNonNull(engine, "engine"), null, null, Reduction.MEAN, null);
    }

    /** Weights, one per element or one per entry of the last axis, or null for none. Copied. */
    public BinaryCrossEntropy withWeight(float[] weight) {
        return new BinaryCrossEntropy(engine, Checks.finite("weight", weight), posWeight, reduction, stream);
    }

    /** Positive-class weights, one per entry of the last axis, or null for none. Copied. */
    public BinaryCrossEntropy withPosWeight(float[] posWeight) {
        return new BinaryCrossEntropy(engine, weight, Checks.finite("pos_weight", posWeight), reduction, stream);
    }

    public BinaryCrossEntropy withReduction(Reduction reduction) {
        return new BinaryCrossEntropy(engine, weight, posWeight, Objects.requireNonNull(reduction, "reduction"), stream);
    }

    public BinaryCrossEntropy withEngine(Engine engine) {
        return new BinaryCrossEntropy(Objects.requireNonNull(engine, "engine"), weight, posWeight, reduction, null);
    }

    public Reduction reduction() {
        return reduction;
    }

    public Engine engine() {
        return engine;
    }

    public float[] weight() {
        return weight == null ? null : weight.clone();
    }

    public float[] posWeight() {
        return posWeight == null ? null : posWeight.clone();
    }

    @Override
    long rows(DenseTensor input) {
        return input.count();
    }

    @Override
    ElementwiseLoss run(DenseTensor input, DenseTensor target, float[] upstream, DenseTensor grad) {
        Objects.requireNonNull(input, "input");
        Broadcast wb = weight == null ? Broadcast.PER_ELEMENT : ElementwiseRun.weightBroadcast(weight, input);
        if (posWeight != null) ElementwiseRun.checkPosWeight(posWeight, input);
        Extras x = new Extras(weight, wb, posWeight, null, null, Broadcast.PER_ELEMENT, null, false, false, 0f);
        return ElementwiseRun.run(engine, Op.BCE_WITH_LOGITS, reduction, input, target, upstream, grad, x);
    }

    // ---- on device memory ------------------------------------------------------------------------

    /** The stream the device calls enqueue on (null: the default stream). */
    public BinaryCrossEntropy withStream(Stream stream) {
        if (stream != null) stream.checkAlive();
        return new BinaryCrossEntropy(engine, weight, posWeight, reduction, stream);
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
        Objects.requireNonNull(input, "input");
        if (weight != null) ElementwiseRun.weightBroadcast(weight, input);
        if (posWeight != null) ElementwiseRun.checkPosWeight(posWeight, input);
        return ElementwiseRun.deviceOutputs(engine, Op.BCE_WITH_LOGITS, reduction, input, weight, posWeight, arena);
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
        Broadcast wb = weight == null ? Broadcast.PER_ELEMENT : ElementwiseRun.weightBroadcast(weight, input);
        if (posWeight != null) ElementwiseRun.checkPosWeight(posWeight, input);
        ElementwiseRun.DeviceExtras x = new ElementwiseRun.DeviceExtras(wb, null, null, Broadcast.PER_ELEMENT, null, false, false, 0f);
        return ElementwiseRun.runOnDevice(engine, Op.BCE_WITH_LOGITS, reduction, input, target, upstream, grad, x, out, weight, posWeight,
                stream);
    }
}
