package dev.xent.engine;

import dev.xent.DType;
import dev.xent.Layout;
import java.lang.foreign.MemorySegment;

/**
 * Computes the ops for one kind of memory. Engines receive validated calls on host segments;
 * they never allocate N x C temporaries and never change their inputs except where a call asks
 * for an in-place gradient. Implementations must be thread-safe.
 */
public interface Engine {

    /** The name users select the engine by: "java", "cuda", "cuda-emu". */
    String name();

    /** One line on how this engine runs (vector width, device name, library path). */
    String description();

    /** Cross-entropy forward, backward, or both fused. See {@link CrossEntropyCall}. */
    void crossEntropy(CrossEntropyCall call);

    /** {@code out = z - lse(z)} row by row; {@code out} has the input's layout and dtype and may alias it. */
    void logSoftmax(Layout layout, DType dtype, MemorySegment in, MemorySegment out);

    /** {@code out = exp(z - lse(z))} row by row; {@code out} has the input's layout and dtype and may alias it. */
    void softmax(Layout layout, DType dtype, MemorySegment in, MemorySegment out);

    /** {@code out[r] = log sum_k exp z[r, k]} as fp32, one per row. */
    void logSumExp(Layout layout, DType dtype, MemorySegment in, MemorySegment out);

    /** Per-row evaluation statistics (loss, rank of the target, confidence, moments) in one pass. See {@link RowStatsCall}. */
    void rowStats(RowStatsCall call);
}
