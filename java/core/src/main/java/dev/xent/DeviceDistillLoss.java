package dev.xent;

import dev.xent.engine.DeviceRuntime;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The device outputs of {@link Distillation} (see {@link DeviceLossResult}): besides the per-row
 * losses and the reduced loss, the per-row KL(p || q), soft cross-entropy H(p, q) and teacher
 * entropy H(p), and a device copy of the hard term's class weights. Made by {@link
 * Distillation#deviceOutputs(Logits)}. {@link #readDenominator()} is what MEAN divides the KL term
 * by, {@link #readHardDenominator()} the hard term's.
 */
public final class DeviceDistillLoss extends DeviceLossResult {
    private final float[] weightSource;
    private final MemorySegment weight;
    private final MemorySegment rowKl;
    private final MemorySegment rowSoftCe;
    private final MemorySegment rowTeacherEntropy;
    private final float temperature;
    private final float alpha;

    private DeviceDistillLoss(DeviceMemory memory, long rows, long classes, Reduction reduction, float temperature, float alpha,
            float[] weightSource, DeviceSlices parts, int[] index) {
        super(memory, rows, classes, reduction, parts.of(memory.span(), index[0]), parts.of(memory.span(), index[1]),
                parts.of(memory.span(), index[3]));
        MemorySegment span = memory.span();
        this.weightSource = weightSource;
        this.weight = parts.of(span, index[2]);
        this.rowKl = parts.of(span, index[4]);
        this.rowSoftCe = parts.of(span, index[5]);
        this.rowTeacherEntropy = parts.of(span, index[6]);
        this.temperature = temperature;
        this.alpha = alpha;
    }

    /** Allocates the outputs on {@code student}'s device, copies the weights and clears the error word: one synchronisation. */
    static DeviceDistillLoss allocate(DeviceRuntime runtime, DeviceMemory student, long rows, long classes, Reduction reduction,
            float temperature, float alpha, float[] weight, Arena arena) {
        long rowBytes = Math.multiplyExact(rows, (long) Float.BYTES);
        DeviceSlices parts = new DeviceSlices();
        int[] index = {
            parts.add(ERROR_WORD_BYTES),
            parts.add(Math.multiplyExact(runtime.distillWorkspaceFloats(rows), (long) Float.BYTES)),
            parts.add(weight == null ? 0 : classes * Float.BYTES),
            parts.add(rowBytes), parts.add(rowBytes), parts.add(rowBytes), parts.add(rowBytes)
        };
        DeviceMemory memory = DeviceMemory.allocate(runtime, student.device(), parts.bytes(), arena);
        try {
            DeviceDistillLoss out = new DeviceDistillLoss(memory, rows, classes, reduction, temperature, alpha, weight, parts, index);
            if (weight != null) out.view(out.weight).copyFrom(weight);
            out.clearErrorWord(null);
            return out;
        } catch (RuntimeException e) {
            memory.close();
            throw e;
        }
    }

    /** Per-row KL(p || q) of the tempered distributions, fp32, not scaled by T^2. */
    public DeviceMemory perRowKl() {
        return view(rowKl);
    }

    /** Per-row soft cross-entropy H(p, q), fp32. */
    public DeviceMemory perRowSoftCe() {
        return view(rowSoftCe);
    }

    /** Per-row teacher entropy H(p), fp32. */
    public DeviceMemory perRowTeacherEntropy() {
        return view(rowTeacherEntropy);
    }

    /** What MEAN divides the hard term by (the summed weight of the rows not ignored), read to the host: a synchronisation. */
    public float readHardDenominator() {
        return readWorkspace(2);
    }

    /** The per-row KL, read to the host: a synchronisation. */
    public float[] readPerRowKl() {
        return readRows(rowKl);
    }

    /** Refuses outputs allocated for another shape or other options. */
    void checkFor(Logits student, Reduction reduction, float temperature, float alpha, float[] weight) {
        if (!isAlive()) throw new IllegalStateException("the device outputs were freed");
        if (rows() != student.rows() || classes() != student.classes()) {
            throw new IllegalArgumentException("the device outputs are for " + rows() + " rows of " + classes()
                    + " classes, but the student logits " + student + " have " + student.rows() + " rows of " + student.classes());
        }
        if (reduction() != reduction || this.temperature != temperature || this.alpha != alpha || weightSource != weight) {
            throw new IllegalArgumentException("the device outputs were allocated by a distillation with other options "
                    + "(reduction, temperature, alpha or class weights): allocate them with this loss's deviceOutputs(student)");
        }
    }

    MemorySegment weightRange() {
        return weight;
    }

    MemorySegment rowKlRange() {
        return rowKl;
    }

    MemorySegment rowSoftCeRange() {
        return rowSoftCe;
    }

    MemorySegment rowTeacherEntropyRange() {
        return rowTeacherEntropy;
    }
}
