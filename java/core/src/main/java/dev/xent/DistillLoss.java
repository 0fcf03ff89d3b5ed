package dev.xent;

/**
 * The result of a {@link Distillation}: the {@link LossResult} values ({@link #perRow()}: {@code
 * alpha T^2 KL + (1 - alpha) CE}, the hard term 0 on ignored rows) and, per row, KL(p || q), the
 * soft cross-entropy H(p, q) and the teacher's entropy H(p), the last three at the temperature, in
 * nats, not scaled by T^2 (so {@code perRowSoftCe = perRowTeacherEntropy + perRowKl} row by row).
 * MEAN divides the KL term by {@link #denominator()} (the batch N of the shape, PyTorch's
 * batchmean) and the hard term by {@link #hardDenominator()}.
 */
public final class DistillLoss extends LossResult {
    private final float[] perRowKl;
    private final float[] perRowSoftCe;
    private final float[] perRowTeacherEntropy;
    private final double hardDenominator;

    DistillLoss(Reduction reduction, float value, float klDenominator, float hardDenominator, float[] perRow,
            float[] perRowKl, float[] perRowSoftCe, float[] perRowTeacherEntropy, long[] rowShape) {
        super(reduction, value, klDenominator, perRow, rowShape);
        this.perRowKl = perRowKl;
        this.perRowSoftCe = perRowSoftCe;
        this.perRowTeacherEntropy = perRowTeacherEntropy;
        this.hardDenominator = hardDenominator;
    }

    /** What MEAN divides the hard term by: the rows not ignored (read it under MEAN with alpha < 1). */
    public double hardDenominator() {
        return hardDenominator;
    }

    /** Per-row KL(p || q) at the temperature, not scaled by T^2. */
    public float[] perRowKl() {
        return perRowKl;
    }

    /** Per-row soft cross-entropy H(p, q) = -sum p log q at the temperature. */
    public float[] perRowSoftCe() {
        return perRowSoftCe;
    }

    /** Per-row entropy H(p) of the softened teacher. */
    public float[] perRowTeacherEntropy() {
        return perRowTeacherEntropy;
    }
}
