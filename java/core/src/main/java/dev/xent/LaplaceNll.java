package dev.xent;

import dev.xent.engine.ElementwiseLossCall.Op;
import dev.xent.engine.Engine;
import java.util.Objects;

/**
 * Laplace negative log-likelihood (no PyTorch counterpart; defined like {@link GaussianNll}), on
 * one engine. Immutable: the {@code withX} methods return a copy.
 *
 * <p>With location x (the input), target t and scale b = max(scale, eps):
 * {@code loss = log b + |x - t| / b} (+ {@code log 2} when full); gradients
 * {@code d/dx = sign(x - t) / b} (0 at x = t, as PyTorch's l1_loss) and, for a learned scale,
 * {@code d/dscale = 1/b - |x - t| / b^2}, taken at the clamped b and passed through the clamp
 * unchanged, as GaussianNll does. The scale is per element, one per row (the input's shape with
 * last axis 1) or one value: with a fixed b the loss is the mean absolute error / b plus a
 * constant. MEAN divides by the number of elements. The scale is fp32; a negative entry is an
 * {@link IllegalArgumentException} naming it.
 */
public final class LaplaceNll {
    /** The default clamp of the scale. */
    public static final double DEFAULT_EPS = 1e-6;

    private final ScaleNll nll;

    private LaplaceNll(ScaleNll nll) {
        this.nll = nll;
    }

    /** Defaults (full false, eps 1e-6, MEAN) on the given engine. */
    public static LaplaceNll on(Engine engine) {
        return new LaplaceNll(new ScaleNll(Op.LAPLACE_NLL, "scale", Objects.requireNonNull(engine, "engine"), false, (float) DEFAULT_EPS, Reduction.MEAN));
    }

    /** Whether to add the constant term log 2. */
    public LaplaceNll withFull(boolean full) {
        return new LaplaceNll(nll.withFull(full));
    }

    /** The scale is clamped to at least eps (> 0) before use. */
    public LaplaceNll withEps(double eps) {
        return new LaplaceNll(nll.withEps(eps));
    }

    public LaplaceNll withReduction(Reduction reduction) {
        return new LaplaceNll(nll.withReduction(reduction));
    }

    public LaplaceNll withEngine(Engine engine) {
        return new LaplaceNll(nll.withEngine(engine));
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

    /** The loss; per-element losses under NONE. {@code scale}: per element, per row or one value (fp32). */
    public ElementwiseLoss forward(DenseTensor input, DenseTensor target, float[] scale) {
        return nll.run(input, target, scale, null, null, null);
    }

    /** Loss and gradient w.r.t. the input in one pass, upstream 1. {@code grad} may be {@code input}. */
    public ElementwiseLoss forwardBackward(DenseTensor input, DenseTensor target, float[] scale, DenseTensor grad) {
        return nll.run(input, target, scale, Objects.requireNonNull(grad, "grad"), null, null);
    }

    /**
     * Loss and gradients w.r.t. the input and a learned per-element scale ({@code scaleGrad}, fp32,
     * one per element), with a scalar upstream gradient (SUM, MEAN).
     */
    public ElementwiseLoss forwardBackward(DenseTensor input, DenseTensor target, float[] scale, DenseTensor grad,
            float[] scaleGrad, float upstream) {
        return nll.run(input, target, scale, Objects.requireNonNull(grad, "grad"), scaleGrad, new float[] {upstream});
    }

    /** As above with one upstream gradient per element (NONE); {@code scaleGrad} may be null. */
    public ElementwiseLoss forwardBackward(DenseTensor input, DenseTensor target, float[] scale, DenseTensor grad,
            float[] scaleGrad, float[] upstreamPerElement) {
        return nll.run(input, target, scale, Objects.requireNonNull(grad, "grad"), scaleGrad,
                Objects.requireNonNull(upstreamPerElement, "upstreamPerElement"));
    }
}
