package dev.xent;

import dev.xent.engine.CrossEntropyCall;
import dev.xent.engine.Engine;
import dev.xent.engine.Pass;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.Objects;

/**
 * Softmax cross-entropy, as PyTorch's {@code F.cross_entropy}, on one engine. Immutable: the
 * {@code withX} methods return a copy.
 *
 * <p>With logits z (rows i, classes k), {@code lse_i = log sum_k exp z_ik}, class weights w (all
 * ones by default), label smoothing eps and C classes:
 *
 * <ul>
 *   <li>class-index targets y: {@code loss_i = (1-eps) w[y_i] (lse_i - z_{i,y_i}) + (eps/C)
 *       sum_k w_k (lse_i - z_ik)}; rows with {@code y_i == ignoreIndex} give 0 and no gradient;
 *       MEAN divides by {@code sum of w[y_i]} over rows not ignored (every row ignored: NaN, as
 *       in PyTorch).
 *   <li>probability targets t: {@code t' = (1-eps) t + eps/C}, {@code loss_i = -sum_k w_k t'_ik
 *       (z_ik - lse_i)}; MEAN divides by the number of rows; {@code ignoreIndex} does not apply.
 *   <li>gradient: {@code dL/dz_ik = s_i (p_ik sum_j w_j t'_ij - w_k t'_ik)} with {@code p =
 *       softmax(z)}, where hard labels act as t' = (1-eps) onehot(y) + eps/C weighted as above, and
 *       {@code s_i} is the upstream gradient, divided by the denominator under MEAN.
 * </ul>
 *
 * Losses are fp32; gradients have the logits' storage type and layout.
 */
public final class CrossEntropy {
    /** PyTorch's default {@code ignore_index}. */
    public static final long DEFAULT_IGNORE_INDEX = -100;

    private final Engine engine;
    private final float[] weight;
    private final long ignoreIndex;
    private final float labelSmoothing;
    private final Reduction reduction;

    private CrossEntropy(Engine engine, float[] weight, long ignoreIndex, float labelSmoothing, Reduction reduction) {
        this.engine = engine;
        this.weight = weight;
        this.ignoreIndex = ignoreIndex;
        this.labelSmoothing = labelSmoothing;
        this.reduction = reduction;
    }

    /** Defaults (no weights, ignoreIndex -100, no smoothing, MEAN) on the given engine. */
    public static CrossEntropy on(Engine engine) {
        return new CrossEntropy(Objects.requireNonNull(engine, "engine"), null, DEFAULT_IGNORE_INDEX, 0f, Reduction.MEAN);
    }

    /** Defaults on the automatically selected engine ({@link Engines#auto()}). */
    public static CrossEntropy create() {
        return on(Engines.auto().engine());
    }

    /** Per-class weights, C values, or null for none. The array is copied. */
    public CrossEntropy withWeight(float[] weight) {
        float[] w = weight == null ? null : weight.clone();
        if (w != null) {
            for (int k = 0; k < w.length; k++) {
                if (!Float.isFinite(w[k])) throw new IllegalArgumentException("weight[" + k + "] is " + w[k] + "; weights must be finite");
            }
        }
        return new CrossEntropy(engine, w, ignoreIndex, labelSmoothing, reduction);
    }

    /** Class index whose rows contribute no loss and no gradient (default -100). */
    public CrossEntropy withIgnoreIndex(long ignoreIndex) {
        return new CrossEntropy(engine, weight, ignoreIndex, labelSmoothing, reduction);
    }

    /** Label smoothing eps in [0, 1]: the target becomes (1-eps) target + eps/C. */
    public CrossEntropy withLabelSmoothing(double eps) {
        if (!(eps >= 0 && eps <= 1)) {
            throw new IllegalArgumentException("label smoothing must be in [0, 1], got " + eps);
        }
        return new CrossEntropy(engine, weight, ignoreIndex, (float) eps, reduction);
    }

    public CrossEntropy withReduction(Reduction reduction) {
        return new CrossEntropy(engine, weight, ignoreIndex, labelSmoothing, Objects.requireNonNull(reduction, "reduction"));
    }

