package dev.xent.engine.cuda;

import dev.xent.ffi.XentLibrary;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Objects;

/**
 * Device memory from {@code xent_malloc}, freed by {@code xent_free} when its arena closes.
 *
 * <p>A buffer made by {@link DeviceOps#allocate(long)} owns a shared arena and {@link #close()}
 * frees it. One made by {@link DeviceOps#allocate(long, Arena)} is tied to the caller's arena
 * (the {@code reinterpret(arena, free)} idiom) and is freed when that arena closes; its {@link
 * #close()} does nothing. Either way, using the buffer after it was freed throws
 * {@link IllegalStateException}, and passing {@link #pointer()} to a downcall keeps it alive for
 * the call's duration.
 *
 * <p>Device memory is not host memory: {@link #pointer()} is a zero-length segment, usable only as
 * an address. Copies take host segments; native ones are passed to the copy as they are. Heap
 * segments (Java arrays) go through a native staging buffer, in chunks of at most {@value
 * #STAGING_CHUNK} bytes, instead of {@code Linker.Option.critical(true)}: a critical downcall
 * holds off the garbage collector for its whole duration, and {@code xent_copy_to_device} is
 * synchronous (it waits for the stream's earlier work, which may be long), so the extra host
 * {@code memcpy}, a fraction of the PCIe transfer's cost, is the safer price.
 */
@SuppressWarnings("restricted") // FFM: the library runs with --enable-native-access
final class DeviceBuffer implements AutoCloseable {
    /** Largest staging buffer a heap copy allocates. */
    public static final long STAGING_CHUNK = 16L << 20;

    private final XentLibrary lib;
    private final long byteSize;
    private final Arena own;
    private final MemorySegment pointer;
    /** The same address sized to the buffer, only ever sliced into downcall arguments (never read from Java). */
    private final MemorySegment span;

    private DeviceBuffer(XentLibrary lib, long byteSize, Arena own, MemorySegment pointer) {
        this.lib = lib;
        this.byteSize = byteSize;
        this.own = own;
        this.pointer = pointer;
        this.span = pointer.reinterpret(Math.max(byteSize, 1));
    }

    /** Allocates {@code bytes} (at least 1) of device memory freed when {@code arena} closes; null arena: its own. */
    static DeviceBuffer allocate(XentLibrary lib, long bytes, Arena arena) {
        if (bytes < 0) throw new IllegalArgumentException("negative device buffer size " + bytes);
        Arena own = arena == null ? Arena.ofShared() : null;
        Arena scope = arena == null ? own : arena;
        MemorySegment raw;
        try (Arena tmp = Arena.ofConfined()) {
            MemorySegment out = tmp.allocate(ValueLayout.ADDRESS);
            XentStatus.check(lib, lib.xent_malloc(out, Math.max(bytes, 1)), "xent_malloc(" + bytes + " bytes)");
            raw = out.get(ValueLayout.ADDRESS, 0);
        } catch (RuntimeException e) {
            if (own != null) own.close();
            throw e;
        }
        MemorySegment pointer;
        try {
            pointer = raw.reinterpret(scope, p -> lib.xent_free(p));
        } catch (RuntimeException e) {
            lib.xent_free(raw);
            if (own != null) own.close();
            throw e;
        }
        return new DeviceBuffer(lib, bytes, own, pointer);
    }

    /** The device address; throws {@link IllegalStateException} once freed. */
    public long address() {
        checkAlive();
        return pointer.address();
    }

    /** The device address as a zero-length segment scoped to this buffer (for XentLibrary calls). */
    public MemorySegment pointer() {
        checkAlive();
        return pointer;
    }

    /** Size in bytes as requested. */
    public long byteSize() {
        return byteSize;
    }

    /** Whether the memory is still allocated. */
    public boolean isAlive() {
        return pointer.scope().isAlive();
    }

    /** Copies all of {@code host} to this buffer at byte offset {@code deviceOffset}, synchronously. */
    public void copyFrom(MemorySegment host, long deviceOffset) {
        Objects.requireNonNull(host, "host");
        long bytes = host.byteSize();
        checkRange(deviceOffset, bytes);
        if (bytes == 0) return;
        if (host.isNative()) {
            XentStatus.check(lib, lib.xent_copy_to_device(at(deviceOffset), host, bytes, MemorySegment.NULL), "xent_copy_to_device");
            return;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment stage = arena.allocate(Math.min(bytes, STAGING_CHUNK), 64);
            for (long done = 0; done < bytes; ) {
                long n = Math.min(stage.byteSize(), bytes - done);
                MemorySegment.copy(host, done, stage, 0, n);
                XentStatus.check(lib, lib.xent_copy_to_device(at(deviceOffset + done), stage, n, MemorySegment.NULL), "xent_copy_to_device");
                done += n;
            }
        }
    }

    /** Copies all of {@code host} to the start of this buffer, synchronously. */
    public void copyFrom(MemorySegment host) {
        copyFrom(host, 0);
    }

    /** Fills {@code host} from this buffer at byte offset {@code deviceOffset}, synchronously. */
    public void copyTo(long deviceOffset, MemorySegment host) {
        Objects.requireNonNull(host, "host");
        long bytes = host.byteSize();
        checkRange(deviceOffset, bytes);
        if (host.isReadOnly()) throw new IllegalArgumentException("host segment is read-only");
        if (bytes == 0) return;
        if (host.isNative()) {
            XentStatus.check(lib, lib.xent_copy_to_host(host, at(deviceOffset), bytes, MemorySegment.NULL), "xent_copy_to_host");
            return;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment stage = arena.allocate(Math.min(bytes, STAGING_CHUNK), 64);
            for (long done = 0; done < bytes; ) {
                long n = Math.min(stage.byteSize(), bytes - done);
                XentStatus.check(lib, lib.xent_copy_to_host(stage, at(deviceOffset + done), n, MemorySegment.NULL), "xent_copy_to_host");
                MemorySegment.copy(stage, 0, host, done, n);
                done += n;
            }
        }
    }

    /** Fills {@code host} from the start of this buffer, synchronously. */
    public void copyTo(MemorySegment host) {
        copyTo(0, host);
    }

    /** Sets every byte to {@code value} (asynchronously, on the default stream). */
    public void fill(int value) {
        XentStatus.check(lib, lib.xent_memset(pointer(), value, byteSize, MemorySegment.NULL), "xent_memset");
    }

    /** Frees the memory if this buffer owns its arena; a no-op for buffers tied to a caller's arena, and when already freed. */
    @Override
    public synchronized void close() {
        if (own != null && own.scope().isAlive()) own.close();
    }

    @Override
    public String toString() {
        return "DeviceBuffer[" + byteSize + " bytes" + (isAlive() ? " @0x" + Long.toHexString(pointer.address()) : ", freed") + "]";
    }

    /** Device address {@code offset} bytes in, scoped to this buffer: a downcall keeps it alive while it runs. */
    private MemorySegment at(long offset) {
        checkAlive();
        return span.asSlice(offset);
    }

    private void checkRange(long offset, long bytes) {
        if (offset < 0 || bytes < 0 || offset > byteSize - bytes) {
            throw new IndexOutOfBoundsException("bytes [" + offset + ", " + (offset + bytes) + ") outside a device buffer of " + byteSize);
        }
    }

    private void checkAlive() {
        if (!pointer.scope().isAlive()) throw new IllegalStateException("device buffer already freed");
    }
}
