package dev.xent;

import dev.xent.internal.Checks;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;

/**
 * A view of a logits-shaped tensor in host or device memory: its data, storage type, shape
 * (N, C) or (N, C, d1..dk) with classes on axis 1 as in PyTorch, and, for two dimensions, a row
 * stride that may exceed C. Gradients and probability targets use the same type.
 *
 * <p>Heap arrays are wrapped, not copied: writing a gradient "in place" into a {@code Logits}
 * built on an array overwrites that array. {@link #onDevice} views {@link DeviceMemory}: the ops
 * given device tensors run on the memory's device, enqueued on a {@link Stream}.
 */
public final class Logits {
    private final MemorySegment data;
    /** Null for host memory. */
    private final DeviceMemory device;
    private final DType dtype;
    private final long[] shape;
    private final Layout layout;

    private Logits(MemorySegment data, DeviceMemory device, DType dtype, long[] shape, Layout layout) {
        this.data = data;
        this.device = device;
        this.dtype = dtype;
        this.shape = shape;
        this.layout = layout;
        Checks.holds(data, layout.extent(), dtype.byteSize(), dtype.name(), device == null ? "logits data" : "device memory",
                "of shape " + Arrays.toString(shape) + " and row stride " + layout.outerStride());
        if (device != null) Checks.aligned(data, dtype.byteSize(), "device memory of " + dtype + " logits");
    }

    /** fp32 logits of the given shape, (N, C) or (N, C, d1..dk), stored densely. */
    public static Logits of(float[] data, long... shape) {
        return of(MemorySegment.ofArray(Objects.requireNonNull(data, "data")), DType.F32, shape);
    }

    /** bf16 logits as raw bits (the high half of an IEEE float). */
    public static Logits ofBf16(short[] bits, long... shape) {
        return of(MemorySegment.ofArray(Objects.requireNonNull(bits, "bits")), DType.BF16, shape);
    }

    /** fp16 (IEEE binary16) logits as raw bits. */
    public static Logits ofF16(short[] bits, long... shape) {
        return of(MemorySegment.ofArray(Objects.requireNonNull(bits, "bits")), DType.F16, shape);
    }

    /** Logits in any host segment (heap or native) holding {@code dtype} elements, densely. */
    public static Logits of(MemorySegment data, DType dtype, long... shape) {
        return dense(Objects.requireNonNull(data, "data"), null, dtype, shape);
    }

    /**
     * Logits in device memory holding {@code dtype} elements densely from its first byte, which
     * must be aligned to the element size. The memory may be larger than the tensor, never smaller.
     */
    public static Logits onDevice(DeviceMemory memory, DType dtype, long... shape) {
        Objects.requireNonNull(memory, "memory");
        Checks.alive(memory.span(), "device");
        return dense(memory.span(), memory, dtype, shape);
    }

    private static Logits dense(MemorySegment data, DeviceMemory device, DType dtype, long[] shape) {
        Objects.requireNonNull(dtype, "dtype");
        long[] s = checkShape(shape);
        long inner = 1;
        for (int i = 2; i < s.length; i++) inner = Checks.product("d1 * .. * dk of shape " + Arrays.toString(s), inner, s[i]);
        Layout layout = new Layout(s[0], s[1], inner, Checks.product("C * d1 * .. * dk of shape " + Arrays.toString(s), s[1], inner));
        return new Logits(data, device, dtype, s, layout);
    }

    /**
     * The same data read with a row stride (elements between the starts of consecutive rows)
     * larger than C. Only for two-dimensional logits.
     */
    public Logits withRowStride(long rowStride) {
        if (shape.length != 2) {
            throw new IllegalArgumentException("a row stride applies to (N, C) logits only, shape is " + Arrays.toString(shape));
        }
        return new Logits(data, device, dtype, shape, new Layout(layout.outer(), layout.classes(), 1, rowStride));
    }

    /** A logits-shaped buffer over different host data: same shape, dtype and layout. */
    public Logits sameLayoutOver(MemorySegment otherData) {
        return new Logits(Objects.requireNonNull(otherData, "data"), null, dtype, shape, layout);
    }

    /** A logits-shaped tensor over other device memory: same shape, dtype and layout (a gradient buffer, say). */
    public Logits sameLayoutOn(DeviceMemory memory) {
        Objects.requireNonNull(memory, "memory");
        Checks.alive(memory.span(), "device");
        return new Logits(memory.span(), memory, dtype, shape, layout);
    }

    private static long[] checkShape(long[] shape) {
        if (shape == null || shape.length < 2) {
            throw new IllegalArgumentException("logits need a shape (N, C) or (N, C, d1..dk), got "
                    + (shape == null ? "null" : Arrays.toString(shape)));
        }
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] < 0 || (i == 1 && shape[i] == 0)) {
                throw new IllegalArgumentException("bad dimension " + i + " in shape " + Arrays.toString(shape));
            }
        }
        return shape.clone();
    }

    /**
     * The host segment; for a device tensor, the device address range, sized to its memory and
     * scoped to its lifetime: for native code only, never to be read or written from Java.
     */
    public MemorySegment data() {
        return data;
    }

    /** The device memory this tensor views; empty for host memory. */
    public Optional<DeviceMemory> deviceMemory() {
        return Optional.ofNullable(device);
    }

    public boolean isOnDevice() {
        return device != null;
    }

    public DType dtype() {
        return dtype;
    }

    /** The shape, (N, C) or (N, C, d1..dk). */
    public long[] shape() {
        return shape.clone();
    }

    public Layout layout() {
        return layout;
    }

    /** Batch size N. */
    public long batch() {
        return shape[0];
    }

    /** Number of classes C. */
    public long classes() {
        return shape[1];
    }

    /** Rows: N * d1 * ... * dk, one softmax and one loss each. */
    public long rows() {
        return layout.rows();
    }

    /** Shape of a per-row result: (N, d1..dk). */
    public long[] rowShape() {
        long[] s = new long[shape.length - 1];
        s[0] = shape[0];
        System.arraycopy(shape, 2, s, 1, shape.length - 2);
        return s;
    }

    @Override
    public String toString() {
        return "Logits" + Arrays.toString(shape) + " " + dtype + " rowStride=" + layout.outerStride()
                + (device == null ? "" : " on " + device.engineName() + ":" + device.device());
    }
}
