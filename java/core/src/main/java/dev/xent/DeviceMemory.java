package dev.xent;

import dev.xent.engine.DeviceRuntime;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * A range of device memory on one device of one engine ({@code cuda}, or {@code cuda-emu}, whose
 * "device" memory is host memory its emulated kernels run on). Tensors over it are made with
 * {@link Logits#onDevice}, {@link Targets#classes(DeviceMemory, IndexType)} and
 * {@link Targets#probabilities(DeviceMemory, DType)}; the ops given such tensors only enqueue
 * work on a {@link Stream}, and their results stay on the device.
 *
 * <p>Three ways to get one, all from an {@link Xent} on a device engine:
 * <ul>
 *   <li>{@link Xent#allocate(long)}: owned; {@link #close()} frees it.
 *   <li>{@link Xent#allocate(long, Arena)}: freed when the arena closes ({@link #close()} does nothing).
 *   <li>{@link Xent#wrap(long, long)}: memory someone else owns (a framework's tensor, a JCuda
 *       pointer); {@link #close()} only ends this view, it frees nothing.
 * </ul>
 * {@link #slice} views part of it, sharing its lifetime. Using any of them once the memory is
 * freed or the view closed throws {@link IllegalStateException}. Work already enqueued is not
 * tracked: as in CUDA, memory is freed only once the work that uses it is done (cudaFree waits
 * for the device).
 *
 * <p>The copies to and from host memory ({@link #copyFrom}, {@link #copyTo}) are synchronous:
 * they wait for the stream's earlier work, so they are where a training loop chooses to
 * synchronise. Thread-safe.
 */
public final class DeviceMemory implements AutoCloseable {
    /** Largest staging buffer a copy of heap memory (a Java array) allocates. */
    static final long STAGING_CHUNK = 16L << 20;

    private final DeviceRuntime runtime;
    private final int device;
    /** The device address range, scoped to the memory's lifetime: passed to native code, never read from Java. */
    private final MemorySegment span;
    /** What {@link #close()} closes: the allocation's own arena, or a wrapped view's; null for the caller's arena and slices. */
    private final Arena owned;

    private DeviceMemory(DeviceRuntime runtime, int device, MemorySegment span, Arena owned) {
        this.runtime = runtime;
        this.device = device;
        this.span = span;
        this.owned = owned;
    }

    @SuppressWarnings("restricted") // FFM: the library runs with --enable-native-access
    static DeviceMemory allocate(DeviceRuntime runtime, int device, long bytes, Arena arena) {
        if (bytes < 0) throw new IllegalArgumentException("cannot allocate a negative number of bytes: " + bytes);
        Arena own = arena == null ? Arena.ofShared() : null;
        long address;
        try {
            address = runtime.allocate(device, bytes);
        } catch (RuntimeException e) {
            if (own != null) own.close();
            throw e;
        }
        MemorySegment span = MemorySegment.ofAddress(address)
                .reinterpret(bytes, own != null ? own : arena, p -> runtime.free(p.address()));
        return new DeviceMemory(runtime, device, span, own);
    }

    @SuppressWarnings("restricted")
    static DeviceMemory wrap(DeviceRuntime runtime, int device, long address, long bytes) {
        if (address == 0) throw new IllegalArgumentException("cannot wrap device address 0 (NULL)");
        if (bytes < 0) throw new IllegalArgumentException("cannot wrap a negative number of bytes: " + bytes);
        int owner = runtime.deviceOf(address);
        if (owner < 0) {
            throw new IllegalArgumentException("address 0x" + Long.toHexString(address) + " is not device memory of "
                    + runtime.engineName() + " (host memory, or an address the runtime does not know)");
        }
        if (owner != device) {
            throw new IllegalArgumentException("address 0x" + Long.toHexString(address) + " is memory of device " + owner
                    + ", not of device " + device + " this Xent is on");
        }
        Arena view = Arena.ofShared();
        return new DeviceMemory(runtime, device, MemorySegment.ofAddress(address).reinterpret(bytes, view, null), view);
    }

    /** The device address of the first byte; throws once the memory is freed. */
    public long address() {
        checkAlive();
        return span.address();
    }

    public long byteSize() {
        return span.byteSize();
    }

    /** The device index this memory is on. */
    public int device() {
        return device;
    }

    /** The engine whose kernels run on this memory ("cuda", "cuda-emu"). */
    public String engineName() {
        return runtime.engineName();
    }

    /** Whether the memory can still be used: not freed, and not a closed view. */
    public boolean isAlive() {
        return span.scope().isAlive();
    }

    /** Bytes {@code [offset, offset + bytes)} of this memory, sharing its lifetime. */
    public DeviceMemory slice(long offset, long bytes) {
        checkAlive();
        if (offset < 0 || bytes < 0 || offset > span.byteSize() - bytes) {
            throw new IndexOutOfBoundsException("bytes [" + offset + ", " + (offset + bytes) + ") outside device memory of "
                    + span.byteSize() + " bytes");
        }
        return new DeviceMemory(runtime, device, span.asSlice(offset, bytes), null);
    }

    /** Copies all of {@code host} to the start of this memory on the default stream, and waits for it. */
    public void copyFrom(MemorySegment host) {
        copyFrom(host, null);
    }

    /**
     * Copies all of {@code host} (heap or native) to the start of this memory on {@code stream}
     * (null: the default stream), and waits for the stream: a synchronisation.
     */
    public void copyFrom(MemorySegment host, Stream stream) {
        Objects.requireNonNull(host, "host");
        long bytes = host.byteSize();
        checkCopy(bytes, stream);
        long s = handle(stream);
        if (host.isNative()) {
            if (bytes > 0) runtime.copyToDevice(device, address(), host, s);
            return;
        }
        // Heap memory moves while the collector runs: stage it through native memory, in chunks.
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment stage = arena.allocate(Math.max(1, Math.min(bytes, STAGING_CHUNK)), 64);
            for (long done = 0; done < bytes; ) {
                long n = Math.min(stage.byteSize(), bytes - done);
                MemorySegment.copy(host, done, stage, 0, n);
                runtime.copyToDevice(device, address() + done, stage.asSlice(0, n), s);
                done += n;
            }
        }
    }

    /** Copies {@code host} to the start of this memory, and waits for it. */
    public void copyFrom(float[] host) {
        copyFrom(MemorySegment.ofArray(Objects.requireNonNull(host, "host")), null);
    }

    /** Fills all of {@code host} from the start of this memory on the default stream, and waits for it. */
    public void copyTo(MemorySegment host) {
        copyTo(host, null);
    }

    /**
     * Fills all of {@code host} (heap or native) from the start of this memory on {@code stream}
     * (null: the default stream) after the stream's earlier work: a synchronisation.
     */
    public void copyTo(MemorySegment host, Stream stream) {
        Objects.requireNonNull(host, "host");
        if (host.isReadOnly()) throw new IllegalArgumentException("the host segment to copy into is read-only");
        long bytes = host.byteSize();
        checkCopy(bytes, stream);
        long s = handle(stream);
        if (host.isNative()) {
            if (bytes > 0) runtime.copyToHost(device, host, address(), s);
            return;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment stage = arena.allocate(Math.max(1, Math.min(bytes, STAGING_CHUNK)), 64);
            for (long done = 0; done < bytes; ) {
                long n = Math.min(stage.byteSize(), bytes - done);
                runtime.copyToHost(device, stage.asSlice(0, n), address() + done, s);
                MemorySegment.copy(stage, 0, host, done, n);
                done += n;
            }
        }
    }

    /** Fills {@code host} from the start of this memory, and waits for it. */
    public void copyTo(float[] host) {
        copyTo(MemorySegment.ofArray(Objects.requireNonNull(host, "host")), null);
    }

    /** Sets every byte to {@code value}: enqueued on {@code stream} (null: the default stream), no synchronisation. */
    public void fill(int value, Stream stream) {
        checkAlive();
        checkStream(stream, "fill");
        if (span.byteSize() > 0) runtime.memset(device, address(), value, span.byteSize(), handle(stream));
    }

    /**
     * Frees memory from {@link Xent#allocate(long)}, or ends a view from {@link Xent#wrap}; does
     * nothing for memory tied to an arena, for slices, and when already closed.
     */
    @Override
    public void close() {
        if (owned == null) return;
        synchronized (this) {
            if (owned.scope().isAlive()) owned.close();
        }
    }

    @Override
    public String toString() {
        return "DeviceMemory[" + runtime.engineName() + ":" + device + ", " + span.byteSize() + " bytes"
                + (isAlive() ? " @0x" + Long.toHexString(span.address()) : ", freed") + "]";
    }

    /** The address range, for the checks and the engine calls (never read from Java). */
    MemorySegment span() {
        return span;
    }

    DeviceRuntime runtime() {
        return runtime;
    }

    /** Throws unless {@code stream} (null: the default stream) may carry work on this memory. */
    void checkStream(Stream stream, String what) {
        if (stream == null) return;
        stream.checkAlive();
        if (stream.runtime() != runtime) {
            throw new IllegalArgumentException(what + ": the stream is " + stream.engineName() + "'s but the memory is "
                    + runtime.engineName() + "'s");
        }
        if (stream.device() != device) {
            throw new IllegalArgumentException(what + ": the stream is on device " + stream.device()
                    + " but the memory is on device " + device);
        }
    }

    private void checkCopy(long bytes, Stream stream) {
        checkAlive();
        checkStream(stream, "copy");
        if (bytes > span.byteSize()) {
            throw new IndexOutOfBoundsException("a copy of " + bytes + " bytes does not fit in device memory of "
                    + span.byteSize() + " bytes");
        }
    }

    private static long handle(Stream stream) {
        return stream == null ? 0 : stream.handle();
    }

    private void checkAlive() {
        if (!span.scope().isAlive()) {
            throw new IllegalStateException("device memory is no longer usable: it was freed, or its view closed");
        }
    }
}
