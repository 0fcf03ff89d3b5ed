/**
 * Softmax cross-entropy and its family of losses, fused in one pass over the logits, on the engine
 * a {@link dev.xent.Xent} holds (CUDA, or the Java engine on any CPU).
 *
 * <h2>What is here</h2>
 *
 * <ul>
 *   <li>{@link dev.xent.Xent}: the entry point ({@code Xent.auto()}, {@code Xent.engine("java")},
 *       {@code Xent.of(engine)}), the factory of every loss object, and the softmax family
 *       ({@code logSoftmax}, {@code softmax}, {@code logSumExp}, {@code entropy}, {@code kl},
 *       {@code jensenShannon}).
 *   <li>Loss objects, made only by {@code Xent}: {@code xent.crossEntropy()} ({@link
 *       dev.xent.CrossEntropy}), {@code xent.nllLoss()} ({@link dev.xent.NllLoss}), {@code
 *       xent.distillation()} ({@link dev.xent.Distillation}), {@code xent.binaryCrossEntropy()}
 *       ({@link dev.xent.BinaryCrossEntropy}), {@code xent.gaussianNll()} ({@link
 *       dev.xent.GaussianNll}), {@code xent.laplaceNll()} ({@link dev.xent.LaplaceNll}), {@code
 *       xent.poissonNll()} ({@link dev.xent.PoissonNll}). Each starts with PyTorch's defaults and is
 *       immutable: {@code withX} returns a copy, X being PyTorch's option name ({@code withWeight},
 *       {@code withIgnoreIndex}, {@code withLabelSmoothing}, {@code withReduction}, {@code
 *       withPosWeight}, {@code withFull}, {@code withEps}, {@code withLogInput}, ...).
 *   <li>Inputs: {@link dev.xent.Logits} (class axis 1, optional row stride), {@link
 *       dev.xent.Targets} (class indices or probabilities), {@link dev.xent.DenseTensor} (any
 *       shape, for the element-wise losses).
 *   <li>Results: every loss returns a {@link dev.xent.LossResult}: {@link dev.xent.Loss}
 *       (cross-entropy, NLL), {@link dev.xent.DistillLoss}, {@link dev.xent.ElementwiseLoss}.
 * </ul>
 *
 * <h2>Argument order</h2>
 *
 * Every {@code forward}, {@code backward}, {@code forwardBackward} and {@code
 * forwardBackwardInPlace} takes, in this order: the input (logits, log-probabilities, the
 * student's logits, the element-wise input), the targets (the teacher's logits before the hard
 * labels; a variance or scale after the target), the saved state ({@code lse} of a forward pass),
 * the upstream gradient (none: 1; a {@code float} under SUM and MEAN; a {@code float[]}, one per
 * row, under NONE), and the output buffers last (the input's gradient, then a variance or scale
 * gradient). A gradient buffer may be the input itself; {@code forwardBackwardInPlace} does that
 * and exists on every loss with a gradient of its input.
 *
 * <h2>Buffers that overlap</h2>
 *
 * An output (a gradient, a variance or scale gradient, a softmax output) may be exactly the input
 * it replaces: the same first byte and the same layout. Any other overlap, of an output with any
 * argument it does not replace or with another output, is an {@link IllegalArgumentException}
 * naming both ("grad overlaps targets"), thrown before anything is written, on every engine. Each
 * argument's bytes are taken from the start of its segment to the end of its extent, padding of a
 * row stride included, so a gradient interleaved in the padding of strided logits is refused too.
 * Inputs may overlap each other.
 *
 * <h2>Result shape</h2>
 *
 * Every result answers {@code value()} (the reduced loss; under NONE it throws), {@code sum()}
 * (the sum of the per-row losses, a double, whatever the reduction), {@code denominator()} (what
 * MEAN divides by), {@code perRow()} in row order of {@code rowShape()}, and {@code reduction()};
 * then named extras ({@code lse}, {@code zLoss}, {@code perRowZLoss}; {@code perRowKl}, {@code
 * perRowSoftCe}, {@code perRowTeacherEntropy}, {@code hardDenominator}). For the element-wise
 * losses each element is a row. Arrays are handed over, not copied.
 *
 * <h2>Semantics</h2>
 *
 * PyTorch's, under PyTorch's names ({@code F.cross_entropy}, {@code F.nll_loss}, {@code
 * KLDivLoss(reduction="batchmean")}, {@code F.binary_cross_entropy_with_logits}, {@code
 * F.gaussian_nll_loss}, {@code F.poisson_nll_loss}), natural logs; each class states its formula
 * and where it differs (bad values are exceptions naming the element). Every call is checked before
 * an engine sees it. Evaluation (row statistics, metrics, perplexity, temperature scaling) is in
 * {@link dev.xent.eval}.
 */
package dev.xent;
