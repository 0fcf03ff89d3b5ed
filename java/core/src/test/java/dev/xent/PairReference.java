package dev.xent;

/**
 * Float64 references of the NLL loss, distillation, entropy and Jensen-Shannon (with its
 * gradients), written for clarity and independently of the engines (and of their online
 * algorithm): every softmax is formed explicitly with {@link Reference#logSoftmax}. Rows are plain {@code double[C]} arrays.
 */
final class PairReference {
    private PairReference() {}

    /** Per-row losses, reduced loss, MEAN denominator and gradient of an NLL call. */
    record Nll(double[] rowLoss, double reduced, double denominator, double[][] grad) {}

    /** PyTorch's nll_loss: loss_i = -w[y_i] x[i, y_i]; gradient -s_i w[y_i] at y_i. */
    static Nll nll(double[][] x, long[] y, double[] weight, long ignoreIndex, Reduction reduction, double[] upstream) {
        int n = x.length;
        double[] rowLoss = new double[n];
        double[][] grad = new double[n][];
        double denominator = 0;
        for (int r = 0; r < n; r++) {
            if (y[r] != ignoreIndex) denominator += weight == null ? 1 : weight[(int) y[r]];
        }
        if (reduction != Reduction.MEAN) denominator = 1;
        double sum = 0;
        for (int r = 0; r < n; r++) {
            grad[r] = new double[x[r].length];
            if (y[r] == ignoreIndex) continue;
            int k = (int) y[r];
            double w = weight == null ? 1 : weight[k];
            rowLoss[r] = -w * x[r][k];
            sum += rowLoss[r];
            double u = upstream == null ? 1 : upstream[reduction == Reduction.NONE ? r : 0];
            grad[r][k] = -(reduction == Reduction.MEAN ? u / denominator : u) * w;
        }
        return new Nll(rowLoss, reduction == Reduction.MEAN ? sum / denominator : sum, denominator, grad);
    }

    /**
     * A distillation call's results. {@code gradScale[r]} is the size of the terms the gradient of
     * row r is a sum of (for tolerances: q - p cancels).
     */
    record Distill(double[] rowLoss, double[] kl, double[] softCe, double[] entropy, double reduced, double hardDenominator,
            double[][] grad, double[] gradScale) {}

    /**
     * p = softmax(zt / tau), q = softmax(zs / tau); KL_i = sum p (log p - log q) (p = 0 terms 0);
     * H(p, q) = -sum p log q; loss = alpha tau^2 R(KL) + (1 - alpha) R'(CE(zs, y)) with the hard
     * CE of PyTorch (class weights w, null for ones; ignoreIndex; temperature 1): CE_i = -w[y_i] log
     * softmax(zs_i)[y_i]. MEAN: KL over the batch N (PyTorch's batchmean: for (N, C, d..) the N of
     * the shape, not the row count), CE over the sum of w[y_i] over rows not ignored.
     */
    static Distill distill(double[][] zt, double[][] zs, long batch, double tau, double alpha, long[] y, double[] weight,
            long ignoreIndex, Reduction reduction, double upstream) {
        int n = zt.length;
        boolean hard = y != null && alpha < 1;
        double klDen = reduction == Reduction.MEAN ? batch : 1;
        double ceDen = 0;
        for (int r = 0; hard && r < n; r++) if (y[r] != ignoreIndex) ceDen += weight == null ? 1 : weight[(int) y[r]];
        if (!hard || reduction != Reduction.MEAN) ceDen = 1;
        double[] rowLoss = new double[n], kl = new double[n], softCe = new double[n], entropy = new double[n];
        double[][] grad = new double[n][];
        double[] gradScale = new double[n];
        double klSum = 0, ceSum = 0;
        for (int r = 0; r < n; r++) {
            int c = zt[r].length;
            double[] lp = Reference.logSoftmax(scaled(zt[r], 1 / tau));
            double[] lq = Reference.logSoftmax(scaled(zs[r], 1 / tau));
            double[] l1 = Reference.logSoftmax(zs[r]);
            for (int k = 0; k < c; k++) {
                double p = Math.exp(lp[k]);
                if (p == 0) continue;
                kl[r] += p * (lp[k] - lq[k]);
                softCe[r] -= p * lq[k];
                entropy[r] -= p * lp[k];
            }
            boolean active = hard && y[r] != ignoreIndex;
            double w = active && weight != null ? weight[(int) y[r]] : 1;
            double ce = active ? -w * l1[(int) y[r]] : 0;
            klSum += kl[r];
            ceSum += ce;
            rowLoss[r] = (alpha != 0 ? alpha * tau * tau * kl[r] : 0) + (hard ? (1 - alpha) * ce : 0);
            double u = upstream;
            double ckl = alpha * tau * u / klDen;
            double cce = active ? (1 - alpha) * u * w / ceDen : 0;
            grad[r] = new double[c];
            for (int k = 0; k < c; k++) {
                double p = Math.exp(lp[k]), q = Math.exp(lq[k]), s1 = Math.exp(l1[k]);
                double onehot = active && k == y[r] ? 1 : 0;
                grad[r][k] = ckl * (q - p) + (cce != 0 ? cce * (s1 - onehot) : 0);
                gradScale[r] = Math.max(gradScale[r], Math.abs(ckl) * (p + q) + Math.abs(cce) * (s1 + onehot));
            }
        }
        double reduced = (alpha != 0 ? alpha * tau * tau * klSum / klDen : 0) + (hard && alpha != 1 ? (1 - alpha) * ceSum / ceDen : 0);
        return new Distill(rowLoss, kl, softCe, entropy, reduced, ceDen, grad, gradScale);
    }

