package dev.xent;

import java.util.Arrays;

/**
 * A float64 reference of every op, written for clarity, not speed, and independently of the
 * engines: rows are plain {@code double[C]} arrays (row r of an (N, C, d..) tensor is position
 * r in row-major order of (N, d..)). Inputs are taken exactly as the engine sees them (already
 * rounded to the storage type with {@link #round}).
 */
final class Reference {
    private Reference() {}

    /**
     * Losses, log-sum-exp and gradient of one cross-entropy call; rowLoss and reduced include the
     * z-loss, which rowZLoss and reducedZLoss give apart (zeros without one).
     */
    record Result(double[] rowLoss, double[] lse, double reduced, double denominator, double[][] grad,
            double[] rowZLoss, double reducedZLoss) {
        Result(double[] rowLoss, double[] lse, double reduced, double denominator, double[][] grad) {
            this(rowLoss, lse, reduced, denominator, grad, new double[rowLoss.length], 0);
        }
    }

    /** The LLM-training options of cross-entropy: logit scale s, soft-cap c (0: none), z-loss lambda. */
    record Extras(double logitScale, double softcap, double zLoss) {
        static final Extras NONE = new Extras(1, 0, 0);
    }

    // ---- softmax family

    static double logSumExp(double[] z) {
        double m = Double.NEGATIVE_INFINITY;
        for (double v : z) m = Math.max(m, v);
        if (m == Double.NEGATIVE_INFINITY) return m;
        double s = 0;
        for (double v : z) s += Math.exp(v - m);
        return m + Math.log(s);
    }

    static double[] logSoftmax(double[] z) {
        double lse = logSumExp(z);
        double[] out = new double[z.length];
        for (int k = 0; k < z.length; k++) out[k] = z[k] - lse;
        return out;
    }

    static double[] softmax(double[] z) {
        double[] out = logSoftmax(z);
        for (int k = 0; k < out.length; k++) out[k] = Math.exp(out[k]);
        return out;
    }

    /** Scale of the gradient of row r: the upstream value, divided by the denominator under MEAN. */
    private static double upstreamOf(double[] upstream, Reduction reduction, int r, double denominator) {
        double u = upstream == null ? 1 : upstream[reduction == Reduction.NONE ? r : 0];
        return reduction == Reduction.MEAN ? u / denominator : u;
    }

    private static double reduce(double[] rowLoss, Reduction reduction, double denominator) {
        double sum = 0;
        for (double l : rowLoss) sum += l;
        return reduction == Reduction.MEAN ? sum / denominator : sum;
    }

    /**
     * Class-index targets. Each row's loss is sum_k W_k (lse - z_k) with W = (1-eps) w_y onehot(y)
     * + (eps/C) w, and its gradient s (p sum_j W_j - W). {@code lseGiven} non-null: the gradient
     * uses these values instead of the row's own log-sum-exp (a backward pass).
     */
    static Result hard(double[][] z, long[] y, double[] weight, long ignoreIndex, double eps,
            Reduction reduction, double[] upstream, double[] lseGiven) {
        int n = z.length;
        double[] rowLoss = new double[n];
        double[] lse = new double[n];
        double[][] grad = new double[n][];
        double denominator = 0;
        for (int r = 0; r < n; r++) {
            if (y[r] != ignoreIndex) denominator += weight == null ? 1 : weight[(int) y[r]];
        }
        if (reduction != Reduction.MEAN) denominator = 1;
        for (int r = 0; r < n; r++) {
            int c = z[r].length;
            lse[r] = logSumExp(z[r]);
            grad[r] = new double[c];
            if (y[r] == ignoreIndex) continue;
            double[] target = new double[c];
            for (int k = 0; k < c; k++) target[k] = eps / c * (weight == null ? 1 : weight[k]);
            target[(int) y[r]] += (1 - eps) * (weight == null ? 1 : weight[(int) y[r]]);
            double loss = 0;
            double targetSum = 0;
            for (int k = 0; k < c; k++) {
                if (target[k] != 0) loss += target[k] * (lse[r] - z[r][k]);
                targetSum += target[k];
            }
            rowLoss[r] = loss;
            double rowLse = lseGiven != null ? lseGiven[r] : lse[r];
            double s = upstreamOf(upstream, reduction, r, denominator);
            for (int k = 0; k < c; k++) grad[r][k] = s * (Math.exp(z[r][k] - rowLse) * targetSum - target[k]);
        }
        return new Result(rowLoss, lse, reduce(rowLoss, reduction, denominator), denominator, grad);
    }

