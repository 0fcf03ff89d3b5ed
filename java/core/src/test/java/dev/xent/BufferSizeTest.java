package dev.xent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * Issue #16: sizes and strides whose products overflow 64 bits, and segments that hold a partial
 * element or too few elements, are refused with an IllegalArgumentException naming them (never an
 * ArithmeticException, an IndexOutOfBoundsException or a size that wrapped around). The factories
 * run before any engine, so one engine-free test covers them all.
 */
class BufferSizeTest {
    private static final long HUGE = 1L << 62;

    private static MemorySegment bytes(int n) {
        return MemorySegment.ofArray(new byte[n]);
    }

    /** Throws exactly IllegalArgumentException (not a subclass-unrelated ArithmeticException) mentioning every word. */
    private static void refused(Executable call, String... words) {
        Throwable t = assertThrows(Throwable.class, call);
        assertEquals(IllegalArgumentException.class, t.getClass(), "wanted IllegalArgumentException, got " + t);
        for (String w : words) {
            assertTrue(t.getMessage().contains(w), "message '" + t.getMessage() + "' should mention '" + w + "'");
        }
    }

    @Test
    void logitsWhoseExtentOverflowsAreRefused() {
        // the case: extent 3 * 2^62 + 2^62 wrapped to 0 and a 64-byte segment passed
        refused(() -> Logits.of(bytes(64), DType.F32, 4, HUGE), "overflows");
        refused(() -> Logits.of(bytes(64), DType.F32, HUGE, 4), "overflows");
        refused(() -> Logits.of(bytes(64), DType.F32, Long.MAX_VALUE, Long.MAX_VALUE), "overflows");
        refused(() -> Logits.of(bytes(64), DType.F32, 2, 3, HUGE, 4), "d1 * .. * dk", "overflows");
        refused(() -> Logits.of(bytes(64), DType.F32, 2, HUGE, 4), "C * d1 * .. * dk", "overflows");
        refused(() -> Logits.of(bytes(64), DType.F32, HUGE, 1, 8), "overflows");
        // the extent in elements fits, in bytes it does not
        refused(() -> Logits.of(bytes(64), DType.F32, 1L << 61, 1), "byte size", "overflows");
        refused(() -> Logits.of(bytes(64), DType.BF16, 1L << 62, 1), "byte size", "overflows");
        // huge and negative row strides
        refused(() -> Logits.of(bytes(64), DType.F32, 4, 2).withRowStride(HUGE), "row stride", "overflows");
        refused(() -> Logits.of(bytes(64), DType.F32, 4, 2).withRowStride(Long.MAX_VALUE), "row stride", "overflows");
        refused(() -> Logits.of(bytes(64), DType.F32, 4, 2).withRowStride(-1), "row stride");
        refused(() -> Logits.of(bytes(64), DType.F32, 4, 2).withRowStride(Long.MIN_VALUE), "row stride");
        // negative dimensions
        refused(() -> Logits.of(bytes(64), DType.F32, -1, 2), "dimension 0");
        refused(() -> Logits.of(bytes(64), DType.F32, 2, -2), "dimension 1");
        refused(() -> Logits.of(bytes(64), DType.F32, 2, 2, -3), "dimension 2");
        refused(() -> Logits.of(bytes(64), DType.F32, Long.MIN_VALUE, 2), "dimension 0");
        // one row stride past the end still fits: refused for want of bytes, not wrapped
        refused(() -> Logits.of(bytes(64), DType.F32, 2, 8).withRowStride(9), "needs 68 bytes", "holds 64");
    }

