package dev.xent;

import dev.xent.engine.DeviceRuntime;

/**
 * A CUDA stream of one device: the queue device calls enqueue their work on. Nothing in xent
 * waits for a stream behind the caller's back; {@link #synchronize()}, the copies of {@link
 * DeviceMemory} and the reads of {@link DeviceLoss} are the synchronisation points, each
 * documented as one.
 *
 * <p>From an {@link Xent} on a device engine: {@link Xent#newStream()} creates one (a
 * non-blocking stream, as PyTorch's are; {@link #close()} destroys it), {@link
 * Xent#wrapStream(long)} wraps a {@code cudaStream_t} someone else owns ({@link #close()} only
 * ends this view), and {@link Xent#defaultStream()} is the device's default (legacy) stream.
 * Give one per call with {@code withStream} on a loss, or to every op of an {@code Xent} with
 * {@link Xent#withStream(Stream)}.
 */
public final class Stream implements AutoCloseable {
    private final DeviceRuntime runtime;
    private final int device;
    private final long handle;
    private final boolean owned;
    private volatile boolean open = true;

    private Stream(DeviceRuntime runtime, int device, long handle, boolean owned) {
        this.runtime = runtime;
        this.device = device;
        this.handle = handle;
        this.owned = owned;
    }

    static Stream create(DeviceRuntime runtime, int device) {
        return new Stream(runtime, device, runtime.createStream(device), true);
    }

    static Stream wrap(DeviceRuntime runtime, int device, long handle) {
        return new Stream(runtime, runtime.streamDevice(device, handle), handle, false);
    }

    static Stream defaultOf(DeviceRuntime runtime, int device) {
        return new Stream(runtime, device, 0, false);
    }

    /** The {@code cudaStream_t} as a number (0: the default stream). */
    public long handle() {
        checkAlive();
        return handle;
    }

    /** The device the stream belongs to. */
    public int device() {
        return device;
    }

    /** The engine whose device this is ("cuda", "cuda-emu"). */
    public String engineName() {
        return runtime.engineName();
    }

    /** Waits until every piece of work enqueued on the stream is done: a synchronisation. */
    public void synchronize() {
        runtime.synchronize(device, handle());
    }

    public boolean isOpen() {
        return open;
    }

    /** Destroys a stream from {@link Xent#newStream()}; ends the view of a wrapped or default one. Idempotent. */
    @Override
    public synchronized void close() {
        if (!open) return;
        open = false;
        if (owned) runtime.destroyStream(handle);
    }

    @Override
    public String toString() {
        return "Stream[" + runtime.engineName() + ":" + device + ", 0x" + Long.toHexString(handle) + (open ? "" : ", closed") + "]";
    }

    DeviceRuntime runtime() {
        return runtime;
    }

    void checkAlive() {
        if (!open) throw new IllegalStateException("the stream was closed");
    }
}
