package dev.xent;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.xent.EngineSource.EngineCase;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ArgumentsSource;

/** Bad input through the public API: a clear exception naming the problem, never a wrong number. */
class ErrorCasesTest {
    private static final int N = 4;
    private static final int C = 5;

    private static float[] z() {
        float[] z = new float[N * C];
        for (int i = 0; i < z.length; i++) z[i] = (float) Math.sin(i);
        return z;
    }

    private static void throwsMentioning(Class<? extends Throwable> type, Executable call, String... words) {
        Throwable t = assertThrows(type, call);
        for (String w : words) {
            assertTrue(String.valueOf(t.getMessage()).contains(w), "message '" + t.getMessage() + "' should mention '" + w + "'");
        }
    }

    @ParameterizedTest(name = "{0}")
    @ArgumentsSource(EngineSource.class)
    void labelOutOfRangeNamesRowAndValue(EngineCase e) {
        CrossEntropy ce = e.xent().crossEntropy();
        throwsMentioning(IllegalArgumentException.class,
                () -> ce.forward(Logits.of(z(), N, C), Targets.classes(new int[] {0, 1, 7, 2})), "row 2", "7");
        throwsMentioning(IllegalArgumentException.class,
                () -> ce.forward(Logits.of(z(), N, C), Targets.classes(new long[] {0, -3, 1, 2})), "row 1", "-3");
        float[] z3 = new float[2 * C * 3];
        throwsMentioning(IllegalArgumentException.class,
                () -> ce.forward(Logits.of(z3, 2, C, 3), Targets.classes(new int[] {0, 1, 2, 3, 4, 5})), "[1, 2]", "5");
    }

    @ParameterizedTest(name = "{0}")
    @ArgumentsSource(EngineSource.class)
    void ignoreIndexOutsideTheClassRangeIsFine(EngineCase e) {
        Xent xent = e.xent();
        for (long ignore : new long[] {-100, -1, C, 1L << 40}) {
            long[] y = {0, ignore, C - 1, ignore};
            assertDoesNotThrow(() -> xent.crossEntropy().withIgnoreIndex(ignore).forward(Logits.of(z(), N, C), Targets.classes(y)));
        }
    }

    @ParameterizedTest(name = "{0}")
    @ArgumentsSource(EngineSource.class)
    void badOptionsAndShapes(EngineCase e) {
        Xent xent = e.xent();
        Targets y = Targets.classes(new int[] {0, 1, 2, 3});
        throwsMentioning(IllegalArgumentException.class,
                () -> xent.crossEntropy().withWeight(new float[C + 1]).forward(Logits.of(z(), N, C), y), "weight", "6");
        throwsMentioning(IllegalArgumentException.class, () -> xent.crossEntropy().withLabelSmoothing(1.5), "smoothing");
        throwsMentioning(IllegalArgumentException.class, () -> xent.crossEntropy().withLabelSmoothing(-0.1), "smoothing");
        throwsMentioning(IllegalArgumentException.class, () -> xent.crossEntropy().withLabelSmoothing(Double.NaN), "smoothing");
        throwsMentioning(IllegalArgumentException.class,
                () -> xent.crossEntropy().forward(Logits.of(z(), N, C), Targets.classes(new int[] {0, 1, 2})), "3", "4 rows");
        throwsMentioning(IllegalArgumentException.class,
                () -> xent.crossEntropy().forward(Logits.of(z(), N, C), Targets.probabilities(new float[N * C - 1])), "shape");
        throwsMentioning(IllegalArgumentException.class, () -> xent.crossEntropy()
                .forward(Logits.of(z(), N, C), Targets.probabilities(MemorySegment.ofArray(new short[N * C]), DType.BF16)), "BF16", "F32");
        // gradient of the wrong shape, dtype or layout
        throwsMentioning(IllegalArgumentException.class,
                () -> xent.crossEntropy().forwardBackward(Logits.of(z(), N, C), y, Logits.of(new float[N * C], C, N)), "gradient");
        throwsMentioning(IllegalArgumentException.class, () -> xent.crossEntropy()
                .forwardBackward(Logits.of(z(), N, C), y, Logits.ofBf16(new short[N * C], N, C)), "gradient");
        throwsMentioning(IllegalArgumentException.class, () -> xent.crossEntropy()
                .forwardBackward(Logits.of(z(), N, C), y, Logits.of(new float[N * 8], N, C).withRowStride(8)), "gradient");
        throwsMentioning(IllegalArgumentException.class, () -> xent.crossEntropy()
                .forwardBackward(Logits.of(z(), N, C), y, Logits.of(MemorySegment.ofArray(new float[N * C]).asReadOnly(), DType.F32, N, C)),
                "read-only");
        // saved lse of the wrong length; upstream shape against the reduction
        throwsMentioning(IllegalArgumentException.class,
                () -> xent.crossEntropy().backward(Logits.of(z(), N, C), y, new float[N - 1], 1f, Logits.of(new float[N * C], N, C)), "lse");
        throwsMentioning(IllegalArgumentException.class,
                () -> xent.crossEntropy().forwardBackward(Logits.of(z(), N, C), y, new float[N], Logits.of(new float[N * C], N, C)), "scalar");
        throwsMentioning(IllegalArgumentException.class, () -> xent.crossEntropy().withReduction(Reduction.NONE)
                .forwardBackward(Logits.of(z(), N, C), y, 1f, Logits.of(new float[N * C], N, C)), "per row");
        throwsMentioning(IllegalArgumentException.class, () -> xent.crossEntropy().withReduction(Reduction.NONE)
                .forwardBackward(Logits.of(z(), N, C), y, new float[N + 1], Logits.of(new float[N * C], N, C)), "upstream");
        // strides, shapes and buffers
        throwsMentioning(IllegalArgumentException.class, () -> Logits.of(z(), N, C).withRowStride(C - 1), "stride");
        throwsMentioning(IllegalArgumentException.class, () -> Logits.of(z(), N, C).withRowStride(-1), "stride");
        throwsMentioning(IllegalArgumentException.class, () -> Logits.of(z(), N, C + 1), "bytes");
        throwsMentioning(IllegalArgumentException.class, () -> Logits.of(z(), N, 0), "dimension");
        throwsMentioning(IllegalArgumentException.class, () -> xent.softmax(Logits.of(z(), N, C), Logits.of(new float[N * C], C, N)), "output");
    }

    @ParameterizedTest(name = "{0}")
    @ArgumentsSource(EngineSource.class)
    void closedArenaIsReported(EngineCase e) {
        Xent xent = e.xent();
        Arena arena = Arena.ofShared();
        MemorySegment seg = arena.allocate(4L * N * C);
        Logits logits = Logits.of(seg, DType.F32, N, C);
        arena.close();
        Targets y = Targets.classes(new int[] {0, 1, 2, 3});
        throwsMentioning(IllegalStateException.class, () -> xent.crossEntropy().forward(logits, y), "logits", "closed");
        throwsMentioning(IllegalStateException.class, () -> xent.logSumExp(logits), "closed");
        throwsMentioning(IllegalStateException.class, () -> xent.softmax(logits, Logits.of(new float[N * C], N, C)), "closed");
        throwsMentioning(IllegalStateException.class,
                () -> xent.crossEntropy().forwardBackward(Logits.of(z(), N, C), y, logits), "gradient", "closed");
        Arena labels = Arena.ofShared();
        MemorySegment ls = labels.allocate(4L * N);
        labels.close();
        throwsMentioning(IllegalStateException.class,
                () -> xent.crossEntropy().forward(Logits.of(z(), N, C), Targets.classes(ls, IndexType.I32)), "targets", "closed");
    }
}
