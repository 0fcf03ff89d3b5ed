package dev.xent;

import dev.xent.engine.Engine;
import dev.xent.engine.NllCall;
import dev.xent.engine.Pass;
import dev.xent.internal.Checks;
import dev.xent.internal.Region;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Objects;

/**
 * Negative log-likelihood of class-index targets given log-probabilities, as PyTorch's
 * {@code F.nll_loss}, on one engine. Immutable: the {@code withX} methods return a copy.
 *
 * <p>With log-probabilities x (any {@link Logits} shape and layout, classes on axis 1) and class
 * weights w (all ones by default): {@code loss_i = -w[y_i] x[i, y_i]}; rows with {@code y_i ==
 * ignoreIndex} give 0 and no gradient; MEAN divides by the sum of {@code w[y_i]} over rows not
 * ignored (every row ignored: NaN, as PyTorch). Gradient: {@code -s_i w[y_i]} at {@code y_i}, 0
 * everywhere else, {@code s_i} the upstream gradient (divided by the denominator under MEAN).
 * The input is used as given (no check that it holds log-probabilities), as PyTorch does.
 * Losses are fp32; gradients have the input's storage type and layout. {@link Loss#lse()} is null.
 * Made by {@link Xent#nllLoss()}.
 */
public final class NllLoss extends LossFunction<Logits, Targets.ClassIndices, Loss> {
    private final Engine engine;
    private final float[] weight;
    private final long ignoreIndex;
    private final Reduction reduction;

    private NllLoss(Engine engine, float[] weight, long ignoreIndex, Reduction reduction) {
        this.engine = engine;
        this.weight = weight;
        this.ignoreIndex = ignoreIndex;
        this.reduction = reduction;
    }

    /** Defaults (no weights, ignoreIndex -100, MEAN) on {@code engine}. */
    NllLoss(Engine engine) {
        this(Objects.requireNonNull(engine, "engine"), null, CrossEntropy.DEFAULT_IGNORE_INDEX, Reduction.MEAN);
    }

    /** Per-class weights, C finite values, or null for none. The array is copied. */
    public NllLoss withWeight(float[] weight) {
        return new NllLoss(engine, Checks.finite("weight", weight), ignoreIndex, reduction);
    }

    /** Class index whose rows contribute no loss and no gradient (default -100). */
    public NllLoss withIgnoreIndex(long ignoreIndex) {
        return new NllLoss(engine, weight, ignoreIndex, reduction);
    }

    public NllLoss withReduction(Reduction reduction) {
        return new NllLoss(engine, weight, ignoreIndex, Objects.requireNonNull(reduction, "reduction"));
    }

    /** The same options on another engine. */
    public NllLoss withEngine(Engine engine) {
        return new NllLoss(Objects.requireNonNull(engine, "engine"), weight, ignoreIndex, reduction);
    }

    public Engine engine() {
        return engine;
    }

    public float[] weight() {
        return weight == null ? null : weight.clone();
    }

    public long ignoreIndex() {
        return ignoreIndex;
    }

    public Reduction reduction() {
        return reduction;
    }

    @Override
    long rows(Logits logProbabilities) {
        return logProbabilities.rows();
    }

    /** The forward pass reads one element per row; the gradient writes every element once. */
    @Override
    Loss run(Logits input, Targets.ClassIndices targets, float[] upstream, Logits grad) {
        Objects.requireNonNull(targets, "targets");
        Checks.alive(input.data(), "log-probabilities");
        Checks.onHost("nll_loss", Region.of("input", input), Region.of("targets", targets), Region.of("grad", grad));
        int n = Checks.rowsForArray(input.rows(), 1, "per-row losses");
        if (weight != null && weight.length != input.classes()) {
            throw new IllegalArgumentException("weight has " + weight.length + " entries but the input has C = " + input.classes() + " classes");
        }
        Checks.classIndices(targets, input, ignoreIndex);
        if (grad != null) Checks.gradient(grad, input, "log-probabilities");
        Region in = Region.of("input", input);
        Checks.disjoint(Arrays.asList(in, Region.of("targets", targets), Region.of("upstream", upstream)),
                Region.inPlaceOf(in, "grad", grad));
        float[] rowLoss = new float[n];
        float[] reduced = new float[2];
        engine.nll(new NllCall(grad == null ? Pass.FORWARD : Pass.FORWARD_BACKWARD, input.layout(), input.dtype(),
                input.data(), targets, weight == null ? null : MemorySegment.ofArray(weight), ignoreIndex, reduction,
                upstream == null ? null : MemorySegment.ofArray(upstream), grad == null ? null : grad.data(),
                MemorySegment.ofArray(rowLoss), MemorySegment.ofArray(reduced)));
        return new Loss(reduction, reduced[0], reduced[1], rowLoss, null, input.rowShape(), null, 0f);
    }
}
