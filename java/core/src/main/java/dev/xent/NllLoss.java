package dev.xent;

import dev.xent.engine.Engine;
import dev.xent.engine.NllCall;
import dev.xent.engine.Pass;
import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * Negative log-likelihood of class-index targets given log-probabilities, as PyTorch's
 * {@code F.nll_loss}, on one engine. Immutable: the {@code withX} methods return a copy.
 *
 * <p>With log-probabilities x (any {@link Logits} shape and layout, classes on axis 1) and class
 * weights w (all ones by default): {@code loss_i = -w[y_i] x[i, y_i]}; rows with {@code y_i ==
 * ignoreIndex} give 0 and no gradient; MEAN divides by the sum of {@code w[y_i]} over rows not
 * ignored (every row ignored: NaN, as PyTorch). Gradient: {@code -s_i w[y_i]} at {@code y_i}, 0
 * everywhere else, {@code s_i} the upstream gradient (divided by the denominator under MEAN).
 * The input is used as given (no check that it holds log-probabilities), as PyTorch does.
 * Losses are fp32; gradients have the input's storage type and layout. {@link Loss#lse()} is null.
 */
public final class NllLoss {
    private final Engine engine;
    private final float[] weight;
    private final long ignoreIndex;
    private final Reduction reduction;

    private NllLoss(Engine engine, float[] weight, long ignoreIndex, Reduction reduction) {
        this.engine = engine;
        this.weight = weight;
        this.ignoreIndex = ignoreIndex;
        this.reduction = reduction;
    }

    /** Defaults (no weights, ignoreIndex -100, MEAN) on the given engine. */
    public static NllLoss on(Engine engine) {
        return new NllLoss(Objects.requireNonNull(engine, "engine"), null, CrossEntropy.DEFAULT_IGNORE_INDEX, Reduction.MEAN);
    }

    /** Per-class weights, C finite values, or null for none. The array is copied. */
    public NllLoss withWeight(float[] weight) {
        float[] w = weight == null ? null : weight.clone();
        if (w != null) {
            for (int k = 0; k < w.length; k++) {
                if (!Float.isFinite(w[k])) throw new IllegalArgumentException("weight[" + k + "] is " + w[k] + "; weights must be finite");
            }
        }
        return new NllLoss(engine, w, ignoreIndex, reduction);
    }

    /** Class index whose rows contribute no loss and no gradient (default -100). */
    public NllLoss withIgnoreIndex(long ignoreIndex) {
        return new NllLoss(engine, weight, ignoreIndex, reduction);
    }

    public NllLoss withReduction(Reduction reduction) {
        return new NllLoss(engine, weight, ignoreIndex, Objects.requireNonNull(reduction, "reduction"));
    }

    /** The same options on another engine. */
    public NllLoss withEngine(Engine engine) {
        return new NllLoss(Objects.requireNonNull(engine, "engine"), weight, ignoreIndex, reduction);
    }

    public Engine engine() {
        return engine;
    }

    public float[] weight() {
        return weight == null ? null : weight.clone();
    }

    public long ignoreIndex() {
        return ignoreIndex;
    }

    public Reduction reduction() {
        return reduction;
    }

    /** The loss; reads one element per row. */
    public Loss forward(Logits logProbabilities, Targets.ClassIndices targets) {
        return run(logProbabilities, targets, null, null);
    }

    /** Loss and gradient (upstream 1; NONE: 1 per row). {@code grad} may be the input itself. */
    public Loss forwardBackward(Logits logProbabilities, Targets.ClassIndices targets, Logits grad) {
        return run(logProbabilities, targets, CrossEntropy.requireGrad(grad), null);
    }

    /** As {@link #forwardBackward(Logits, Targets.ClassIndices, Logits)} with a scalar upstream gradient (SUM or MEAN). */
    public Loss forwardBackward(Logits logProbabilities, Targets.ClassIndices targets, Logits grad, float upstream) {
        return run(logProbabilities, targets, CrossEntropy.requireGrad(grad), CrossEntropy.scalarUpstream(upstream));
    }

    /** As {@link #forwardBackward(Logits, Targets.ClassIndices, Logits)} with one upstream gradient per row (NONE). */
    public Loss forwardBackward(Logits logProbabilities, Targets.ClassIndices targets, Logits grad, float[] upstreamPerRow) {
        return run(logProbabilities, targets, CrossEntropy.requireGrad(grad),
                CrossEntropy.rowUpstream(upstreamPerRow, logProbabilities));
    }

    private Loss run(Logits input, Targets.ClassIndices targets, Logits grad, float[] upstream) {
        Objects.requireNonNull(input, "logProbabilities");
        Objects.requireNonNull(targets, "targets");
        CrossEntropy.checkAlive(input.data(), "log-probabilities");
        long rows = input.rows();
        if (rows > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("more rows (" + rows + ") than a Java array of per-row losses can hold");
        }
        if (weight != null && weight.length != input.classes()) {
            throw new IllegalArgumentException("weight has " + weight.length + " entries but the input has C = " + input.classes() + " classes");
        }
        if (upstream != null && (upstream.length == 1) != (reduction != Reduction.NONE)) {
            throw new IllegalArgumentException(reduction == Reduction.NONE
                    ? "reduction NONE needs one upstream gradient per row (" + rows + "), got a scalar"
                    : "reduction " + reduction + " needs a scalar upstream gradient, got one per row");
        }
        CrossEntropy.checkClassIndices(targets, input, ignoreIndex);
        if (grad != null) CrossEntropy.checkGrad(grad, input);
        float[] rowLoss = new float[(int) rows];
        float[] reduced = new float[2];
        engine.nll(new NllCall(grad == null ? Pass.FORWARD : Pass.FORWARD_BACKWARD, input.layout(), input.dtype(),
                input.data(), targets, weight == null ? null : MemorySegment.ofArray(weight), ignoreIndex, reduction,
                upstream == null ? null : MemorySegment.ofArray(upstream), grad == null ? null : grad.data(),
                MemorySegment.ofArray(rowLoss), MemorySegment.ofArray(reduced)));
        return new Loss(reduction, reduced[0], reduced[1], rowLoss, null, input.rowShape(), null, 0f);
    }
}
