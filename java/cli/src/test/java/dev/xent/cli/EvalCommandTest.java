package dev.xent.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code xent eval} end to end against float64 expectations computed here. */
class EvalCommandTest extends CliTest {
    private static final long SEED = 20261123L;

    /** Logits (B, C, T), classes on axis 1; row r = b * T + t. */
    private record Data(float[] z, long[] y, int b, int c, int t) {
        double zAt(int row, int k) {
            return z[(row / t) * c * t + k * t + row % t];
        }

        int rows() {
            return b * t;
        }

        double loss(int row) {
            double m = Double.NEGATIVE_INFINITY;
            for (int k = 0; k < c; k++) m = Math.max(m, zAt(row, k));
            double s = 0;
            for (int k = 0; k < c; k++) s += Math.exp(zAt(row, k) - m);
            return m + Math.log(s) - zAt(row, (int) y[row]);
        }

        int above(int row) {
            int n = 0;
            for (int k = 0; k < c; k++) if (zAt(row, k) > zAt(row, (int) y[row])) n++;
            return n;
        }
    }

    private static Data data(int b, int c, int t) {
        Random rnd = new Random(SEED);
        float[] z = new float[b * c * t];
        for (int i = 0; i < z.length; i++) z[i] = (float) (2.5 * rnd.nextGaussian());
        long[] y = new long[b * t];
        for (int r = 0; r < y.length; r++) y[r] = r % 11 == 4 ? -100 : rnd.nextInt(c);
        return new Data(z, y, b, c, t);
    }

    private static double json(Path file, String key) throws IOException {
        Matcher m = Pattern.compile("\"" + key + "\": ([-0-9.eE]+)").matcher(Files.readString(file));
        assertTrue(m.find(), key + " in " + Files.readString(file));
        return Double.parseDouble(m.group(1));
    }

    private static void close(double expected, double actual, double rtol, String what) {
        assertTrue(Math.abs(actual - expected) <= rtol * Math.abs(expected), what + ": expected " + expected + ", got " + actual);
    }

    /** The mask as numpy writes it: int32, or bool (as `np.save(f, mask > 0)`). */
    @ParameterizedTest
    @ValueSource(strings = {"int32", "bool"})
    void metricsAndPerplexityByMask(String maskType) throws IOException {
        Data d = data(6, 13, 9);
        Path logits = save("logits.npy", NpyArray.ofFloats(d.z(), d.b(), d.c(), d.t()));
        Path target = save("target.npy", NpyArray.ofLongs(d.y(), d.b(), d.t()));
        int[] mask = new int[d.rows()];
        for (int r = 0; r < mask.length; r++) mask[r] = (r % d.t()) < 2 + (r / d.t()) ? 1 : 0; // sequence b keeps 2 + b tokens
        byte[] maskBytes = new byte[mask.length];
        for (int r = 0; r < mask.length; r++) maskBytes[r] = (byte) mask[r];
        Path maskFile = save("mask.npy", maskType.equals("bool")
                ? NpyArray.ofBytes(NpyDType.BOOL, maskBytes, d.b(), d.t())
                : NpyArray.ofInts(mask, d.b(), d.t()));
        Path json = dir.resolve("out.json");
        CliRun run = CliRun.of("eval", "--logits", logits.toString(), "--target", target.toString(), "--top-k", "3",
                "--bins", "10", "--mask", maskFile.toString(), "--bits", "--engine", "java", "--json", json.toString());
        assertEquals(0, run.code(), run.describe());

        double nll = 0, pooled = 0, means = 0;
        long counted = 0, right = 0, top3 = 0, tokens = 0, sequences = 0;
        for (int seq = 0; seq < d.b(); seq++) {
            double sum = 0;
            int n = 0;
            for (int r = seq * d.t(); r < (seq + 1) * d.t(); r++) {
                if (d.y()[r] == -100) continue;
                counted++;
                double l = d.loss(r);
                nll += l;
                if (d.above(r) == 0) right++;
                if (d.above(r) < 3) top3++;
                if (mask[r] == 1) {
                    sum += l;
                    n++;
                }
            }
            pooled += sum;
            tokens += n;
            if (n > 0) {
                means += sum / n;
                sequences++;
            }
        }
        double ln2 = Math.log(2);
        close(nll / counted / ln2, json(json, "loss"), 1e-5, "loss in bits");
        close(Math.exp(pooled / tokens), json(json, "perplexity_pooled"), 1e-5, "pooled perplexity");
        close(pooled / tokens / ln2, json(json, "log_perplexity_pooled"), 1e-5, "pooled log-perplexity in bits");
        close(Math.exp(means / sequences), json(json, "perplexity_per_sequence"), 1e-5, "per-sequence perplexity");
        assertEquals(sequences, (long) json(json, "sequences"));
        assertEquals((double) right / counted, json(json, "accuracy"), 1e-12);
        assertEquals((double) top3 / counted, json(json, "top_k_accuracy"), 1e-12);
        assertTrue(run.out().contains("perplexity, per seq"), run.describe());
        assertTrue(run.out().contains("top-3 accuracy"), run.describe());
        assertTrue(run.out().contains("ECE (10 bins)"), run.describe());
    }

