package dev.xent.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code xent loss --op nll|kl|distill} end to end against PyTorch's formulas written here in
 * float64: {@code F.nll_loss}, {@code KLDivLoss(reduction="batchmean")(log_softmax(s/T),
 * softmax(t/T)) * T^2}, and {@code alpha * kl + (1 - alpha) * F.cross_entropy(s, y)}.
 */
class PairLossOpsTest extends CliTest {
    private static final long SEED = 20261123L;

    private static float[] gaussians(Random random, int count, double scale) {
        float[] z = new float[count];
        for (int i = 0; i < count; i++) z[i] = (float) (random.nextGaussian() * scale);
        return z;
    }

    @Override
    String context() {
        return " (seed " + SEED + ")";
    }

    private CliRun loss(String op, Path logits, String... more) {
        List<String> a = new ArrayList<>(List.of("loss", "--op", op, "--logits", logits.toString(),
                "--out-loss", dir.resolve("loss.npy").toString(), "--out-grad", dir.resolve("grad.npy").toString()));
        a.addAll(List.of(more));
        return CliRun.of(a.toArray(String[]::new));
    }

    /** Element (row r, class k) of a dense (N, C, d..) array: rows in (N, d..) order. */
    private static int at(int r, int k, int c, int inner) {
        return (r / inner) * c * inner + (r % inner) + k * inner;
    }

    private static double[] logSoftmax(double[] z) {
        double m = Double.NEGATIVE_INFINITY;
        for (double v : z) m = Math.max(m, v);
        double s = 0;
        for (double v : z) s += Math.exp(v - m);
        double lse = m + Math.log(s);
        double[] out = new double[z.length];
        for (int k = 0; k < z.length; k++) out[k] = z[k] - lse;
        return out;
    }

    private static double[] row(float[] z, int r, int c, int inner, double scale) {
        double[] out = new double[c];
        for (int k = 0; k < c; k++) out[k] = z[at(r, k, c, inner)] * scale;
        return out;
    }

    // ---- nll -----------------------------------------------------------------------------------

    @ParameterizedTest
    @ValueSource(strings = {"mean", "sum", "none"})
    void nllMatchesTorchNllLoss(String reduction) throws Exception {
        Random random = new Random(SEED);
        for (long[] shape : List.of(new long[] {6, 7}, new long[] {2, 5, 3})) {
            int n = (int) shape[0], c = (int) shape[1], inner = shape.length > 2 ? (int) shape[2] : 1, rows = n * inner;
            float[] x = gaussians(random, n * c * inner, 2);  // any values: nll_loss does not check them
            long[] y = new long[rows];
            for (int r = 0; r < rows; r++) y[r] = r == 1 ? 4 : random.nextInt(c);
            y[rows - 1] = c - 1;
            float[] w = new float[c];
            for (int k = 0; k < c; k++) w[k] = 0.5f + k / 4f;
            Path xs = save("x.npy", NpyArray.ofFloats(x, shape));
            long[] yShape = shape.length > 2 ? new long[] {n, inner} : new long[] {n};
            Path ys = save("y.npy", NpyArray.ofLongs(y, yShape));
            CliRun run = loss("nll", xs, "--target", ys.toString(), "--weight", save("w.npy", NpyArray.ofFloats(w, c)).toString(),
                    "--ignore-index", "4", "--reduction", reduction);
            assertEquals(0, run.code(), run.describe());
            assertTrue(run.out().startsWith("nll on engine "), run.describe());
            double[] perRow = new double[rows];
            double den = 0, sum = 0;
            for (int r = 0; r < rows; r++) {
                if (y[r] == 4) continue;
                perRow[r] = -w[(int) y[r]] * (double) x[at(r, (int) y[r], c, inner)];
                den += w[(int) y[r]];
                sum += perRow[r];
            }
            double[] grad = new double[x.length];
            double scale = reduction.equals("mean") ? 1 / den : 1;
            for (int r = 0; r < rows; r++) if (y[r] != 4) grad[at(r, (int) y[r], c, inner)] = -w[(int) y[r]] * scale;
            NpyArray l = output("loss.npy");
            if (reduction.equals("none")) {
                assertArrayEquals(yShape, l.shape());
                assertClose(perRow, l, 1e-6, 1e-6, "nll per row");
            } else {
                assertClose(new double[] {reduction.equals("mean") ? sum / den : sum}, l, 1e-6, 1e-6, "nll");
            }
            NpyArray g = output("grad.npy");
            assertArrayEquals(shape, g.shape());
            assertClose(grad, g, 1e-7, 1e-6, "nll grad");
        }
    }