    /**
     * Probability targets t: t' = (1-eps) t + eps/C, row loss sum_k w_k t'_k (lse - z_k) (terms
     * with w_k t'_k = 0 count 0), gradient s (p sum_j w_j t'_j - w t').
     */
    static Result soft(double[][] z, double[][] t, double[] weight, double eps, Reduction reduction,
            double[] upstream, double[] lseGiven) {
        int n = z.length;
        double[] rowLoss = new double[n];
        double[] lse = new double[n];
        double[][] grad = new double[n][];
        double denominator = reduction == Reduction.MEAN ? n : 1;
        for (int r = 0; r < n; r++) {
            int c = z[r].length;
            lse[r] = logSumExp(z[r]);
            double[] target = new double[c];
            double targetSum = 0;
            double loss = 0;
            for (int k = 0; k < c; k++) {
                target[k] = (weight == null ? 1 : weight[k]) * ((1 - eps) * t[r][k] + eps / c);
                targetSum += target[k];
                if (target[k] != 0) loss += target[k] * (lse[r] - z[r][k]);
            }
            rowLoss[r] = loss;
            double rowLse = lseGiven != null ? lseGiven[r] : lse[r];
            double s = upstreamOf(upstream, reduction, r, denominator);
            grad[r] = new double[c];
            for (int k = 0; k < c; k++) grad[r][k] = s * (Math.exp(z[r][k] - rowLse) * targetSum - target[k]);
        }
        return new Result(rowLoss, lse, reduce(rowLoss, reduction, denominator), denominator, grad);
    }

    // ---- the LLM-training extras: transform the logits, the formulas above, then the z-loss

    /** z' = c tanh(s z / c), or s z without a cap; -inf stays -inf. */
    static double transform(double z, Extras x) {
        if (x.softcap() == 0) return x.logitScale() * z;
        if (z == Double.NEGATIVE_INFINITY) return z;
        return x.softcap() * Math.tanh(x.logitScale() * z / x.softcap());
    }

    /** dz'/dz = s (1 - tanh^2(s z / c)), or s without a cap. */
    static double chain(double z, Extras x) {
        if (x.softcap() == 0) return x.logitScale();
        double t = Math.tanh(x.logitScale() * z / x.softcap());
        return x.logitScale() * (1 - t * t);
    }

    static double[][] transform(double[][] z, Extras x) {
        double[][] out = new double[z.length][];
        for (int r = 0; r < z.length; r++) {
            out[r] = new double[z[r].length];
            for (int k = 0; k < z[r].length; k++) out[r][k] = transform(z[r][k], x);
        }
        return out;
    }

    /** {@link #hard} with the extras; the z-loss of row r is weighted by w[y_r] (0 when ignored). */
    static Result hard(double[][] z, long[] y, double[] weight, long ignoreIndex, double eps,
            Reduction reduction, double[] upstream, double[] lseGiven, Extras x) {
        double[][] zt = transform(z, x);
        Result ce = hard(zt, y, weight, ignoreIndex, eps, reduction, upstream, lseGiven);
        double[] u = new double[z.length];
        for (int r = 0; r < z.length; r++) u[r] = y[r] == ignoreIndex ? 0 : weight == null ? 1 : weight[(int) y[r]];
        return withZLoss(ce, z, zt, u, x, reduction, upstream, lseGiven);
    }

