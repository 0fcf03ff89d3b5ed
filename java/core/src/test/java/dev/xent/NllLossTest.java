package dev.xent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.xent.EngineSource.EngineCase;
import dev.xent.engine.Engine;
import dev.xent.engine.NllCall;
import dev.xent.engine.Pass;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.ArgumentsSource;
import org.junit.jupiter.params.provider.MethodSource;

/** NLL loss on log-probabilities on every engine against {@link PairReference#nll}, loss and gradient. */
class NllLossTest {
    private static final float PAD = -7.5f;

    record Shape(long[] shape, long rowStride, Tensor.Memory memory) {
        @Override
        public String toString() {
            return Arrays.toString(shape) + (rowStride > 0 ? " stride=" + rowStride : "") + " " + memory;
        }
    }

    record Options(boolean weighted, int ignoredRows, Reduction reduction, boolean inPlace, boolean int64, boolean perRowUpstream) {}

    private static final List<Shape> SHAPES = List.of(
            new Shape(new long[] {9, 1}, 0, Tensor.Memory.HEAP),
            new Shape(new long[] {9, 7}, 0, Tensor.Memory.HEAP),
            new Shape(new long[] {5, 41}, 60, Tensor.Memory.HEAP),
            new Shape(new long[] {3, 4098}, 0, Tensor.Memory.NATIVE_SHARED),
            new Shape(new long[] {3, 13, 2, 3}, 0, Tensor.Memory.HEAP),
            new Shape(new long[] {2, 9, 5}, 0, Tensor.Memory.NATIVE_CONFINED),
            new Shape(new long[] {0, 5}, 0, Tensor.Memory.HEAP),
            new Shape(new long[] {300, 17}, 0, Tensor.Memory.HEAP));

    private static final List<Options> OPTIONS = List.of(
            new Options(false, 0, Reduction.MEAN, false, false, false),
            new Options(true, 2, Reduction.MEAN, true, true, false),
            new Options(true, 1, Reduction.SUM, false, false, false),
            new Options(false, 2, Reduction.NONE, false, true, true),
            new Options(true, 0, Reduction.NONE, true, false, false));

    static Stream<Arguments> cases() {
        return EngineSource.crossed(List.of(DType.values()), SHAPES, OPTIONS);
    }

    @ParameterizedTest(name = "{0} {1} {2} {3}")
    @MethodSource("cases")
    void matchesReference(EngineCase e, DType dt, Shape s, Options o) {
        check(e, dt, s, o, 7);
    }

