package dev.xent.cli;

import dev.xent.CrossEntropy;
import dev.xent.Logits;
import dev.xent.Loss;
import dev.xent.Reduction;
import dev.xent.Targets;
import java.util.Set;

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
final class CrossEntropyOp implements LossOp {

    @Override
    public String name() {
        return "ce";
    }

    @Override
    public String description() {
        return "softmax cross-entropy, as torch.nn.functional.cross_entropy";
    }

    @Override
    public Set<String> options() {
        return Set.of("--target", "--weight", "--ignore-index", "--label-smoothing", "--out-lse", "--out-log-probs", "--z-loss", "--softcap");
    }

    @Override
    public LossResult compute(LossRequest r) {
        LogitsInput in = r.classLogits();
        Logits z = in.logits();
        InputFile targetFile = r.requireTarget(name());
        Targets targets = targets(targetFile, in);
        CrossEntropy ce;
        try {
            ce = r.xent().crossEntropy()
                    .withReduction(r.reduction())
                    .withIgnoreIndex(r.ignoreIndex())
                    .withLabelSmoothing(r.labelSmoothing())
                    .withWeight(weights(r, z.classes()))
                    .withZLoss(r.zLoss());
            if (r.softcap() != null) ce = ce.withSoftcap(r.softcap());
        } catch (IllegalArgumentException e) {
            throw new UserError(e.getMessage());
        }
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
        long[] rowShape = z.rowShape();
        NpyArray lossArray = r.reduction() == Reduction.NONE
                ? NpyArray.ofFloats(loss.perRow(), rowShape)
                : NpyArray.ofFloats(new float[] {loss.value()});
        String summary = r.reduction() == Reduction.NONE
                ? "none: " + z.rows() + " per-row losses, sum = " + (float) loss.sum()
                : r.reduction().name().toLowerCase(java.util.Locale.ROOT) + " = " + loss.value() + " over " + z.rows() + " rows";
        if (r.zLoss() > 0) summary += " (z-loss part " + loss.zLoss() + ")";
        return new LossResult(lossArray, NpyArray.ofFloats(loss.lse(), rowShape),
                grad == null ? null : in.toNpy(grad),
                logProbs == null ? null : in.toNpy(logProbs),
                z.rows(), summary);
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
