package dev.xent.cli;

import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/** The ops {@code xent loss --op} knows. */
final class LossOps {
    private static final List<LossOp> ALL = List.of(
            new LossOp("ce", "softmax cross-entropy, as torch.nn.functional.cross_entropy",
                    Set.of("--target", "--weight", "--ignore-index", "--label-smoothing", "--out-lse", "--out-log-probs",
                            "--z-loss", "--softcap"),
                    CrossEntropyOp::compute),
            new LossOp("nll", "negative log-likelihood of log-probabilities, as torch.nn.functional.nll_loss",
                    Set.of("--target", "--weight", "--ignore-index"), NllOp::compute),
            new LossOp("kl", "distillation KL(softmax(teacher/T) || softmax(logits/T)) * T^2, batchmean",
                    Set.of("--teacher-logits", "--temperature"), DistillationOps::kl),
            new LossOp("distill", "alpha * KL distillation (kl) + (1 - alpha) * hard-label cross-entropy",
                    Set.of("--target", "--weight", "--teacher-logits", "--temperature", "--alpha", "--ignore-index"),
                    DistillationOps::distill),
            new LossOp("bce", "binary cross-entropy with logits, as torch.nn.functional.binary_cross_entropy_with_logits",
                    Set.of("--target", "--weight", "--pos-weight"), ElementwiseOps::bce),
            new LossOp("gaussian-nll", "Gaussian negative log-likelihood, as torch.nn.functional.gaussian_nll_loss",
                    Set.of("--target", "--var", "--full", "--eps"), ElementwiseOps::gaussianNll),
            new LossOp("laplace-nll", "Laplace negative log-likelihood, log b + |x - t| / b (--var gives the scale b, default 1)",
                    Set.of("--target", "--var", "--full", "--eps"), ElementwiseOps::laplaceNll),
            new LossOp("poisson-nll", "Poisson negative log-likelihood, as torch.nn.functional.poisson_nll_loss",
                    Set.of("--target", "--log-input", "--full", "--eps"), ElementwiseOps::poissonNll));

    private LossOps() {}

    static List<LossOp> all() {
        return ALL;
    }

    /** The op of that name; an unknown name is a {@link UserError} listing the known ones. */
    static LossOp named(String name) {
        for (LossOp op : ALL) {
            if (op.name().equals(name)) return op;
        }
        throw new UserError("unknown --op '" + name + "'; known ops: " + names());
    }

    static String names() {
        return ALL.stream().map(LossOp::name).collect(Collectors.joining(", "));
    }
}