    static void check(EngineCase e, DType dt, Shape s, Options o, long seed) {
        String context = e + " " + dt + " " + s + " " + o + " seed " + seed;
        Random rnd = new Random(seed);
        try (Arena arena = s.memory() == Tensor.Memory.NATIVE_CONFINED ? Arena.ofConfined() : Arena.ofShared()) {
            Tensor in = Tensor.allocate(dt, s.shape(), s.rowStride(), s.memory(), arena);
            int n = (int) in.rows, c = (int) in.classes;
            double[][] x = new double[n][c];
            for (int r = 0; r < n; r++) {
                double[] z = new double[c];
                for (int k = 0; k < c; k++) z[k] = 3 * rnd.nextGaussian();
                double[] lp = Reference.logSoftmax(z);
                for (int k = 0; k < c; k++) x[r][k] = Reference.round(dt, (float) lp[k]);
            }
            long ignore = -100;
            long[] y = new long[n];
            for (int r = 0; r < n; r++) y[r] = r < o.ignoredRows() ? ignore : (r % 3 == 0 ? c - 1 : rnd.nextInt(c));
            if (n > 4) y[n - 1] = 0;
            double[] weight = null;
            float[] wf = null;
            if (o.weighted()) {
                weight = new double[c];
                wf = new float[c];
                for (int k = 0; k < c; k++) weight[k] = wf[k] = 0.25f + rnd.nextInt(8) / 4f;
            }
            float[] up = o.perRowUpstream() ? new float[n] : null;
            double[] upD = null;
            if (up != null) {
                upD = new double[n];
                for (int r = 0; r < n; r++) upD[r] = up[r] = 0.5f + r % 5;
            }
            in.fillAll(PAD);
            in.write(x);
            Tensor grad = o.inPlace() ? in : Tensor.allocate(dt, s.shape(), s.rowStride(), s.memory(), arena);
            if (!o.inPlace()) {
                grad.fillAll(PAD);
                grad.fill(Float.NaN);
            }
            Targets.ClassIndices targets = o.int64() ? Targets.classes(y) : Targets.classes(Arrays.stream(y).mapToInt(v -> (int) v).toArray());
            NllLoss nll = e.xent().nllLoss().withWeight(wf).withIgnoreIndex(ignore).withReduction(o.reduction());
            Loss fwd = nll.forward(in.logits, targets);
            Loss loss = up != null ? nll.forwardBackward(in.logits, targets, up, grad.logits) : nll.forwardBackward(in.logits, targets, grad.logits);
            PairReference.Nll ref = PairReference.nll(x, y, weight, ignore, o.reduction(), upD);
            double scale = Math.max(1, Check.maxAbs(ref.rowLoss()));
            for (Loss l : List.of(fwd, loss)) {
                Check.vector("row loss", Check.toDouble(l.perRow()), ref.rowLoss(), 1e-6 * scale, 1e-6, context);
                if (o.reduction() != Reduction.NONE) Check.scalar("loss", l.value(), ref.reduced(), 1e-6 * scale, 1e-5, context);
                else Check.scalar("sum", l.sum(), ref.reduced(), 1e-6 * scale * n, 1e-5, context);
                if (o.reduction() == Reduction.MEAN) Check.scalar("denominator", l.denominator(), ref.denominator(), 0, 1e-6, context);
            }
            double[][] expectedGrad = ref.grad();
            for (double[] row : expectedGrad) for (int k = 0; k < row.length; k++) row[k] = Reference.round(dt, (float) row[k]);
            // -u w / den, rounded to dt: java rounds once (from double), cuda twice in fp32 (u / den, then * w),
            // so a value may land one unit of dt away, never more
            Check.matrix("grad", grad.read(), expectedGrad, 0, Reference.ulp(dt), context);
            for (long p : grad.padding()) {
                if (grad.get(p) != PAD) throw new AssertionError("padding written at " + p + " in " + context);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @ArgumentsSource(EngineSource.class)
    void everyRowIgnoredGivesNanUnderMeanAndZeroGradient(EngineCase e) {
        float[] x = {-1f, -2f, -0.5f, -3f, -0.1f, -4f};
        float[] g = new float[6];
        Arrays.fill(g, Float.NaN);
        Loss loss = e.xent().nllLoss().forwardBackward(Logits.of(x, 3, 2), Targets.classes(new int[] {-100, -100, -100}), Logits.of(g, 3, 2));
        assertTrue(Float.isNaN(loss.value()), "all ignored under MEAN: NaN, got " + loss.value());
        for (float v : g) assertTrue(v == 0f, "gradient of ignored rows must be 0, got " + Arrays.toString(g));
    }

    @ParameterizedTest(name = "{0}")
    @ArgumentsSource(EngineSource.class)
    void minusInfinityAtTheTargetGivesInfiniteLoss(EngineCase e) {
        float[] x = {Float.NEGATIVE_INFINITY, 0f, -1f, -2f};
        Loss loss = e.xent().nllLoss().withReduction(Reduction.NONE).forward(Logits.of(x, 2, 2), Targets.classes(new int[] {0, 1}));
        Check.vector("row loss", Check.toDouble(loss.perRow()), new double[] {Double.POSITIVE_INFINITY, 2}, 0, 0, e);
    }

    @ParameterizedTest(name = "{0}")
    @ArgumentsSource(EngineSource.class)
    void labelsOutOfRangeNameThePosition(EngineCase e) {
        NllLoss nll = e.xent().nllLoss();
        float[] x = new float[4 * 5];
        IllegalArgumentException a = assertThrows(IllegalArgumentException.class,
                () -> nll.forward(Logits.of(x, 4, 5), Targets.classes(new int[] {0, 1, 5, 2})));
        assertTrue(a.getMessage().contains("row 2") && a.getMessage().contains("5"), a.getMessage());
        IllegalArgumentException b = assertThrows(IllegalArgumentException.class,
                () -> nll.forward(Logits.of(new float[2 * 5 * 3], 2, 5, 3), Targets.classes(new long[] {0, 1, 2, 3, -4, 4})));
        assertTrue(b.getMessage().contains("[1, 1]") && b.getMessage().contains("-4"), b.getMessage());
    }

    /** forwardBackwardInPlace leaves in the input what forwardBackward writes into a separate buffer. */
    @ParameterizedTest(name = "{0}")
    @ArgumentsSource(EngineSource.class)
    void inPlaceGradientEqualsSeparateBuffer(EngineCase e) {
        float[] x = new float[4 * 5];
        for (int i = 0; i < x.length; i++) x[i] = (float) -Math.abs(Math.sin(i + 1));
        Targets.ClassIndices y = Targets.classes(new int[] {0, 4, -100, 2});
        NllLoss nll = e.xent().nllLoss().withWeight(new float[] {1, 2, 0.5f, 1, 3});
        float[] apart = new float[x.length];
        Loss separate = nll.forwardBackward(Logits.of(x.clone(), 4, 5), y, Logits.of(apart, 4, 5));
        Loss inPlace = nll.forwardBackwardInPlace(Logits.of(x, 4, 5), y);
        assertEquals(separate.value(), inPlace.value());
        assertArrayEquals(apart, x);
    }

    /** The engine's own check (the device error word for the native engines), below the API's. */
    @ParameterizedTest(name = "{0}")
    @ArgumentsSource(EngineSource.class)
    void engineReportsBadLabelByRow(EngineCase e) {
        Engine engine = e.engine();
        float[] x = new float[4 * 5];
        float[] rowLoss = new float[4];
        float[] reduced = new float[2];
        NllCall call = new NllCall(Pass.FORWARD_BACKWARD, Layout.rows(4, 5), DType.F32, MemorySegment.ofArray(x),
                Targets.classes(new int[] {0, 1, 2, 9}), null, -100, Reduction.MEAN, null,
                MemorySegment.ofArray(new float[20]), MemorySegment.ofArray(rowLoss), MemorySegment.ofArray(reduced));
        IllegalArgumentException t = assertThrows(IllegalArgumentException.class, () -> engine.nll(call));
        assertTrue(t.getMessage().contains("row 3") && t.getMessage().contains("9"), t.getMessage());
    }

    @ParameterizedTest(name = "{0}")
    @ArgumentsSource(EngineSource.class)
    void badArguments(EngineCase e) {
        NllLoss nll = e.xent().nllLoss();
        Logits x = Logits.of(new float[10], 2, 5);
        assertThrows(IllegalArgumentException.class, () -> nll.withWeight(new float[3]).forward(x, Targets.classes(new int[] {0, 1})));
        assertThrows(IllegalArgumentException.class, () -> nll.forward(x, Targets.classes(new int[] {0, 1, 2})));
        assertThrows(IllegalArgumentException.class,
                () -> nll.forwardBackward(x, Targets.classes(new int[] {0, 1}), Logits.ofBf16(new short[10], 2, 5)));
        assertThrows(IllegalArgumentException.class, () -> nll.withWeight(new float[] {1, Float.NaN, 1, 1, 1}));
    }
}
