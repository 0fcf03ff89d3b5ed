package dev.xent.cli;

import dev.xent.Logits;
import dev.xent.Loss;
import dev.xent.NllLoss;
import dev.xent.Targets;

/**
 * {@code --op nll}: PyTorch's {@code F.nll_loss(input, target, weight, ignore_index, reduction)}
 * through xent's {@link NllLoss}. {@code --logits} holds log-probabilities (N, C) or (N, C, d1..dk)
 * (used as given); targets are int64 or int32 class indices of shape (N) or (N, d1..dk). The
 * gradient is that of the reduced loss with upstream gradient 1 (for {@code none}, of the sum).
 */
final class NllOp {
    private NllOp() {}

    static LossResult compute(LossRequest r) {
        LogitsInput in = r.classLogits();
        Logits x = in.logits();
        InputFile targetFile = r.requireTarget();
        Targets.ClassIndices targets = ClassTargets.read(targetFile, in);
        NllLoss nll = UserError.check(() -> r.xent().nllLoss().withReduction(r.reduction()).withIgnoreIndex(r.ignoreIndex())
                .withWeight(CrossEntropyOp.weights(r, x.classes())));
        Logits grad = r.wantGrad() ? in.newBuffer() : null;
        Loss loss;
        try {
            loss = grad == null ? nll.forward(x, targets) : nll.forwardBackward(x, targets, grad);
        } catch (IllegalArgumentException e) {
            throw new UserError(targetFile.name() + ": " + e.getMessage());
        }
        return LossResult.of(loss, x.rows(), "row", grad == null ? null : in.toNpy(grad));
    }
}
