package dev.xent.engine.cuda;

import dev.xent.DType;
import dev.xent.Layout;
import dev.xent.ffi.XentLibrary;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The host-to-device traffic of one host-array call of {@link CudaEngine}, in as few copies as
 * the call allows.
 *
 * <p>The small buffers share one device allocation, the scratch, in slots aligned as cudaMalloc
 * aligns. Outputs are declared first, so one copy brings all of them back (the head); then the
 * small inputs, gathered in one native host buffer (the stage) and sent in one copy with the
 * outputs' initial values (error words at -1); then the large inputs (dense targets), copied
 * straight from their host segments. A tensor the kernel rewrites in place (logits becoming their
 * gradient) gets a device buffer of its own ({@link #tensor}), and {@link #copyBack} returns it.
 * Everything is freed with the arena.
 */
final class HostStaging {
    /** Slots start at multiples of this (cudaMalloc's own alignment). */
    private static final long ALIGN = 256;

    private final XentLibrary lib;
    private final Arena arena;
    private final List<Staged> staged = new ArrayList<>();
    private final List<Staged> large = new ArrayList<>();
    private final List<Long> errorWords = new ArrayList<>();
    private long size;
    private long headEnd;
    /** End of the outputs and small inputs: what the stage holds. */
    private long stagedEnd;
    private boolean inputs;
    private DeviceBuffer scratch;
    private MemorySegment stage;

    private record Staged(MemorySegment host, long offset) {}

    HostStaging(XentLibrary lib, Arena arena) {
        this.lib = Objects.requireNonNull(lib, "lib");
        this.arena = Objects.requireNonNull(arena, "arena");
    }

    /** An output slot of {@code bytes}, all of which come back. */
    long output(long bytes) {
        return output(bytes, bytes, null);
    }

    /** An output slot of {@code bytes} of which the first {@code returned} come back (a workspace's results). */
    long output(long bytes, long returned) {
        return output(bytes, returned, null);
    }

    /** An output slot that starts as {@code initial} (null: zeros): what one pass saved and the next reads back. */
    long output(long bytes, MemorySegment initial) {
        return output(bytes, bytes, initial);
    }

    /** A 2-int64 error word, sent as (-1, -1) and brought back. */
    long errorWord() {
        long offset = output(2 * Long.BYTES);
        errorWords.add(offset);
        return offset;
    }

    /** A small input slot holding the first {@code bytes} of {@code host}; -1 (no slot) when {@code host} is null. */
    long input(MemorySegment host, long bytes) {
        return host == null ? -1 : input(host.asSlice(0, bytes));
    }

    /** A small input slot holding all of {@code host}; -1 (no slot) when {@code host} is null. */
    long input(MemorySegment host) {
        if (host == null) return -1;
        if (!large.isEmpty()) throw new IllegalStateException("small inputs go before large ones");
        inputs = true;
        long offset = slot(host.byteSize());
        staged.add(new Staged(host, offset));
        stagedEnd = size;
        return offset;
    }

    /** A large input slot with the first {@code bytes} of {@code host}, sent without staging. */
    long largeInput(MemorySegment host, long bytes) {
        long offset = slot(bytes);
        large.add(new Staged(host.asSlice(0, bytes), offset));
        return offset;
    }

    /** A device buffer of its own holding the first {@code bytes} of {@code host}, sent now. */
    DeviceBuffer tensor(MemorySegment host, long bytes) {
        DeviceBuffer device = DeviceBuffer.allocate(lib, bytes, arena);
        device.copyFrom(host.asSlice(0, bytes));
        return device;
    }

    /** Allocates the scratch and sends the stage (outputs' initial values, small inputs), then the large inputs. */
    void send() {
        if (scratch != null) throw new IllegalStateException("already sent");
        stage = arena.allocate(stagedEnd, ALIGN);
        for (long e : errorWords) stage.asSlice(e, 2 * Long.BYTES).fill((byte) 0xFF);
        for (Staged s : staged) MemorySegment.copy(s.host(), 0, stage, s.offset(), s.host().byteSize());
        scratch = DeviceBuffer.allocate(lib, size, arena);
        scratch.copyFrom(stage, 0);
        for (Staged s : large) scratch.copyFrom(s.host(), s.offset());
    }

    /** The device address of a slot; 0 (NULL) for -1, no slot. */
    long device(long offset) {
        if (scratch == null) throw new IllegalStateException("send() first");
        return offset < 0 ? 0 : scratch.address() + offset;
    }

    /** Copies the outputs back into the stage and returns them; the copy waits for the kernels. */
    MemorySegment receive() {
        MemorySegment head = stage.asSlice(0, headEnd);
        scratch.copyTo(0, head);
        return head;
    }

    /**
     * Copies a logits-shaped result from the device into {@code host}. Row padding (row stride
     * larger than C * inner) of {@code host} is left as it was: the device copy's padding holds the
     * input's bytes, so a padded layout goes through a host copy and only the rows' elements are
     * written, unless {@code host} is the input itself (in place), whose padding it already is.
     */
    void copyBack(DeviceBuffer device, MemorySegment host, Layout layout, DType dtype, boolean inPlace) {
        long esize = dtype.byteSize();
        long bytes = layout.extent() * esize;
        if (bytes == 0) return;
        boolean dense = layout.outerStride() == layout.classes() * layout.inner();
        if (dense || inPlace) {
            device.copyTo(0, host.asSlice(0, bytes));
            return;
        }
        MemorySegment rows = arena.allocate(bytes, ALIGN);
        device.copyTo(0, rows);
        long block = layout.classes() * layout.inner() * esize;
        long stride = layout.outerStride() * esize;
        for (long o = 0; o < layout.outer(); o++) {
            MemorySegment.copy(rows, o * stride, host, o * stride, block);
        }
    }

    private long output(long bytes, long returned, MemorySegment initial) {
        if (inputs || !large.isEmpty()) throw new IllegalStateException("outputs go before inputs");
        long offset = slot(bytes);
        headEnd = Math.max(headEnd, offset + returned);
        stagedEnd = size;
        if (initial != null) staged.add(new Staged(initial.asSlice(0, bytes), offset));
        return offset;
    }

    private long slot(long bytes) {
        if (scratch != null) throw new IllegalStateException("already sent");
        long offset = (size + ALIGN - 1) / ALIGN * ALIGN;
        size = Math.addExact(offset, bytes);
        return offset;
    }
}
