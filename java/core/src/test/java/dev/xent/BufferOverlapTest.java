package dev.xent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.xent.EngineSource.EngineCase;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ArgumentsSource;

/**
 * Issue #16: an output that overlaps an input (other than being exactly the input it replaces) or
 * another output is refused, naming both, before anything is written; exact in-place stays allowed.
 */
class BufferOverlapTest {
    private static final int N = 4;
    private static final int C = 5;
    private static final float POISON = -12345f;

    /** Values that are never all equal, deterministic. */
    private static float[] values(int count, int seed) {
        float[] v = new float[count];
        for (int i = 0; i < count; i++) v[i] = (float) Math.sin(0.7 * i + seed) * 3;
        return v;
    }

    private static float[] poisoned(int count) {
        float[] v = new float[count];
        Arrays.fill(v, POISON);
        return v;
    }

    /** The call throws IllegalArgumentException naming "{@code out} overlaps {@code other}". */
    private static void refused(Executable call, String out, String other) {
        Throwable t = assertThrows(IllegalArgumentException.class, call);
        assertTrue(t.getMessage().contains(out + " overlaps " + other), "message '" + t.getMessage() + "' should say '"
                + out + " overlaps " + other + "'");
    }

    /** Every value from {@code from} on is still the poison: nothing was written there. */
    private static void untouched(float[] buffer, int from) {
        for (int i = from; i < buffer.length; i++) assertEquals(POISON, buffer[i], "element " + i + " was written");
    }

    @ParameterizedTest(name = "{0}")
    @ArgumentsSource(EngineSource.class)
    void crossEntropyGradientShiftedOverTheLogitsIsRefused(EngineCase e) {
        Xent xent = e.xent();
        // logits in rows 0..N-1 of a buffer, the gradient one row further: the silently wrong loss
        float[] buffer = values((N + 1) * C, 1);
        float[] before = buffer.clone();
        MemorySegment all = MemorySegment.ofArray(buffer);
        Logits logits = Logits.of(all.asSlice(0, 4L * N * C), DType.F32, N, C);
        Logits grad = Logits.of(all.asSlice(4L * C), DType.F32, N, C);
        Targets y = Targets.classes(new int[] {0, 4, 2, 1});
        refused(() -> xent.crossEntropy().forwardBackward(logits, y, grad), "grad", "logits");
        assertArrayEquals(before, buffer, "nothing may be written before the refusal");
        // read-only logits over the same array: the overlap is found without access to the array
        Logits readOnly = Logits.of(all.asSlice(0, 4L * N * C).asReadOnly(), DType.F32, N, C);
        refused(() -> xent.crossEntropy().forwardBackward(readOnly, y, grad), "grad", "logits");
        refused(() -> xent.crossEntropy().forwardBackward(grad, y, logits), "grad", "logits");
    }

