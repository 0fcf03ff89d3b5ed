package dev.xent;

import java.util.Arrays;

/**
 * The result of a {@link Distillation} forward pass: the reduced loss and, per row (in row order
 * of shape {@link #rowShape()}), the loss, KL(p || q), the soft cross-entropy H(p, q) and the
 * teacher's entropy H(p), the last three at the temperature, in nats, not scaled by T^2 (so
 * {@code softCrossEntropy = teacherEntropy + kl} row by row). Arrays are handed over, not copied.
 */
public final class DistillLoss {
    private final Reduction reduction;
    private final float value;
    private final float[] perRow;
    private final float[] kl;
    private final float[] softCrossEntropy;
    private final float[] teacherEntropy;
    private final long[] rowShape;

    DistillLoss(Reduction reduction, float value, float[] perRow, float[] kl, float[] softCrossEntropy,
            float[] teacherEntropy, long[] rowShape) {
        this.reduction = reduction;
        this.value = value;
        this.perRow = perRow;
        this.kl = kl;
        this.softCrossEntropy = softCrossEntropy;
        this.teacherEntropy = teacherEntropy;
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

    /** Per-row {@code alpha T^2 KL + (1 - alpha) CE} (the hard term 0 on ignored rows). */
    public float[] perRow() {
        return perRow;
    }

    /** Per-row KL(p || q) at the temperature, not scaled by T^2. */
    public float[] kl() {
        return kl;
    }

    /** Per-row soft cross-entropy H(p, q) = -sum p log q at the temperature. */
    public float[] softCrossEntropy() {
        return softCrossEntropy;
    }

    /** Per-row entropy H(p) of the softened teacher. */
    public float[] teacherEntropy() {
        return teacherEntropy;
    }

    public long[] rowShape() {
        return rowShape.clone();
    }

    public Reduction reduction() {
        return reduction;
    }

    @Override
    public String toString() {
        return reduction == Reduction.NONE
                ? "DistillLoss[NONE, rows=" + Arrays.toString(rowShape) + "]"
                : "DistillLoss[" + reduction + " = " + value + "]";
    }
}
