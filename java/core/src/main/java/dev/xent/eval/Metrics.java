package dev.xent.eval;

/**
 * Classification metrics over the counted rows of {@link RowStats}: mean NLL (nats), accuracy,
 * top-k accuracy and the expected calibration error with its reliability bins.
 *
 * @param rows        rows counted (not ignoreIndex)
 * @param meanNll     mean loss over counted rows (NaN if none)
 * @param accuracy    share of counted rows whose target has rank 0 (the predicted class, ties to
 *                    the first maximum)
 * @param topK        k of {@link #topKAccuracy}
 * @param topKAccuracy share of counted rows whose target has rank < k
 * @param reliability the confidence bins ECE is formed from
 */
public record Metrics(long rows, double meanNll, double accuracy, int topK, double topKAccuracy, Reliability reliability) {

    /** Expected calibration error: sum over bins of |accuracy - confidence| times the bin's share of rows. */
    public double ece() {
        return reliability.ece();
    }

    /** Metrics of {@code stats} with top-k accuracy for {@code topK} (>= 1) and ECE over {@code bins} (>= 1) equal-width bins. */
    public static Metrics of(RowStats stats, int topK, int bins) {
        if (topK < 1) throw new IllegalArgumentException("topK must be >= 1, got " + topK);
        Reliability reliability = Reliability.of(stats, bins);
        long n = 0, top1 = 0, topk = 0;
        double nll = 0;
        for (int r = 0; r < stats.rows(); r++) {
            if (!stats.counted(r)) continue;
            n++;
            nll += stats.loss(r);
            long rank = stats.rank(r);
            if (rank == 0) top1++;
            if (rank < topK) topk++;
        }
        return new Metrics(n, nll / n, (double) top1 / n, topK, (double) topk / n, reliability);
    }
}