    @ParameterizedTest(name = "{0}")
    @ArgumentsSource(EngineSource.class)
    void labelsInsideTheGradientAreRefused(EngineCase e) {
        Xent xent = e.xent();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment gradSeg = arena.allocate(4L * N * C);
            gradSeg.fill((byte) 0);
            MemorySegment labelSeg = gradSeg.asSlice(4L * 2 * C, 4L * N);
            int[] labels = {0, 4, 2, 1};
            for (int r = 0; r < N; r++) labelSeg.setAtIndex(ValueLayout.JAVA_INT, r, labels[r]);
            Targets y = Targets.classes(labelSeg, IndexType.I32);
            Logits grad = Logits.of(gradSeg, DType.F32, N, C);
            refused(() -> xent.crossEntropy().forwardBackward(Logits.of(values(N * C, 2), N, C), y, grad), "grad", "targets");
            refused(() -> xent.nllLoss().forwardBackward(Logits.of(values(N * C, 2), N, C), Targets.classes(labelSeg, IndexType.I32),
                    grad), "grad", "targets");
            refused(() -> xent.distillation().withAlpha(0.5).forwardBackward(Logits.of(values(N * C, 2), N, C),
                    Logits.of(values(N * C, 3), N, C), Targets.classes(labelSeg, IndexType.I32), grad), "grad", "targets");
            for (int r = 0; r < N; r++) assertEquals(labels[r], labelSeg.getAtIndex(ValueLayout.JAVA_INT, r), "label " + r + " changed");
        }
    }

    @ParameterizedTest(name = "{0}")
    @ArgumentsSource(EngineSource.class)
    void crossEntropyOtherInputsOverlappingTheGradientAreRefused(EngineCase e) {
        Xent xent = e.xent();
        Targets y = Targets.classes(new int[] {0, 4, 2, 1});
        // soft targets sharing bytes with the gradient
        float[] shared = poisoned(N * C + C);
        Targets soft = Targets.probabilities(MemorySegment.ofArray(shared).asSlice(0, 4L * N * C), DType.F32);
        Logits gradOverSoft = Logits.of(MemorySegment.ofArray(shared).asSlice(4L * C), DType.F32, N, C);
        refused(() -> xent.crossEntropy().forwardBackward(Logits.of(values(N * C, 4), N, C), soft, gradOverSoft), "grad", "targets");
        untouched(shared, 0);
        // a saved lse and a per-row upstream that the gradient (C = 1: one value per row) would overwrite
        float[] lse = xent.logSumExp(Logits.of(values(N, 5), N, 1));
        refused(() -> xent.crossEntropy().withReduction(Reduction.SUM).backward(Logits.of(values(N, 5), N, 1),
                Targets.classes(new int[N]), lse, 1f, Logits.of(lse, N, 1)), "grad", "lse");
        float[] upstream = {1, 2, 3, 4};
        refused(() -> xent.crossEntropy().withReduction(Reduction.NONE).forwardBackward(Logits.of(values(N, 5), N, 1),
                Targets.classes(new int[N]), upstream, Logits.of(upstream, N, 1)), "grad", "upstream");
        assertArrayEquals(new float[] {1, 2, 3, 4}, upstream);
        // a gradient in the padding of strided logits shares their byte range [start, start + extent)
        float[] strided = values(N * 2 * C, 6);
        MemorySegment s = MemorySegment.ofArray(strided);
        Logits wide = Logits.of(s, DType.F32, N, C).withRowStride(2 * C);
        Logits interleaved = Logits.of(s.asSlice(4L * C), DType.F32, N, C).withRowStride(2 * C);
        refused(() -> xent.crossEntropy().forwardBackward(wide, y, interleaved), "grad", "logits");
    }

    @ParameterizedTest(name = "{0}")
    @ArgumentsSource(EngineSource.class)
    void exactInPlaceStaysAllowed(EngineCase e) {
        Xent xent = e.xent();
        Targets y = Targets.classes(new int[] {0, 4, 2, 1});
        float[] z = values(N * C, 7);
        float[] separate = poisoned(N * C);
        float expected = xent.crossEntropy().forwardBackward(Logits.of(z, N, C), y, Logits.of(separate, N, C)).value();
        // the same array through two Logits objects, and forwardBackwardInPlace
        float[] a = z.clone();
        assertEquals(expected, xent.crossEntropy().forwardBackward(Logits.of(a, N, C), y, Logits.of(a, N, C)).value(), 1e-6f);
        assertArrayEquals(separate, a, 1e-6f);
        float[] b = z.clone();
        assertEquals(expected, xent.crossEntropy().forwardBackwardInPlace(Logits.of(b, N, C), y).value(), 1e-6f);
        assertArrayEquals(separate, b, 1e-6f);
        // strided and in place over native memory: the same first byte and layout
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(4L * N * 2 * C);
            for (int r = 0; r < N; r++) MemorySegment.copy(z, r * C, seg, ValueLayout.JAVA_FLOAT, 4L * r * 2 * C, C);
            Logits in = Logits.of(seg, DType.F32, N, C).withRowStride(2 * C);
            Logits out = Logits.of(MemorySegment.ofAddress(seg.address()).reinterpret(seg.byteSize()), DType.F32, N, C).withRowStride(2 * C);
            assertEquals(expected, xent.crossEntropy().forwardBackward(in, y, out).value(), 1e-6f);
            for (int r = 0; r < N; r++) {
                for (int k = 0; k < C; k++) {
                    assertEquals(separate[r * C + k], seg.getAtIndex(ValueLayout.JAVA_FLOAT, (long) r * 2 * C + k), 1e-6f);
                }
            }
        }
        // inputs may overlap each other: a model distilled into itself has KL 0
        Logits student = Logits.of(values(N * C, 8), N, C);
        assertEquals(0f, xent.distillation().forward(student, student).value(), 1e-6f);
        // softmax in place
        float[] sm = z.clone();
        float[] smSeparate = poisoned(N * C);
        xent.softmax(Logits.of(z, N, C), Logits.of(smSeparate, N, C));
        xent.softmax(Logits.of(sm, N, C), Logits.of(sm, N, C));
        assertArrayEquals(smSeparate, sm, 1e-7f);
    }

    @ParameterizedTest(name = "{0}")
    @ArgumentsSource(EngineSource.class)
    void otherFamiliesRefuseShiftedOutputs(EngineCase e) {
        Xent xent = e.xent();
        float[] buffer = poisoned((N + 1) * C);
        System.arraycopy(values(N * C, 9), 0, buffer, 0, N * C);
        float[] before = buffer.clone();
        MemorySegment all = MemorySegment.ofArray(buffer);
        Logits first = Logits.of(all.asSlice(0, 4L * N * C), DType.F32, N, C);
        Logits shifted = Logits.of(all.asSlice(4L * C), DType.F32, N, C);
        Targets.ClassIndices y = Targets.classes(new int[] {0, 4, 2, 1});
        refused(() -> xent.nllLoss().forwardBackward(first, y, shifted), "grad", "input");
        refused(() -> xent.distillation().forwardBackward(first, Logits.of(values(N * C, 10), N, C), shifted), "grad", "student");
        refused(() -> xent.distillation().forwardBackward(Logits.of(values(N * C, 10), N, C), first, shifted), "grad", "teacher");
        refused(() -> xent.softmax(first, shifted), "out", "in");
        refused(() -> xent.logSoftmax(first, shifted), "out", "in");
        refused(() -> xent.entropy(first, shifted), "grad", "logits");
        refused(() -> xent.kl(Logits.of(values(N * C, 10), N, C), first, shifted), "grad", "student");
        assertArrayEquals(before, buffer, "nothing may be written before a refusal");
    }

    @ParameterizedTest(name = "{0}")
    @ArgumentsSource(EngineSource.class)
    void elementwiseLossesRefuseOverlaps(EngineCase e) {
        Xent xent = e.xent();
        int n = N * C;
        float[] buffer = poisoned(n + C);
        float[] x = values(n, 11);
        System.arraycopy(x, 0, buffer, 0, n);
        float[] before = buffer.clone();
        MemorySegment all = MemorySegment.ofArray(buffer);
        DenseTensor input = DenseTensor.of(all.asSlice(0, 4L * n), DType.F32, N, C);
        DenseTensor shifted = DenseTensor.of(all.asSlice(4L * C), DType.F32, N, C);
        float[] unit = new float[n];
        Arrays.fill(unit, 0.5f);
        DenseTensor target = DenseTensor.of(unit, N, C);
        refused(() -> xent.binaryCrossEntropy().forwardBackward(input, target, shifted), "grad", "input");
        refused(() -> xent.binaryCrossEntropy().forwardBackward(DenseTensor.of(x, N, C), input, shifted), "grad", "target");
        refused(() -> xent.poissonNll().forwardBackward(input, target, shifted), "grad", "input");
        float[] var = unit.clone();
        refused(() -> xent.gaussianNll().forwardBackward(DenseTensor.of(x, N, C), target, var, DenseTensor.of(var, N, C)), "grad", "var");
        refused(() -> xent.laplaceNll().forwardBackward(DenseTensor.of(x, N, C), target, var, 1f, DenseTensor.of(poisoned(n), N, C), var),
                "scale gradient", "scale");
        float[] both = poisoned(n);
        refused(() -> xent.gaussianNll().forwardBackward(DenseTensor.of(x, N, C), target, var, 1f, DenseTensor.of(both, N, C), both),
                "grad", "var gradient");
        assertArrayEquals(before, buffer, "nothing may be written before a refusal");
        untouched(both, 0);
        // in place stays allowed
        float[] inPlace = x.clone();
        float[] separate = poisoned(n);
        float expected = xent.gaussianNll().forwardBackward(DenseTensor.of(x, N, C), target, var, DenseTensor.of(separate, N, C)).value();
        assertEquals(expected, xent.gaussianNll().forwardBackwardInPlace(DenseTensor.of(inPlace, N, C), target, var).value(), 1e-6f);
        assertArrayEquals(separate, inPlace, 1e-6f);
    }
}
