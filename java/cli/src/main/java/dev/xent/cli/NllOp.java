package dev.xent.cli;

import dev.xent.Logits;
import dev.xent.Loss;
import dev.xent.NllLoss;
import dev.xent.Reduction;
import dev.xent.Targets;
import java.util.Locale;
import java.util.Set;

/**
 * {@code --op nll}: PyTorch's {@code F.nll_loss(input, target, weight, ignore_index, reduction)}
 * through xent's {@link NllLoss}. {@code --logits} holds log-probabilities (N, C) or (N, C, d1..dk)
 * (used as given); targets are int64 or int32 class indices of shape (N) or (N, d1..dk). The
 * gradient is that of the reduced loss with upstream gradient 1 (for {@code none}, of the sum).
 */
final class NllOp implements LossOp {

    @Override
    public String name() {
        return "nll";
    }

    @Override
    public String description() {
        return "negative log-likelihood of log-probabilities, as torch.nn.functional.nll_loss";
    }

    @Override
    public Set<String> options() {
        return Set.of("--target", "--weight", "--ignore-index");
    }

    @Override
    public LossResult compute(LossRequest r) {
        LogitsInput in = r.classLogits();
        Logits x = in.logits();
        InputFile targetFile = r.requireTarget(name());
        Targets.ClassIndices targets = ClassTargets.read(targetFile, in);
        NllLoss nll;
        try {
            nll = r.xent().nllLoss().withReduction(r.reduction()).withIgnoreIndex(r.ignoreIndex())
                    .withWeight(CrossEntropyOp.weights(r, x.classes()));
        } catch (IllegalArgumentException e) {
            throw new UserError(e.getMessage());
        }
        Logits grad = r.wantGrad() ? in.newBuffer() : null;
        Loss loss;
        try {
            loss = grad == null ? nll.forward(x, targets) : nll.forwardBackward(x, targets, grad);
        } catch (IllegalArgumentException e) {
            throw new UserError(targetFile.name() + ": " + e.getMessage());
        }
        boolean none = r.reduction() == Reduction.NONE;
        String summary = none
                ? "none: " + x.rows() + " per-row losses, sum = " + (float) loss.sum()
                : r.reduction().name().toLowerCase(Locale.ROOT) + " = " + loss.value() + " over " + x.rows() + " rows";
        return new LossResult(none ? NpyArray.ofFloats(loss.perRow(), x.rowShape()) : NpyArray.ofFloats(new float[] {loss.value()}),
                null, grad == null ? null : in.toNpy(grad), null, x.rows(), summary);
    }
}
