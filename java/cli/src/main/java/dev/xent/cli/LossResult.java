package dev.xent.cli;

/**
 * What a {@link LossOp} computed, as arrays ready to be written.
 *
 * @param loss     float32: shape () for sum and mean, the per-row shape (N, d1..dk) for none
 * @param lse      float32 per-row log-sum-exp, shape (N, d1..dk); null for ops without one (element-wise losses)
 * @param grad     gradient of the reduced loss, logits' shape and file dtype, or null if not asked
 * @param logProbs log_softmax over the class axis, logits' shape and file dtype, or null if not asked
 * @param rows     number of rows (softmaxes) the op saw
 * @param summary  one line for the terminal, e.g. "mean = 1.234 over 8 rows"
 */
record LossResult(NpyArray loss, NpyArray lse, NpyArray grad, NpyArray logProbs, long rows, String summary) {}
