package dev.xent.engine;

import dev.xent.DType;
import dev.xent.Layout;
import dev.xent.Reduction;
import dev.xent.Targets;
import java.lang.foreign.MemorySegment;

/**
 * One NLL-loss computation handed to an engine, validated by the public API (shapes agree, labels
 * in range or equal to {@code ignoreIndex}). Mirrors {@code xent_nll_*} in native/include/xent.h.
 *
 * @param pass        FORWARD or FORWARD_BACKWARD
 * @param layout      where the log-probabilities' elements are (the gradient uses the same layout)
 * @param dtype       storage type of input and gradient
 * @param input       the log-probabilities
 * @param targets     one class index per row
 * @param weight      C fp32 class weights, or null
 * @param ignoreIndex rows with this label give 0 loss and 0 gradient
 * @param reduction   how {@code reduced[0]} is formed and which upstream shape applies
 * @param upstream    fp32 upstream gradient (1 value for SUM and MEAN, one per row for NONE), or null for 1
 * @param grad        gradient out (dtype, layout), may be the input; null for FORWARD
 * @param rowLoss     fp32 per-row losses out
 * @param reduced     2 fp32 out: the reduced loss (NONE: the sum) and the MEAN denominator
 */
public record NllCall(
        Pass pass,
        Layout layout,
        DType dtype,
        MemorySegment input,
        Targets.ClassIndices targets,
        MemorySegment weight,
        long ignoreIndex,
        Reduction reduction,
        MemorySegment upstream,
        MemorySegment grad,
        MemorySegment rowLoss,
        MemorySegment reduced) {}
