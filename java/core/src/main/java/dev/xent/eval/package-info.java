/**
 * Evaluation of a classifier's logits against class-index targets, on an engine of {@link
 * dev.xent.Xent}.
 *
 * <ul>
 *   <li>{@link dev.xent.eval.Evaluation} ({@code Evaluation.of(xent)}, options by {@code withX}):
 *       {@link dev.xent.eval.RowStats} from one fused pass per row (loss, log-sum-exp, confidence,
 *       predicted class, rank of the target, E_p[z], Var_p[z]) at a logit scale, and from them
 *       {@link dev.xent.eval.Metrics}: mean NLL, accuracy, top-k accuracy and ECE with its {@link
 *       dev.xent.eval.Reliability} bins.
 *   <li>{@link dev.xent.eval.Perplexity}: exp of the mean token loss, pooled or as the mean of
 *       per-sequence means, over token losses from anywhere (a {@code perRow()} of {@link
 *       dev.xent.Loss}, {@link dev.xent.eval.RowStats#losses()}), in {@link dev.xent.eval.LogUnit}
 *       nats or bits.
 *   <li>{@link dev.xent.eval.TemperatureScaling} ({@code TemperatureScaling.of(evaluation)}): the
 *       temperature minimising validation NLL, by safeguarded Newton steps on the convex NLL(1/T).
 * </ul>
 *
 * Arguments go as in {@link dev.xent}: logits, then targets, then options such as the scale.
 * Factories are {@code of} (or named for what they build, as {@code Perplexity.pooled}); every
 * call is checked before an engine sees it.
 */
package dev.xent.eval;
