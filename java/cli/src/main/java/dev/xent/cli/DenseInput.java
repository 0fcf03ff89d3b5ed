package dev.xent.cli;

import dev.xent.DType;
import dev.xent.DenseTensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * The input of an element-wise loss read from a .npy file (any shape), with the same storage
 * rules as {@link LogitsInput}: float32 and float16 as they are; with {@code --bf16}, float32
 * rounded to bf16 (results written back as float32) or uint16 taken as bf16 bits.
 */
final class DenseInput {
    private final String name;
    private final LogitsInput.Storage storage;
    private final long[] shape;
    private final DenseTensor tensor;

    private DenseInput(String name, LogitsInput.Storage storage, long[] shape, DenseTensor tensor) {
        this.name = name;
        this.storage = storage;
        this.shape = shape;
        this.tensor = tensor;
    }

    static DenseInput of(NpyArray array, boolean bf16, String name) {
        LogitsInput.Storage storage = LogitsInput.storageOf(array.dtype(), bf16, name);
        MemorySegment data = storage == LogitsInput.Storage.BF16_ROUNDED_FROM_F32 ? convert(array, DType.BF16) : array.data();
        return new DenseInput(name, storage, array.shape(), DenseTensor.of(data, storage.dtype, array.shape()));
    }

    DenseTensor tensor() {
        return tensor;
    }

    String shapeString() {
        return NpyArray.shapeString(shape);
    }

    long[] shape() {
        return shape.clone();
    }

    /** A tensor of the input's shape and storage type from another float file (the target), values rounded to it. */
    DenseTensor sameShape(InputFile file) {
        NpyArray a = file.array();
        if (!Arrays.equals(a.shape(), shape)) {
            throw new UserError(file.name() + ": must have the input's shape " + shapeString() + ", got " + a.shapeString());
        }
        if (a.dtype() == NpyDType.UINT16 && storage == LogitsInput.Storage.BF16_BITS) return tensor.sameShapeOver(a.data());
        if (!a.dtype().isFloat()) throw new UserError(file.name() + ": must hold floats, got " + a.dtype().numpyName());
        return tensor.sameShapeOver(convert(a, storage.dtype));
    }

    /** A new buffer of the input's shape and storage type (the gradient). */
    DenseTensor newBuffer() {
        return tensor.sameShapeOver(LogitsInput.allocate(tensor.count(), storage.dtype.byteSize()));
    }

    /** A buffer of the input's shape as an array of the input file's dtype. */
    NpyArray toNpy(DenseTensor buffer) {
        return LogitsInput.toNpy(storage, shape, buffer.data());
    }

    /**
     * An fp32 aux tensor (weights, variances) from a float file whose shape is one of
     * {@code allowed} (described as {@code what} in the message).
     */
    float[] aux(InputFile file, String what, long[]... allowed) {
        NpyArray a = file.array();
        if (!a.dtype().isFloat()) throw new UserError(file.name() + ": must be float32 or float64, got " + a.dtype().numpyName());
        for (long[] s : allowed) {
            if (Arrays.equals(a.shape(), s)) return a.toFloats();
        }
        throw new UserError(file.name() + ": shape " + a.shapeString() + " does not fit the input " + shapeString() + ": expected " + what);
    }

    /** The input's shape with its last axis replaced by {@code last} (or dropped when {@code last} is negative). */
    long[] withLast(long last) {
        if (shape.length == 0) return last < 0 ? new long[0] : new long[] {last};
        long[] s = last < 0 ? Arrays.copyOf(shape, shape.length - 1) : shape.clone();
        if (last >= 0) s[s.length - 1] = last;
        return s;
    }

    long lastDim() {
        return tensor.lastDim();
    }

    private static MemorySegment convert(NpyArray a, DType dtype) {
        long n = a.count();
        MemorySegment out = LogitsInput.allocate(n, dtype.byteSize());
        for (long i = 0; i < n; i++) {
            float v = (float) a.getDouble(i);
            switch (dtype) {
                case F32 -> out.setAtIndex(ValueLayout.JAVA_FLOAT, i, v);
                case F16 -> out.setAtIndex(ValueLayout.JAVA_SHORT, i, Float.floatToFloat16(v));
                case BF16 -> out.setAtIndex(ValueLayout.JAVA_SHORT, i, Bf16.fromFloat(v));
            }
        }
        return out;
    }

    String name() {
        return name;
    }
}
