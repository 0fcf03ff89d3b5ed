package dev.xent.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code xent loss --op ce --softcap C --z-loss L} against float64 formulas written here:
 * z' = C tanh(z / C), lse = log sum exp z', loss_i = w[y] (lse - z'_y) + L w[y] lse^2 (ignored
 * rows 0), gradient s_i w[y] (p_k (1 + 2 L lse) - [k == y]) (1 - tanh^2(z_k / C)).
 */
class CrossEntropyExtrasCliTest extends CliTest {
    @ParameterizedTest
    @ValueSource(strings = {"none", "sum", "mean"})
    void softcapAndZLossWithWeightsAndIgnoredRows(String reduction) throws Exception {
        Random random = new Random(41);
        int n = 6;
        int c = 9;
        double cap = 2.5;
        double lambda = 0.01;
        float[] zf = new float[n * c];
        for (int i = 0; i < zf.length; i++) zf[i] = (float) (4 * random.nextGaussian());
        long[] y = {0, 8, -100, 3, 3, 5};
        double[] w = new double[c];
        for (int k = 0; k < c; k++) w[k] = 0.5 + k * 0.25;

        double[] rowLoss = new double[n];
        double[] lse = new double[n];
        double[][] p = new double[n][c];
        double den = 0;
        for (int r = 0; r < n; r++) {
            double[] zc = new double[c];
            double sum = 0;
            for (int k = 0; k < c; k++) {
                zc[k] = cap * Math.tanh(zf[r * c + k] / cap);
                sum += Math.exp(zc[k]);
            }
            lse[r] = Math.log(sum);
            for (int k = 0; k < c; k++) p[r][k] = Math.exp(zc[k] - lse[r]);
            if (y[r] < 0) continue;
            double wy = w[(int) y[r]];
            rowLoss[r] = wy * (lse[r] - zc[(int) y[r]]) + lambda * wy * lse[r] * lse[r];
            den += wy;
        }
        double total = 0;
        for (double l : rowLoss) total += l;
        double[] grad = new double[n * c];
        for (int r = 0; r < n; r++) {
            if (y[r] < 0) continue;
            double s = reduction.equals("mean") ? 1 / den : 1;
            double wy = w[(int) y[r]];
            for (int k = 0; k < c; k++) {
                double t = Math.tanh(zf[r * c + k] / cap);
                double dz = wy * (p[r][k] * (1 + 2 * lambda * lse[r]) - (k == y[r] ? 1 : 0));
                grad[r * c + k] = s * dz * (1 - t * t);
            }
        }

        Path logits = save("z.npy", NpyArray.ofFloats(zf, n, c));
        Path target = save("y.npy", NpyArray.ofLongs(y, n));
        Path weight = save("w.npy", NpyArray.ofDoubles(w, c));
        List<String> args = new ArrayList<>(List.of("loss", "--op", "ce", "--logits", logits.toString(), "--target",
                target.toString(), "--weight", weight.toString(), "--reduction", reduction, "--softcap", "2.5",
                "--z-loss", "0.01", "--out-loss", dir.resolve("loss.npy").toString(), "--out-grad",
                dir.resolve("grad.npy").toString(), "--out-lse", dir.resolve("lse.npy").toString()));
        CliRun r = CliRun.of(args.toArray(String[]::new));
        assertEquals(0, r.code(), r.describe());

        double[] expectedLoss = switch (reduction) {
            case "none" -> rowLoss;
            case "sum" -> new double[] {total};
            default -> new double[] {total / den};
        };
        assertClose(expectedLoss, Npy.read(dir.resolve("loss.npy")), 1e-6, 1e-5, "loss");
        assertClose(lse, Npy.read(dir.resolve("lse.npy")), 1e-6, 1e-6, "lse");
        assertClose(grad, Npy.read(dir.resolve("grad.npy")), 1e-6, 1e-5, "grad");
    }

    @Test
    void badSoftcapAndZLossAreUserErrors() throws Exception {
        Path logits = save("z.npy", NpyArray.ofFloats(new float[] {1, 2, 3}, 1, 3));
        Path target = save("y.npy", NpyArray.ofLongs(new long[] {2}, 1));
        CliRun capZero = CliRun.of("loss", "--op", "ce", "--logits", logits.toString(), "--target", target.toString(),
                "--softcap", "0", "--out-loss", dir.resolve("l.npy").toString());
        assertTrue(capZero.code() != 0 && capZero.describe().contains("softcap"), capZero.describe());
        CliRun negative = CliRun.of("loss", "--op", "ce", "--logits", logits.toString(), "--target", target.toString(),
                "--z-loss", "-1", "--out-loss", dir.resolve("l.npy").toString());
        assertTrue(negative.code() != 0 && negative.describe().contains("z-loss"), negative.describe());
    }
}
