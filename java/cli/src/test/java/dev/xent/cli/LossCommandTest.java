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
import org.junit.jupiter.params.provider.ValueSource;

/** {@code xent loss} end to end: .npy in, .npy out, against a float64 reference written in the test. */
class LossCommandTest extends CliTest {
    private static final long SEED = 20240611L;

    // ---- helpers -------------------------------------------------------------------------------

    private static double[] randomLogits(Random random, int count, double scale) {
        double[] z = new double[count];
        for (int i = 0; i < count; i++) z[i] = (float) (random.nextGaussian() * scale);
        return z;
    }

    private static float[] toFloats(double[] a) {
        float[] f = new float[a.length];
        for (int i = 0; i < a.length; i++) f[i] = (float) a[i];
        return f;
    }

    @Override
    String context() {
        return " (seed " + SEED + ")";
    }

    private static CliRun run(List<String> args) {
        return CliRun.of(args.toArray(String[]::new));
    }

    private List<String> args(Path logits, Path target, String... more) {
        List<String> a = new ArrayList<>(List.of("loss", "--logits", logits.toString(), "--target", target.toString(),
                "--out-loss", dir.resolve("loss.npy").toString(), "--out-grad", dir.resolve("grad.npy").toString(),
                "--out-lse", dir.resolve("lse.npy").toString(), "--out-log-probs", dir.resolve("logp.npy").toString()));
        a.addAll(List.of(more));
        return a;
    }

    /** Runs {@code xent loss} and compares every output with the reference. */
    private void check(double[] z, long[] shape, long[] labels, NpyArray targetArray, double[] probs, double[] weight,
            NpyArray weightArray, long ignoreIndex, double eps, String reduction) throws Exception {
        int n = (int) shape[0];
        int c = (int) shape[1];
        int inner = 1;
        for (int i = 2; i < shape.length; i++) inner *= (int) shape[i];
        Path logits = save("logits.npy", NpyArray.ofFloats(toFloats(z), shape));
        Path target = save("target.npy", targetArray);
        List<String> a = args(logits, target, "--reduction", reduction, "--ignore-index", Long.toString(ignoreIndex),
                "--label-smoothing", Double.toString(eps));
        if (weightArray != null) a.addAll(List.of("--weight", save("weight.npy", weightArray).toString()));
        CliRun r = run(a);
        assertEquals(0, r.code(), r.describe());
        assertTrue(r.out().startsWith("ce on engine "), r.describe());

        ReferenceCrossEntropy ref = ReferenceCrossEntropy.compute(z, n, c, inner, labels, probs, weight, ignoreIndex, eps, reduction);
        long[] rowShape = new long[shape.length - 1];
        rowShape[0] = shape[0];
        System.arraycopy(shape, 2, rowShape, 1, shape.length - 2);

        NpyArray loss = output("loss.npy");
        assertEquals(NpyDType.FLOAT32, loss.dtype());
        if (reduction.equals("none")) {
            assertArrayEquals(rowShape, loss.shape(), "per-row loss shape");
            assertClose(ref.perRow, loss, 1e-6, 1e-5, "loss");
        } else {
            assertArrayEquals(new long[0], loss.shape(), "reduced loss is a scalar");
            assertClose(new double[] {ref.reduced}, loss, 1e-6, 1e-5, "loss");
        }
        NpyArray grad = output("grad.npy");
        assertEquals(NpyDType.FLOAT32, grad.dtype());
        assertArrayEquals(shape, grad.shape());
        assertClose(ref.grad, grad, 1e-6, 1e-5, "grad");
        NpyArray lse = output("lse.npy");
        assertArrayEquals(rowShape, lse.shape());
        assertClose(ref.lse, lse, 1e-6, 1e-5, "lse");
        NpyArray logp = output("logp.npy");
        assertArrayEquals(shape, logp.shape());
        assertClose(ref.logProbs, logp, 1e-5, 1e-5, "log-probs");
    }

    private static long[] labels(Random random, int rows, int c) {
        long[] y = new long[rows];
        for (int i = 0; i < rows; i++) y[i] = random.nextInt(c);
        y[0] = 0;
        y[rows - 1] = c - 1;
        return y;
    }

    // ---- hand-computed ---------------------------------------------------------------------------

