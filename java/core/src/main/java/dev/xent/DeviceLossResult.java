package dev.xent;

import java.lang.foreign.MemorySegment;

/**
 * What the losses' device calls write, kept on the device: per-row losses, the reduced loss as a
 * device scalar, its denominator, and the error word the kernels record a bad input in. Allocated
 * once for a shape by the loss's {@code deviceOutputs} and written by every call given it, so a
 * training loop allocates nothing per step and a CUDA graph can capture the calls. Each loss adds
 * its named outputs ({@link DeviceLoss}, {@link DeviceDistillLoss}).
 *
 * <p>The device views ({@link #perRow()}, {@link #valueOnDevice()}, and the subclasses' own) cost
 * nothing. Every {@code read} method and {@link #checkInputs()} is a synchronisation: it waits for
 * the stream of the last call that wrote these outputs, then copies to the host. One stream at a
 * time writes them.
 */
public abstract sealed class DeviceLossResult implements AutoCloseable permits DeviceLoss, DeviceDistillLoss, DeviceElementwiseLoss {
    static final long ERROR_WORD_BYTES = 2 * Long.BYTES;

    private final DeviceMemory memory;
    private final long rows;
    private final long classes;
    private final Reduction reduction;
    private final MemorySegment errorInfo;
    private final MemorySegment workspace;
    private final MemorySegment rowLoss;
    /** The stream of the last call that wrote these outputs: what the reads wait for. Null: the default stream. */
    private volatile Stream lastStream;

    DeviceLossResult(DeviceMemory memory, long rows, long classes, Reduction reduction, MemorySegment errorInfo,
            MemorySegment workspace, MemorySegment rowLoss) {
        this.memory = memory;
        this.rows = rows;
        this.classes = classes;
        this.reduction = reduction;
        this.errorInfo = errorInfo;
        this.workspace = workspace;
        this.rowLoss = rowLoss;
    }

    /** Per-row losses, fp32, in the row order of the input's {@link Logits#rowShape()}. */
    public DeviceMemory perRow() {
        return view(rowLoss);
    }

    /** The reduced loss as one fp32 on the device (under NONE: the sum of the rows), for a kernel that reads it. */
    public DeviceMemory valueOnDevice() {
        return view(workspace.asSlice(0, Float.BYTES));
    }

    /** Rows these outputs are for. */
    public long rows() {
        return rows;
    }

    /** Classes of the logits these outputs are for (what a label must stay below); 0 for the element-wise losses. */
    public long classes() {
        return classes;
    }

    public Reduction reduction() {
        return reduction;
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
        return readWorkspace(0);
    }

    /** What MEAN divides by (each loss says what it counts), read to the host: a synchronisation. */
    public float readDenominator() {
        return readWorkspace(1);
    }

    /** The per-row losses, read to the host: a synchronisation. */
    public float[] readPerRow() {
        return readRows(rowLoss);
    }

    /**
     * Throws naming the first bad input a call recorded since the last check (a label outside
     * [0, C) that is not ignoreIndex: its row and value; for the element-wise losses, the element
     * and value), and clears the record; returns normally when there was none. Such a row
     * contributed no loss and no gradient. A synchronisation.
     */
    public void checkInputs() {
        if (errorInfo == null) return;
        Stream s = lastStream;
        long[] word = new long[2];
        view(errorInfo).copyTo(MemorySegment.ofArray(word), s);
        if (word[0] == -1) return;
        clearErrorWord(s);
        throw badInput(word[0], word[1]);
    }

    /** The exception for what the error word recorded: {@code where} (a row, an element) and {@code what}. */
    RuntimeException badInput(long where, long what) {
        return new IllegalArgumentException("target " + what + " at row " + where + " is out of range [0, " + classes
                + ") and is not ignoreIndex: recorded on the device since the last check");
    }

    /** Frees the outputs if {@code deviceOutputs} allocated them; those tied to an arena go with it. */
    @Override
    public void close() {
        memory.close();
    }

    public boolean isAlive() {
        return memory.isAlive();
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "[" + rows + " rows x " + classes + " classes, " + reduction + ", " + memory + "]";
    }

    // ---- for the losses ------------------------------------------------------------------------

    DeviceMemory memory() {
        return memory;
    }

    MemorySegment workspaceRange() {
        return workspace;
    }

    MemorySegment errorInfoRange() {
        return errorInfo;
    }

    MemorySegment rowLossRange() {
        return rowLoss;
    }

    /** Records the stream a call enqueued on, for the reads. */
    void writtenOn(Stream stream) {
        lastStream = stream;
    }

    /** Sets the error word to "nothing recorded", on {@code stream}. */
    void clearErrorWord(Stream stream) {
        if (errorInfo != null) view(errorInfo).fill(0xFF, stream);
    }

    float readWorkspace(int index) {
        float[] value = new float[1];
        view(workspace.asSlice(index * (long) Float.BYTES, Float.BYTES)).copyTo(MemorySegment.ofArray(value), lastStream);
        return value[0];
    }

    float[] readRows(MemorySegment range) {
        float[] values = new float[Math.toIntExact(rows)];
        view(range).copyTo(MemorySegment.ofArray(values), lastStream);
        return values;
    }

    DeviceMemory view(MemorySegment range) {
        return memory.slice(range.address() - memory.span().address(), range.byteSize());
    }
}
