package dev.xent;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * A logits-shaped test tensor in heap or native memory, with its own idea of where element k of
 * row r lives (written here, not taken from the library's {@link Layout}), so that tests check the
 * layout arithmetic too. Elements past C in a row with a larger row stride are padding.
 */
final class Tensor {
    enum Memory {
        HEAP,
        NATIVE_SHARED,
        NATIVE_CONFINED
    }

    final DType dt;
    final long[] shape;
    final long rowStride;
    final long rows;
    final long classes;
    final long inner;
    final long capacity;
    final MemorySegment seg;
    final Logits logits;

    private Tensor(DType dt, long[] shape, long rowStride, MemorySegment seg, Logits logits) {
        this.dt = dt;
        this.shape = shape.clone();
        this.classes = shape[1];
        long in = 1;
        for (int i = 2; i < shape.length; i++) in *= shape[i];
        this.inner = in;
        this.rows = shape[0] * in;
        this.rowStride = rowStride;
        this.capacity = shape[0] * rowStride;
        this.seg = seg;
        this.logits = logits;
    }

    /** A tensor of the shape; rowStride (elements between batch entries) >= C * inner. */
    static Tensor allocate(DType dt, long[] shape, long rowStride, Memory memory, Arena arena) {
        long inner = 1;
        for (int i = 2; i < shape.length; i++) inner *= shape[i];
        long stride = Math.max(rowStride, shape[1] * inner);
        long capacity = shape[0] * stride;
        MemorySegment seg;
        if (memory == Memory.HEAP) {
            seg = dt == DType.F32 ? MemorySegment.ofArray(new float[Math.toIntExact(capacity)])
                    : MemorySegment.ofArray(new short[Math.toIntExact(capacity)]);
        } else {
            seg = arena.allocate(Math.max(1, capacity) * dt.byteSize(), 8).asSlice(0, capacity * dt.byteSize());
        }
        Logits l = Logits.of(seg, dt, shape);
        if (stride != shape[1] * inner) l = l.withRowStride(stride);
        return new Tensor(dt, shape, stride, seg, l);
    }

    static Tensor allocate(DType dt, long[] shape, Memory memory, Arena arena) {
        return allocate(dt, shape, 0, memory, arena);
    }

    /** Element offset of class k of row r. */
    long offset(long r, long k) {
        return (r / inner) * rowStride + (r % inner) + k * inner;
    }

    float get(long offset) {
        return dt == DType.F32 ? seg.getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, offset)
                : Reference.fromBits(dt, seg.getAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, offset));
    }

    void set(long offset, float v) {
        if (dt == DType.F32) seg.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, offset, v);
        else seg.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, offset, Reference.bits(dt, v));
    }

    /** Stores the rows (values should already be representable in dt). */
    void write(double[][] values) {
        for (int r = 0; r < rows; r++) {
            for (int k = 0; k < classes; k++) set(offset(r, k), (float) values[r][k]);
        }
    }

    double[][] read() {
        double[][] out = new double[(int) rows][(int) classes];
        for (int r = 0; r < rows; r++) {
            for (int k = 0; k < classes; k++) out[r][k] = get(offset(r, k));
        }
        return out;
    }

    /** Every element, padding included. */
    void fillAll(float v) {
        for (long i = 0; i < capacity; i++) set(i, v);
    }

    /** Sets every tensor element (not the padding) to v: NaN to poison an output. */
    void fill(float v) {
        for (int r = 0; r < rows; r++) {
            for (int k = 0; k < classes; k++) set(offset(r, k), v);
        }
    }

    /** Offsets of the padding elements (those no row owns). */
    long[] padding() {
        boolean[] owned = new boolean[Math.toIntExact(capacity)];
        for (int r = 0; r < rows; r++) {
            for (int k = 0; k < classes; k++) owned[(int) offset(r, k)] = true;
        }
        return java.util.stream.LongStream.range(0, capacity).filter(i -> !owned[(int) i]).toArray();
    }

    @Override
    public String toString() {
        return dt + Arrays.toString(shape) + " rowStride=" + rowStride;
    }
}
