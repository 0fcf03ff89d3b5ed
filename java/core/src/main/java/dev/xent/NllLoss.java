package dev.xent;

import dev.xent.engine.DeviceRuntime;
import dev.xent.engine.Engine;
import dev.xent.engine.NllCall;
import dev.xent.engine.Pass;
import dev.xent.internal.Checks;
import dev.xent.internal.Region;
import java.lang.foreign.Arena;
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
    /** What device calls enqueue on; null: the default stream. */
    private final Stream stream;

    private NllLoss(Engine engine, float[] weight, long ignoreIndex, Reduction reduction, Stream stream) {
        this.engine = engine;
        this.weight = weight;
        this.ignoreIndex = ignoreIndex;
        this.reduction = reduction;
        this.stream = stream;
    }

    /** Defaults (no weights, ignoreIndex -100, MEAN) on {@code engine}. */
    NllLoss(Engine engine) {
        this(Objects.requireNonNull(engine, "engine"), null, CrossEntropy.DEFAULT_IGNORE_INDEX, Reduction.MEAN, null);
    }

    /** Per-class weights, C finite values, or null for none. The array is copied. */
    public NllLoss withWeight(float[] weight) {
        return new NllLoss(engine, Checks.finite("weight", weight), ignoreIndex, reduction, stream);
    }

    /** Class index whose rows contribute no loss and no gradient (default -100). */
    public NllLoss withIgnoreIndex(long ignoreIndex) {
        return new NllLoss(engine, weight, ignoreIndex, reduction, stream);
    }

    public NllLoss withReduction(Reduction reduction) {
        return new NllLoss(engine, weight, ignoreIndex, Objects.requireNonNull(reduction, "reduction"), stream);
    }

    /** The stream the device calls enqueue on (null: the default stream). */
    public NllLoss withStream(Stream stream) {
        if (stream != null) stream.checkAlive();
        return new NllLoss(engine, weight, ignoreIndex, reduction, stream);
    }

    /** The same options on another engine (and its default stream). */
    public NllLoss withEngine(Engine engine) {
        return new NllLoss(Objects.requireNonNull(engine, "engine"), weight, ignoreIndex, reduction, null);
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

    // ---- on device memory ------------------------------------------------------------------------

    /**
     * Device outputs for this loss's calls over log-probabilities of {@code input}'s shape (per-row
     * losses, the reduced loss, the error word, a device copy of the class weights), on their
     * device; {@link DeviceLoss#close()} frees them. Allocating synchronises; the calls do not.
     */
    public DeviceLoss deviceOutputs(Logits input) {
        return deviceOutputs(input, null);
    }

    /** As {@link #deviceOutputs(Logits)}, freed when {@code arena} closes. */
    public DeviceLoss deviceOutputs(Logits input, Arena arena) {
        Objects.requireNonNull(input, "input");
        DeviceMemory memory = DeviceOutputs.memoryOf(input, "deviceOutputs");
        Checks.classWeights(weight, input);
        return DeviceLoss.allocate(DeviceOutputs.runtimeFor(engine, memory, "deviceOutputs"), memory, input.rows(),
                input.classes(), reduction, weight, false, false, NllLoss.class, arena);
    }

    /** The loss of device log-probabilities into {@code out}, enqueued on the stream; returns {@code out}. */
    public DeviceLoss forward(Logits input, Targets.ClassIndices targets, DeviceLoss out) {
        return runOnDevice(input, targets, null, null, out);
    }

    /**
     * Loss and gradient of device tensors, enqueued on the stream, with the upstream gradient in
     * device memory (1 fp32 for SUM and MEAN, one per row for NONE; null: 1); {@code grad} may be
     * {@code input}. Returns {@code out}.
     */
    public DeviceLoss forwardBackward(Logits input, Targets.ClassIndices targets, DeviceMemory upstream, Logits grad,
            DeviceLoss out) {
        return runOnDevice(input, targets, upstream, Objects.requireNonNull(grad, "grad"), out);
    }

    private DeviceLoss runOnDevice(Logits input, Targets.ClassIndices targets, DeviceMemory upstream, Logits grad,
            DeviceLoss out) {
        Objects.requireNonNull(input, "input");
        Objects.requireNonNull(targets, "targets");
        Objects.requireNonNull(out, "out");
        Pass pass = grad == null ? Pass.FORWARD : Pass.FORWARD_BACKWARD;
        String op = "nll_loss " + pass;
        Checks.alive(input.data(), "log-probabilities");
        DeviceMemory memory = DeviceOutputs.memoryOf(input, op);
        DeviceRuntime runtime = DeviceOutputs.runtimeFor(engine, memory, op);
        out.checkFor(NllLoss.class, input, reduction, weight, false);
        DeviceOutputs.checkLabels(targets, input);
        if (grad != null) Checks.gradient(grad, input, "log-probabilities");
        MemorySegment up = DeviceOutputs.upstreamOf(upstream, reduction, input.rows());
        Region in = Region.of("input", input);
        Checks.disjoint(Arrays.asList(in, Region.of("targets", targets), Region.of("upstream", upstream, up)),
                Region.inPlaceOf(in, "grad", grad), Region.of("out", out.memory(), out.memory().span()));
        memory.checkStream(stream, op);
        runtime.nll(memory.device(), new NllCall(pass, input.layout(), input.dtype(), input.data(), targets, out.weightRange(),
                ignoreIndex, reduction, up, grad == null ? null : grad.data(), out.rowLossRange(), null),
                out.workspaceRange(), out.errorInfoRange(), stream == null ? 0 : stream.handle());
        out.writtenOn(stream);
        return out;
    }
}
