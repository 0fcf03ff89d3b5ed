package dev.xent.engine;

import dev.xent.DType;
import dev.xent.Layout;
import java.lang.foreign.MemorySegment;

/**
 * What an engine that computes on a device offers besides its host calls: device memory, streams,
 * and the ops on device memory, which only enqueue work. The public API ({@code DeviceMemory},
 * {@code Stream}, {@code Logits.onDevice}) is built on it and validates every call first; an
 * engine implements it, users never call it.
 *
 * <p>Addresses are device addresses as {@code long}; a stream is a {@code cudaStream_t} as a
 * {@code long}, 0 for the default stream. Each method that names a {@code device} makes it
 * current for the calling thread first. Segments in the call records are device address ranges:
 * they are passed to native code, never read or written from Java.
 */
public interface DeviceRuntime {

    /** The engine whose kernels run on this memory ("cuda", "cuda-emu"). */
    String engineName();

    /** Number of devices. */
    int deviceCount();

    /** Allocates {@code bytes} (at least 1) on {@code device}; the device address. */
    long allocate(int device, long bytes);

    /** Frees what {@link #allocate} returned. */
    void free(long address);

    /** The device whose memory {@code address} points into, or -1 when it is not device memory. */
    int deviceOf(long address);

    /** Copies {@code host} to {@code dst} on the stream, and waits for the stream (a synchronisation). */
    void copyToDevice(int device, long dst, MemorySegment host, long stream);

    /** Fills {@code host} from {@code src} on the stream, and waits for the stream (a synchronisation). */
    void copyToHost(int device, MemorySegment host, long src, long stream);

    /** Sets {@code bytes} bytes at {@code dst} to {@code value}: enqueued on the stream. */
    void memset(int device, long dst, int value, long bytes, long stream);

    /** A new non-blocking stream on {@code device}. */
    long createStream(int device);

    void destroyStream(long stream);

    /** The device {@code stream} belongs to (the default stream, 0: {@code device}'s own). */
    int streamDevice(int device, long stream);

    /** Waits for the stream's work. */
    void synchronize(int device, long stream);

    /** Host-synchronising runtime calls made so far, as the emulator counts them; -1 when not counted. */
    long synchronizingCalls();

    /** fp32 elements of the workspace a cross-entropy or NLL call over rows x classes needs. */
    long workspaceFloats(long rows, long classes);

    /** fp32 elements of the workspace a distillation call over {@code rows} needs. */
    long distillWorkspaceFloats(long rows);

    /**
     * Enqueues {@code call} on device memory: {@code call.reduced()} is null, and the reduced loss,
     * its denominator and its z-loss part land in {@code workspace} [0], [1] and [3];
     * {@code errorInfo} (2 int64) records the first bad label as xent.h says.
     */
    void crossEntropy(int device, CrossEntropyCall call, MemorySegment workspace, MemorySegment errorInfo, long stream);

    /**
     * Enqueues {@code call} on device memory: {@code call.reduced()} is null, and the reduced loss
     * and its denominator land in {@code workspace} [0] and [1]; {@code errorInfo} as above.
     */
    void nll(int device, NllCall call, MemorySegment workspace, MemorySegment errorInfo, long stream);

    /**
     * Enqueues {@code call} on device memory: {@code call.reduced()} is null, and the reduced loss,
     * the KL and the hard-term denominators land in {@code workspace} [0], [1] and [2];
     * {@code errorInfo} (null without hard labels) as above.
     */
    void distill(int device, DistillCall call, MemorySegment workspace, MemorySegment errorInfo, long stream);

    /** fp32 elements of the workspace an element-wise loss over {@code count} elements needs. */
    long elementwiseWorkspaceFloats(long count);

    /**
     * Enqueues {@code call} on device memory: its {@code reduced} is null, and the reduced loss and
     * the element count land in {@code workspace} [0] and [1]; {@code errorInfo} records the first
     * bad element as xent.h says.
     */
    void elementwiseLoss(int device, ElementwiseLossCall call, MemorySegment workspace, MemorySegment errorInfo, long stream);

    /** Enqueues {@link Engine#entropy} on device memory. */
    void entropy(int device, Layout layout, DType dtype, MemorySegment logits, MemorySegment upstream, MemorySegment grad,
            MemorySegment out, long stream);

    /** Enqueues {@link Engine#jensenShannon} on device memory. */
    void jensenShannon(int device, Layout layout, DType dtype, MemorySegment p, MemorySegment q, MemorySegment upstream,
            MemorySegment gradP, MemorySegment gradQ, MemorySegment out, long stream);

    /** Enqueues log-softmax ({@code out} may be {@code in}). */
    void logSoftmax(int device, Layout layout, DType dtype, MemorySegment in, MemorySegment out, long stream);

    /** Enqueues softmax ({@code out} may be {@code in}). */
    void softmax(int device, Layout layout, DType dtype, MemorySegment in, MemorySegment out, long stream);

    /** Enqueues the per-row log-sum-exp into {@code out}, one fp32 per row. */
    void logSumExp(int device, Layout layout, DType dtype, MemorySegment in, MemorySegment out, long stream);
}