    @Test
    void softmaxOfOneTwoThreeByHand() throws Exception {
        Path logits = save("z.npy", NpyArray.ofFloats(new float[] {1, 2, 3}, 1, 3));
        Path target = save("y.npy", NpyArray.ofLongs(new long[] {2}, 1));
        CliRun r = run(args(logits, target));
        assertEquals(0, r.code(), r.describe());
        // p = softmax(1, 2, 3) = (0.0900306, 0.2447285, 0.6652410); loss = -log 0.6652410
        assertClose(new double[] {0.40760596}, output("loss.npy"), 1e-6, 0, "loss");
        assertClose(new double[] {0.09003057, 0.24472847, -0.33475904}, output("grad.npy"), 1e-6, 0, "grad");
        assertClose(new double[] {3.40760596}, output("lse.npy"), 1e-6, 0, "lse");
        assertClose(new double[] {-2.40760596, -1.40760596, -0.40760596}, output("logp.npy"), 1e-6, 0, "log-probs");
    }

    // ---- against the float64 reference ---------------------------------------------------------

    @ParameterizedTest
    @ValueSource(strings = {"none", "sum", "mean"})
    void reductionsWithWeightsAndIgnoredRows(String reduction) throws Exception {
        Random random = new Random(SEED);
        int n = 9;
        int c = 7;
        double[] z = randomLogits(random, n * c, 3);
        long[] y = labels(random, n, c);
        y[3] = -100;
        y[5] = -100;
        double[] w = {0.5, 2, 1, 0.25, 3, 1.5, 0.75};
        check(z, new long[] {n, c}, y, NpyArray.ofLongs(y, n), null, w, NpyArray.ofDoubles(w, c), -100, 0, reduction);
    }

    @ParameterizedTest
    @ValueSource(longs = {-1, -100, 0, 2, 5, 7, 1000})
    void ignoreIndexNegativeInsideAndBeyondTheClasses(long ignoreIndex) throws Exception {
        Random random = new Random(SEED + ignoreIndex);
        int n = 8;
        int c = 5;
        double[] z = randomLogits(random, n * c, 2);
        long[] y = labels(random, n, c);
        y[2] = ignoreIndex;
        y[6] = ignoreIndex;
        check(z, new long[] {n, c}, y, NpyArray.ofLongs(y, n), null, null, null, ignoreIndex, 0, "mean");
    }

    @Test
    void int32TargetsWithFloat32WeightsAndLabelSmoothing() throws Exception {
        Random random = new Random(SEED);
        int n = 6;
        int c = 4;
        double[] z = randomLogits(random, n * c, 4);
        long[] y = labels(random, n, c);
        y[1] = -100;
        int[] y32 = Arrays.stream(y).mapToInt(v -> (int) v).toArray();
        float[] w = {1.5f, 0.5f, 2f, 1f};
        double[] wd = {1.5, 0.5, 2, 1};
        check(z, new long[] {n, c}, y, NpyArray.ofInts(y32, n), null, wd, NpyArray.ofFloats(w, c), -100, 0.1, "mean");
    }

    @ParameterizedTest
    @ValueSource(strings = {"none", "mean"})
    void spatialShapeNCd1d2(String reduction) throws Exception {
        Random random = new Random(SEED);
        int n = 2;
        int c = 3;
        int d1 = 4;
        int d2 = 2;
        double[] z = randomLogits(random, n * c * d1 * d2, 2);
        long[] y = labels(random, n * d1 * d2, c);
        y[5] = -100;
        check(z, new long[] {n, c, d1, d2}, y, NpyArray.ofLongs(y, n, d1, d2), null, null, null, -100, 0, reduction);
    }

    @ParameterizedTest
    @ValueSource(strings = {"none", "sum", "mean"})
    void probabilityTargetsWithWeightsAndSmoothing(String reduction) throws Exception {
        Random random = new Random(SEED);
        int n = 5;
        int c = 6;
        double[] z = randomLogits(random, n * c, 2);
        double[] t = new double[n * c];
        for (int i = 0; i < n; i++) {
            double s = 0;
            for (int k = 0; k < c; k++) s += t[i * c + k] = random.nextDouble();
            for (int k = 0; k < c; k++) t[i * c + k] = (float) (t[i * c + k] / s);
        }
        double[] w = {1, 2, 0.5, 1, 1.5, 0.25};
        check(z, new long[] {n, c}, null, NpyArray.ofFloats(toFloats(t), n, c), t, w, NpyArray.ofDoubles(w, c), -100, 0.2,
                reduction);
    }

