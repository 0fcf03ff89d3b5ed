package dev.xent;

import dev.xent.engine.DeviceRuntime;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Optional;

/**
 * The device outputs of {@link CrossEntropy} and {@link NllLoss} (see {@link DeviceLossResult}):
 * besides the per-row losses and the reduced loss, cross-entropy's per-row log-sum-exp (what
 * {@link CrossEntropy#backward} reads) and z-losses, and a device copy of the loss's class
 * weights. Made by {@link CrossEntropy#deviceOutputs(Logits)} or {@link NllLoss#deviceOutputs(Logits)}.
 * {@link #readDenominator()} is the summed weight of the rows not ignored (probability targets:
 * the row count).
 */
public final class DeviceLoss extends DeviceLossResult {
    /** The loss's class weights these outputs hold a device copy of (compared by identity); null for none. */
    private final float[] weightSource;
    private final MemorySegment weight;
    private final MemorySegment lse;
    private final MemorySegment rowZLoss;
    /** The options these outputs were allocated for: a call with others is refused. */
    private final Object owner;

    private DeviceLoss(DeviceMemory memory, long rows, long classes, Reduction reduction, float[] weightSource,
            MemorySegment errorInfo, MemorySegment workspace, MemorySegment weight, MemorySegment rowLoss, MemorySegment lse,
            MemorySegment rowZLoss, Object owner) {
        super(memory, rows, classes, reduction, errorInfo, workspace, rowLoss);
        this.weightSource = weightSource;
        this.weight = weight;
        this.lse = lse;
        this.rowZLoss = rowZLoss;
        this.owner = owner;
    }

    /**
     * Allocates the outputs of a loss's calls over {@code rows} x {@code classes} logits in {@code
     * logits}' device memory, copies the class weights there and clears the error word:
     * synchronises once, here. {@code owner} is the kind of loss (its class) these are for.
     */
    static DeviceLoss allocate(DeviceRuntime runtime, DeviceMemory logits, long rows, long classes, Reduction reduction,
            float[] weight, boolean withLse, boolean withZLoss, Class<?> owner, Arena arena) {
        long rowBytes = Math.multiplyExact(rows, (long) Float.BYTES);
        DeviceSlices parts = new DeviceSlices();
        int errorInfo = parts.add(ERROR_WORD_BYTES);
        int workspace = parts.add(Math.multiplyExact(runtime.workspaceFloats(rows, classes), (long) Float.BYTES));
        int weights = parts.add(weight == null ? 0 : classes * Float.BYTES);
        int rowLoss = parts.add(rowBytes);
        int lse = parts.add(withLse ? rowBytes : 0);
        int rowZLoss = parts.add(withZLoss ? rowBytes : 0);
        DeviceMemory memory = DeviceMemory.allocate(runtime, logits.device(), parts.bytes(), arena);
        try {
            MemorySegment span = memory.span();
            DeviceLoss out = new DeviceLoss(memory, rows, classes, reduction, weight, parts.of(span, errorInfo),
                    parts.of(span, workspace), parts.of(span, weights), parts.of(span, rowLoss), parts.of(span, lse),
                    parts.of(span, rowZLoss), owner);
            if (weight != null) out.view(out.weight).copyFrom(weight);
            out.clearErrorWord(null);
            return out;
        } catch (RuntimeException e) {
            memory.close();
            throw e;
        }
    }

    /**
     * Cross-entropy's per-row log-sum-exp of the (transformed) logits, fp32.
     *
     * @throws IllegalStateException for NLL outputs, which keep none
     */
    public DeviceMemory lse() {
        if (lse == null) throw new IllegalStateException("NLL outputs keep no log-sum-exp");
        return view(lse);
    }

    /** The z-loss part of each row's loss, fp32; empty when the loss has no z-loss. */
    public Optional<DeviceMemory> perRowZLoss() {
        return rowZLoss == null ? Optional.empty() : Optional.of(view(rowZLoss));
    }

    /** The z-loss part of the reduced loss, read to the host: a synchronisation (0 without z-loss). */
    public float readZLoss() {
        return readWorkspace(3);
    }

    /** The per-row log-sum-exp, read to the host: a synchronisation. */
    public float[] readLse() {
        lse();
        return readRows(lse);
    }

    /** Refuses outputs allocated for another shape or other options. */
    void checkFor(Class<?> loss, Logits logits, Reduction reduction, float[] weight, boolean withZLoss) {
        if (!isAlive()) throw new IllegalStateException("the device outputs were freed");
        if (rows() != logits.rows() || classes() != logits.classes()) {
            throw new IllegalArgumentException("the device outputs are for " + rows() + " rows of " + classes()
                    + " classes, but logits " + logits + " have " + logits.rows() + " rows of " + logits.classes());
        }
        if (owner != loss || reduction() != reduction || weightSource != weight || (rowZLoss != null) != withZLoss) {
            throw new IllegalArgumentException("the device outputs were allocated by a loss with other options "
                    + "(kind, reduction, class weights or z-loss): allocate them with this loss's deviceOutputs(logits)");
        }
    }

    MemorySegment weightRange() {
        return weight;
    }

    MemorySegment lseRange() {
        return lse;
    }

    MemorySegment rowZLossRange() {
        return rowZLoss;
    }
}
