package dev.xent;

/**
 * The result of {@link CrossEntropy} and {@link NllLoss}: the {@link LossResult} values and the
 * per-row log-sum-exp that {@link CrossEntropy#backward} needs, with the z-loss part apart.
 * {@link #denominator()} is the summed weight of the rows not ignored (probability targets: the
 * row count); {@link #perRow()} is always there, weights and smoothing applied.
 */
public final class Loss extends LossResult {
    private final float[] lse;
    private final float[] perRowZLoss;
    private final float zLoss;

    Loss(Reduction reduction, float value, float denominator, float[] perRow, float[] lse, long[] rowShape,
            float[] perRowZLoss, float zLoss) {
        super(reduction, value, denominator, perRow, rowShape);
        this.lse = lse;
        this.perRowZLoss = perRowZLoss;
        this.zLoss = zLoss;
    }

    /** Per-row log-sum-exp of the (transformed) logits, for {@link CrossEntropy#backward}; null for {@link NllLoss}. */
    public float[] lse() {
        return lse;
    }

    /**
     * The z-loss part of {@link #perRow()} ({@code lambda u_i lse_i^2}, see {@link CrossEntropy}),
     * or null when the z-loss coefficient is 0.
     */
    public float[] perRowZLoss() {
        return perRowZLoss;
    }

    /**
     * The z-loss part of the reduced loss, reduced the same way (SUM, MEAN with the same
     * denominator; NONE: the sum); 0 without z-loss. {@code value() - zLoss()} is the plain
     * cross-entropy.
     */
    public float zLoss() {
        return zLoss;
    }
}
