package dev.xent.engine;

import dev.xent.DType;
import dev.xent.Layout;
import dev.xent.Reduction;
import dev.xent.Targets;
import java.lang.foreign.MemorySegment;

/**
 * One distillation computation handed to an engine, validated by the public API (teacher and
 * student share dtype and layout, labels in range or equal to {@code ignoreIndex}, temperature > 0,
 * alpha in [0, 1], weights C finite values). Mirrors {@code xent_distill_*} in native/include/xent.h:
 * with p = softmax(teacher / T), q = softmax(student / T), {@code loss = alpha T^2 R(KL(p || q)) +
 * (1 - alpha) R(CE(student, y))}, {@code CE_i = w[y_i] (lse_i - student_{i,y_i})}.
 *
 * @param pass        FORWARD or FORWARD_BACKWARD (gradient w.r.t. the student's logits)
 * @param layout      layout of teacher, student and gradient
 * @param dtype       their storage type
 * @param teacher     teacher logits
 * @param student     student logits
 * @param temperature T > 0
 * @param alpha       weight of the KL term in [0, 1]
 * @param targets     hard labels of the student, or null when alpha is 1
 * @param weight      C fp32 class weights of the hard term, or null for ones
 * @param ignoreIndex rows with this hard label have no hard term
 * @param reduction   NONE, SUM or MEAN (KL: sum / batch; hard term: sum / (sum of w[y] over rows not ignored))
 * @param upstream    fp32 upstream gradient (1 value, or one per row for NONE), or null for 1
 * @param grad        gradient out, may be the student; null for FORWARD
 * @param rowLoss     per-row {@code alpha T^2 KL + (1 - alpha) CE} (CE weighted), fp32, or null
 * @param rowKl       per-row KL(p || q) (not scaled), or null
 * @param rowSoftCe   per-row H(p, q), or null
 * @param rowEntropy  per-row H(p), or null
 * @param reduced     3 fp32 out: the reduced loss (NONE: the sum), the KL and the hard-term denominators
 */
public record DistillCall(
        Pass pass,
        Layout layout,
        DType dtype,
        MemorySegment teacher,
        MemorySegment student,
        float temperature,
        float alpha,
        Targets.ClassIndices targets,
        MemorySegment weight,
        long ignoreIndex,
        Reduction reduction,
        MemorySegment upstream,
        MemorySegment grad,
        MemorySegment rowLoss,
        MemorySegment rowKl,
        MemorySegment rowSoftCe,
        MemorySegment rowEntropy,
        MemorySegment reduced) {}
