package dev.xent;

import dev.xent.engine.DeviceRuntime;
import dev.xent.engine.Engine;
import dev.xent.internal.Checks;
import java.lang.foreign.MemorySegment;

/** The checks device calls share: which runtime runs them, and per-row fp32 outputs in device memory. */
final class DeviceOutputs {
    private DeviceOutputs() {}

    /**
     * {@code engine}'s device runtime, which must be the one {@code memory} belongs to: device
     * memory is refused by the java engine, and memory of one device engine by another.
     */
    static DeviceRuntime runtimeFor(Engine engine, DeviceMemory memory, String op) {
        DeviceRuntime runtime = engine.device().orElseThrow(() -> new IllegalArgumentException(
                op + ": the " + engine.name() + " engine computes on host memory, but the tensors are device memory of "
                        + memory.engineName() + " (use Xent.engine(\"" + memory.engineName() + "\"))"));
        if (runtime != memory.runtime()) {
            throw new IllegalArgumentException(op + ": the tensors are device memory of " + memory.engineName()
                    + ", but this op runs on " + engine.name());
        }
        return runtime;
    }

    /** The device memory of a tensor a device call takes; host memory is refused naming the other form. */
    static DeviceMemory memoryOf(Logits t, String op) {
        return t.deviceMemory().orElseThrow(() -> new IllegalArgumentException(op + ": " + t
                + " is host memory; the calls with device outputs take device tensors (host tensors: the forms without them)"));
    }

    /** Device class indices: at least one per row (their range is checked by the kernels, into the error word). */
    static void checkLabels(Targets.ClassIndices idx, Logits logits) {
        Checks.alive(idx.data(), "targets");
        if (idx.count() < logits.rows()) {
            throw new IllegalArgumentException("targets hold " + idx.count() + " class indices but logits " + logits
                    + " have " + logits.rows() + " rows");
        }
    }

    /** The upstream gradient's range, 1 fp32 (SUM, MEAN) or one per row (NONE); null for null (1). */
    static MemorySegment upstreamOf(DeviceMemory upstream, Reduction reduction, long rows) {
        return upstream == null ? null : rowsOf(upstream, reduction == Reduction.NONE ? rows : 1, "upstream");
    }

    /** The first {@code rows} fp32 of {@code memory}: alive, large enough and aligned. */
    static MemorySegment rowsOf(DeviceMemory memory, long rows, String what) {
        Checks.alive(memory.span(), what);
        Checks.holds(memory.span(), rows, Float.BYTES, "F32", what, "of one value per row (" + rows + ")");
        Checks.aligned(memory.span(), Float.BYTES, what);
        return memory.span().asSlice(0, rows * Float.BYTES);
    }
}
