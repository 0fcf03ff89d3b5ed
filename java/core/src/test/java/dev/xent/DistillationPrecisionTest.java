package dev.xent;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.xent.EngineSource.EngineCase;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Distillation's KL(softmax(t / tau) || softmax(s / tau)) near 0 and far from the origin (issue
 * #11): logits scaled by 1 to 100 and offset by 0 or +-1000, at temperatures whose inverse is not a
 * power of two, with a student close to its teacher (KL about 0) and an unrelated one. Each row's
 * KL must be within {@link #KL_ATOL} + {@link CrossEntropyPrecisionTest#LOSS_RTOL} |ref| of {@link
 * PairReference#distill} and never negative; the gradient tau (q - p) / N within 2^-20 of the size
 * of its terms (a few fp32 ulps of p and q).
 */
class DistillationPrecisionTest {
    static final int ROWS = 6;
    /**
     * KL = X / S_a - log S_a + log S_b: for two spread distributions close to each other the logs
     * are O(1) and cancel, and each carries its fp32 sum's relative rounding (the exps' 2^-22, and
     * on the CUDA kernels a block's tree of about 10 fp32 merges), so about 2^-20 absolute is the
     * fp32 floor of this formula (not the 1e-7 of a confident row, whose sums are 1 + tiny).
     */
    static final double KL_ATOL = 0x1p-20;

    static Stream<Arguments> cases() {
        return EngineSource.crossed(List.of(5L, 300L, 5000L), List.of(1.0, 3.0, 0.7));
    }

    @ParameterizedTest(name = "{0} C={1} tau={2}")
    @MethodSource("cases")
    void klStaysExactAtEveryScaleAndOffset(EngineCase e, long classes, double tau) {
        Distillation d = e.xent().distillation().withTemperature(tau);
        double atol = KL_ATOL;
        int c = (int) classes;
        String failure = null;
        double worstLoss = 0, worstGrad = 0;
        for (double scale : CrossEntropyPrecisionTest.SCALES) {
            for (double offset : CrossEntropyPrecisionTest.OFFSETS) {
                Random rnd = new Random(classes * 131 + (long) (scale * 7) + (long) offset + (long) (tau * 10));
                double[][] zt = new double[ROWS][c], zs = new double[ROWS][c];
                float[] tf = new float[ROWS * c], sf = new float[ROWS * c];
                for (int r = 0; r < ROWS; r++) {
                    boolean close = r < 4;  // rows 0-3: the student near its teacher; 4-5: unrelated
                    for (int k = 0; k < c; k++) {
                        float t = (float) (offset + scale * rnd.nextGaussian());
                        float s = close ? (float) (t + 0.01 * scale * rnd.nextGaussian()) : (float) (offset + scale * rnd.nextGaussian());
                        zt[r][k] = tf[r * c + k] = t;
                        zs[r][k] = sf[r * c + k] = s;
                    }
                }
                PairReference.Distill ref = PairReference.distill(zt, zs, ROWS, tau, 1, null, null, -100, Reduction.MEAN, 1);
                float[] g = new float[ROWS * c];
                DistillLoss fused = d.forwardBackward(Logits.of(sf, ROWS, c), Logits.of(tf, ROWS, c), Logits.of(g, ROWS, c));
                DistillLoss forward = d.forward(Logits.of(sf, ROWS, c), Logits.of(tf, ROWS, c));
                String where = String.format("C=%d tau %s scale %s offset %s", c, tau, scale, offset);
                for (DistillLoss loss : List.of(fused, forward)) {
                    for (int r = 0; r < ROWS; r++) {
                        double got = loss.perRowKl()[r], err = Math.abs(got - ref.kl()[r]);
                        worstLoss = Math.max(worstLoss, err);
                        if (failure == null && (!(err <= CrossEntropyPrecisionTest.lossTolerance(atol, ref.kl()[r])) || got < 0)) {
                            failure = where + " row " + r + ": KL " + got + ", expected " + ref.kl()[r];
                        }
                    }
                }
                for (int r = 0; r < ROWS; r++) {
                    for (int k = 0; k < c; k++) {
                        double err = Math.abs(g[r * c + k] - ref.grad()[r][k]);
                        worstGrad = Math.max(worstGrad, err / ref.gradScale()[r]);
                        if (failure == null && !(err <= 0x1p-20 * ref.gradScale()[r])) {
                            failure = where + " grad[" + r + "][" + k + "] " + g[r * c + k] + ", expected " + ref.grad()[r][k];
                        }
                    }
                }
            }
        }
        if (CrossEntropyPrecisionTest.REPORT) {
            System.out.printf("precision distill %s C=%d tau=%s: KL |err| %.3g; grad |err| / scale %.3g%n", e, classes, tau, worstLoss, worstGrad);
        }
        String f = failure;
        assertTrue(f == null, () -> f);
    }

    static Stream<Arguments> confidentCases() {
        return EngineSource.crossed(List.of(5L, 300L, 5000L), List.of(1.0, 2.0));
    }

    /**
     * Confident teacher and student, right on the same class (its logit the max, the rest 20-50 x
     * a Gaussian below; rows offset by +-1000): KL, the teacher's entropy and the hard-label loss
     * are all about sums of small terms and must keep them to 1e-7 + 1e-6 |ref|, never below 0,
     * as cross-entropy's confident rows (CrossEntropyPrecisionTest).
     */
    @ParameterizedTest(name = "{0} C={1} tau={2}")
    @MethodSource("confidentCases")
    void confidentRowsKeepTheirSmallValues(EngineCase e, long classes, double tau) {
        int c = (int) classes;
        Distillation d = e.xent().distillation().withTemperature(tau).withAlpha(0.5);
        for (double scale : new double[] {20, 50}) {
            for (double offset : CrossEntropyPrecisionTest.OFFSETS) {
                Random rnd = new Random(classes * 17 + (long) scale + (long) offset + (long) (tau * 3));
                double[][] zt = new double[ROWS][c], zs = new double[ROWS][c];
                float[] tf = new float[ROWS * c], sf = new float[ROWS * c];
                long[] y = new long[ROWS];
                for (int r = 0; r < ROWS; r++) {
                    y[r] = rnd.nextInt(c);
                    for (int k = 0; k < c; k++) {
                        zt[r][k] = tf[r * c + k] = (float) (k == y[r] ? offset : offset - scale * (0.3 + Math.abs(rnd.nextGaussian())));
                        zs[r][k] = sf[r * c + k] = (float) (k == y[r] ? offset : offset - scale * (0.3 + Math.abs(rnd.nextGaussian())));
                    }
                }
                PairReference.Distill ref = PairReference.distill(zt, zs, ROWS, tau, 0.5, y, null, -100, Reduction.NONE, 1);
                DistillLoss got = d.withReduction(Reduction.NONE).forward(Logits.of(sf, ROWS, c), Logits.of(tf, ROWS, c), Targets.classes(y));
                String where = String.format("%s C=%d tau %s scale %s offset %s", e, c, tau, scale, offset);
                for (int r = 0; r < ROWS; r++) {
                    check("KL", got.perRowKl()[r], ref.kl()[r], where + " row " + r);
                    check("teacher entropy", got.perRowTeacherEntropy()[r], ref.entropy()[r], where + " row " + r);
                    check("loss", got.perRow()[r], ref.rowLoss()[r], where + " row " + r);
                }
            }
        }
    }

    private static void check(String what, double got, double ref, String where) {
        Check.scalar(what, got, ref, CrossEntropyPrecisionTest.LOSS_ATOL, CrossEntropyPrecisionTest.LOSS_RTOL, where);
        assertTrue(got >= 0, () -> what + " " + got + " < 0 in " + where);
    }

    /**
     * A class the teacher gives mass and the student none (its logit -inf) makes KL +inf, even
     * where that mass underflows fp32 (e^-120 does; e^-120 / 0 does not become 0). C = 300 puts the
     * class past the Java engine's vector loop.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.xent.EngineSource#engines")
    void teacherMassTheStudentLacksIsInfiniteKl(EngineCase e) {
        int c = 300;
        float[] teacher = new float[c], student = new float[c];
        for (int k = 0; k < c; k++) teacher[k] = student[k] = (float) Math.sin(k);
        for (int k : new int[] {3, c - 2}) {
            teacher[k] = -120f;
            student[k] = Float.NEGATIVE_INFINITY;
        }
        float[] z = new float[2 * c], t = new float[2 * c];
        System.arraycopy(student, 0, z, 0, c);
        System.arraycopy(teacher, 0, t, 0, c);
        System.arraycopy(teacher, 0, z, c, c);  // row 1: the student is the teacher, KL 0
        System.arraycopy(teacher, 0, t, c, c);
        DistillLoss loss = e.xent().distillation().withReduction(Reduction.NONE).forward(Logits.of(z, 2, c), Logits.of(t, 2, c));
        assertTrue(loss.perRowKl()[0] == Float.POSITIVE_INFINITY, "row 0 KL " + loss.perRowKl()[0] + ", expected +inf");
        assertTrue(loss.perRowKl()[1] >= 0 && loss.perRowKl()[1] < 1e-6, "row 1 KL " + loss.perRowKl()[1] + ", expected 0");
    }
}
