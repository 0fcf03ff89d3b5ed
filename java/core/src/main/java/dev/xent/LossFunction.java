package dev.xent;

import dev.xent.internal.Checks;
import java.util.Objects;

/**
 * The calls every loss with one input and one target shares, in the package's argument order:
 * input, targets, upstream gradient, output buffer. {@code I} is the input's type (and its
 * gradient's), {@code T} the targets', {@code R} the result's.
 *
 * <p>Without an upstream argument the upstream gradient is 1 (under NONE: 1 for every row, the
 * gradient of the sum). A scalar upstream goes with SUM and MEAN, one per row with NONE.
 */
public abstract sealed class LossFunction<I, T, R extends LossResult>
        permits CrossEntropy, NllLoss, BinaryCrossEntropy, PoissonNll {
    LossFunction() {}

    public abstract Reduction reduction();

    /** The loss alone. */
    public R forward(I input, T targets) {
        return run(Objects.requireNonNull(input, "input"), targets, null, null);
    }

    /**
     * Loss and gradient in one pass, upstream 1. {@code grad} has the input's shape, dtype and
     * layout; it may be {@code input} itself, which then holds its gradient.
     */
    public R forwardBackward(I input, T targets, I grad) {
        return run(Objects.requireNonNull(input, "input"), targets, null, Objects.requireNonNull(grad, "grad"));
    }

    /** As {@link #forwardBackward(Object, Object, Object)} with a scalar upstream gradient (SUM or MEAN). */
    public R forwardBackward(I input, T targets, float upstream, I grad) {
        Objects.requireNonNull(input, "input");
        float[] up = Checks.scalarUpstream(upstream, reduction(), rows(input));
        return run(input, targets, up, Objects.requireNonNull(grad, "grad"));
    }

    /** As {@link #forwardBackward(Object, Object, Object)} with one upstream gradient per row (NONE). */
    public R forwardBackward(I input, T targets, float[] upstreamPerRow, I grad) {
        Objects.requireNonNull(input, "input");
        float[] up = Checks.rowUpstream(upstreamPerRow, reduction(), rows(input));
        return run(input, targets, up, Objects.requireNonNull(grad, "grad"));
    }

    /** Overwrites the input with the gradient of the loss (upstream 1). */
    public R forwardBackwardInPlace(I input, T targets) {
        return forwardBackward(input, targets, input);
    }

    /** The rows an upstream gradient per row must cover (element-wise losses: the elements). */
    abstract long rows(I input);

    /** Checks the call and runs it; {@code upstream} (checked) and {@code grad} are null for a forward pass. */
    abstract R run(I input, T targets, float[] upstream, I grad);
}
