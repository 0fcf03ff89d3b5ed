package dev.xent.cli;

/**
 * PyTorch's cross_entropy in float64, written for clarity with plain loops, independent of the
 * library. Logits have shape (N, C, d1..dk) flattened in C order; rows are (n, j) with j over the
 * trailing positions; element (n, k, j) sits at (n * C + k) * inner + j.
 */
final class ReferenceCrossEntropy {
    double[] perRow;
    double[] lse;
    double reduced;
    double[] grad;
    double[] logProbs;

    /**
     * @param labels   class indices per row (or null when {@code probs} is given)
     * @param probs    probabilities of the logits' shape (or null)
     * @param weight   per-class weights or null
     * @param reduction "none", "sum" or "mean"
     */
    static ReferenceCrossEntropy compute(double[] z, int n, int c, int inner, long[] labels, double[] probs, double[] weight,
            long ignoreIndex, double eps, String reduction) {
        ReferenceCrossEntropy r = new ReferenceCrossEntropy();
        int rows = n * inner;
        r.perRow = new double[rows];
        r.lse = new double[rows];
        r.grad = new double[z.length];
        r.logProbs = new double[z.length];
        double[] w = new double[c];
        for (int k = 0; k < c; k++) w[k] = weight == null ? 1 : weight[k];
        double[][] target = new double[rows][];
        double denominator = 0;
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < inner; j++) {
                int row = i * inner + j;
                double max = Double.NEGATIVE_INFINITY;
                for (int k = 0; k < c; k++) max = Math.max(max, z[at(i, k, j, c, inner)]);
                double s = 0;
                for (int k = 0; k < c; k++) s += Math.exp(z[at(i, k, j, c, inner)] - max);
                double lse = max + Math.log(s);
                r.lse[row] = lse;
                for (int k = 0; k < c; k++) r.logProbs[at(i, k, j, c, inner)] = z[at(i, k, j, c, inner)] - lse;
                // effective weighted target t'_k (the loss is sum_k t'_k (lse - z_k))
                double[] t = new double[c];
                if (labels != null) {
                    long y = labels[row];
                    if (y == ignoreIndex) {
                        target[row] = null;
                        continue;
                    }
                    for (int k = 0; k < c; k++) t[k] = eps / c * w[k];
                    t[(int) y] += (1 - eps) * w[(int) y];
                    denominator += w[(int) y];
                } else {
                    for (int k = 0; k < c; k++) t[k] = w[k] * ((1 - eps) * probs[at(i, k, j, c, inner)] + eps / c);
                    denominator += 1;
                }
                target[row] = t;
                double loss = 0;
                for (int k = 0; k < c; k++) loss += t[k] * (lse - z[at(i, k, j, c, inner)]);
                r.perRow[row] = loss;
            }
        }
        double sum = 0;
        for (double v : r.perRow) sum += v;
        r.reduced = switch (reduction) {
            case "mean" -> sum / denominator;
            case "sum", "none" -> sum;
            default -> throw new IllegalArgumentException(reduction);
        };
        double scale = reduction.equals("mean") ? 1 / denominator : 1;
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < inner; j++) {
                double[] t = target[i * inner + j];
                if (t == null) continue;
                double total = 0;
                for (double v : t) total += v;
                for (int k = 0; k < c; k++) {
                    double p = Math.exp(r.logProbs[at(i, k, j, c, inner)]);
                    r.grad[at(i, k, j, c, inner)] = scale * (p * total - t[k]);
                }
            }
        }
        return r;
    }

    private static int at(int i, int k, int j, int c, int inner) {
        return (i * c + k) * inner + j;
    }
}
