package dev.xent.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code xent calibrate}: an over-confident model (logits = 2 x the true ones) gets T near 2, and a PNG. */
class CalibrateCommandTest {

    @TempDir
    Path dir;

    @Test
    void fitsTheTemperatureAndDrawsTheDiagram() throws Exception {
        int n = 40_000, c = 10;
        double t0 = 2.0;
        Random rnd = new Random(5);
        float[] z = new float[n * c];
        long[] y = new long[n];
        double nllBefore = 0;
        for (int r = 0; r < n; r++) {
            double[] u = new double[c];
            double m = Double.NEGATIVE_INFINITY, s = 0;
            for (int k = 0; k < c; k++) {
                u[k] = 2 * rnd.nextGaussian();
                m = Math.max(m, u[k]);
            }
            for (int k = 0; k < c; k++) s += Math.exp(u[k] - m);
            double draw = rnd.nextDouble() * s, cum = 0;
            y[r] = c - 1;
            for (int k = 0; k < c; k++) {
                cum += Math.exp(u[k] - m);
                if (draw < cum) {
                    y[r] = k;
                    break;
                }
            }
            double zm = Double.NEGATIVE_INFINITY, zs = 0;
            for (int k = 0; k < c; k++) {
                z[r * c + k] = (float) (t0 * u[k]);
                zm = Math.max(zm, z[r * c + k]);
            }
            for (int k = 0; k < c; k++) zs += Math.exp(z[r * c + k] - zm);
            nllBefore += zm + Math.log(zs) - z[r * c + (int) y[r]];
        }
        nllBefore /= n;
        Path logits = dir.resolve("logits.npy");
        Path target = dir.resolve("target.npy");
        Npy.write(logits, NpyArray.ofFloats(z, n, c));
        Npy.write(target, NpyArray.ofLongs(y, n));
        Path out = dir.resolve("plots");
        CliRun run = CliRun.of("calibrate", "--logits", logits.toString(), "--target", target.toString(), "--out", out.toString(),
                "--engine", "java");
        assertEquals(0, run.code(), run.describe());

        Matcher t = Pattern.compile("temperature T +([0-9.]+)").matcher(run.out());
        assertTrue(t.find(), run.describe());
        double fitted = Double.parseDouble(t.group(1));
        assertTrue(Math.abs(fitted - t0) < 0.03 * t0, "T = " + fitted + "\n" + run.describe());
        Matcher nll = Pattern.compile("NLL +before ([0-9.]+) +after ([0-9.]+)").matcher(run.out());
        assertTrue(nll.find(), run.describe());
        assertEquals(nllBefore, Double.parseDouble(nll.group(1)), 2e-6 + 1e-5 * nllBefore, run.describe());
        assertTrue(Double.parseDouble(nll.group(2)) < nllBefore, run.describe());
        Matcher ece = Pattern.compile("ECE +before ([0-9.]+) +after ([0-9.]+)").matcher(run.out());
        assertTrue(ece.find(), run.describe());
        assertTrue(Double.parseDouble(ece.group(2)) < Double.parseDouble(ece.group(1)), run.describe());

        byte[] png = Files.readAllBytes(out.resolve("reliability.png"));
        assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G'}, Arrays.copyOf(png, 4));
        assertTrue(png.length > 5000, "a real image: " + png.length + " bytes");
    }

    @Test
    void everyRowIgnored() throws Exception {
        Path logits = dir.resolve("logits.npy");
        Path target = dir.resolve("target.npy");
        Npy.write(logits, NpyArray.ofFloats(new float[] {1, 2, 3, 4}, 2, 2));
        Npy.write(target, NpyArray.ofLongs(new long[] {-100, -100}, 2));
        CliRun run = CliRun.of("calibrate", "--logits", logits.toString(), "--target", target.toString(), "--out",
                dir.toString(), "--engine", "java");
        assertEquals(2, run.code(), run.describe());
        assertEquals("xent calibrate: " + target + ": temperature fit: every row is ignored, nothing to fit", run.err().strip());
    }

    /** Issue #16: NaN logits gave T = 1 and a NaN NLL with exit code 0. */
    @Test
    void nanLogitsAreAUserErrorNamingTheFirstBadRow() throws Exception {
        Path logits = dir.resolve("logits.npy");
        Path target = dir.resolve("target.npy");
        Npy.write(logits, NpyArray.ofFloats(new float[] {1, 2, 3, 4, 5, Float.NaN, 7, Float.NaN}, 4, 2));
        Npy.write(target, NpyArray.ofLongs(new long[] {0, 1, 0, 1}, 4));
        CliRun run = CliRun.of("calibrate", "--logits", logits.toString(), "--target", target.toString(), "--out",
                dir.toString(), "--engine", "java");
        assertEquals(2, run.code(), run.describe());
        assertEquals("xent calibrate: " + logits + ": NaN in row 2 (class 1); logits must be numbers", run.err().strip());
        assertTrue(!Files.exists(dir.resolve("reliability.png")), "no diagram");
    }

    /** In (N, C, d) logits the row of element [n, k, j] is n * d + j. */
    @Test
    void nanInSpatialLogitsNamesTheRowInRowOrder() throws Exception {
        Path logits = dir.resolve("logits.npy");
        Path target = dir.resolve("target.npy");
        float[] z = new float[2 * 3 * 2];
        z[6 + 2 * 2 + 1] = Float.NaN; // n = 1, k = 2, j = 1: row 3
        Npy.write(logits, NpyArray.ofFloats(z, 2, 3, 2));
        Npy.write(target, NpyArray.ofLongs(new long[] {0, 1, 2, 0}, 2, 2));
        CliRun run = CliRun.of("calibrate", "--logits", logits.toString(), "--target", target.toString(), "--out",
                dir.toString(), "--engine", "java");
        assertEquals(2, run.code(), run.describe());
        assertEquals("xent calibrate: " + logits + ": NaN in row 3 (class 2); logits must be numbers", run.err().strip());
    }
}
