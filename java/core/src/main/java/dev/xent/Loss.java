package dev.xent;

import java.util.Arrays;

/**
 * The result of a cross-entropy forward pass: the reduced loss, the per-row losses, and the
 * per-row log-sum-exp that {@link CrossEntropy#backward} needs. Arrays are handed over to the
 * caller, not copied.
 */
public final class Loss {
    private final Reduction reduction;
    private final float value;
    private final float denominator;
    private final float[] perRow;
    private final float[] lse;
    private final long[] rowShape;
    private final float[] zLossPerRow;
    private final float zLoss;

    Loss(Reduction reduction, float value, float denominator, float[] perRow, float[] lse, long[] rowShape,
            float[] zLossPerRow, float zLoss) {
        this.zLossPerRow = zLossPerRow;
        this.zLoss = zLoss;
        this.reduction = reduction;
        this.value = value;
        this.denominator = denominator;
        this.perRow = perRow;
        this.lse = lse;
        this.rowShape = rowShape;
    }

    /**
     * The reduced loss (SUM or MEAN).
     *
     * @throws IllegalStateException under reduction NONE, which has one loss per row
     */
    public float value() {
        if (reduction == Reduction.NONE) {
            throw new IllegalStateException("reduction NONE gives one loss per row; use perRow()");
        }
        return value;
    }

    /** The sum of the per-row losses, whatever the reduction. */
    public float sum() {
        return reduction == Reduction.MEAN ? value * denominator : value;
    }

    /** What MEAN divides by: the summed weight of rows not ignored (probability targets: the row count). */
    public float denominator() {
        return denominator;
    }

    /** Per-row losses, weights and smoothing applied, in row order of shape {@link #rowShape()}. */
    public float[] perRow() {
        return perRow;
    }

    /** Per-row log-sum-exp of the logits, for {@link CrossEntropy#backward}. */
    public float[] lse() {
        return lse;
    }

    /**
     * The z-loss part of {@link #perRow()} ({@code lambda u_i lse_i^2}, see {@link CrossEntropy}),
     * or null when the z-loss coefficient is 0.
     */
    public float[] zLossPerRow() {
        return zLossPerRow;
    }

    /**
     * The z-loss part of the reduced loss, reduced the same way (SUM, MEAN with the same
     * denominator; NONE: the sum); 0 without z-loss. {@code value() - zLoss()} is the plain
     * cross-entropy.
     */
    public float zLoss() {
        return zLoss;
    }

    /** Shape of {@link #perRow()} and {@link #lse()}: (N) or (N, d1..dk). */
    public long[] rowShape() {
        return rowShape.clone();
    }

    public Reduction reduction() {
        return reduction;
    }

    @Override
    public String toString() {
        return reduction == Reduction.NONE
                ? "Loss[NONE, rows=" + Arrays.toString(rowShape) + "]"
                : "Loss[" + reduction + " = " + value + "]";
    }
}
