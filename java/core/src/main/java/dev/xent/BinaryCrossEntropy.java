package dev.xent;

import dev.xent.ElementwiseRun.Extras;
import dev.xent.engine.ElementwiseLossCall.Broadcast;
import dev.xent.engine.ElementwiseLossCall.Op;
import dev.xent.engine.Engine;
import dev.xent.internal.Checks;
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

    private BinaryCrossEntropy(Engine engine, float[] weight, float[] posWeight, Reduction reduction) {
        this.engine = engine;
        this.weight = weight;
        this.posWeight = posWeight;
        this.reduction = reduction;
    }

    /** Defaults (no weights, MEAN) on {@code engine}. */
    BinaryCrossEntropy(Engine engine) {
        this(Objects.requireNonNull(engine, "engine"), null, null, Reduction.MEAN);
    }

    /** Weights, one per element or one per entry of the last axis, or null for none. Copied. */
    public BinaryCrossEntropy withWeight(float[] weight) {
        return new BinaryCrossEntropy(engine, Checks.finite("weight", weight), posWeight, reduction);
    }

    /** Positive-class weights, one per entry of the last axis, or null for none. Copied. */
    public BinaryCrossEntropy withPosWeight(float[] posWeight) {
        return new BinaryCrossEntropy(engine, weight, Checks.finite("pos_weight", posWeight), reduction);
    }

    public BinaryCrossEntropy withReduction(Reduction reduction) {
        return new BinaryCrossEntropy(engine, weight, posWeight, Objects.requireNonNull(reduction, "reduction"));
    }

    public BinaryCrossEntropy withEngine(Engine engine) {
        return new BinaryCrossEntropy(Objects.requireNonNull(engine, "engine"), weight, posWeight, reduction);
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
}
