package dev.xent.cli;

import dev.xent.DenseTensor;
import dev.xent.LaplaceNll;
import java.util.Set;

/**
 * {@code --op laplace-nll}: xent's {@link LaplaceNll}, {@code log b + |x - t| / b} (+ log 2 with
 * {@code --full}), no PyTorch counterpart. {@code --logits} is the location (any shape),
 * {@code --target} its shape, {@code --var} the scale b (not a variance), shaped as gaussian-nll's
 * --var; without it b = 1, the mean absolute error.
 */
final class LaplaceNllOp implements LossOp {

    @Override
    public String name() {
        return "laplace-nll";
    }

    @Override
    public String description() {
        return "Laplace negative log-likelihood, log b + |x - t| / b (--var gives the scale b, default 1)";
    }

    @Override
    public Set<String> options() {
        return Set.of("--target", "--var", "--full", "--eps");
    }

    @Override
    public LossResult compute(LossRequest r) {
        DenseInput in = DenseInput.of(r.logits().array(), r.bf16(), r.logits().name());
        DenseTensor target = in.sameShape(r.requireTarget(name()));
        float[] scale = r.var() == null ? new float[] {1f} : GaussianNllOp.spread(in, r.var());
        LaplaceNll nll = DenseInput.userErrors(() -> r.xent().laplaceNll().withReduction(r.reduction()).withFull(r.full())
                .withEps(r.eps() == null ? LaplaceNll.DEFAULT_EPS : r.eps()));
        DenseTensor grad = r.wantGrad() ? in.newBuffer() : null;
        return in.result(DenseInput.userErrors(() -> grad == null ? nll.forward(in.tensor(), target, scale)
                : nll.forwardBackward(in.tensor(), target, scale, grad)), grad);
    }
}