    // ---- kl and distill ------------------------------------------------------------------------

    /** KL_i = sum p (log p - log q), p = softmax(t / T), q = softmax(s / T); CE_i = -w[y] log softmax(s)_y (w null: 1). */
    private record Expected(double[] loss, double reduced, double[] grad) {}

    private static Expected distill(float[] t, float[] s, long[] y, double[] w, int n, int c, int inner, double temp, double alpha,
            long ignore, String reduction) {
        int rows = n * inner;
        double[] kl = new double[rows], ce = new double[rows];
        double[][] p = new double[rows][], q = new double[rows][], s1 = new double[rows][];
        double kept = 0;  // the sum of w[y] over rows not ignored
        for (int r = 0; r < rows; r++) {
            double[] lp = logSoftmax(row(t, r, c, inner, 1 / temp));
            double[] lq = logSoftmax(row(s, r, c, inner, 1 / temp));
            double[] l1 = logSoftmax(row(s, r, c, inner, 1));
            p[r] = new double[c];
            q[r] = new double[c];
            s1[r] = new double[c];
            for (int k = 0; k < c; k++) {
                p[r][k] = Math.exp(lp[k]);
                q[r][k] = Math.exp(lq[k]);
                s1[r][k] = Math.exp(l1[k]);
                kl[r] += p[r][k] * (lp[k] - lq[k]);
            }
            if (y != null && y[r] != ignore) {
                double wy = w == null ? 1 : w[(int) y[r]];
                ce[r] = -wy * l1[(int) y[r]];
                kept += wy;
            }
        }
        boolean mean = reduction.equals("mean");
        double klDen = mean ? n : 1, ceDen = mean ? kept : 1;  // batchmean: over N
        double[] loss = new double[rows];
        double reduced = 0;
        double[] grad = new double[n * c * inner];
        for (int r = 0; r < rows; r++) {
            loss[r] = alpha * temp * temp * kl[r] + (1 - alpha) * ce[r];
            reduced += alpha * temp * temp * kl[r] / klDen + (y != null ? (1 - alpha) * ce[r] / ceDen : 0);
            boolean active = y != null && y[r] != ignore;
            for (int k = 0; k < c; k++) {
                double g = alpha * temp * (q[r][k] - p[r][k]) / klDen;
                if (active) g += (1 - alpha) * (w == null ? 1 : w[(int) y[r]]) * (s1[r][k] - (k == y[r] ? 1 : 0)) / ceDen;
                grad[at(r, k, c, inner)] = g;
            }
        }
        return new Expected(loss, reduced, grad);
    }

    private void checkOutputs(Expected e, String reduction, long[] shape, long[] rowShape) throws Exception {
        NpyArray l = output("loss.npy");
        if (reduction.equals("none")) {
            assertArrayEquals(rowShape, l.shape());
            assertClose(e.loss(), l, 2e-6, 1e-5, "per-row loss");
        } else {
            assertArrayEquals(new long[0], l.shape());
            assertClose(new double[] {e.reduced()}, l, 2e-6, 1e-5, "loss");
        }
        NpyArray g = output("grad.npy");
        assertArrayEquals(shape, g.shape());
        assertClose(e.grad(), g, 1e-7, 1e-5, "grad");
    }

    @ParameterizedTest
    @ValueSource(strings = {"mean", "sum", "none"})
    void klMatchesTorchBatchmeanTimesTSquared(String reduction) throws Exception {
        Random random = new Random(SEED + 1);
        for (long[] shape : List.of(new long[] {5, 9}, new long[] {3, 4, 2})) {
            int n = (int) shape[0], c = (int) shape[1], inner = shape.length > 2 ? (int) shape[2] : 1;
            float[] t = gaussians(random, n * c * inner, 3);
            float[] s = gaussians(random, n * c * inner, 3);
            Path ts = save("t.npy", NpyArray.ofFloats(t, shape));
            Path ss = save("s.npy", NpyArray.ofFloats(s, shape));
            CliRun run = loss("kl", ss, "--teacher-logits", ts.toString(), "--temperature", "2.5", "--reduction", reduction);
            assertEquals(0, run.code(), run.describe());
            assertTrue(run.out().startsWith("kl on engine "), run.describe());
            long[] rowShape = shape.length > 2 ? new long[] {n, inner} : new long[] {n};
            checkOutputs(distill(t, s, null, null, n, c, inner, 2.5, 1, -100, reduction), reduction, shape, rowShape);
        }
    }

