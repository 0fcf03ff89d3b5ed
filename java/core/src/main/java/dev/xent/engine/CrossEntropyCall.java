package dev.xent.engine;

import dev.xent.DType;
import dev.xent.Layout;
import dev.xent.Reduction;
import dev.xent.Targets;
import java.lang.foreign.MemorySegment;

/**
 * One cross-entropy computation handed to an engine, already validated by the public API:
 * shapes agree, class indices are in range or equal {@code ignoreIndex}, buffers are large enough.
 * It mirrors {@code xent_ce_*} in native/include/xent.h so the native engines only translate.
 *
 * @param pass           what to compute
 * @param layout         where the logits' elements are (the gradient uses the same layout)
 * @param dtype          storage type of logits, gradient and probability targets
 * @param logits         the logits
 * @param targets        class indices (one per row) or dense probabilities of the logits' shape
 * @param weight         per-class weights, C floats, or null for none
 * @param ignoreIndex    class-index rows with this label contribute no loss and no gradient
 * @param labelSmoothing eps in [0, 1]
 * @param reduction      how {@code reduced[0]} is formed and which upstream shape applies
 * @param logitScale     s > 0: the logits are taken as s z (1: none)
 * @param softcap        c > 0: the scaled logits are taken as c tanh(s z / c), -inf kept; 0: none
 * @param zLoss          lambda >= 0: each row adds lambda u_i lse_i^2 (u_i = w[y_i], 0 when
 *                       ignored, for class indices; 1 for probabilities)
 * @param upstream       fp32 upstream gradient: 1 value for SUM and MEAN, {@code rows} values for
 *                       NONE; null means 1. Ignored by FORWARD.
 * @param grad           gradient output (dtype, layout); may be the logits segment itself (in
 *                       place); null for FORWARD
 * @param rowLoss        fp32 per-row losses out (weights applied, before reduction); null allowed
 *                       for BACKWARD
 * @param rowZLoss       fp32 per-row z-loss out (the part of rowLoss it is); null allowed
 * @param lse            fp32 per-row log-sum-exp: written by FORWARD and FORWARD_BACKWARD, read by
 *                       BACKWARD
 * @param reduced        3 fp32 out: [0] the reduced loss (SUM or MEAN; for NONE the sum), [1]
 *                       the denominator MEAN divides by, [2] the z-loss part of [0] (FORWARD*
 *                       only)
 */
public record CrossEntropyCall(
        Pass pass,
        Layout layout,
        DType dtype,
        MemorySegment logits,
        Targets targets,
        MemorySegment weight,
        long ignoreIndex,
        float labelSmoothing,
        Reduction reduction,
        float logitScale,
        float softcap,
        float zLoss,
        MemorySegment upstream,
        MemorySegment grad,
        MemorySegment rowLoss,
        MemorySegment rowZLoss,
        MemorySegment lse,
        MemorySegment reduced) {}