    @Test
    void perplexityByLengthsOnTwoDimensionalLogits() throws IOException {
        Data d = data(40, 7, 1);
        Path logits = save("logits.npy", NpyArray.ofFloats(d.z(), 40, 7));
        Path target = save("target.npy", NpyArray.ofLongs(d.y(), 40));
        int[] lengths = {10, 5, 25};
        Path lengthsFile = save("lengths.npy", NpyArray.ofInts(lengths, 3));
        Path json = dir.resolve("out.json");
        CliRun run = CliRun.of("eval", "--logits", logits.toString(), "--target", target.toString(), "--lengths",
                lengthsFile.toString(), "--engine", "java", "--json", json.toString());
        assertEquals(0, run.code(), run.describe());
        double means = 0, total = 0;
        long tokens = 0;
        int at = 0;
        for (int len : lengths) {
            double sum = 0;
            int n = 0;
            for (int r = at; r < at + len; r++) {
                if (d.y()[r] == -100) continue;
                sum += d.loss(r);
                n++;
            }
            means += sum / n;
            total += sum;
            tokens += n;
            at += len;
        }
        close(Math.exp(total / tokens), json(json, "perplexity_pooled"), 1e-5, "pooled");
        close(Math.exp(means / 3), json(json, "perplexity_per_sequence"), 1e-5, "per sequence");
        close(total / tokens, json(json, "loss"), 1e-5, "loss in nats");
        assertEquals(5, (long) json(json, "top_k"));
        assertEquals(15, (long) json(json, "bins"));
    }

    @Test
    void badInputs() throws IOException {
        Data d = data(10, 4, 1);
        String logits = save("logits.npy", NpyArray.ofFloats(d.z(), 10, 4)).toString();
        String target = save("target.npy", NpyArray.ofLongs(d.y(), 10)).toString();
        String lengths = save("lengths.npy", NpyArray.ofInts(new int[] {4, 5}, 2)).toString();
        String mask = save("mask.npy", NpyArray.ofInts(new int[12], 3, 4)).toString();
        expectUsage("xent eval: --top-k must be >= 1, got 0", "eval", "--logits", logits, "--target", target, "--top-k", "0");
        expectUsage("xent eval: --bins must be >= 1, got 0", "eval", "--logits", logits, "--target", target, "--bins", "0");
        expectUsage("xent eval: " + lengths + ": lengths sum to 9 but the logits have 10 rows (tokens)",
                "eval", "--logits", logits, "--target", target, "--lengths", lengths, "--engine", "java");
        expectUsage("xent eval: " + mask + ": --mask must have shape (B, T) with B * T = 10 rows, got (3, 4)",
                "eval", "--logits", logits, "--target", target, "--mask", mask, "--engine", "java");
        CliRun both = CliRun.of("eval", "--logits", logits, "--target", target, "--mask", mask, "--lengths", lengths);
        assertEquals(2, both.code(), both.describe());
        assertTrue(both.err().contains("mutually exclusive"), both.describe());
    }

    /** Issue #16: a NaN mask value counted as kept; a mask holds 0 or 1 (or booleans), anything else names its index. */
    @Test
    void maskValuesOtherThanZeroOrOneAreUserErrors() throws IOException {
        Data d = data(2, 4, 3);
        String logits = save("logits.npy", NpyArray.ofFloats(d.z(), 2, 4, 3)).toString();
        String target = save("target.npy", NpyArray.ofLongs(d.y(), 2, 3)).toString();
        String nan = save("nan.npy", NpyArray.ofFloats(new float[] {1, 1, 0, 1, Float.NaN, 1}, 2, 3)).toString();
        expectUsage("xent eval: " + nan + ": mask value NaN at [1, 1] is not 0 or 1",
                "eval", "--logits", logits, "--target", target, "--mask", nan, "--engine", "java");
        String two = save("two.npy", NpyArray.ofInts(new int[] {1, 2, 0, 1, 1, 1}, 2, 3)).toString();
        expectUsage("xent eval: " + two + ": mask value 2 at [0, 1] is not 0 or 1",
                "eval", "--logits", logits, "--target", target, "--mask", two, "--engine", "java");
        String floats = save("floats.npy", NpyArray.ofFloats(new float[] {1, 1, 0, 1, 0, 1}, 2, 3)).toString();
        CliRun ok = CliRun.of("eval", "--logits", logits, "--target", target, "--mask", floats, "--engine", "java");
        assertEquals(0, ok.code(), "0.0 and 1.0 are a mask: " + ok.describe());
    }

    private static void expectUsage(String line, String... args) {
        CliRun run = CliRun.of(args);
        assertEquals(2, run.code(), run.describe());
        assertEquals(line, run.err().strip(), run.describe());
    }
}
