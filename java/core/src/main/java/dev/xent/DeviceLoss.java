package dev.xent;

import dev.xent.engine.DeviceRuntime;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Optional;

/**
 * The outputs of cross-entropy on device memory, kept on the device: per-row losses, log-sum-exp
 * and z-losses, the reduced loss as a device scalar, and the error word the kernels record a bad
 * label in. Allocated once for a logits shape by {@link CrossEntropy#deviceOutputs(Logits)} and
 * written by every call given it, so a training loop allocates nothing per step and a CUDA graph
 * can capture the calls.
 *
 * <p>The device views ({@link #perRow()}, {@link #lse()}, {@link #perRowZLoss()}, {@link
 * #valueOnDevice()}) cost nothing. Every {@code read} method and {@link #checkTargets()} is a
 * synchronisation: it waits for the stream of the last call that wrote these outputs, then copies
 * to the host. Only this class's own calls write it; one stream at a time.
 */
public final class DeviceLoss implements AutoCloseable {
    private static final long ERROR_WORD_BYTES = 2 * Long.BYTES;

    private final DeviceMemory memory;
    private final long rows;
    private final long classes;
    private final Reduction reduction;
    /** The loss's class weights these outputs hold a device copy of (compared by identity); null for none. */
    private final float[] weightSource;
    private final MemorySegment errorInfo;
    private final MemorySegment weight;
    private final MemorySegment rowLoss;
    private final MemorySegment lse;
    private final MemorySegment rowZLoss;
    private final MemorySegment workspace;
    /** The stream of the last call that wrote these outputs: what the reads wait for. Null: the default stream. */
    private volatile Stream lastStream;

    private DeviceLoss(DeviceMemory memory, long rows, long classes, Reduction reduction, float[] weightSource,
            boolean withZLoss, long workspaceFloats) {
        this.memory = memory;
        this.rows = rows;
        this.classes = classes;
        this.reduction = reduction;
        this.weightSource = weightSource;
        MemorySegment span = memory.span();
        long rowBytes = rows * Float.BYTES;
        long at = 0;
        errorInfo = span.asSlice(at, ERROR_WORD_BYTES);
        at += ERROR_WORD_BYTES;
        workspace = span.asSlice(at, workspaceFloats * Float.BYTES); // 16-byte aligned, as the kernels' partials like
        at += workspaceFloats * Float.BYTES;
        weight = weightSource == null ? null : span.asSlice(at, classes * Float.BYTES);
        at += weightSource == null ? 0 : classes * Float.BYTES;
        rowLoss = span.asSlice(at, rowBytes);
        at += rowBytes;
        lse = span.asSlice(at, rowBytes);
        at += rowBytes;
        rowZLoss = withZLoss ? span.asSlice(at, rowBytes) : null;
    }

    /**
     * Allocates the outputs of {@code ce}'s calls over {@code logits}' shape on their device, copies
     * the class weights there and clears the error word: synchronises once, here.
     */
    static DeviceLoss allocate(DeviceRuntime runtime, DeviceMemory logits, long rows, long classes, Reduction reduction,
            float[] weight, boolean withZLoss, Arena arena) {
        long workspaceFloats = runtime.workspaceFloats(rows, classes);
        long bytes = ERROR_WORD_BYTES + (weight == null ? 0 : classes * Float.BYTES)
                + Math.multiplyExact(rows, (long) Float.BYTES) * (withZLoss ? 3 : 2) + workspaceFloats * Float.BYTES;
        DeviceMemory memory = DeviceMemory.allocate(runtime, logits.device(), bytes, arena);
        try {
            DeviceLoss out = new DeviceLoss(memory, rows, classes, reduction, weight, withZLoss, workspaceFloats);
            if (weight != null) out.view(out.weight).copyFrom(weight);
            out.clearErrorWord(null);
            return out;
        } catch (RuntimeException e) {
            memory.close();
            throw e;
        }
    }

    /** Per-row losses, fp32, row order of the logits' {@link Logits#rowShape()} (weights and smoothing applied). */
    public DeviceMemory perRow() {
        return view(rowLoss);
    }

    /** Per-row log-sum-exp of the (transformed) logits, fp32: what {@link CrossEntropy#backward} reads. */
    public DeviceMemory lse() {
        return view(lse);
    }