    @Test
    void layoutsWhoseProductsOverflowAreRefused() {
        refused(() -> new Layout(4, HUGE, 4, HUGE), "C * inner", "overflows");
        refused(() -> new Layout(HUGE, 1, 4, 4), "N * inner", "overflows");
        refused(() -> new Layout(4, HUGE, 1, HUGE), "extent", "overflows");
        refused(() -> new Layout(3, 1, 1, Long.MAX_VALUE), "row stride", "overflows");
        refused(() -> new Layout(2, 1, 1, Long.MAX_VALUE), "extent", "overflows");
        refused(() -> new Layout(2, 4, 1, -4), "row stride");
        refused(() -> new Layout(-1, 4, 1, 4), "N");
        refused(() -> new Layout(2, 4, -1, 4), "inner");
        // the largest layouts that fit
        assertEquals(Long.MAX_VALUE, new Layout(1, Long.MAX_VALUE, 1, Long.MAX_VALUE).extent());
        assertEquals(Long.MAX_VALUE, new Layout(2, 1, 1, Long.MAX_VALUE - 1).extent());
        assertEquals(0, new Layout(0, HUGE, 1, HUGE).extent());
    }

    @Test
    void denseTensorsWhoseSizesOverflowAreRefused() {
        refused(() -> DenseTensor.of(bytes(64), DType.F32, HUGE, 4), "element count", "overflows");
        refused(() -> DenseTensor.of(bytes(64), DType.F32, 2, HUGE, HUGE), "element count", "overflows");
        refused(() -> DenseTensor.of(bytes(64), DType.F32, 1L << 61), "byte size", "overflows");
        refused(() -> DenseTensor.of(bytes(64), DType.F16, HUGE), "byte size", "overflows");
        refused(() -> DenseTensor.of(bytes(64), DType.F32, 2, -1), "dimension 1");
        // a zero dimension makes the tensor empty whatever the rest: no overflow to report
        assertEquals(0, DenseTensor.of(bytes(0), DType.F32, 0, HUGE, HUGE).count());
    }

    @Test
    void segmentsHoldingPartialElementsAreRefused() {
        // the case: 35 bytes are not 8 I32 labels
        refused(() -> Targets.classes(bytes(35), IndexType.I32), "class-index targets", "35 bytes", "I32", "4 bytes");
        refused(() -> Targets.classes(bytes(12), IndexType.I64), "class-index targets", "12 bytes", "I64", "8 bytes");
        refused(() -> Targets.probabilities(bytes(6), DType.F32), "probability targets", "6 bytes", "F32");
        refused(() -> Targets.probabilities(bytes(3), DType.BF16), "probability targets", "3 bytes", "BF16");
        refused(() -> new Targets.ClassIndices(bytes(7), IndexType.I64), "7 bytes", "I64");
        refused(() -> Logits.of(bytes(35), DType.F32, 2, 4), "logits data", "35 bytes", "F32");
        refused(() -> Logits.of(bytes(17), DType.BF16, 2, 4), "logits data", "17 bytes", "BF16");
        refused(() -> Logits.of(bytes(17), DType.F16, 2, 4), "logits data", "17 bytes", "F16");
        refused(() -> DenseTensor.of(bytes(35), DType.F32, 2, 4), "tensor data", "35 bytes", "F32");
        refused(() -> DenseTensor.of(bytes(5), DType.F16, 2), "tensor data", "5 bytes", "F16");
        // whole numbers of elements are fine, also more than the shape needs
        assertEquals(8, Targets.classes(bytes(32), IndexType.I32).count());
        assertEquals(2, Logits.of(bytes(36), DType.F32, 2, 4).rows());
    }

    @Test
    void segmentsShorterThanTheShapeAreRefused() {
        refused(() -> Logits.of(bytes(28), DType.F32, 2, 4), "needs 32 bytes", "holds 28");
        refused(() -> Logits.of(bytes(14), DType.BF16, 2, 4), "needs 16 bytes", "holds 14");
        refused(() -> DenseTensor.of(bytes(28), DType.F32, 2, 4), "needs 32 bytes", "holds 28");
        CrossEntropy ce = Xent.engine("java").crossEntropy();
        Logits z = Logits.of(new float[9 * 3], 9, 3);
        refused(() -> ce.forward(z, Targets.classes(bytes(32), IndexType.I32)), "8 class indices", "9 rows");
        refused(() -> ce.forward(z, Targets.classes(bytes(64), IndexType.I64)), "8 class indices", "9 rows");
        refused(() -> ce.forward(z, Targets.probabilities(bytes(4 * 26), DType.F32)), "108 bytes", "104 bytes");
    }
}
