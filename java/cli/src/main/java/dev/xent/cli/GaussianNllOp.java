package dev.xent.cli;

import dev.xent.DenseTensor;
import dev.xent.GaussianNll;
import java.util.Set;

/**
 * {@code --op gaussian-nll}: PyTorch's {@code F.gaussian_nll_loss(input, target, var, full, eps,
 * reduction)} through xent's {@link GaussianNll}. {@code --logits} is the mean (any shape),
 * {@code --target} its shape, {@code --var} (required) the input's shape, one per row (last axis
 * 1, or dropped, as PyTorch accepts) or one value. {@code --out-grad} is the gradient w.r.t. the mean.
 */
final class GaussianNllOp implements LossOp {

    @Override
    public String name() {
        return "gaussian-nll";
    }

    @Override
    public String description() {
        return "Gaussian negative log-likelihood, as torch.nn.functional.gaussian_nll_loss";
    }

    @Override
    public Set<String> options() {
        return Set.of("--target", "--var", "--full", "--eps");
    }

    @Override
    public LossResult compute(LossRequest r) {
        DenseInput in = DenseInput.of(r.logits().array(), r.bf16(), r.logits().name());
        DenseTensor target = in.sameShape(r.requireTarget(name()));
        if (r.var() == null) throw new UserError("--op " + name() + " needs --var");
        float[] var = spread(in, r.var());
        GaussianNll nll = DenseInput.userErrors(() -> r.xent().gaussianNll().withReduction(r.reduction()).withFull(r.full())
                .withEps(r.eps() == null ? GaussianNll.DEFAULT_EPS : r.eps()));
        DenseTensor grad = r.wantGrad() ? in.newBuffer() : null;
        return in.result(DenseInput.userErrors(() -> grad == null ? nll.forward(in.tensor(), target, var)
                : nll.forwardBackward(in.tensor(), target, var, grad)), grad);
    }

    /** A variance or scale file: the input's shape, one per row (last axis 1 or dropped), or one value. */
    static float[] spread(DenseInput in, InputFile file) {
        return in.aux(file, "the input's shape, " + NpyArray.shapeString(in.withLast(1)) + ", "
                + NpyArray.shapeString(in.withLast(-1)) + ", () or (1,)",
                in.shape(), in.withLast(1), in.withLast(-1), new long[0], new long[] {1});
    }
}
