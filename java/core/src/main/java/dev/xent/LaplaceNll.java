package dev.xent;

import dev.xent.engine.ElementwiseLossCall.Op;
import dev.xent.engine.Engine;

/**
 * Laplace negative log-likelihood (no PyTorch counterpart; defined like {@link GaussianNll}), on
 * one engine; the spread of {@link SpreadNll} is the scale. Made by {@link Xent#laplaceNll()}.
 *
 * <p>With location x (the input), target t and scale b = max(scale, eps):
 * {@code loss = log b + |x - t| / b} (+ {@code log 2} when full); gradients
 * {@code d/dx = sign(x - t) / b} (0 at x = t, as PyTorch's l1_loss) and, for a learned scale,
 * {@code d/dscale = 1/b - |x - t| / b^2}, taken at the clamped b and passed through the clamp
 * unchanged, as GaussianNll does. The scale is per element, one per row (the input's shape with
 * last axis 1) or one value: with a fixed b the loss is the mean absolute error / b plus a
 * constant; an entry shared by several elements gets the sum of their scale gradients. MEAN
 * divides by the number of elements. The scale is fp32; a negative entry is an
 * {@link IllegalArgumentException} naming it. Defaults: full false, eps 1e-6, MEAN.
 */
public final class LaplaceNll extends SpreadNll<LaplaceNll> {
    private LaplaceNll(Engine engine, boolean full, float eps, Reduction reduction, Stream stream) {
        super(Op.LAPLACE_NLL, "scale", engine, full, eps, reduction, stream);
    }

    /** Defaults on {@code engine}. */
    LaplaceNll(Engine engine) {
        this(engine, false, (float) DEFAULT_EPS, Reduction.MEAN, null);
    }

    @Override
    LaplaceNll copy(Engine engine, boolean full, float eps, Reduction reduction, Stream stream) {
        return new LaplaceNll(engine, full, eps, reduction, stream);
    }
}