    /** The z-loss part of each row's loss, fp32; empty when the loss has no z-loss. */
    public Optional<DeviceMemory> perRowZLoss() {
        return rowZLoss == null ? Optional.empty() : Optional.of(view(rowZLoss));
    }

    /** The reduced loss as one fp32 on the device (under NONE: the sum of the rows), for a kernel that reads it. */
    public DeviceMemory valueOnDevice() {
        return view(workspace.asSlice(0, Float.BYTES));
    }

    /** Rows and classes these outputs are for. */
    public long rows() {
        return rows;
    }

    public long classes() {
        return classes;
    }

    /**
     * The reduced loss (SUM or MEAN), read to the host: a synchronisation.
     *
     * @throws IllegalStateException under reduction NONE, which has one loss per row
     */
    public float readValue() {
        if (reduction == Reduction.NONE) {
            throw new IllegalStateException("reduction NONE gives one loss per row; use readPerRow() or perRow()");
        }
        return readWorkspace()[0];
    }

    /** What MEAN divides by (the summed weight of the rows not ignored), read to the host: a synchronisation. */
    public float readDenominator() {
        return readWorkspace()[1];
    }

    /** The z-loss part of the reduced loss, read to the host: a synchronisation. */
    public float readZLoss() {
        return readWorkspace()[3];
    }

    /** The per-row losses, read to the host: a synchronisation. */
    public float[] readPerRow() {
        return readRows(rowLoss);
    }

    /** The per-row log-sum-exp, read to the host: a synchronisation. */
    public float[] readLse() {
        return readRows(lse);
    }

    /**
     * Throws naming the row and value of the first bad label (outside [0, C), not ignoreIndex)
     * that a call recorded since the last check, and clears the record; returns normally when
     * there was none. Such a row contributes no loss and no gradient. A synchronisation.
     */
    public void checkTargets() {
        Stream s = lastStream;
        long[] word = new long[2];
        view(errorInfo).copyTo(MemorySegment.ofArray(word), s);
        if (word[0] == -1) return;
        clearErrorWord(s);
        throw new IllegalArgumentException("target " + word[1] + " at row " + word[0] + " is out of range [0, " + classes
                + ") and is not ignoreIndex: recorded on the device since the last check");
    }

    /** Frees the outputs if {@link CrossEntropy#deviceOutputs(Logits)} allocated them; those tied to an arena go with it. */
    @Override
    public void close() {
        memory.close();
    }

    public boolean isAlive() {
        return memory.isAlive();
    }

    @Override
    public String toString() {
        return "DeviceLoss[" + rows + " rows x " + classes + " classes, " + reduction + ", " + memory + "]";
    }

    // ---- for CrossEntropy ----------------------------------------------------------------------

    DeviceMemory memory() {
        return memory;
    }

    Reduction reduction() {
        return reduction;
    }

    float[] weightSource() {
        return weightSource;
    }

    boolean hasZLoss() {
        return rowZLoss != null;
    }

    MemorySegment weightRange() {
        return weight;
    }

    MemorySegment rowLossRange() {
        return rowLoss;
    }

    MemorySegment lseRange() {
        return lse;
    }

    MemorySegment rowZLossRange() {
        return rowZLoss;
    }

    MemorySegment workspaceRange() {
        return workspace;
    }

    MemorySegment errorInfoRange() {
        return errorInfo;
    }

    /** Records the stream a call enqueued on, for the reads. */
    void writtenOn(Stream stream) {
        lastStream = stream;
    }

    // ---- reads -----------------------------------------------------------------------------------

    private float[] readWorkspace() {
        float[] head = new float[4];
        view(workspace.asSlice(0, 4 * Float.BYTES)).copyTo(MemorySegment.ofArray(head), lastStream);
        return head;
    }

    private float[] readRows(MemorySegment range) {
        float[] values = new float[Math.toIntExact(rows)];
        view(range).copyTo(MemorySegment.ofArray(values), lastStream);
        return values;
    }

    private void clearErrorWord(Stream stream) {
        view(errorInfo).fill(0xFF, stream);
    }

    private DeviceMemory view(MemorySegment range) {
        return memory.slice(range.address() - memory.span().address(), range.byteSize());
    }
}