    /** The same options on another engine. */
    public CrossEntropy withEngine(Engine engine) {
        return new CrossEntropy(Objects.requireNonNull(engine, "engine"), weight, ignoreIndex, labelSmoothing, reduction);
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

    public float labelSmoothing() {
        return labelSmoothing;
    }

    public Reduction reduction() {
        return reduction;
    }

    /** The loss and the per-row log-sum-exp. */
    public Loss forward(Logits logits, Targets targets) {
        return run(Pass.FORWARD, logits, targets, null, null, null);
    }

    /**
     * Loss and gradient in one pass, with upstream gradient 1 (for NONE: 1 for every row, the
     * gradient of the sum). {@code grad} must have the logits' shape, type and layout; it may be
     * {@code logits} itself, which overwrites the logits with their gradient.
     */
    public Loss forwardBackward(Logits logits, Targets targets, Logits grad) {
        return run(Pass.FORWARD_BACKWARD, logits, targets, null, requireGrad(grad), null);
    }

    /** As {@link #forwardBackward(Logits, Targets, Logits)} with a scalar upstream gradient (SUM or MEAN). */
    public Loss forwardBackward(Logits logits, Targets targets, Logits grad, float upstream) {
        return run(Pass.FORWARD_BACKWARD, logits, targets, null, requireGrad(grad), scalarUpstream(upstream));
    }

    /** As {@link #forwardBackward(Logits, Targets, Logits)} with one upstream gradient per row (NONE). */
    public Loss forwardBackward(Logits logits, Targets targets, Logits grad, float[] upstreamPerRow) {
        return run(Pass.FORWARD_BACKWARD, logits, targets, null, requireGrad(grad), rowUpstream(upstreamPerRow, logits));
    }

    /** Overwrites the logits with the gradient of the loss (upstream 1). */
    public Loss forwardBackwardInPlace(Logits logits, Targets targets) {
        return forwardBackward(logits, targets, logits);
    }

    /** Gradient from the log-sum-exp a forward pass returned, with a scalar upstream gradient (SUM or MEAN). */
    public void backward(Logits logits, Targets targets, float[] lse, float upstream, Logits grad) {
        run(Pass.BACKWARD, logits, targets, requireLse(lse, logits), requireGrad(grad), scalarUpstream(upstream));
    }

    /** Gradient from the saved log-sum-exp with one upstream gradient per row (NONE). */
    public void backward(Logits logits, Targets targets, float[] lse, float[] upstreamPerRow, Logits grad) {
        run(Pass.BACKWARD, logits, targets, requireLse(lse, logits), requireGrad(grad), rowUpstream(upstreamPerRow, logits));
    }

    private Loss run(Pass pass, Logits logits, Targets targets, float[] lseIn, Logits grad, float[] upstream) {
        Objects.requireNonNull(logits, "logits");
        Objects.requireNonNull(targets, "targets");
        checkAlive(logits.data(), "logits");
        Layout layout = logits.layout();
        long rows = logits.rows();
        if (rows > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("more rows (" + rows + ") than a Java array of per-row losses can hold");
        }
        if (weight != null && weight.length != logits.classes()) {
            throw new IllegalArgumentException("weight has " + weight.length + " entries but logits have C = " + logits.classes() + " classes");
        }
        if (upstream != null && (upstream.length == 1) != (reduction != Reduction.NONE)) {
            throw new IllegalArgumentException(reduction == Reduction.NONE
                    ? "reduction NONE needs one upstream gradient per row (" + rows + "), got a scalar"
                    : "reduction " + reduction + " needs a scalar upstream gradient, got one per row");
        }
        checkTargets(targets, logits);
        if (grad != null) checkGrad(grad, logits);

        int n = (int) rows;
        float[] rowLoss = pass == Pass.BACKWARD ? null : new float[n];
        float[] lse = lseIn != null ? lseIn : new float[n];
        float[] reduced = new float[2];
        MemorySegment reducedSeg = MemorySegment.ofArray(reduced);
        engine.crossEntropy(new CrossEntropyCall(
                pass, layout, logits.dtype(), logits.data(), targets,
                weight == null ? null : MemorySegment.ofArray(weight),
                ignoreIndex, labelSmoothing, reduction,
                upstream == null ? null : MemorySegment.ofArray(upstream),
                grad == null ? null : grad.data(),
                rowLoss == null ? null : MemorySegment.ofArray(rowLoss),
                MemorySegment.ofArray(lse),
                reducedSeg));
        if (pass == Pass.BACKWARD) return null;
        return new Loss(reduction, reduced[0], reduced[1], rowLoss, lse, logits.rowShape());
    }

    /** Checks class-index targets against the logits (count, range, ignoreIndex); shared with {@link Evaluation}. */
    void checkClassTargets(Targets.ClassIndices targets, Logits logits) {
        checkTargets(targets, logits);
    }

    private void checkTargets(Targets targets, Logits logits) {
        switch (targets) {
            case Targets.ClassIndices idx -> {
                checkAlive(idx.data(), "targets");
                if (idx.count() != logits.rows()) {
                    throw new IllegalArgumentException("targets hold " + idx.count() + " class indices but logits "
                            + logits + " have " + logits.rows() + " rows of shape " + Arrays.toString(logits.rowShape()));
                }
                checkLabels(idx, logits);
            }
            case Targets.Probabilities prob -> {
                checkAlive(prob.data(), "targets");
                if (prob.dtype() != logits.dtype()) {
                    throw new IllegalArgumentException("probability targets are " + prob.dtype() + " but logits are " + logits.dtype());
                }
                long needed = logits.rows() * logits.classes() * prob.dtype().byteSize();
                if (prob.data().byteSize() != needed) {
                    throw new IllegalArgumentException("probability targets must have the logits' shape "
                            + Arrays.toString(logits.shape()) + " (" + needed + " bytes), got " + prob.data().byteSize() + " bytes");
                }
            }
        }
    }

    private void checkLabels(Targets.ClassIndices idx, Logits logits) {
        long classes = logits.classes();
        MemorySegment data = idx.data();
        long count = idx.count();
        for (long r = 0; r < count; r++) {
            long y = idx.type() == IndexType.I32
                    ? data.getAtIndex(ValueLayout.JAVA_INT_UNALIGNED, r)
                    : data.getAtIndex(ValueLayout.JAVA_LONG_UNALIGNED, r);
            if ((y < 0 || y >= classes) && y != ignoreIndex) {
                throw new IllegalArgumentException("target " + y + " at " + position(r, logits.rowShape())
                        + " is out of range [0, " + classes + ") and is not ignoreIndex (" + ignoreIndex + ")");
            }
        }
    }

    /** "row 5" for (N) targets, "position [1, 2, 0]" for (N, d1..dk) ones. */
    private static String position(long row, long[] rowShape) {
        if (rowShape.length == 1) return "row " + row;
        long[] index = new long[rowShape.length];
        long rest = row;
        for (int i = rowShape.length - 1; i >= 0; i--) {
            index[i] = rest % rowShape[i];
            rest /= rowShape[i];
        }
        return "position " + Arrays.toString(index);
    }

    private static void checkGrad(Logits grad, Logits logits) {
        checkAlive(grad.data(), "gradient");
        if (grad.dtype() != logits.dtype() || !Arrays.equals(grad.shape(), logits.shape()) || !grad.layout().equals(logits.layout())) {
            throw new IllegalArgumentException("gradient buffer " + grad + " must match the logits " + logits
                    + " in shape, dtype and row stride");
        }
        if (grad.data().isReadOnly()) throw new IllegalArgumentException("gradient buffer is read-only");
    }

    private static Logits requireGrad(Logits grad) {
        return Objects.requireNonNull(grad, "grad");
    }

    private static float[] requireLse(float[] lse, Logits logits) {
        Objects.requireNonNull(lse, "lse");
        if (lse.length != logits.rows()) {
            throw new IllegalArgumentException("lse has " + lse.length + " values but logits have " + logits.rows() + " rows");
        }
        return lse;
    }

    private static float[] scalarUpstream(float upstream) {
        return new float[] {upstream};
    }

    private static float[] rowUpstream(float[] upstream, Logits logits) {
        Objects.requireNonNull(upstream, "upstreamPerRow");
        if (upstream.length != logits.rows()) {
            throw new IllegalArgumentException("upstream has " + upstream.length + " values but logits have " + logits.rows() + " rows");
        }
        return upstream;
    }

    static void checkAlive(MemorySegment segment, String what) {
        if (!segment.scope().isAlive()) {
            throw new IllegalStateException(what + " memory is no longer accessible: its arena was closed");
        }
    }
}
