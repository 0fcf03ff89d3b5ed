package dev.xent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.xent.EngineSource.EngineCase;
import dev.xent.Tensor.Memory;
import dev.xent.eval.Evaluation;
import dev.xent.eval.RowStats;
import java.lang.foreign.Arena;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.ArgumentsSource;
import org.junit.jupiter.params.provider.MethodSource;

/** Per-row evaluation statistics on every engine against the float64 reference. */
class RowStatsTest {
    private static final long IGNORE = -100;

    /** Shapes: (N, C) including C = 1, C past one warp's share and past the Java tile, and (N, C, d..). */
    private static final List<long[]> SHAPES = List.of(
            new long[] {17, 1}, new long[] {19, 7}, new long[] {13, 41}, new long[] {5, 1500}, new long[] {3, 4099},
            new long[] {3, 5, 4}, new long[] {2, 9, 3, 2});

    static Stream<Arguments> shapesAndDtypes() {
        return EngineSource.crossed(SHAPES, List.of(DType.F32, DType.BF16, DType.F16));
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("shapesAndDtypes")
    void matchesReference(EngineCase e, long[] shape, DType dt) {
        check(e, dt, shape, 0, 1f, Inputs.GAUSSIAN, 11 + shape[1]);
    }

    static Stream<Arguments> scales() {
        return EngineSource.crossed(List.of(0.25f, 1f, 3.5f));
    }

    @ParameterizedTest(name = "{0} s={1}")
    @MethodSource("scales")
    void scaleIsTheInverseTemperature(EngineCase e, float scale) {
        check(e, DType.F32, new long[] {23, 37}, 0, scale, Inputs.GAUSSIAN, 5);
        check(e, DType.F32, new long[] {4, 3000}, 0, scale, Inputs.GAUSSIAN, 6);
        check(e, DType.F32, new long[] {3, 6, 5}, 0, scale, Inputs.GAUSSIAN, 7);
    }

    @ParameterizedTest(name = "{0}")
    @ArgumentsSource(EngineSource.class)
    void tiesRankTheFirstMaximumFirst(EngineCase e) {
        check(e, DType.F32, new long[] {41, 13}, 0, 1f, Inputs.FEW_VALUES, 21);
        check(e, DType.BF16, new long[] {9, 1100}, 0, 1f, Inputs.FEW_VALUES, 22);
        check(e, DType.F32, new long[] {7, 4, 3}, 0, 1f, Inputs.FEW_VALUES, 23);
    }

    @ParameterizedTest(name = "{0}")
    @ArgumentsSource(EngineSource.class)
    void maskedLogitsWeighNothing(EngineCase e) {
        check(e, DType.F32, new long[] {29, 19}, 0, 1f, Inputs.MASKED, 31);
        check(e, DType.F16, new long[] {5, 2100}, 0, 2f, Inputs.MASKED, 32);
        check(e, DType.F32, new long[] {5, 7, 3}, 0, 1f, Inputs.MASKED, 33);
    }

    @ParameterizedTest(name = "{0}")
    @ArgumentsSource(EngineSource.class)
    void rowStrideAndOffsetRows(EngineCase e) {
        check(e, DType.F32, new long[] {11, 33}, 40, 1f, Inputs.OFFSET, 41);
        check(e, DType.BF16, new long[] {4, 2000}, 2008, 1f, Inputs.GAUSSIAN, 42);
    }

    @ParameterizedTest(name = "{0}")
    @ArgumentsSource(EngineSource.class)
    void nanLogitsPropagate(EngineCase e) {
        for (int c : new int[] {5, 3000}) {
            float[] z = new float[3 * c];
            for (int i = 0; i < z.length; i++) z[i] = (float) Math.sin(i);
            z[2] = Float.NaN; // row 0: a NaN beside the target
            z[c + 1] = Float.NaN; // row 1: the target itself
            RowStats s = Evaluation.of(Xent.of(e.engine())).rowStats(Logits.of(z, 3, c), Targets.classes(new int[] {0, 1, 4}));
            String at = e + " C=" + c;
            assertEquals(Float.NaN, s.loss(0), at);
            assertEquals(Float.NaN, s.confidence(0), at);
            assertEquals(Float.NaN, s.mean(0), at);
            assertEquals(Float.NaN, s.loss(1), at);
            assertEquals(c, s.rank(1), "a NaN target ranks last, " + at);
            assertEquals(false, Float.isNaN(s.loss(2)), at);
        }
    }

    @ParameterizedTest(name = "{0}")
    @ArgumentsSource(EngineSource.class)
    void nativeMemory(EngineCase e) {
        check(e, DType.F32, new long[] {9, 1500}, 0, 1f, Inputs.GAUSSIAN, 51, Memory.NATIVE_SHARED);
        check(e, DType.BF16, new long[] {9, 77}, 80, 1.5f, Inputs.FEW_VALUES, 52, Memory.NATIVE_SHARED);
        check(e, DType.F16, new long[] {4, 3, 5}, 0, 1f, Inputs.MASKED, 53, Memory.NATIVE_CONFINED);
        check(e, DType.F32, new long[] {40, 2000}, 0, 1f, Inputs.GAUSSIAN, 54, Memory.NATIVE_CONFINED); // big enough to split rows, but confined
    }

    /**
     * Confident, correct rows (the target the max, the rest 20-50 x a Gaussian below it, rows
     * offset by +-1000): the loss is about the sum of the small terms, and must keep it to 1e-7
     * absolute as cross-entropy's (CrossEntropyPrecisionTest), never below 0.
     */
    @ParameterizedTest(name = "{0}")
    @ArgumentsSource(EngineSource.class)
    void confidentRowsKeepTheirSmallLoss(EngineCase e) {
        Evaluation eval = Evaluation.of(Xent.of(e.engine()));
        for (long[] shape : List.of(new long[] {6, 5}, new long[] {6, 300}, new long[] {3, 3000}, new long[] {2, 6, 3})) {
            for (double scale : new double[] {20, 50}) {
                for (double offset : new double[] {0, 1000, -1000}) {
                    Tensor t = Tensor.allocate(DType.F32, shape, 0, Memory.HEAP, null);
                    SplittableRandom rnd = new SplittableRandom((long) (shape[1] * 7 + scale + offset));
                    int rows = (int) t.rows, c = (int) t.classes;
                    double[][] z = new double[rows][c];
                    long[] y = new long[rows];
                    for (int r = 0; r < rows; r++) {
                        y[r] = rnd.nextInt(c);
                        for (int k = 0; k < c; k++) {
                            z[r][k] = (float) (k == y[r] ? offset : offset - scale * (0.3 + Math.abs(rnd.nextGaussian())));
                        }
                    }
                    t.write(z);
                    RowStats got = eval.rowStats(t.logits, Targets.classes(y));
                    for (int r = 0; r < rows; r++) {
                        double ref = RowStatsReference.of(z[r], y[r], IGNORE, 1).loss();
                        String at = e + " " + t + " scale " + scale + " offset " + offset + " row " + r;
                        Check.scalar("loss", got.loss(r), ref, 1e-7, 1e-6, at);
                        assertTrue(got.loss(r) >= 0, "negative loss " + got.loss(r) + " in " + at);
                    }
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @ArgumentsSource(EngineSource.class)
    void noRows(EngineCase e) {
        RowStats stats = Evaluation.of(Xent.of(e.engine())).rowStats(Logits.of(new float[0], 0, 5), Targets.classes(new int[0]));
        assertEquals(0, stats.rows());
    }

    @Test
    void refusesBadScalesAndLabels() {
        Evaluation ev = Evaluation.of(Xent.of(dev.xent.engine.jvm.JavaEngine.create()));
        Logits z = Logits.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
        Targets.ClassIndices y = Targets.classes(new int[] {0, 2});
        for (float bad : new float[] {0f, -1f, Float.NaN, Float.POSITIVE_INFINITY}) {
            IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> ev.rowStats(z, y, bad));
            assertEquals("scale must be finite and > 0, got " + bad, ex.getMessage());
        }
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                () -> ev.rowStats(z, Targets.classes(new int[] {0, 3})));
        assertEquals("target 3 at row 1 is out of range [0, 3) and is not ignoreIndex (-100)", ex.getMessage());
        ex = assertThrows(IllegalArgumentException.class, () -> ev.rowStats(z, Targets.classes(new int[] {0})));
        assertEquals(true, ex.getMessage().startsWith("targets hold 1 class indices"), ex.getMessage());
    }

    enum Inputs {
        GAUSSIAN, FEW_VALUES, MASKED, OFFSET
    }

    private static void check(EngineCase e, DType dt, long[] shape, long rowStride, float scale, Inputs kind, long seed) {
        check(e, dt, shape, rowStride, scale, kind, seed, Memory.HEAP);
    }

    /** One comparison: random logits of the kind, labels with some ignored rows, every statistic of every row. */
    static void check(EngineCase e, DType dt, long[] shape, long rowStride, float scale, Inputs kind, long seed,
            Memory memory) {
        try (Arena arena = memory == Memory.NATIVE_CONFINED ? Arena.ofConfined() : Arena.ofShared()) {
            Tensor t = Tensor.allocate(dt, shape, rowStride, memory, arena);
            SplittableRandom rnd = new SplittableRandom(seed);
            int rows = (int) t.rows, c = (int) t.classes;
            double[][] z = new double[rows][c];
            long[] y = new long[rows];
            for (int r = 0; r < rows; r++) {
                double offset = kind == Inputs.OFFSET ? 1000 * (r % 3 - 1) : 0;
                for (int k = 0; k < c; k++) {
                    double v = switch (kind) {
                        case FEW_VALUES -> rnd.nextInt(3);
                        case MASKED -> rnd.nextInt(4) == 0 ? Double.NEGATIVE_INFINITY : 4 * rnd.nextGaussian();
                        default -> 4 * rnd.nextGaussian() + offset;
                    };
                    z[r][k] = Reference.round(dt, (float) v);
                }
                y[r] = r % 5 == 3 ? IGNORE : rnd.nextInt(c);
            }
            if (kind == Inputs.MASKED) z[0][(int) y[0]] = Double.NEGATIVE_INFINITY; // a masked target: loss +inf
            t.fillAll(Float.NaN);
            t.write(z);
            RowStats got = Evaluation.of(Xent.of(e.engine())).rowStats(t.logits, Targets.classes(y), scale);
            String context = e + " " + t + " s=" + scale + " " + kind + " seed=" + seed;
            assertEquals(rows, got.rows(), context);
            for (int r = 0; r < rows; r++) {
                RowStatsReference.Row ref = RowStatsReference.of(z[r], y[r], IGNORE, scale);
                double range = 1;
                for (double v : z[r]) if (Double.isFinite(v)) range = Math.max(range, Math.abs(v));
                double atol = 3e-6 * scale * range + 1e-6, rtol = 2e-5;
                String at = context + " row " + r + " z=" + (c <= 13 ? Arrays.toString(z[r]) : "...");
                Check.scalar("lse", got.logSumExp(r), ref.lse(), atol, rtol, at);
                Check.scalar("loss", got.loss(r), ref.loss(), atol, rtol, at);
                Check.scalar("confidence", got.confidence(r), ref.confidence(), 1e-6, rtol, at);
                Check.scalar("mean", got.mean(r), ref.mean(), 3e-6 * range + 1e-6, rtol, at);
                Check.scalar("variance", got.variance(r), ref.variance(), 1e-5 * range * range + 1e-6, rtol, at);
                assertEquals(ref.rank(), got.rank(r), "rank in " + at);
                assertEquals(ref.predicted(), got.predicted(r), "predicted in " + at);
                assertEquals(y[r] != IGNORE, got.counted(r), "counted in " + at);
            }
        }
    }
}
