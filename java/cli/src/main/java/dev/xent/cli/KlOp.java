package dev.xent.cli;

import dev.xent.DistillLoss;
import dev.xent.Distillation;
import dev.xent.Logits;
import dev.xent.Reduction;
import dev.xent.Targets;
import java.util.Arrays;
import java.util.Locale;
import java.util.Set;

/**
 * {@code --op kl}: per row {@code KL(softmax(teacher / T) || softmax(logits / T)) * T^2} from
 * {@code --teacher-logits} (the shape and dtype of {@code --logits}) and {@code --temperature T}
 * (default 1); {@code mean} divides the sum over rows by the row count (PyTorch's {@code
 * KLDivLoss(reduction="batchmean")} on {@code log_softmax(logits / T)} and {@code
 * softmax(teacher / T)}, times T^2). {@code --out-grad} is the gradient w.r.t. {@code --logits}.
 */
final class KlOp implements LossOp {

    @Override
    public String name() {
        return "kl";
    }

    @Override
    public String description() {
        return "distillation KL(softmax(teacher/T) || softmax(logits/T)) * T^2, batchmean";
    }

    @Override
    public Set<String> options() {
        return Set.of("--teacher-logits", "--temperature");
    }

    @Override
    public LossResult compute(LossRequest r) {
        return run(r, name(), r.xent().distillation());
    }

    /** The shared path of kl and distill: {@code base} carries alpha; targets are read when alpha < 1. */
    static LossResult run(LossRequest r, String op, Distillation base) {
        LogitsInput student = r.classLogits();
        if (r.teacherLogits() == null) throw new UserError("--op " + op + " needs --teacher-logits");
        LogitsInput teacher = LogitsInput.of(r.teacherLogits().array(), r.bf16(), r.teacherLogits().name());
        if (!Arrays.equals(teacher.shape(), student.shape()) || teacher.storage() != student.storage()) {
            throw new UserError(teacher.name() + ": teacher logits " + teacher.shapeString() + " " + teacher.storage()
                    + " must have the shape and dtype of " + student.name() + " " + student.shapeString() + " " + student.storage());
        }
        Distillation d;
        try {
            d = base.withReduction(r.reduction()).withTemperature(r.temperature() == null ? 1 : r.temperature());
        } catch (IllegalArgumentException e) {
            throw new UserError(e.getMessage());
        }
        Logits z = student.logits();
        Targets.ClassIndices targets = d.alpha() < 1 ? ClassTargets.read(r.requireTarget(op), student) : null;
        Logits grad = r.wantGrad() ? student.newBuffer() : null;
        DistillLoss loss;
        try {
            if (targets == null) {
                loss = grad == null ? d.forward(z, teacher.logits()) : d.forwardBackward(z, teacher.logits(), grad);
            } else {
                loss = grad == null ? d.forward(z, teacher.logits(), targets) : d.forwardBackward(z, teacher.logits(), targets, grad);
            }
        } catch (IllegalArgumentException e) {
            throw new UserError((targets != null ? r.target().name() + ": " : "") + e.getMessage());
        }
        boolean none = r.reduction() == Reduction.NONE;
        String summary = none
                ? "none: " + z.rows() + " per-row losses, sum = " + (float) loss.sum()
                : r.reduction().name().toLowerCase(Locale.ROOT) + " = " + loss.value() + " over " + z.rows() + " rows";
        return new LossResult(none ? NpyArray.ofFloats(loss.perRow(), z.rowShape()) : NpyArray.ofFloats(new float[] {loss.value()}),
                null, grad == null ? null : student.toNpy(grad), null, z.rows(), summary);
    }
}