    /** Runs ce with reduction sum on 16-bit logits standing for {@code z}, checks the loss, and returns the reference. */
    private ReferenceCrossEntropy summedOver16BitLogits(NpyArray logits, double[] z, long[] y, String... more) throws Exception {
        int n = (int) logits.shape()[0];
        int c = (int) logits.shape()[1];
        List<String> a = args(save("z16.npy", logits), save("y.npy", NpyArray.ofLongs(y, n)), "--reduction", "sum");
        a.addAll(List.of(more));
        CliRun r = run(a);
        assertEquals(0, r.code(), r.describe());
        ReferenceCrossEntropy ref = ReferenceCrossEntropy.compute(z, n, c, 1, y, null, null, -100, 0, "sum");
        assertClose(new double[] {ref.reduced}, output("loss.npy"), 1e-5, 1e-5, "loss");
        return ref;
    }

    @Test
    void float16LogitsGiveFloat16Gradients() throws Exception {
        Random random = new Random(SEED);
        int n = 4;
        int c = 5;
        short[] bits = new short[n * c];
        double[] z = new double[n * c];
        for (int i = 0; i < bits.length; i++) {
            bits[i] = Float.floatToFloat16((float) random.nextGaussian() * 2);
            z[i] = Float.float16ToFloat(bits[i]);
        }
        ReferenceCrossEntropy ref = summedOver16BitLogits(NpyArray.ofShorts(NpyDType.FLOAT16, bits, n, c), z, labels(random, n, c));
        NpyArray grad = output("grad.npy");
        assertEquals(NpyDType.FLOAT16, grad.dtype());
        assertClose(ref.grad, grad, 1e-4, 1e-3, "fp16 grad");
        assertEquals(NpyDType.FLOAT16, output("logp.npy").dtype());
    }

    @Test
    void bf16RoundsFloat32LogitsAndWritesFloat32HoldingBf16Values() throws Exception {
        Random random = new Random(SEED);
        int n = 4;
        int c = 6;
        float[] raw = new float[n * c];
        double[] rounded = new double[n * c];
        for (int i = 0; i < raw.length; i++) {
            raw[i] = (float) random.nextGaussian() * 3;
            int b = Float.floatToRawIntBits(raw[i]);
            b += 0x7fff + ((b >>> 16) & 1); // round to nearest even, by hand
            rounded[i] = Float.intBitsToFloat(b & 0xffff0000);
        }
        long[] y = labels(random, n, c);
        Path logits = save("z.npy", NpyArray.ofFloats(raw, n, c));
        Path target = save("y.npy", NpyArray.ofLongs(y, n));
        CliRun r = run(args(logits, target, "--bf16"));
        assertEquals(0, r.code(), r.describe());
        ReferenceCrossEntropy ref = ReferenceCrossEntropy.compute(rounded, n, c, 1, y, null, null, -100, 0, "mean");
        assertClose(new double[] {ref.reduced}, output("loss.npy"), 1e-5, 1e-5, "loss on bf16-rounded logits");
        NpyArray grad = output("grad.npy");
        assertEquals(NpyDType.FLOAT32, grad.dtype(), "--bf16 on float32 input writes float32");
        for (long i = 0; i < grad.count(); i++) {
            int bits = Float.floatToRawIntBits((float) grad.getDouble(i));
            assertEquals(0, bits & 0xffff, "gradient value " + i + " is a bf16 value widened to float32");
        }
        assertClose(ref.grad, grad, 1e-3, 8e-3, "bf16 grad");
    }

    @Test
    void bf16AcceptsUint16BitsAndWritesUint16Bits() throws Exception {
        Random random = new Random(SEED);
        int n = 3;
        int c = 4;
        short[] bits = new short[n * c];
        double[] z = new double[n * c];
        for (int i = 0; i < bits.length; i++) {
            bits[i] = (short) (Float.floatToRawIntBits((float) random.nextGaussian()) >>> 16);
            z[i] = Float.intBitsToFloat((bits[i] & 0xffff) << 16);
        }
        ReferenceCrossEntropy ref = summedOver16BitLogits(NpyArray.ofShorts(NpyDType.UINT16, bits, n, c), z, labels(random, n, c),
                "--bf16");
        NpyArray grad = output("grad.npy");
        assertEquals(NpyDType.UINT16, grad.dtype());
        for (int i = 0; i < ref.grad.length; i++) {
            double got = Float.intBitsToFloat(((int) grad.getDouble(i)) << 16);
            assertTrue(Math.abs(got - ref.grad[i]) <= 1e-3 + 8e-3 * Math.abs(ref.grad[i]),
                    "bf16 grad[" + i + "]: expected " + ref.grad[i] + ", got " + got);
        }
    }

