package dev.xent.eval;

/**
 * Counted rows binned by confidence into equal-width bins of [0, 1] (bin b holds confidences in
 * (b / B, (b + 1) / B], bin 0 also 0): per bin the row count, the mean confidence and the accuracy.
 * What a reliability diagram draws, and what ECE sums.
 *
 * @param counts     rows per bin
 * @param confidence mean confidence per bin (NaN for an empty bin)
 * @param accuracy   share of rows whose prediction is right, per bin (NaN for an empty bin)
 */
public record Reliability(long[] counts, double[] confidence, double[] accuracy) {

    public int bins() {
        return counts.length;
    }

    /** sum_b (n_b / n) |accuracy_b - confidence_b| over non-empty bins; NaN when no row counts. */
    public double ece() {
        long n = 0;
        for (long c : counts) n += c;
        double e = 0;
        for (int b = 0; b < counts.length; b++) {
            if (counts[b] > 0) e += (double) counts[b] / n * Math.abs(accuracy[b] - confidence[b]);
        }
        return n == 0 ? Double.NaN : e;
    }

    /** The bins of {@code stats}'s counted rows; {@code bins} >= 1. */
    public static Reliability of(RowStats stats, int bins) {
        if (bins < 1) throw new IllegalArgumentException("bins must be >= 1, got " + bins);
        long[] counts = new long[bins];
        double[] confidence = new double[bins];
        double[] accuracy = new double[bins];
        for (int r = 0; r < stats.rows(); r++) {
            if (!stats.counted(r)) continue;
            double c = stats.confidence(r);
            int b = (int) Math.min(bins - 1, Math.max(0, Math.ceil(c * bins) - 1));
            counts[b]++;
            confidence[b] += c;
            if (stats.rank(r) == 0) accuracy[b]++;
        }
        for (int b = 0; b < bins; b++) {
            confidence[b] /= counts[b];
            accuracy[b] /= counts[b];
        }
        return new Reliability(counts, confidence, accuracy);
    }
}
