package dev.xent;

/** How per-row losses are combined, as PyTorch's {@code reduction} argument. */
public enum Reduction {
    /** One loss per row (per position for (N, C, d1..dk) inputs). */
    NONE,
    /** The sum of the per-row losses. */
    SUM,
    /**
     * The sum of the per-row losses divided by a denominator: for class-index targets, the sum of
     * {@code weight[y_i]} over rows that are not ignored (their count without weights); for
     * probability targets, the number of rows. Every row ignored gives 0/0 = NaN, as in PyTorch.
     */
    MEAN
}