    /** {@link #soft} with the extras; the z-loss is unweighted. */
    static Result soft(double[][] z, double[][] t, double[] weight, double eps, Reduction reduction,
            double[] upstream, double[] lseGiven, Extras x) {
        double[][] zt = transform(z, x);
        Result ce = soft(zt, t, weight, eps, reduction, upstream, lseGiven);
        double[] u = new double[z.length];
        Arrays.fill(u, 1);
        return withZLoss(ce, z, zt, u, x, reduction, upstream, lseGiven);
    }

    /**
     * Adds lambda u_r lse_r^2 to each row (lse of the transformed logits zt) and its gradient
     * s_r 2 lambda u_r lse_r softmax(zt)_k to the cross-entropy's, then takes the gradient back
     * to the raw logits z through the chain factor.
     */
    private static Result withZLoss(Result ce, double[][] z, double[][] zt, double[] u, Extras x,
            Reduction reduction, double[] upstream, double[] lseGiven) {
        int n = z.length;
        double[] rowZ = new double[n];
        double[] rowLoss = ce.rowLoss().clone();
        double[][] grad = new double[n][];
        for (int r = 0; r < n; r++) {
            rowZ[r] = u[r] == 0 ? 0 : x.zLoss() * u[r] * ce.lse()[r] * ce.lse()[r];
            rowLoss[r] += rowZ[r];
            double rowLse = lseGiven != null ? lseGiven[r] : ce.lse()[r];
            double s = upstreamOf(upstream, reduction, r, ce.denominator());
            grad[r] = new double[z[r].length];
            for (int k = 0; k < z[r].length; k++) {
                double g = ce.grad()[r][k];
                if (u[r] != 0 && x.zLoss() != 0) g += s * 2 * x.zLoss() * u[r] * rowLse * Math.exp(zt[r][k] - rowLse);
                grad[r][k] = g == 0 ? 0 : g * chain(z[r][k], x);  // ignored rows stay exact zeros
            }
        }
        return new Result(rowLoss, ce.lse(), reduce(rowLoss, reduction, ce.denominator()), ce.denominator(), grad,
                rowZ, reduce(rowZ, reduction, ce.denominator()));
    }

    // ---- information theory, for the identity H(p, q) = H(p) + KL(p || q)

    /** H(p) = -sum p log p (0 log 0 = 0). */
    static double entropy(double[] p) {
        double h = 0;
        for (double v : p) if (v > 0) h -= v * Math.log(v);
        return h;
    }

    /** KL(p || q) = sum p (log p - log q). */
    static double kl(double[] p, double[] q) {
        double d = 0;
        for (int k = 0; k < p.length; k++) if (p[k] > 0) d += p[k] * (Math.log(p[k]) - Math.log(q[k]));
        return d;
    }

    // ---- storage types, converted here independently of the engines

    /** The value a float has once stored as dt. */
    static float round(DType dt, float v) {
        return switch (dt) {
            case F32 -> v;
            case BF16 -> Float.intBitsToFloat(bf16Bits(v) << 16);
            case F16 -> Float.float16ToFloat(Float.floatToFloat16(v));
        };
    }

    /** bf16 bits of v, round to nearest even (NaN stays NaN). */
    static short bf16Bits(float v) {
        if (Float.isNaN(v)) return (short) 0x7fc0;
        int bits = Float.floatToRawIntBits(v);
        int upper = bits >>> 16;
        int lower = bits & 0xffff;
        if (lower > 0x8000 || (lower == 0x8000 && (upper & 1) == 1)) upper++;
        return (short) upper;
    }

    static short bits(DType dt, float v) {
        return dt == DType.BF16 ? bf16Bits(v) : Float.floatToFloat16(v);
    }

    static float fromBits(DType dt, short bits) {
        return dt == DType.BF16 ? Float.intBitsToFloat(bits << 16) : Float.float16ToFloat(bits);
    }

    /** Relative size of one unit in the last place of dt's significand. */
    static double ulp(DType dt) {
        return switch (dt) {
            case F32 -> 0x1p-23;
            case BF16 -> 0x1p-7;
            case F16 -> 0x1p-10;
        };
    }

    static double[][] copy(double[][] a) {
        return Arrays.stream(a).map(double[]::clone).toArray(double[][]::new);
    }
}
