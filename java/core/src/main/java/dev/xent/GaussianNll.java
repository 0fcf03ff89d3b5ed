package dev.xent;

import dev.xent.engine.ElementwiseLossCall.Op;
import dev.xent.engine.Engine;

/**
 * Gaussian negative log-likelihood, as PyTorch's {@code F.gaussian_nll_loss(input, target, var,
 * full, eps, reduction)}, on one engine; the spread of {@link SpreadNll} is the variance var. Made
 * by {@link Xent#gaussianNll()}.
 *
 * <p>With mean x (the input), target t and variance v = max(var, eps):
 * {@code loss = 0.5 (log v + (x - t)^2 / v)} (+ {@code 0.5 log(2 pi)} when full); gradients
 * {@code d/dx = (x - t) / v} and, for a learned variance, {@code d/dvar = 0.5 (1/v - (x - t)^2 / v^2)}.
 * As in PyTorch (which clamps a clone of var under no_grad), the clamp happens outside autograd:
 * the variance gradient is taken at the clamped v and passed to var unchanged, even where
 * var < eps. var is per element (the input's shape), one per row (the input's shape with last
 * axis 1: PyTorch's homoscedastic case) or one value: with a fixed sigma^2 the loss is the mean
 * squared error / (2 sigma^2) plus a constant. A var entry shared by several elements gets the sum
 * of their variance gradients, as autograd gives a broadcast var. MEAN divides by the number of
 * elements. Defaults: full false, eps 1e-6, MEAN.
 *
 * <p>Differences from PyTorch: var is fp32 whatever the input's dtype. A negative var entry is an
 * {@link IllegalArgumentException} naming it (PyTorch: "var has negative entry/entries").
 */
public final class GaussianNll extends SpreadNll<GaussianNll> {
    private GaussianNll(Engine engine, boolean full, float eps, Reduction reduction, Stream stream) {
        super(Op.GAUSSIAN_NLL, "var", engine, full, eps, reduction, stream);
    }

    /** Defaults on {@code engine}. */
    GaussianNll(Engine engine) {
        this(engine, false, (float) DEFAULT_EPS, Reduction.MEAN, null);
    }

    @Override
    GaussianNll copy(Engine engine, boolean full, float eps, Reduction reduction, Stream stream) {
        return new GaussianNll(engine, full, eps, reduction, stream);
    }
}
