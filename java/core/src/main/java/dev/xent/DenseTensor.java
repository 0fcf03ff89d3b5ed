package dev.xent;

import dev.xent.internal.Checks;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Objects;

/**
 * A dense tensor of any shape in host memory (row-major, no strides): the inputs, targets and
 * gradients of the element-wise losses. A shape of length 0 is a scalar. Heap arrays are wrapped,
 * not copied: a gradient written "in place" overwrites the array.
 */
public final class DenseTensor {
    private final MemorySegment data;
    private final DType dtype;
    private final long[] shape;
    private final long count;

    private DenseTensor(MemorySegment data, DType dtype, long[] shape) {
        this.data = Objects.requireNonNull(data, "data");
        this.dtype = Objects.requireNonNull(dtype, "dtype");
        Objects.requireNonNull(shape, "shape");
        this.shape = shape.clone();
        long n = 1;
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] < 0) throw new IllegalArgumentException("bad dimension " + i + " in shape " + Arrays.toString(shape));
            n = Checks.product("the element count of shape " + Arrays.toString(shape), n, shape[i]);
        }
        this.count = n;
        Checks.holds(data, n, dtype.byteSize(), dtype.name(), "tensor data", "of shape " + Arrays.toString(shape));
    }

    /** fp32 values of the given shape. */
    public static DenseTensor of(float[] data, long... shape) {
        return of(MemorySegment.ofArray(Objects.requireNonNull(data, "data")), DType.F32, shape);
    }

    /** bf16 values as raw bits (the high half of an IEEE float). */
    public static DenseTensor ofBf16(short[] bits, long... shape) {
        return of(MemorySegment.ofArray(Objects.requireNonNull(bits, "bits")), DType.BF16, shape);
    }

    /** fp16 (IEEE binary16) values as raw bits. */
    public static DenseTensor ofF16(short[] bits, long... shape) {
        return of(MemorySegment.ofArray(Objects.requireNonNull(bits, "bits")), DType.F16, shape);
    }

    /** Values in any host segment (heap or native) holding {@code dtype} elements. */
    public static DenseTensor of(MemorySegment data, DType dtype, long... shape) {
        return new DenseTensor(data, dtype, shape);
    }

    /** A tensor of this shape and dtype over other data. */
    public DenseTensor sameShapeOver(MemorySegment otherData) {
        return new DenseTensor(otherData, dtype, shape);
    }

    public MemorySegment data() {
        return data;
    }

    public DType dtype() {
        return dtype;
    }

    public long[] shape() {
        return shape.clone();
    }

    /** Number of elements (1 for a scalar). */
    public long count() {
        return count;
    }

    /** Length of the last axis (1 for a scalar). */
    public long lastDim() {
        return shape.length == 0 ? 1 : shape[shape.length - 1];
    }

    @Override
    public String toString() {
        return "DenseTensor" + Arrays.toString(shape) + " " + dtype;
    }
}