    /** H(softmax(z)) = -sum p log p, p = 0 terms 0. */
    static double entropy(double[] z) {
        double[] lp = logSoftmaxNearOne(z);
        double h = 0;
        for (double l : lp) if (Math.exp(l) > 0) h -= Math.exp(l) * l;
        return h;
    }

    /** d H / d z_k = -p_k (log p_k + H) (= -p_k (z_k - sum_j p_j z_j)); 0 where p_k = 0. */
    static double[] entropyGrad(double[] z) {
        double[] lp = logSoftmaxNearOne(z);
        double h = entropy(z);
        double[] g = new double[z.length];
        for (int k = 0; k < z.length; k++) {
            double p = Math.exp(lp[k]);
            g[k] = p == 0 ? 0 : -p * (lp[k] + h);
        }
        return g;
    }

    /**
     * log softmax(z) as (z_k - m) - log S with m = max z and log S = log1p(the sum of e^{z_k - m}
     * over every class but one at the maximum): where one class takes nearly all the mass, its log p
     * = -log S keeps double's relative precision, which m - (m + log S) loses (an entropy near 0
     * is made of such terms).
     */
    private static double[] logSoftmaxNearOne(double[] z) {
        double m = Double.NEGATIVE_INFINITY;
        int top = 0;
        for (int k = 0; k < z.length; k++) {
            if (z[k] > m || Double.isNaN(z[k])) {
                m = z[k];
                top = k;
            }
            if (Double.isNaN(m)) break;
        }
        double rest = 0;
        for (int k = 0; k < z.length; k++) if (k != top) rest += Math.exp(z[k] - m);
        double logS = Math.log1p(rest);
        double[] out = new double[z.length];
        for (int k = 0; k < z.length; k++) out[k] = (z[k] - m) - logS;
        return out;
    }

    /** JS = (KL(p || m) + KL(q || m)) / 2, m = (p + q) / 2. */
    static double jensenShannon(double[] zp, double[] zq) {
        double[] p = Reference.softmax(zp), q = Reference.softmax(zq);
        double[] m = new double[p.length];
        for (int k = 0; k < p.length; k++) m[k] = (p[k] + q[k]) / 2;
        return (Reference.kl(p, m) + Reference.kl(q, m)) / 2;
    }

    /** JS of one row pair and its gradients w.r.t. both rows of logits. */
    record Js(double value, double[] gradP, double[] gradQ) {}

    /**
     * JS = (A + B) / 2 with A = sum_k p_k log(p_k / m_k), B = sum_k q_k log(q_k / m_k), m = (p + q) / 2.
     * As a function of the probabilities, d JS / d p_k = (log(p_k / m_k) + 1 - (p_k + q_k) / (2 m_k)) / 2
     * = log(p_k / m_k) / 2; through the softmax, d p_j / d zp_k = p_j ([j = k] - p_k), so
     * d JS / d zp_k = p_k (log(p_k / m_k) - A) / 2, and likewise for q. A class with p_k = 0 gets 0.
     */
    static Js jensenShannonWithGrad(double[] zp, double[] zq) {
        double[] p = Reference.softmax(zp), q = Reference.softmax(zq);
        int c = p.length;
        double a = 0, b = 0;
        for (int k = 0; k < c; k++) {
            double m = (p[k] + q[k]) / 2;
            if (p[k] > 0) a += p[k] * Math.log(p[k] / m);
            if (q[k] > 0) b += q[k] * Math.log(q[k] / m);
        }
        double[] gp = new double[c], gq = new double[c];
        for (int k = 0; k < c; k++) {
            double m = (p[k] + q[k]) / 2;
            gp[k] = p[k] > 0 ? p[k] * (Math.log(p[k] / m) - a) / 2 : 0;
            gq[k] = q[k] > 0 ? q[k] * (Math.log(q[k] / m) - b) / 2 : 0;
        }
        return new Js((a + b) / 2, gp, gq);
    }

    private static double[] scaled(double[] z, double f) {
        double[] out = new double[z.length];
        for (int k = 0; k < z.length; k++) out[k] = z[k] * f;
        return out;
    }
}
