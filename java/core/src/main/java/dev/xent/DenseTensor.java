package dev.xent;

import dev.xent.internal.Checks;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;

/**
 * A dense tensor of any shape in host or device memory (row-major, no strides): the inputs,
 * targets and gradients of the element-wise losses. A shape of length 0 is a scalar. Heap arrays
 * are wrapped, not copied: a gradient written "in place" overwrites the array.
 */
public final class DenseTensor {
    private final MemorySegment data;
    /** Null for host memory. */
    private final DeviceMemory device;
    private final DType dtype;
    private final long[] shape;
    private final long count;

    private DenseTensor(MemorySegment data, DeviceMemory device, DType dtype, long[] shape) {
        this.data = Objects.requireNonNull(data, "data");
        this.device = device;
        this.dtype = Objects.requireNonNull(dtype, "dtype");
        Objects.requireNonNull(shape, "shape");
        this.shape = shape.clone();
        long n = 1;
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] < 0) throw new IllegalArgumentException("bad dimension " + i + " in shape " + Arrays.toString(shape));
            n = Checks.product("the element count of shape " + Arrays.toString(shape), n, shape[i]);
        }
        this.count = n;
        Checks.holds(data, n, dtype.byteSize(), dtype.name(), device == null ? "tensor data" : "device memory",
                "of shape " + Arrays.toString(shape));
        if (device != null) Checks.aligned(data, dtype.byteSize(), "device memory of a " + dtype + " tensor");
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
        return new DenseTensor(data, null, dtype, shape);
    }

    /** Values in device memory from its first byte (aligned to the element size); the memory may be larger. */
    public static DenseTensor onDevice(DeviceMemory memory, DType dtype, long... shape) {
        Objects.requireNonNull(memory, "memory");
        Checks.alive(memory.span(), "device");
        return new DenseTensor(memory.span(), memory, dtype, shape);
    }

    /** A tensor of this shape and dtype over other host data. */
    public DenseTensor sameShapeOver(MemorySegment otherData) {
        return new DenseTensor(otherData, null, dtype, shape);
    }

    /** A tensor of this shape and dtype over other device memory (a gradient buffer, say). */
    public DenseTensor sameShapeOn(DeviceMemory memory) {
        Objects.requireNonNull(memory, "memory");
        Checks.alive(memory.span(), "device");
        return new DenseTensor(memory.span(), memory, dtype, shape);
    }

    /**
     * The host segment; for a device tensor, the device address range, sized to its memory: for
     * native code only, never to be read or written from Java.
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
        return "DenseTensor" + Arrays.toString(shape) + " " + dtype
                + (device == null ? "" : " on " + device.engineName() + ":" + device.device());
    }
}