    /** Issue #11: float64 logits and probability targets are read as float32, said in one note line on stderr. */
    @Test
    void float64InputsAreReadAsFloat32WithANote() throws Exception {
        Random random = new Random(SEED);
        int n = 5;
        int c = 4;
        double[] z = randomLogits(random, n * c, 2);
        double[] t = new double[n * c];
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < c; k++) t[i * c + k] = (float) (k == i % c ? 0.625 : 0.125);
        }
        Path logits = save("z64.npy", NpyArray.ofDoubles(z, n, c));
        Path target = save("p64.npy", NpyArray.ofDoubles(t, n, c));
        CliRun r = run(args(logits, target, "--reduction", "sum"));
        assertEquals(0, r.code(), r.describe());
        assertEquals("xent loss: note: float64 read as float32 (rounded to nearest): " + logits + ", " + target, r.err().strip());
        ReferenceCrossEntropy ref = ReferenceCrossEntropy.compute(z, n, c, 1, null, t, null, -100, 0, "sum");
        assertClose(new double[] {ref.reduced}, output("loss.npy"), 1e-6, 1e-5, "loss");
        NpyArray grad = output("grad.npy");
        assertEquals(NpyDType.FLOAT32, grad.dtype(), "float32 results");
        assertClose(ref.grad, grad, 1e-6, 1e-5, "grad");

        long[] y = labels(random, n, c);
        CliRun indices = run(args(logits, save("y.npy", NpyArray.ofLongs(y, n))));
        assertEquals(0, indices.code(), indices.describe());
        assertEquals("xent loss: note: float64 read as float32 (rounded to nearest): " + logits, indices.err().strip(),
                "class indices are not converted");
        assertClose(ReferenceCrossEntropy.compute(z, n, c, 1, y, null, null, -100, 0, "mean").lse, output("lse.npy"), 1e-6, 1e-5,
                "lse");
    }

    @Test
    void lossAloneWritesOnlyTheLoss() throws Exception {
        Path logits = save("z.npy", NpyArray.ofFloats(new float[] {0, 0, 5, -5}, 2, 2));
        Path target = save("y.npy", NpyArray.ofLongs(new long[] {1, 0}, 2));
        CliRun r = run(List.of("loss", "--op", "ce", "--logits", logits.toString(), "--target", target.toString(),
                "--out-loss", dir.resolve("only.npy").toString(), "--reduction", "NONE"));
        assertEquals(0, r.code(), r.describe());
        // row 0: ln 2; row 1: lse(5, -5) - 5 = log(1 + e^-10)
        assertClose(new double[] {Math.log(2), Math.log1p(Math.exp(-10))}, output("only.npy"), 1e-7, 1e-6, "loss");
        assertTrue(!dir.resolve("grad.npy").toFile().exists());
    }

    // ---- user errors: exit 2, one line ----------------------------------------------------------

    private Path validLogits() throws IOException {
        return save("z.npy", NpyArray.ofFloats(new float[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, 3, 4));
    }

    private Path validTarget() throws IOException {
        return save("y.npy", NpyArray.ofLongs(new long[] {0, 3, 1}, 3));
    }

    @Test
    void truncatedFile() throws Exception {
        byte[] whole = java.nio.file.Files.readAllBytes(validLogits());
        Path cut = dir.resolve("logits.npy");
        java.nio.file.Files.write(cut, Arrays.copyOf(whole, whole.length - 8));
        assertUserError(run(args(cut, validTarget())), "logits.npy: truncated", "12 float32", "48 bytes", "holds 40 bytes");
    }

    @Test
    void wrongLogitsDtype() throws Exception {
        Path logits = save("zi.npy", NpyArray.ofLongs(new long[] {1, 2, 3, 4}, 2, 2));
        assertUserError(run(args(logits, save("y.npy", NpyArray.ofLongs(new long[] {0, 1}, 2)))), "zi.npy", "float32", "int64");
    }

    @Test
    void wrongTargetDtype() throws Exception {
        Path target = save("yb.npy", NpyArray.ofBytes(NpyDType.UINT8, new byte[] {0, 1, 2}, 3));
        assertUserError(run(args(validLogits(), target)), "yb.npy", "int64 or int32", "uint8");
    }

    @Test
    void labelOutOfRange() throws Exception {
        Path target = save("y.npy", NpyArray.ofLongs(new long[] {0, 9, 1}, 3));
        assertUserError(run(args(validLogits(), target)), "y.npy", "target 9", "row 1", "[0, 4)");
    }

    @Test
    void negativeLabelThatIsNotTheIgnoreIndex() throws Exception {
        Path target = save("y.npy", NpyArray.ofLongs(new long[] {0, -1, 1}, 3));
        assertUserError(run(args(validLogits(), target)), "target -1", "row 1");
    }

    @Test
    void labelOutOfRangeInSpatialShapeNamesThePosition() throws Exception {
        Path logits = save("z.npy", NpyArray.ofFloats(new float[2 * 3 * 2], 2, 3, 2));
        Path target = save("y.npy", NpyArray.ofLongs(new long[] {0, 1, 2, 3}, 2, 2));
        assertUserError(run(args(logits, target)), "target 3", "position [1, 1]");
    }

    @Test
    void classIndexShapeMismatch() throws Exception {
        Path target = save("y.npy", NpyArray.ofLongs(new long[] {0, 1, 2, 3}, 4));
        assertUserError(run(args(validLogits(), target)), "y.npy", "(4,)", "(3, 4)", "expected (3,)");
    }

    @Test
    void probabilityShapeMismatch() throws Exception {
        Path target = save("p.npy", NpyArray.ofFloats(new float[6], 3, 2));
        assertUserError(run(args(validLogits(), target)), "p.npy", "logits' shape (3, 4)", "(3, 2)");
    }

    @Test
    void weightOfTheWrongLength() throws Exception {
        List<String> a = args(validLogits(), validTarget(), "--weight",
                save("w.npy", NpyArray.ofFloats(new float[] {1, 2, 3}, 3)).toString());
        assertUserError(run(a), "w.npy", "(4,)", "(3,)");
    }

    @Test
    void fortranOrderIsRefused() throws Exception {
        byte[] header = Npy.encodeHeader(NpyDType.FLOAT32, new long[] {3, 4});
        String text = new String(header, java.nio.charset.StandardCharsets.ISO_8859_1).replace("False", "True ");
        byte[] file = Arrays.copyOf(text.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1), header.length + 48);
        Path f = dir.resolve("fortran.npy");
        java.nio.file.Files.write(f, file);
        assertUserError(run(args(f, validTarget())), "fortran.npy", "fortran_order is True");
    }

    @Test
    void notAnNpyFile() throws Exception {
        Path f = dir.resolve("text.npy");
        java.nio.file.Files.writeString(f, "hello, world");
        assertUserError(run(args(f, validTarget())), "text.npy", "not a .npy file");
    }

    @Test
    void missingFile() throws Exception {
        assertUserError(run(args(dir.resolve("absent.npy"), validTarget())), "absent.npy", "no such file");
    }

    @Test
    void uint16LogitsNeedBf16AndFloat16RefusesIt() throws Exception {
        Path u16 = save("u.npy", NpyArray.ofShorts(NpyDType.UINT16, new short[12], 3, 4));
        assertUserError(run(args(u16, validTarget())), "u.npy", "only with --bf16");
        Path f16 = save("h.npy", NpyArray.ofShorts(NpyDType.FLOAT16, new short[12], 3, 4));
        assertUserError(run(args(f16, validTarget(), "--bf16")), "h.npy", "--bf16 takes float32", "float16");
    }

    @Test
    void oneDimensionalLogits() throws Exception {
        Path z = save("z1.npy", NpyArray.ofFloats(new float[] {1, 2, 3}, 3));
        assertUserError(run(args(z, validTarget())), "z1.npy", "(N, C)", "(3,)");
    }

    @Test
    void badOptions() throws Exception {
        assertUserError(run(args(validLogits(), validTarget(), "--op", "nope")), "unknown --op 'nope'", "ce");
        assertUserError(run(args(validLogits(), validTarget(), "--reduction", "avg")), "--reduction", "avg");
        assertUserError(run(args(validLogits(), validTarget(), "--label-smoothing", "1.5")), "label smoothing", "1.5");
        assertUserError(run(args(validLogits(), validTarget(), "--engine", "tpu")), "--engine tpu", "unknown engine");
        assertUserError(run(List.of("loss", "--target", "y.npy", "--out-loss", "l.npy")), "Missing required option", "--logits");
        assertUserError(run(args(validLogits(), validTarget(), "--ignore-index", "x")), "--ignore-index", "x");
    }

    @Test
    void optionsOfAnotherOpAreRefusedNamingTheOp() throws Exception {
        Path w = save("pw.npy", NpyArray.ofFloats(new float[] {1, 2, 3, 4}, 4));
        assertUserError(run(args(validLogits(), validTarget(), "--pos-weight", w.toString())),
                "--pos-weight does not apply to --op ce", "--label-smoothing", "--weight");
        assertUserError(run(args(validLogits(), validTarget(), "--temperature", "2")), "--temperature", "--op ce");
    }

    @Test
    void crossEntropyNeedsATarget() throws Exception {
        assertUserError(run(List.of("loss", "--logits", validLogits().toString(), "--out-loss", dir.resolve("l.npy").toString())),
                "--op ce needs --target");
    }
}