    /** weighted: {@code --weight} per class on the hard term, ce_i = w[y_i] (-log softmax_{y_i}). */
    @ParameterizedTest
    @CsvSource({"mean, false", "sum, false", "none, false", "mean, true", "sum, true", "none, true"})
    void distillMixesKlAndHardCrossEntropy(String reduction, boolean weighted) throws Exception {
        Random random = new Random(SEED + 2);
        int n = 6, c = 11;
        float[] t = gaussians(random, n * c, 2);
        float[] s = gaussians(random, n * c, 2);
        long[] y = {3, 0, 10, 7, -1, 3};
        double[] w = new double[c];
        for (int k = 0; k < c; k++) w[k] = 0.25 + 0.5 * (k % 4);
        Path ts = save("t.npy", NpyArray.ofFloats(t, n, c));
        Path ss = save("s.npy", NpyArray.ofFloats(s, n, c));
        Path ys = save("y.npy", NpyArray.ofLongs(y, n));
        Path ws = save("w.npy", NpyArray.ofDoubles(w, c));
        List<String> args = new ArrayList<>(List.of("--teacher-logits", ts.toString(), "--temperature", "3", "--alpha", "0.3",
                "--target", ys.toString(), "--ignore-index", "-1", "--reduction", reduction));
        if (weighted) args.addAll(List.of("--weight", ws.toString()));
        CliRun run = loss("distill", ss, args.toArray(String[]::new));
        assertEquals(0, run.code(), run.describe());
        checkOutputs(distill(t, s, y, weighted ? w : null, n, c, 1, 3, 0.3, -1, reduction), reduction, new long[] {n, c},
                new long[] {n});
    }

    // ---- user errors: exit 2, one line ----------------------------------------------------------

    @Test
    void errors() throws Exception {
        Path s = save("s.npy", NpyArray.ofFloats(new float[] {1, 2, 3, 4, 5, 6}, 2, 3));
        Path t = save("t.npy", NpyArray.ofFloats(new float[] {1, 2, 3, 4, 5, 6}, 2, 3));
        Path t32 = save("t32.npy", NpyArray.ofFloats(new float[] {1, 2, 3, 4, 5, 6}, 3, 2));
        Path y = save("y.npy", NpyArray.ofLongs(new long[] {0, 5}, 2));
        assertUserError(loss("kl", s), "--teacher-logits");
        assertUserError(loss("kl", s, "--teacher-logits", t32.toString()), "t32.npy", "(3, 2)", "(2, 3)");
        assertUserError(loss("kl", s, "--teacher-logits", t.toString(), "--temperature", "0"), "temperature", "0");
        assertUserError(loss("kl", s, "--teacher-logits", t.toString(), "--temperature", "-2"), "temperature", "-2");
        assertUserError(loss("kl", s, "--teacher-logits", t.toString(), "--alpha", "0.5"), "--alpha", "kl");
        assertUserError(loss("kl", s, "--teacher-logits", t.toString(), "--target", y.toString()), "--target does not apply to --op kl");
        assertUserError(loss("distill", s, "--teacher-logits", t.toString(), "--target", y.toString()), "--alpha");
        assertUserError(loss("distill", s, "--teacher-logits", t.toString(), "--alpha", "1.5", "--target", y.toString()), "alpha", "1.5");
        assertUserError(loss("distill", s, "--teacher-logits", t.toString(), "--alpha", "0.5"), "--target");
        assertUserError(loss("distill", s, "--teacher-logits", t.toString(), "--alpha", "0.5", "--target", y.toString()),
                "y.npy", "row 1", "5");
        Path w2 = save("w2.npy", NpyArray.ofFloats(new float[] {1, 2}, 2));
        assertUserError(loss("distill", s, "--teacher-logits", t.toString(), "--alpha", "0.5", "--target", y.toString(),
                "--weight", w2.toString()), "w2.npy", "(3,)", "(2,)");
        assertUserError(loss("kl", s, "--teacher-logits", t.toString(), "--weight", w2.toString()), "--weight does not apply to --op kl");
        assertUserError(loss("nll", s, "--target", y.toString()), "y.npy", "row 1", "5");
        assertUserError(loss("nll", s, "--target", y.toString(), "--label-smoothing", "0.1"), "--label-smoothing", "nll");
        assertUserError(loss("nll", s), "--target");
    }
}
