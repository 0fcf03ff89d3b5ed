package dev.xent;

import java.util.Arrays;

/**
 * What every loss returns: the reduced loss {@link #value()}, the {@link #sum()} of the per-row
 * losses, the {@link #denominator()} MEAN divides by, and the per-row losses {@link #perRow()} in
 * row order of {@link #rowShape()}. Each loss adds its named extras (the log-sum-exp and z-loss of
 * {@link Loss}, the per-row KL and entropies of {@link DistillLoss}). Arrays are handed over to
 * the caller, not copied.
 */
public abstract sealed class LossResult permits Loss, DistillLoss, ElementwiseLoss {
    private final Reduction reduction;
    private final float value;
    private final double denominator;
    private final float[] perRow;
    private final long[] rowShape;

    LossResult(Reduction reduction, float value, double denominator, float[] perRow, long[] rowShape) {
        this.reduction = reduction;
        this.value = value;
        this.denominator = denominator;
        this.perRow = perRow;
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

    /**
     * The sum of the per-row losses, whatever the reduction: summed in double from {@link #perRow()}
     * where there is one, else the engine's sum (SUM, NONE) or the mean times the denominator: 0
     * when there is nothing to sum (no rows, or every row ignored), where the MEAN is NaN.
     */
    public double sum() {
        if (perRow != null) {
            double s = 0;
            for (float v : perRow) s += v;
            return s;
        }
        if (reduction != Reduction.MEAN) return value;
        return denominator == 0 ? 0 : (double) value * denominator;
    }

    /** What MEAN divides by; each loss says what it counts. */
    public double denominator() {
        return denominator;
    }

    /** Per-row losses in row order of {@link #rowShape()}; each loss says when it leaves them out (null). */
    public float[] perRow() {
        return perRow;
    }

    /** Shape of {@link #perRow()} and of the other per-row values. */
    public long[] rowShape() {
        return rowShape.clone();
    }

    public Reduction reduction() {
        return reduction;
    }

    @Override
    public String toString() {
        String name = getClass().getSimpleName();
        return reduction == Reduction.NONE
                ? name + "[NONE, rows=" + Arrays.toString(rowShape) + "]"
                : name + "[" + reduction + " = " + value + "]";
    }
}
