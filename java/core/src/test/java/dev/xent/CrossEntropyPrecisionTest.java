package dev.xent;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.xent.EngineSource.EngineCase;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Cross-entropy losses near 0 and far from the origin (issue #11): rows whose logits are scaled by
 * 1 to 100 and offset by 0 or +-1000, among them confident and correct rows (the target on the
 * row max, loss about e^-gap), against the float64 {@link Reference} of the same (rounded) inputs.
 * A row's loss must be within {@link #lossTolerance} and never negative,
 * whatever the targets: probabilities (one-hot, smoothed, spread, class-weighted, with the label
 * smoothing option) or class indices with label smoothing (its (eps/C) sum_k (lse - z_k) term).
 * Each call covers forward, forward+backward (the gradient of MEAN) and backward from the returned lse.
 *
 * <p>The gradient's tolerance is {@link #gradTolerance}: its terms are the fp32 roundings of p
 * (below), so it is tight enough that a p off by a few ulps fails.
 */
class CrossEntropyPrecisionTest {
    /**
     * Absolute part of a row loss's tolerance, for every engine: a confident row's loss is about
     * log(1 + x) for the sum of exponentials 1 + x (x the small terms), and an fp32 1 + x holds x
     * only to 2^-24 = 6e-8, so an engine meets 1e-7 only if it keeps x apart from the 1: the Java
     * engine adds partial sums in double, the CUDA kernels (and cuda-emu) count the terms at the max
     * apart from the others and take log1p of those.
     */
    static final double LOSS_ATOL = 1e-7;
    static final double LOSS_RTOL = 1e-6;
    static final double[] SCALES = {1, 20, 50, 100};
    static final double[] OFFSETS = {0, 1000, -1000};
    static final int ROWS = 8;
    /** Prints each case's worst errors with -Dxent.test.precisionReport=true. */
    static final boolean REPORT = Boolean.getBoolean("xent.test.precisionReport");

    /** What the row's target is and how the loss object is set up. */
    enum TargetKind {
        ONE_HOT, SMOOTHED, SPREAD, WEIGHTED, SMOOTHING_OPTION, HARD_SMOOTHED;

        boolean hard() {
            return this == HARD_SMOOTHED;
        }

        double eps() {
            return this == SMOOTHING_OPTION || this == HARD_SMOOTHED ? 0.1 : 0;
        }
    }

    static Stream<Arguments> cases() {
        return EngineSource.crossed(List.of(DType.F32, DType.BF16), List.of(1L, 5L, 300L, 5000L, 9000L), List.of(TargetKind.values()));
    }

    @ParameterizedTest(name = "{0} {1} C={2} {3}")
    @MethodSource("cases")
    void lossesStayExactAtEveryScaleAndOffset(EngineCase e, DType dt, long classes, TargetKind kind) {
        Xent x = e.xent();
        Worst worst = new Worst();
        for (double scale : SCALES) {
            for (double offset : OFFSETS) {
                long seed = classes * 1009 + (long) (scale * 31) + (long) offset + kind.ordinal() * 7919L + dt.ordinal();
                check(x, dt, (int) classes, kind, scale, offset, seed, worst);
            }
        }
        if (REPORT) System.out.printf("precision %s %s C=%d %s: %s%n", e, dt, classes, kind, worst);
        assertTrue(worst.failure == null, () -> worst.failure + "; worst: " + worst);
    }

    /** The largest errors seen, and the first failure. */
    static final class Worst {
        double loss, lossRatio, grad, gradRatio, minLoss = Double.POSITIVE_INFINITY;
        String failure;

        void loss(double err, double tol, double actual, String where) {
            loss = Math.max(loss, err);
            lossRatio = Math.max(lossRatio, err / tol);
            if (Double.isFinite(actual)) minLoss = Math.min(minLoss, actual);
            if (failure == null && !(err <= tol)) failure = where + ": loss error " + err + " > " + tol;
            if (failure == null && actual < 0) failure = where + ": negative loss " + actual;
        }

        void grad(double err, double tol, String where) {
            grad = Math.max(grad, err);
            gradRatio = Math.max(gradRatio, err / tol);
            if (failure == null && !(err <= tol)) failure = where + ": gradient error " + err + " > " + tol;
        }

        @Override
        public String toString() {
            return String.format("loss |err| %.3g (%.2f of tol), min loss %.3g; grad |err| %.3g (%.2f of tol)",
                    loss, lossRatio, minLoss, grad, gradRatio);
        }
    }

    private static void check(Xent x, DType dt, int c, TargetKind kind, double scale, double offset, long seed, Worst worst) {
        Random rnd = new Random(seed);
        double[][] z = new double[ROWS][c];
        long[] y = new long[ROWS];
        double[][] t = new double[ROWS][c];
        for (int r = 0; r < ROWS; r++) {
            boolean masked = r == 5 || r == 6;
            for (int k = 0; k < c; k++) {
                double v = offset + scale * rnd.nextGaussian();
                if (masked && k != 0 && rnd.nextDouble() < 0.4) v = Double.NEGATIVE_INFINITY;
                z[r][k] = Reference.round(dt, (float) v);
            }
            // rows 0-3 and 5: confident and correct (target at the max; row 3's max in the last tile);
            // rows 4 and 6: a random target; row 7: a random target, the max far above the rest
            if (r == 3) z[r][c - 1] = Reference.round(dt, (float) (offset + scale * 4));
            if (r == 7) z[r][rnd.nextInt(c)] = Reference.round(dt, (float) (offset + scale * 6));
            y[r] = r == 4 || r >= 6 ? firstFinite(z[r], rnd.nextInt(c)) : argmax(z[r]);
            t[r] = targetRow(kind, dt, z[r], (int) y[r], rnd);
        }
        double[] weight = null;
        if (kind == TargetKind.WEIGHTED) {
            weight = new double[c];
            for (int k = 0; k < c; k++) weight[k] = (float) (0.25 + 2 * rnd.nextDouble());
        }
        String where = String.format("%s C=%d %s scale %s offset %s seed %d", dt, c, kind, scale, offset, seed);

        CrossEntropy ce = x.crossEntropy().withLabelSmoothing(kind.eps());
        if (weight != null) ce = ce.withWeight(toFloat(weight));
        Targets targets = kind.hard() ? Targets.classes(y) : Targets.probabilities(store(dt, t), dt);
        Reference.Result ref = kind.hard()
                ? Reference.hard(z, y, weight, -100, kind.eps(), Reduction.MEAN, null, null)
                : Reference.soft(z, t, weight, kind.eps(), Reduction.MEAN, null, null);

        Logits logits = Logits.of(store(dt, z), dt, ROWS, c);
        double[] coef = new double[ROWS];  // s T_r: the coefficient of p in row r's gradient
        for (int r = 0; r < ROWS; r++) {
            for (int k = 0; k < c; k++) {
                double wk = weight == null ? 1 : weight[k];
                double tk = kind.hard() ? (k == y[r] ? 1 : 0) : t[r][k];
                coef[r] += wk * ((1 - kind.eps()) * tk + kind.eps() / c) / ROWS;
            }
        }
        MemorySegment gradData = poisoned(dt, ROWS * c);
        Loss fused = ce.forwardBackward(logits, targets, Logits.of(gradData, dt, ROWS, c));
        Loss forward = ce.forward(logits, targets);
        for (Loss loss : List.of(fused, forward)) {
            String pass = (loss == fused ? "fused " : "forward ") + where;
            for (int r = 0; r < ROWS; r++) {
                double err = Math.abs(loss.perRow()[r] - ref.rowLoss()[r]);
                worst.loss(sameInfinity(loss.perRow()[r], ref.rowLoss()[r]) ? 0 : err, lossTolerance(LOSS_ATOL, ref.rowLoss()[r]),
                        loss.perRow()[r], pass + " row " + r);
            }
            double err = Math.abs(loss.value() - ref.reduced());
            worst.loss(sameInfinity(loss.value(), ref.reduced()) ? 0 : err, lossTolerance(LOSS_ATOL, ref.reduced()), loss.value(), pass + " MEAN");
        }
        checkGrad(dt, load(dt, gradData, ROWS, c), ref, coef, "fused " + where, worst);

        // backward from the fp32 lse the forward returned: the reference takes the same lse
        double[] lse = new double[ROWS];
        for (int r = 0; r < ROWS; r++) lse[r] = fused.lse()[r];
        Reference.Result refBack = kind.hard()
                ? Reference.hard(z, y, weight, -100, kind.eps(), Reduction.MEAN, null, lse)
                : Reference.soft(z, t, weight, kind.eps(), Reduction.MEAN, null, lse);
        MemorySegment backData = poisoned(dt, ROWS * c);
        ce.backward(logits, targets, fused.lse(), 1f, Logits.of(backData, dt, ROWS, c));
        checkGrad(dt, load(dt, backData, ROWS, c), refBack, coef, "backward " + where, worst);
    }

    static double lossTolerance(double atol, double ref) {
        return atol + LOSS_RTOL * Math.abs(ref);
    }

    /**
     * g_k = s (T p_k - u_k) with T = sum_j u_j. The engines round p_k once in its exp (at most 2^-22
     * relative), once in its argument (z_k - m) - log s (2^-24 (|z_k - m| + log s) absolute in the
     * exponent: p_k |z_k - m| <= 1/e, and log s <= log C), then s T p_k and the difference once
     * each, and the stored gradient once more in its dtype. Hence |g - ref| <= s T 2^-22 (4 +
     * log C) + (2^-23 + ulp(dt)) |ref|.
     */
    static double gradTolerance(double sT, int classes, double ref, DType dt) {
        return sT * 0x1p-22 * (4 + Math.log(classes)) + (0x1p-23 + Reference.ulp(dt)) * Math.abs(ref) + 1e-30;
    }

    private static void checkGrad(DType dt, double[][] g, Reference.Result ref, double[] coef, String where, Worst worst) {
        for (int r = 0; r < ROWS; r++) {
            int c = g[r].length;
            for (int k = 0; k < c; k++) {
                double expected = ref.grad()[r][k];
                double err = Math.abs(g[r][k] - expected);
                worst.grad(err, gradTolerance(coef[r], c, expected, dt), where + " grad[" + r + "][" + k + "] = " + g[r][k]
                        + " ref " + expected);
            }
        }
    }

    private static double[] targetRow(TargetKind kind, DType dt, double[] z, int y, Random rnd) {
        int c = z.length;
        double[] t = new double[c];
        switch (kind) {
            case SPREAD -> t = CeRunner.probabilities(dt, 1, c, rnd)[0];
            case SMOOTHED, WEIGHTED -> {
                // 0.9 on y, the rest spread over the classes that are not masked
                long finite = Arrays.stream(z).filter(Double::isFinite).count();
                for (int k = 0; k < c; k++) t[k] = Double.isFinite(z[k]) ? 0.1 / finite : 0;
                t[y] += 0.9;
            }
            default -> t[y] = 1;
        }
        if (kind == TargetKind.SPREAD) {
            for (int k = 0; k < c; k++) if (!Double.isFinite(z[k])) t[k] = 0;
        }
        for (int k = 0; k < c; k++) t[k] = Reference.round(dt, (float) t[k]);
        return t;
    }

    private static int argmax(double[] z) {
        int best = 0;
        for (int k = 1; k < z.length; k++) if (z[k] > z[best]) best = k;
        return best;
    }

    private static int firstFinite(double[] z, int from) {
        for (int i = 0; i < z.length; i++) {
            int k = (from + i) % z.length;
            if (Double.isFinite(z[k])) return k;
        }
        return from;
    }

    private static boolean sameInfinity(double a, double b) {
        return Double.isInfinite(a) && a == b;
    }

    private static float[] toFloat(double[] a) {
        float[] f = new float[a.length];
        for (int i = 0; i < a.length; i++) f[i] = (float) a[i];
        return f;
    }

    /** n elements of dt, all NaN: every one must be written. */
    private static MemorySegment poisoned(DType dt, int n) {
        if (dt == DType.F32) {
            float[] a = new float[n];
            Arrays.fill(a, Float.NaN);
            return MemorySegment.ofArray(a);
        }
        short[] a = new short[n];
        Arrays.fill(a, Reference.bits(dt, Float.NaN));
        return MemorySegment.ofArray(a);
    }

    /** Rows stored densely as dt on the heap (values already representable). */
    private static MemorySegment store(DType dt, double[][] rows) {
        int c = rows[0].length;
        if (dt == DType.F32) {
            float[] a = new float[rows.length * c];
            for (int r = 0; r < rows.length; r++) for (int k = 0; k < c; k++) a[r * c + k] = (float) rows[r][k];
            return MemorySegment.ofArray(a);
        }
        short[] a = new short[rows.length * c];
        for (int r = 0; r < rows.length; r++) for (int k = 0; k < c; k++) a[r * c + k] = Reference.bits(dt, (float) rows[r][k]);
        return MemorySegment.ofArray(a);
    }

    private static double[][] load(DType dt, MemorySegment data, int rows, int c) {
        double[][] out = new double[rows][c];
        for (int r = 0; r < rows; r++) {
            for (int k = 0; k < c; k++) {
                long i = (long) r * c + k;
                out[r][k] = dt == DType.F32 ? data.getAtIndex(ValueLayout.JAVA_FLOAT, i)
                        : Reference.fromBits(dt, data.getAtIndex(ValueLayout.JAVA_SHORT, i));
            }
        }
        return out;
    }
}
