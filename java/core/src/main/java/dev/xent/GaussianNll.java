package dev.xent;

import dev.xent.engine.ElementwiseLossCall.Op;
import dev.xent.engine.Engine;
import java.util.Objects;

/**
 * Gaussian negative log-likelihood, as PyTorch's {@code F.gaussian_nll_loss(input, target, var,
 * full, eps, reduction)}, on one engine. Immutable: the {@code withX} methods return a copy.
 *
 * <p>With mean x (the input), target t and variance v = max(var, eps):
 * {@code loss = 0.5 (log v + (x - t)^2 / v)} (+ {@code 0.5 log(2 pi)} when full); gradients
 * {@code d/dx = (x - t) / v} and, for a learned variance, {@code d/dvar = 0.5 (1/v - (x - t)^2 / v^2)}.
 * As in PyTorch, the clamp happens outside autograd: the variance gradient is taken at the
 * clamped v and passed to var unchanged, even where var < eps. var is per element (the input's
 * shape), one per row (the input's shape with last axis 1: PyTorch's homoscedastic case) or one
 * value: with a fixed sigma^2 the loss is the mean squared error / (2 sigma^2) plus a constant.
 * MEAN divides by the number of elements.
 *
 * <p>Differences from PyTorch: var is fp32 whatever the input's dtype; the gradient w.r.t. var
 * is offered for a per-element var only. A negative var entry is an
 * {@link IllegalArgumentException} naming it (PyTorch: "var has negative entry/entries").
 */
public final class GaussianNll {
    /** The default clamp of the var. */
    public static final double DEFAULT_EPS = 1e-6;

    private final ScaleNll nll;

    private GaussianNll(ScaleNll nll) {
        this.nll = nll;
    }

    /** Defaults (full false, eps 1e-6, MEAN) on the given engine. */
    public static GaussianNll on(Engine engine) {
        return new GaussianNll(new ScaleNll(Op.GAUSSIAN_NLL, "var", Objects.requireNonNull(engine, "engine"), false, (float) DEFAULT_EPS, Reduction.MEAN));
    }

    /** Whether to add the constant term 0.5 log(2 pi). */
    public GaussianNll withFull(boolean full) {
        return new GaussianNll(nll.withFull(full));
    }

    /** The var is clamped to at least eps (> 0) before use. */
    public GaussianNll withEps(double eps) {
        return new GaussianNll(nll.withEps(eps));
    }

    public GaussianNll withReduction(Reduction reduction) {
        return new GaussianNll(nll.withReduction(reduction));
    }

    public GaussianNll withEngine(Engine engine) {
        return new GaussianNll(nll.withEngine(engine));
    }

    public boolean full() {
        return nll.full();
    }

    public float eps() {
        return nll.eps();
    }

    public Reduction reduction() {
        return nll.reduction();
    }

    /** The loss; per-element losses under NONE. {@code var}: per element, per row or one value (fp32). */
    public ElementwiseLoss forward(DenseTensor input, DenseTensor target, float[] var) {
        return nll.run(input, target, var, null, null, null);
    }

    /** Loss and gradient w.r.t. the input in one pass, upstream 1. {@code grad} may be {@code input}. */
    public ElementwiseLoss forwardBackward(DenseTensor input, DenseTensor target, float[] var, DenseTensor grad) {
        return nll.run(input, target, var, Objects.requireNonNull(grad, "grad"), null, null);
    }

    /**
     * Loss and gradients w.r.t. the input and a learned per-element var ({@code varGrad}, fp32,
     * one per element), with a scalar upstream gradient (SUM, MEAN).
     */
    public ElementwiseLoss forwardBackward(DenseTensor input, DenseTensor target, float[] var, DenseTensor grad,
            float[] varGrad, float upstream) {
        return nll.run(input, target, var, Objects.requireNonNull(grad, "grad"), varGrad, new float[] {upstream});
    }

    /** As above with one upstream gradient per element (NONE); {@code varGrad} may be null. */
    public ElementwiseLoss forwardBackward(DenseTensor input, DenseTensor target, float[] var, DenseTensor grad,
            float[] varGrad, float[] upstreamPerElement) {
        return nll.run(input, target, var, Objects.requireNonNull(grad, "grad"), varGrad,
                Objects.requireNonNull(upstreamPerElement, "upstreamPerElement"));
    }
}
