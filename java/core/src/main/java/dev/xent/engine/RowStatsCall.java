package dev.xent.engine;

import dev.xent.DType;
import dev.xent.Layout;
import dev.xent.Targets;
import java.lang.foreign.MemorySegment;

/**
 * One per-row statistics pass handed to an engine, already validated by the public API: one class
 * index per row, each in range or equal to {@code ignoreIndex}; {@code scale} finite and > 0;
 * output buffers large enough. It mirrors {@code xent_row_stats} in native/include/xent.h.
 *
 * <p>With p = softmax(s z) and m the row max, row r gets, at {@code stats[j * rows + r]} (fp32):
 * j = {@link #LSE} log sum exp(s z), {@link #LOSS} s (m - z_y) + log sum exp(s (z - m)) (0 for an
 * ignored row), {@link #CONFIDENCE} max_k p_k, {@link #MEAN} E_p[z], {@link #VARIANCE} Var_p[z];
 * and at {@code indices[r]} (int64) the rank of the target, #{k : z_k > z_y} + #{k < y : z_k = z_y}
 * (-1 for an ignored row, C when z_y is NaN), at {@code indices[rows + r]} the predicted class
 * (first maximum).
 *
 * @param layout      where the logits' elements are
 * @param dtype       storage type of the logits
 * @param logits      the logits
 * @param targets     one class index per row
 * @param ignoreIndex rows with this label get loss 0 and rank -1
 * @param scale       the logit scale s (inverse temperature)
 * @param stats       {@link #FLOATS} * rows fp32 out
 * @param indices     2 * rows int64 out
 */
public record RowStatsCall(
        Layout layout,
        DType dtype,
        MemorySegment logits,
        Targets.ClassIndices targets,
        long ignoreIndex,
        float scale,
        MemorySegment stats,
        MemorySegment indices) {

    public static final int LSE = 0;
    public static final int LOSS = 1;
    public static final int CONFIDENCE = 2;
    public static final int MEAN = 3;
    public static final int VARIANCE = 4;
    /** fp32 statistics per row. */
    public static final int FLOATS = 5;
}
