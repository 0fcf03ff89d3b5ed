package dev.xent.engine.jvm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.xent.CrossEntropy;
import dev.xent.DType;
import dev.xent.Engines;
import dev.xent.Logits;
import dev.xent.Loss;
import dev.xent.Reduction;
import dev.xent.Targets;
import dev.xent.Xent;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Java engine's own promises: modes, description, thread-count independence, 64-bit offsets. */
class JavaEngineTest {

    @Test
    void registeredAsJavaAndDescribesItself() {
        assertTrue(Engines.names().contains("java"));
        JavaEngine auto = (JavaEngine) Engines.named("java");
        // the surefire JVM gets --add-modules jdk.incubator.vector
        assertEquals(JavaEngine.Mode.VECTOR, auto.mode(), auto.description());
        assertTrue(auto.description().matches("java: Vector API, \\d+-bit preferred species, \\d+ threads?"), auto.description());
        JavaEngine scalar = JavaEngine.scalar().withThreads(1);
        assertEquals(JavaEngine.Mode.SCALAR, scalar.mode());
        assertEquals("java: scalar (forced scalar), 1 thread", scalar.description());
    }

    private static float[] randomLogits(int n, int c, long seed) {
        Random rnd = new Random(seed);
        float[] z = new float[n * c];
        for (int i = 0; i < z.length; i++) z[i] = (float) (4 * rnd.nextGaussian());
        return z;
    }

    private static int[] randomLabels(int n, int c, long seed) {
        Random rnd = new Random(seed);
        int[] y = new int[n];
        for (int r = 0; r < n; r++) y[r] = r % 7 == 3 ? -100 : rnd.nextInt(c);
        return y;
    }

    /** Parallel and single-threaded runs give bit-identical losses, lse and gradients. */
    @Test
    void resultsDoNotDependOnTheThreadCount() {
        int n = 257, c = 3001;
        float[] z = randomLogits(n, c, 1);
        int[] y = randomLabels(n, c, 2);
        for (JavaEngine base : new JavaEngine[] {JavaEngine.create(), JavaEngine.scalar()}) {
            float[][] grads = new float[3][];
            Loss[] losses = new Loss[3];
            int[] threads = {1, 2, 7};
            for (int i = 0; i < 3; i++) {
                CrossEntropy ce = Xent.of(base.withThreads(threads[i])).crossEntropy().withLabelSmoothing(0.1);
                grads[i] = new float[n * c];
                losses[i] = ce.forwardBackward(Logits.of(z, n, c), Targets.classes(y), Logits.of(grads[i], n, c));
            }
            for (int i = 1; i < 3; i++) {
                assertEquals(Float.floatToIntBits(losses[0].value()), Float.floatToIntBits(losses[i].value()), base.description());
                assertArrayEquals(losses[0].perRow(), losses[i].perRow());
                assertArrayEquals(losses[0].lse(), losses[i].lse());
                assertArrayEquals(grads[0], grads[i]);
            }
        }
    }

    /** Vector and scalar modes agree closely on every dtype. */
    @Test
    void vectorAndScalarModesAgree() {
        int n = 33, c = 5003;
        float[] z = randomLogits(n, c, 3);
        int[] y = randomLabels(n, c, 4);
        for (DType dt : DType.values()) {
            Logits lv;
            Logits gv;
            Logits gs;
            if (dt == DType.F32) {
                lv = Logits.of(z, n, c);
                gv = Logits.of(new float[n * c], n, c);
                gs = Logits.of(new float[n * c], n, c);
            } else {
                short[] bits = new short[n * c];
                for (int i = 0; i < bits.length; i++) bits[i] = dt == DType.BF16 ? Elem.toBf16(z[i]) : Float.floatToFloat16(z[i]);
                lv = Logits.of(MemorySegment.ofArray(bits), dt, n, c);
                gv = Logits.of(MemorySegment.ofArray(new short[n * c]), dt, n, c);
                gs = Logits.of(MemorySegment.ofArray(new short[n * c]), dt, n, c);
            }
            float[] w = new float[c];
            for (int k = 0; k < c; k++) w[k] = 0.5f + (k % 5) * 0.25f;
            Loss v = Xent.of(JavaEngine.create()).crossEntropy().withWeight(w).withLabelSmoothing(0.05).forwardBackward(lv, Targets.classes(y), gv);
            Loss s = Xent.of(JavaEngine.scalar()).crossEntropy().withWeight(w).withLabelSmoothing(0.05).forwardBackward(lv, Targets.classes(y), gs);
            assertEquals(s.value(), v.value(), 2e-6 * Math.abs(s.value()), dt.toString());
            for (int r = 0; r < n; r++) assertEquals(s.lse()[r], v.lse()[r], 1e-6 * Math.max(1, Math.abs(s.lse()[r])));
            double tol = dt == DType.F32 ? 2e-5 : dt == DType.BF16 ? 0x1p-7 : 0x1p-10;
            for (long i = 0; i < (long) n * c; i++) {
                float a = Elem.get(dt, gv.data(), i * dt.byteSize());
                float b = Elem.get(dt, gs.data(), i * dt.byteSize());
                assertTrue(Math.abs(a - b) <= 1e-9 + tol * Math.abs(b), dt + " element " + i + ": vector " + a + " scalar " + b);
            }
        }
    }

