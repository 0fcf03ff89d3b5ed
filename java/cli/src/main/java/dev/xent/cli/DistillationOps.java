package dev.xent.cli;

import dev.xent.DistillLoss;
import dev.xent.Distillation;
import dev.xent.Logits;
import dev.xent.Targets;
import java.util.Arrays;

/**
 * {@code --op kl} and {@code --op distill}.
 *
 * <p>{@code kl}: per row {@code KL(softmax(teacher / T) || softmax(logits / T)) * T^2} from
 * {@code --teacher-logits} (the shape and dtype of {@code --logits}) and {@code --temperature T}
 * (default 1); {@code mean} divides the sum over rows by the row count (PyTorch's {@code
 * KLDivLoss(reduction="batchmean")} on {@code log_softmax(logits / T)} and {@code
 * softmax(teacher / T)}, times T^2). {@code --out-grad} is the gradient w.r.t. {@code --logits}.
 *
 * <p>{@code distill}: {@code alpha * kl + (1 - alpha) * ce} where ce is the cross-entropy of
 * {@code --logits} at temperature 1 against the class indices of {@code --target}, with {@code
 * --ignore-index} and the per-class {@code --weight} as {@code --op ce} takes it ({@code ce_i = w[y_i]
 * (-log softmax(logits)_{y_i})}, mean over the weights of the rows not ignored); {@code --alpha} in
 * [0, 1] is required. Under {@code none} each row gives {@code alpha kl_i + (1 - alpha) ce_i}.
 */
final class DistillationOps {
    private DistillationOps() {}

    static LossResult kl(LossRequest r) {
        return run(r, r.xent().distillation());
    }

    static LossResult distill(LossRequest r) {
        if (r.alpha() == null) throw new UserError("--op distill needs --alpha (weight in [0, 1] of the KL term)");
        return run(r, UserError.check(() -> r.xent().distillation().withAlpha(r.alpha()).withIgnoreIndex(r.ignoreIndex())));
    }

    /** The shared path of kl and distill: {@code base} carries alpha; targets (and weights) are read when alpha < 1. */
    private static LossResult run(LossRequest r, Distillation base) {
        LogitsInput student = r.classLogits();
        if (r.teacherLogits() == null) throw new UserError("--op " + r.op() + " needs --teacher-logits");
        LogitsInput teacher = LogitsInput.of(r.teacherLogits().array(), r.bf16(), r.teacherLogits().name());
        if (!Arrays.equals(teacher.shape(), student.shape()) || teacher.storage() != student.storage()) {
            throw new UserError(teacher.name() + ": teacher logits " + teacher.shapeString() + " " + teacher.storage()
                    + " must have the shape and dtype of " + student.name() + " " + student.shapeString() + " " + student.storage());
        }
        Logits z = student.logits();
        Distillation d = UserError.check(() -> base.withReduction(r.reduction())
                .withTemperature(r.temperature() == null ? 1 : r.temperature())
                .withWeight(CrossEntropyOp.weights(r, z.classes())));
        Targets.ClassIndices targets = d.alpha() < 1 ? ClassTargets.read(r.requireTarget(), student) : null;
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
        return LossResult.of(loss, z.rows(), "row", grad == null ? null : student.toNpy(grad));
    }
}
