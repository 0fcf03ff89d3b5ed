package dev.xent.cli;

import dev.xent.Reduction;
import java.util.Locale;

/**
 * What a {@link LossOp} computed, as arrays ready to be written.
 *
 * @param loss     float32: shape () for sum and mean, the per-row shape (N, d1..dk) for none
 * @param lse      float32 per-row log-sum-exp, shape (N, d1..dk); null for ops without one (element-wise losses)
 * @param grad     gradient of the reduced loss, logits' shape and file dtype, or null if not asked
 * @param logProbs log_softmax over the class axis, logits' shape and file dtype, or null if not asked
 * @param summary  one line for the terminal, e.g. "mean = 1.234 over 8 rows"
 */
record LossResult(NpyArray loss, NpyArray lse, NpyArray grad, NpyArray logProbs, String summary) {

    /**
     * The library's loss over {@code count} rows (or elements: {@code unit} names them), as the loss
     * array (per row under none, else the scalar) and its summary line, with the gradient or null.
     */
    static LossResult of(dev.xent.LossResult loss, long count, String unit, NpyArray grad) {
        boolean none = loss.reduction() == Reduction.NONE;
        NpyArray lossArray = none ? NpyArray.ofFloats(loss.perRow(), loss.rowShape()) : NpyArray.ofFloats(new float[] {loss.value()});
        String summary = none
                ? "none: " + count + " per-" + unit + " losses, sum = " + (float) loss.sum()
                : loss.reduction().name().toLowerCase(Locale.ROOT) + " = " + loss.value() + " over " + count + " " + unit + "s";
        return new LossResult(lossArray, null, grad, null, summary);
    }

    /** This result with the log-sum-exp and log-probabilities of a softmax op, and a note after the summary. */
    LossResult withSoftmaxOutputs(NpyArray lse, NpyArray logProbs, String note) {
        return new LossResult(loss, lse, grad, logProbs, summary + note);
    }
}
