package dev.xent.cli;

import java.util.Set;

/**
 * {@code --op distill}: {@code alpha * kl + (1 - alpha) * ce} where kl is {@code --op kl}'s loss
 * ({@code --teacher-logits}, {@code --temperature}, times T^2, batchmean) and ce the cross-entropy
 * of {@code --logits} at temperature 1 against the class indices of {@code --target}, with {@code
 * --ignore-index} (mean over rows not ignored); {@code --alpha} in [0, 1] is required. Under
 * {@code none} each row gives {@code alpha kl_i + (1 - alpha) ce_i}.
 */
final class DistillOp implements LossOp {

    @Override
    public String name() {
        return "distill";
    }

    @Override
    public String description() {
        return "alpha * KL distillation (kl) + (1 - alpha) * hard-label cross-entropy";
    }

    @Override
    public Set<String> options() {
        return Set.of("--target", "--teacher-logits", "--temperature", "--alpha", "--ignore-index");
    }

    @Override
    public LossResult compute(LossRequest r) {
        if (r.alpha() == null) throw new UserError("--op distill needs --alpha (weight in [0, 1] of the KL term)");
        try {
            return KlOp.run(r, name(), r.xent().distillation().withAlpha(r.alpha()).withIgnoreIndex(r.ignoreIndex()));
        } catch (IllegalArgumentException e) {
            throw new UserError(e.getMessage());
        }
    }
}
