package dev.xent;

import dev.xent.ElementwiseRun.Extras;
import dev.xent.engine.ElementwiseLossCall.Broadcast;
import dev.xent.engine.ElementwiseLossCall.Op;
import dev.xent.engine.Engine;
import java.util.Objects;

/**
 * Poisson negative log-likelihood, as PyTorch's {@code F.poisson_nll_loss(input, target,
 * log_input, full, eps, reduction)}, on one engine. Immutable: the {@code withX} methods return
 * a copy.
 *
 * <p>With input x and target count t: log input (default) {@code loss = exp(x) - t x}, gradient
 * {@code exp(x) - t}; otherwise x is the rate and {@code loss = x - t log(x + eps)}, gradient
 * {@code 1 - t / (x + eps)}. {@code full} adds Stirling's approximation of log(t!),
 * {@code t log t - t + 0.5 log(2 pi t)}, where t > 1 only (PyTorch masks t <= 1 to 0); it does not
 * depend on x. MEAN divides by the number of elements.
 *
 * <p>Differences from PyTorch: a negative target, or a negative rate when the input is not a
 * log-rate, is an {@link IllegalArgumentException} naming the element and the value (PyTorch
 * computes with it).
 *
 * <p>Made by {@link Xent#poissonNll()}. Each element is a row: an upstream gradient per row has one
 * value per element.
 */
public final class PoissonNll extends LossFunction<DenseTensor, DenseTensor, ElementwiseLoss> {
    /** PyTorch's default eps. */
    public static final double DEFAULT_EPS = 1e-8;

    private final Engine engine;
    private final boolean logInput;
    private final boolean full;
    private final float eps;
    private final Reduction reduction;

    private PoissonNll(Engine engine, boolean logInput, boolean full, float eps, Reduction reduction) {
        this.engine = engine;
        this.logInput = logInput;
        this.full = full;
        this.eps = eps;
        this.reduction = reduction;
    }

    /** Defaults (log input, full false, eps 1e-8, MEAN) on {@code engine}. */
    PoissonNll(Engine engine) {
        this(Objects.requireNonNull(engine, "engine"), true, false, (float) DEFAULT_EPS, Reduction.MEAN);
    }

    /** Whether the input is log(rate) (true, the default) or the rate itself. */
    public PoissonNll withLogInput(boolean logInput) {
        return new PoissonNll(engine, logInput, full, eps, reduction);
    }

    /** Whether to add the Stirling term for targets above 1. */
    public PoissonNll withFull(boolean full) {
        return new PoissonNll(engine, logInput, full, eps, reduction);
    }

    /** Added to the rate inside the log when the input is the rate (>= 0). */
    public PoissonNll withEps(double eps) {
        if (!(eps >= 0 && eps < Float.MAX_VALUE)) throw new IllegalArgumentException("eps must be >= 0 and finite, got " + eps);
        return new PoissonNll(engine, logInput, full, (float) eps, reduction);
    }

    public PoissonNll withReduction(Reduction reduction) {
        return new PoissonNll(engine, logInput, full, eps, Objects.requireNonNull(reduction, "reduction"));
    }

    public PoissonNll withEngine(Engine engine) {
        return new PoissonNll(Objects.requireNonNull(engine, "engine"), logInput, full, eps, reduction);
    }

    public boolean logInput() {
        return logInput;
    }

    public boolean full() {
        return full;
    }

    public float eps() {
        return eps;
    }

    public Reduction reduction() {
        return reduction;
    }

    public Engine engine() {
        return engine;
    }

    @Override
    long rows(DenseTensor input) {
        return input.count();
    }

    @Override
    ElementwiseLoss run(DenseTensor input, DenseTensor target, float[] upstream, DenseTensor grad) {
        Extras x = new Extras(null, Broadcast.PER_ELEMENT, null, null, null, Broadcast.PER_ELEMENT, null, full, logInput, eps);
        return ElementwiseRun.run(engine, Op.POISSON_NLL, reduction, input, target, upstream, grad, x);
    }
}