    @Test
    void bf16RoundsToNearestEvenAndKeepsNan() {
        assertEquals((short) 0x3f80, Elem.toBf16(1f));
        assertEquals((short) 0x3f80, Elem.toBf16(Float.intBitsToFloat(0x3f808000))); // tie, even stays
        assertEquals((short) 0x3f82, Elem.toBf16(Float.intBitsToFloat(0x3f818000))); // tie, odd rounds up
        assertEquals((short) 0x3f81, Elem.toBf16(Float.intBitsToFloat(0x3f808001)));
        assertEquals((short) 0x7f80, Elem.toBf16(Float.MAX_VALUE));
        assertTrue(Float.isNaN(Elem.get(DType.BF16, MemorySegment.ofArray(new short[] {Elem.toBf16(Float.NaN)}), 0)));
        assertTrue(Float.isNaN(Elem.get(DType.BF16, MemorySegment.ofArray(new short[] {Elem.toBf16(Float.intBitsToFloat(0x7f800001))}), 0)));
    }

    /**
     * Offsets past 2^31 elements: two rows 2^31 + 64 elements apart in a sparse memory-mapped file
     * (only the touched pages exist), the gradient written in place.
     */
    @Test
    void rowsBeyondTwoToTheThirtyOneElements(@TempDir Path dir) throws IOException {
        long stride = (1L << 31) + 64;
        int c = 3000;
        long bytes = 4 * (stride + c);
        Path file = dir.resolve("sparse.bin");
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw"); Arena arena = Arena.ofShared()) {
            raf.setLength(bytes);
            MemorySegment seg = raf.getChannel().map(FileChannel.MapMode.READ_WRITE, 0, bytes, arena);
            float[] z = randomLogits(2, c, 9);
            MemorySegment.copy(z, 0, seg, ValueLayout.JAVA_FLOAT, 0, c);
            MemorySegment.copy(z, c, seg, ValueLayout.JAVA_FLOAT, 4 * stride, c);
            int[] y = {5, c - 1};
            Loss expected;
            float[] expectedGrad = new float[2 * c];
            expected = Xent.of(JavaEngine.scalar()).crossEntropy().withReduction(Reduction.NONE)
                    .forwardBackward(Logits.of(z, 2, c), Targets.classes(y), new float[] {1f, 1f}, Logits.of(expectedGrad, 2, c));
            for (JavaEngine engine : new JavaEngine[] {JavaEngine.create(), JavaEngine.scalar()}) {
                Logits big = Logits.of(seg, DType.F32, 2, c).withRowStride(stride);
                MemorySegment.copy(z, 0, seg, ValueLayout.JAVA_FLOAT, 0, c);
                MemorySegment.copy(z, c, seg, ValueLayout.JAVA_FLOAT, 4 * stride, c);
                Loss loss = Xent.of(engine).crossEntropy().withReduction(Reduction.NONE)
                        .forwardBackward(big, Targets.classes(y), new float[] {1f, 1f}, big);
                for (int r = 0; r < 2; r++) assertEquals(expected.perRow()[r], loss.perRow()[r], 1e-5 * Math.abs(expected.perRow()[r]));
                for (int k = 0; k < c; k++) {
                    assertEquals(expectedGrad[k], seg.getAtIndex(ValueLayout.JAVA_FLOAT, k), 1e-6);
                    assertEquals(expectedGrad[c + k], seg.getAtIndex(ValueLayout.JAVA_FLOAT, stride + k), 1e-6);
                }
            }
        } finally {
            Files.deleteIfExists(file);
        }
    }
}
