package dev.xent.cli;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.Objects;
import java.util.StringJoiner;

/**
 * An n-dimensional array as a .npy file holds it: element type, shape (C order), and data in
 * native byte order in a segment aligned for its element type. Shape () is a scalar.
 */
public record NpyArray(NpyDType dtype, long[] shape, MemorySegment data) {

    public NpyArray {
        Objects.requireNonNull(dtype, "dtype");
        shape = Objects.requireNonNull(shape, "shape").clone();
        Objects.requireNonNull(data, "data");
        long bytes = Math.multiplyExact(count(shape), (long) dtype.byteSize());
        if (data.byteSize() != bytes) {
            throw new IllegalArgumentException("shape " + shapeString(shape) + " of " + dtype.numpyName()
                    + " needs " + bytes + " bytes, data holds " + data.byteSize());
        }
    }

    public static NpyArray ofFloats(float[] values, long... shape) {
        return new NpyArray(NpyDType.FLOAT32, shape, MemorySegment.ofArray(values));
    }

    public static NpyArray ofDoubles(double[] values, long... shape) {
        return new NpyArray(NpyDType.FLOAT64, shape, MemorySegment.ofArray(values));
    }

    public static NpyArray ofLongs(long[] values, long... shape) {
        return new NpyArray(NpyDType.INT64, shape, MemorySegment.ofArray(values));
    }

    public static NpyArray ofInts(int[] values, long... shape) {
        return new NpyArray(NpyDType.INT32, shape, MemorySegment.ofArray(values));
    }

    /** Raw 16-bit values: float16 bits, or uint16 (bf16 bits under {@code xent loss --bf16}). */
    public static NpyArray ofShorts(NpyDType dtype, short[] values, long... shape) {
        if (dtype.byteSize() != 2) throw new IllegalArgumentException(dtype + " is not a 16-bit type");
        return new NpyArray(dtype, shape, MemorySegment.ofArray(values));
    }

    public static NpyArray ofBytes(NpyDType dtype, byte[] values, long... shape) {
        if (dtype.byteSize() != 1) throw new IllegalArgumentException(dtype + " is not a one-byte type");
        return new NpyArray(dtype, shape, MemorySegment.ofArray(values));
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    public int ndim() {
        return shape.length;
    }

    /** Number of elements (1 for a scalar). */
    public long count() {
        return count(shape);
    }

    /** Element {@code i} in C order, widened to double (float16 decoded; uint16 as an unsigned integer). */
    public double getDouble(long i) {
        return switch (dtype) {
            case FLOAT64 -> data.getAtIndex(ValueLayout.JAVA_DOUBLE, i);
            case FLOAT32 -> data.getAtIndex(ValueLayout.JAVA_FLOAT, i);
            case FLOAT16 -> Float.float16ToFloat(data.getAtIndex(ValueLayout.JAVA_SHORT, i));
            case INT64 -> data.getAtIndex(ValueLayout.JAVA_LONG, i);
            case INT32 -> data.getAtIndex(ValueLayout.JAVA_INT, i);
            case UINT16 -> data.getAtIndex(ValueLayout.JAVA_SHORT, i) & 0xffff;
            case INT8 -> data.get(ValueLayout.JAVA_BYTE, i);
            case UINT8, BOOL -> data.get(ValueLayout.JAVA_BYTE, i) & 0xff;
        };
    }

    /** The array as float32 (each value rounded to nearest), in native memory. */
    public NpyArray toFloat32() {
        long n = count();
        MemorySegment out = NativeMemory.allocate(n * Float.BYTES);
        for (long i = 0; i < n; i++) out.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) getDouble(i));
        return new NpyArray(NpyDType.FLOAT32, shape, out);
    }

    /** Every element as a float (see {@link #getDouble}). */
    public float[] toFloats() {
        float[] out = new float[Math.toIntExact(count())];
        for (int i = 0; i < out.length; i++) out[i] = (float) getDouble(i);
        return out;
    }

    /** The shape as numpy prints it: "()", "(3,)", "(2, 3)". */
    public String shapeString() {
        return shapeString(shape);
    }

    static String shapeString(long[] shape) {
        if (shape.length == 1) return "(" + shape[0] + ",)";
        StringJoiner j = new StringJoiner(", ", "(", ")");
        for (long d : shape) j.add(Long.toString(d));
        return j.toString();
    }

    static long count(long[] shape) {
        long n = 1;
        for (long d : shape) {
            if (d < 0) throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof NpyArray other && dtype == other.dtype && Arrays.equals(shape, other.shape)
                && data.byteSize() == other.data.byteSize() && data.mismatch(other.data) == -1;
    }

    @Override
    public int hashCode() {
        return 31 * dtype.hashCode() + Arrays.hashCode(shape);
    }

    @Override
    public String toString() {
        return "NpyArray[" + dtype.numpyName() + " " + shapeString() + "]";
    }
}
