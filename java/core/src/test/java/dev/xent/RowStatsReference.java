package dev.xent;

/**
 * A float64 reference of the per-row evaluation statistics, written for clarity: p = softmax(s z)
 * formed explicitly, its moments by their definitions (two passes), the rank by counting.
 */
final class RowStatsReference {
    private RowStatsReference() {}

    record Row(double lse, double loss, double confidence, double mean, double variance, long rank, long predicted) {}

    static Row of(double[] z, long y, long ignoreIndex, double s) {
        int c = z.length;
        double[] sz = new double[c];
        for (int k = 0; k < c; k++) sz[k] = s * z[k];
        double lse = Reference.logSumExp(sz);
        double max = Double.NEGATIVE_INFINITY;
        long predicted = 0;
        for (int k = 0; k < c; k++) {
            if (z[k] > max) {
                max = z[k];
                predicted = k;
            }
        }
        double confidence = Math.exp(s * max - lse);
        double mean = 0;
        for (int k = 0; k < c; k++) {
            double p = Math.exp(sz[k] - lse);
            if (p != 0) mean += p * z[k];
        }
        double variance = 0;
        for (int k = 0; k < c; k++) {
            double p = Math.exp(sz[k] - lse);
            if (p != 0) variance += p * (z[k] - mean) * (z[k] - mean);
        }
        if (y == ignoreIndex) return new Row(lse, 0, confidence, mean, variance, -1, predicted);
        double zy = z[(int) y];
        long rank = 0;
        for (int k = 0; k < c; k++) {
            if (z[k] > zy || (z[k] == zy && k < y)) rank++;
        }
        return new Row(lse, lse - s * zy, confidence, mean, variance, rank, predicted);
    }
}
