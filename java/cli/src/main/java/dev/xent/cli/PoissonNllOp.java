package dev.xent.cli;

import dev.xent.DenseTensor;
import dev.xent.PoissonNll;
import java.util.Set;

/**
 * {@code --op poisson-nll}: PyTorch's {@code F.poisson_nll_loss(input, target, log_input, full,
 * eps, reduction)} through xent's {@link PoissonNll}. {@code --logits} is the log-rate (or the
 * rate with {@code --log-input false}), any shape; {@code --target} the counts, its shape.
 */
final class PoissonNllOp implements LossOp {

    @Override
    public String name() {
        return "poisson-nll";
    }

    @Override
    public String description() {
        return "Poisson negative log-likelihood, as torch.nn.functional.poisson_nll_loss";
    }

    @Override
    public Set<String> options() {
        return Set.of("--target", "--log-input", "--full", "--eps");
    }

    @Override
    public LossResult compute(LossRequest r) {
        DenseInput in = DenseInput.of(r.logits().array(), r.bf16(), r.logits().name());
        DenseTensor target = in.sameShape(r.requireTarget(name()));
        PoissonNll nll = DenseInput.userErrors(() -> r.xent().poissonNll().withReduction(r.reduction()).withFull(r.full())
                .withLogInput(r.logInput() == null || r.logInput())
                .withEps(r.eps() == null ? PoissonNll.DEFAULT_EPS : r.eps()));
        DenseTensor grad = r.wantGrad() ? in.newBuffer() : null;
        return in.result(DenseInput.userErrors(() -> grad == null ? nll.forward(in.tensor(), target)
                : nll.forwardBackward(in.tensor(), target, grad)), grad);
    }
}
