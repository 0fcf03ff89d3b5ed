package dev.xent.cli;

import dev.xent.BinaryCrossEntropy;
import dev.xent.DenseTensor;
import dev.xent.ElementwiseLoss;
import dev.xent.GaussianNll;
import dev.xent.LaplaceNll;
import dev.xent.PoissonNll;
import dev.xent.SpreadNll;

/**
 * The element-wise ops of {@code xent loss}: {@code --logits} (the input) of any shape, {@code
 * --target} of its shape, {@code --out-grad} the gradient w.r.t. the input. What differs between
 * them is only how each builds its loss and which extra files it reads.
 */
final class ElementwiseOps {
    private ElementwiseOps() {}

    /** One loss over the input and target tensors: with a null {@code grad} the forward pass only. */
    private interface Pass {
        ElementwiseLoss run(DenseInput in, DenseTensor target, DenseTensor grad);
    }

    /** Reads the input and its target, runs the pass (library argument errors as user errors) and packs the result. */
    private static LossResult compute(LossRequest r, Pass pass) {
        DenseInput in = DenseInput.of(r.logits().array(), r.bf16(), r.logits().name());
        DenseTensor target = in.sameShape(r.requireTarget());
        DenseTensor grad = r.wantGrad() ? in.newBuffer() : null;
        ElementwiseLoss loss = UserError.check(() -> pass.run(in, target, grad));
        return LossResult.of(loss, (long) loss.denominator(), "element", grad == null ? null : in.toNpy(grad));
    }

    /**
     * {@code --op bce}: PyTorch's {@code F.binary_cross_entropy_with_logits(input, target, weight,
     * pos_weight, reduction)} through xent's {@link BinaryCrossEntropy}. {@code --target} holds
     * probabilities in [0, 1]; {@code --weight} the input's shape or one per entry of the last axis;
     * {@code --pos-weight} one per entry of the last axis.
     */
    static LossResult bce(LossRequest r) {
        return compute(r, (in, target, grad) -> {
            long[] perClass = {in.lastDim()};
            float[] weight = r.weight() == null ? null
                    : in.aux(r.weight(), "the input's shape or " + NpyArray.shapeString(perClass), in.shape(), perClass);
            float[] posWeight = r.posWeight() == null ? null : in.aux(r.posWeight(), NpyArray.shapeString(perClass), perClass);
            BinaryCrossEntropy bce = r.xent().binaryCrossEntropy().withReduction(r.reduction()).withWeight(weight)
                    .withPosWeight(posWeight);
            return grad == null ? bce.forward(in.tensor(), target) : bce.forwardBackward(in.tensor(), target, grad);
        });
    }

    /**
     * {@code --op gaussian-nll}: PyTorch's {@code F.gaussian_nll_loss(input, target, var, full, eps,
     * reduction)} through xent's {@link GaussianNll}: the input is the mean, {@code --var} (required)
     * the variances, shaped as {@link #spread} says.
     */
    static LossResult gaussianNll(LossRequest r) {
        return compute(r, (in, target, grad) -> {
            if (r.var() == null) throw new UserError("--op " + r.op() + " needs --var");
            return spreadPass(r, r.xent().gaussianNll(), GaussianNll.DEFAULT_EPS, spread(in, r.var()), in, target, grad);
        });
    }

    /**
     * {@code --op laplace-nll}: xent's {@link LaplaceNll}, {@code log b + |x - t| / b} (+ log 2 with
     * {@code --full}), no PyTorch counterpart: the input is the location, {@code --var} the scale b
     * (not a variance), shaped as gaussian-nll's; without it b = 1, the mean absolute error.
     */
    static LossResult laplaceNll(LossRequest r) {
        return compute(r, (in, target, grad) -> spreadPass(r, r.xent().laplaceNll(), LaplaceNll.DEFAULT_EPS,
                r.var() == null ? new float[] {1f} : spread(in, r.var()), in, target, grad));
    }

    /**
     * {@code --op poisson-nll}: PyTorch's {@code F.poisson_nll_loss(input, target, log_input, full,
     * eps, reduction)} through xent's {@link PoissonNll}: the input is the log-rate (or the rate with
     * {@code --log-input false}), {@code --target} the counts.
     */
    static LossResult poissonNll(LossRequest r) {
        return compute(r, (in, target, grad) -> {
            PoissonNll nll = r.xent().poissonNll().withReduction(r.reduction()).withFull(r.full())
                    .withLogInput(r.logInput() == null || r.logInput())
                    .withEps(r.eps() == null ? PoissonNll.DEFAULT_EPS : r.eps());
            return grad == null ? nll.forward(in.tensor(), target) : nll.forwardBackward(in.tensor(), target, grad);
        });
    }

    /** Gaussian and Laplace NLL: the same options (reduction, --full, --eps) and a spread per element, row or all. */
    private static <L extends SpreadNll<L>> ElementwiseLoss spreadPass(LossRequest r, L base, double defaultEps, float[] spread,
            DenseInput in, DenseTensor target, DenseTensor grad) {
        L nll = base.withReduction(r.reduction()).withFull(r.full()).withEps(r.eps() == null ? defaultEps : r.eps());
        return grad == null ? nll.forward(in.tensor(), target, spread) : nll.forwardBackward(in.tensor(), target, spread, grad);
    }

    /** A variance or scale file: the input's shape, one per row (last axis 1 or dropped), or one value. */
    private static float[] spread(DenseInput in, InputFile file) {
        return in.aux(file, "the input's shape, " + NpyArray.shapeString(in.withLast(1)) + ", "
                + NpyArray.shapeString(in.withLast(-1)) + ", () or (1,)",
                in.shape(), in.withLast(1), in.withLast(-1), new long[0], new long[] {1});
    }
}
