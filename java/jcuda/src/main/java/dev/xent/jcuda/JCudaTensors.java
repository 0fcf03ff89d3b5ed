package dev.xent.jcuda;

import dev.xent.DeviceMemory;
import dev.xent.Stream;
import dev.xent.Xent;
import java.util.Objects;
import jcuda.NativePointerObject;
import jcuda.Pointer;
import jcuda.driver.CUstream;
import jcuda.runtime.cudaStream_t;

/**
 * JCuda's device pointers and streams as xent's {@link DeviceMemory} and {@link Stream}: views,
 * nothing copied, nothing freed or destroyed when they close ({@link Xent#wrap(long, long)} and
 * {@link Xent#wrapStream(long)} with JCuda's addresses).
 *
 * <p>Only JCuda's plain Java classes are touched ({@link Pointer}, {@link jcuda.driver.CUdeviceptr},
 * {@link cudaStream_t}, {@link CUstream}): none loads JCuda's native libraries, so this works
 * wherever xent's own engine does, whatever JCuda natives the application ships.
 */
public final class JCudaTensors {
    private JCudaTensors() {}

    /**
     * A view of {@code bytes} of device memory at {@code pointer} (a {@link jcuda.driver.CUdeviceptr}
     * from {@code cuMemAlloc}, or a {@link Pointer} from {@code cudaMalloc}), at its byte offset
     * ({@link Pointer#withByteOffset}). Refused unless the runtime knows the address as memory of
     * {@code xent}'s device; the size is the caller's word, as in {@link Xent#wrap(long, long)}.
     *
     * @throws IllegalArgumentException for a null or NULL pointer, a pointer to a Java array or
     *     buffer ({@link Pointer#to}: host memory), or an address that is not device memory of this device
     */
    public static DeviceMemory wrap(Xent xent, Pointer pointer, long bytes) {
        Objects.requireNonNull(xent, "xent");
        if (pointer == null) throw new IllegalArgumentException("cannot wrap a null jcuda.Pointer");
        long address = new PointerAddress(pointer).address();
        if (address == 0) {
            throw new IllegalArgumentException("cannot wrap " + pointer + ": it is NULL, or points at a Java array or"
                    + " buffer (host memory); only device pointers (cudaMalloc, cuMemAlloc) can be wrapped");
        }
        return xent.wrap(address, bytes);
    }

    /**
     * A view of a runtime-API stream; its device is asked of the runtime. A {@code cudaStream_t}
     * whose handle is NULL ({@code new cudaStream_t()}) is the default stream of {@code xent}'s
     * device, as in CUDA. The stream must be alive: CUDA cannot check a stale handle.
     *
     * @throws IllegalArgumentException for a null reference (use {@link Xent#defaultStream()})
     */
    public static Stream wrapStream(Xent xent, cudaStream_t stream) {
        return wrapHandle(xent, stream, "cudaStream_t");
    }

    /**
     * A view of a driver-API stream; the same as {@link #wrapStream(Xent, cudaStream_t)} (CUDA's
     * {@code CUstream} and {@code cudaStream_t} are one handle).
     */
    public static Stream wrapStream(Xent xent, CUstream stream) {
        return wrapHandle(xent, stream, "CUstream");
    }

    private static Stream wrapHandle(Xent xent, NativePointerObject stream, String type) {
        Objects.requireNonNull(xent, "xent");
        if (stream == null) {
            throw new IllegalArgumentException("cannot wrap a null " + type + "; for the default stream pass one with"
                    + " a NULL handle (new " + type + "()) or use xent.defaultStream()");
        }
        return xent.wrapStream(new Handle(stream).value());
    }

    /*
     * JCuda keeps the address in protected members. JLS 6.6.2 lets a subclass in another package
     * read them only on its own instances, so these copy the other object through the protected
     * copy constructors (which take any instance) and read their own copy.
     */

    /** A copy of a pointer: its native pointer and byte offset. */
    private static final class PointerAddress extends Pointer {
        PointerAddress(Pointer pointer) {
            super(pointer);
        }

        /** The device address the pointer stands for, or 0 when it is NULL or a Java array or buffer's. */
        long address() {
            long base = getNativePointer();
            return base == 0 ? 0 : base + getByteOffset();
        }
    }

    /** A copy of a stream's handle. */
    private static final class Handle extends NativePointerObject {
        Handle(NativePointerObject object) {
            super(object);
        }

        long value() {
            return getNativePointer();
        }
    }
}
