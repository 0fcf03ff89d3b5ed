package dev.xent.cli;

import dev.xent.CrossEntropy;
import dev.xent.Logits;
import dev.xent.Loss;
import dev.xent.Targets;

/**
 * {@code --op ce}: PyTorch's {@code F.cross_entropy(logits, target, weight, ignore_index,
 * reduction, label_smoothing)} through xent's {@link CrossEntropy}. Class-index targets are
 * int64 or int32 of shape (N) or (N, d1..dk); probability targets are floats of the logits'
 * shape. The gradient is that of the reduced loss with upstream gradient 1 (for {@code none},
 * of the sum of the per-row losses). {@code --softcap C} takes the logits as {@code C tanh(z / C)}
 * and {@code --z-loss L} adds {@code L w[y] lse^2} per row (see {@link CrossEntropy}); the loss
 * printed and written includes the z-loss, the summary gives its part, and {@code --out-lse} is
 * the log-sum-exp of the capped logits.
 */
final class CrossEntropyOp {
    private CrossEntropyOp() {}

    static LossResult compute(LossRequest r) {
        LogitsInput in = r.classLogits();
        Logits z = in.logits();
        InputFile targetFile = r.requireTarget();
        Targets targets = targets(targetFile, in);
        CrossEntropy ce = UserError.check(() -> {
            CrossEntropy built = r.xent().crossEntropy()
                    .withReduction(r.reduction())
                    .withIgnoreIndex(r.ignoreIndex())
                    .withLabelSmoothing(r.labelSmoothing())
                    .withWeight(weights(r, z.classes()))
                    .withZLoss(r.zLoss());
            return r.softcap() == null ? built : built.withSoftcap(r.softcap());
        });
        Loss loss;
        Logits grad = r.wantGrad() ? in.newBuffer() : null;
        try {
            loss = grad == null ? ce.forward(z, targets) : ce.forwardBackward(z, targets, grad);
        } catch (IllegalArgumentException e) {
            throw new UserError(targetFile.name() + ": " + e.getMessage());
        }
        Logits logProbs = null;
        if (r.wantLogProbs()) {
            logProbs = in.newBuffer();
            r.xent().logSoftmax(z, logProbs);
        }
        return LossResult.of(loss, z.rows(), "row", grad == null ? null : in.toNpy(grad))
                .withSoftmaxOutputs(NpyArray.ofFloats(loss.lse(), z.rowShape()), logProbs == null ? null : in.toNpy(logProbs),
                        r.zLoss() > 0 ? " (z-loss part " + loss.zLoss() + ")" : "");
    }

    private static Targets targets(InputFile file, LogitsInput in) {
        NpyArray t = file.array();
        if (ClassTargets.isIndexFile(t)) return ClassTargets.read(file, in);
        if (t.dtype().isFloat() || t.dtype() == NpyDType.UINT16 && in.storage() == LogitsInput.Storage.BF16_BITS) {
            return Targets.probabilities(in.probabilities(t, file.name()), in.logits().dtype());
        }
        throw new UserError(file.name() + ": targets must be int64 or int32 class indices or float probabilities, got "
                + t.dtype().numpyName());
    }

    /** {@code --weight} as C per-class weights, or null. */
    static float[] weights(LossRequest r, long classes) {
        if (r.weight() == null) return null;
        NpyArray w = r.weight().array();
        String weightName = r.weight().name();
        if (!w.dtype().isFloat()) {
            throw new UserError(weightName + ": weights must be float32 or float64, got " + w.dtype().numpyName());
        }
        if (w.ndim() != 1 || w.shape()[0] != classes) {
            throw new UserError(weightName + ": weights must have shape (" + classes + ",), one per class, got " + w.shapeString());
        }
        return w.toFloats();
    }
}
