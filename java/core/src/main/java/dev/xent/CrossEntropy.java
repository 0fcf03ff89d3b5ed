package dev.xent;

import dev.xent.engine.CrossEntropyCall;
import dev.xent.engine.DeviceRuntime;
import dev.xent.engine.Engine;
import dev.xent.engine.Pass;
import dev.xent.internal.Checks;
import dev.xent.internal.Region;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Objects;

/**
 * Softmax cross-entropy, as PyTorch's {@code F.cross_entropy}, on one engine. Immutable: the
 * {@code withX} methods return a copy.
 *
 * <p>With logits z (rows i, classes k), {@code lse_i = log sum_k exp z_ik}, class weights w (all
 * ones by default), label smoothing eps and C classes:
 *
 * <ul>
 *   <li>class-index targets y: {@code loss_i = (1-eps) w[y_i] (lse_i - z_{i,y_i}) + (eps/C)
 *       sum_k w_k (lse_i - z_ik)}; rows with {@code y_i == ignoreIndex} give 0 and no gradient;
 *       MEAN divides by {@code sum of w[y_i]} over rows not ignored (every row ignored: NaN, as
 *       in PyTorch).
 *   <li>probability targets t: {@code t' = (1-eps) t + eps/C}, {@code loss_i = -sum_k w_k t'_ik
 *       (z_ik - lse_i)}; MEAN divides by the number of rows; {@code ignoreIndex} does not apply.
 *   <li>gradient: {@code dL/dz_ik = s_i (p_ik sum_j w_j t'_ij - w_k t'_ik)} with {@code p =
 *       softmax(z)}, where hard labels act as t' = (1-eps) onehot(y) + eps/C weighted as above, and
 *       {@code s_i} is the upstream gradient, divided by the denominator under MEAN.
 * </ul>
 *
 * <p>LLM-training extras (PaLM / Gemma style; all off by default, and then free):
 *
 * <ul>
 *   <li>logit scale s ({@link #withLogitScale}, or {@link #withTemperature} tau = 1/s) and soft-cap
 *       c ({@link #withSoftcap}): every formula above sees {@code z' = c tanh(s z / c)} (no cap:
 *       {@code z' = s z}) instead of z, and the gradient is taken with respect to the raw z:
 *       {@code dL/dz = dL/dz' * s (1 - tanh^2(s z / c))}. A -inf logit (masked or padded
 *       vocabulary) stays -inf rather than becoming -c, so masked classes stay masked; its
 *       gradient is 0 under a cap. NaN stays NaN, +inf becomes c.
 *   <li>z-loss lambda ({@link #withZLoss}): row i adds {@code lambda u_i lse_i^2}, lse_i the
 *       log-sum-exp of the transformed logits, u_i = w[y_i] for class-index targets (0 for
 *       ignored rows, so MEAN keeps its denominator sum of w[y_i]; label smoothing does not
 *       change it) and 1 for probability targets (MEAN divides by N). Its gradient {@code 2 lambda
 *       u_i lse_i p_ik} is folded into the per-row coefficient of p, so it costs nothing per
 *       element. {@link Loss#perRow()} and the reduced loss include it; {@link Loss#perRowZLoss()}
 *       and {@link Loss#zLoss()} give it apart, for logging the cross-entropy and the z-loss
 *       separately. {@link Loss#lse()} is the log-sum-exp of the transformed logits, which is
 *       also what {@link #backward} expects back.
 * </ul>
 *
 * Losses are fp32; gradients have the logits' storage type and layout. Made by
 * {@link Xent#crossEntropy()}.
 */
public final class CrossEntropy extends LossFunction<Logits, Targets, Loss> {
    /** PyTorch's default {@code ignore_index}. */
    public static final long DEFAULT_IGNORE_INDEX = -100;

    private final Engine engine;
    private final float[] weight;
    private final long ignoreIndex;
    private final float labelSmoothing;
    private final Reduction reduction;
    private final float logitScale;
    /** 0: no soft-cap. */
    private final float softcap;
    private final float zLoss;
    /** What device calls enqueue on; null: the default stream. */
    private final Stream stream;

    private CrossEntropy(Engine engine, float[] weight, long ignoreIndex, float labelSmoothing, Reduction reduction,
            float logitScale, float softcap, float zLoss, Stream stream) {
        this.engine = engine;
        this.weight = weight;
        this.ignoreIndex = ignoreIndex;
        this.labelSmoothing = labelSmoothing;
        this.reduction = reduction;
        this.logitScale = logitScale;
        this.softcap = softcap;
        this.zLoss = zLoss;
        this.stream = stream;
    }

    /** Defaults (no weights, ignoreIndex -100, no smoothing, MEAN, no extras) on {@code engine}. */
    CrossEntropy(Engine engine) {
        this(Objects.requireNonNull(engine, "engine"), null, DEFAULT_IGNORE_INDEX, 0f, Reduction.MEAN, 1f, 0f, 0f, null);
    }

    /** Per-class weights, C values, or null for none. The array is copied. */
    public CrossEntropy withWeight(float[] weight) {
        float[] w = Checks.finite("weight", weight);
        return new CrossEntropy(engine, w, ignoreIndex, labelSmoothing, reduction, logitScale, softcap, zLoss, stream);
    }

    /** Class index whose rows contribute no loss and no gradient (default -100). */
    public CrossEntropy withIgnoreIndex(long ignoreIndex) {
        return new CrossEntropy(engine, weight, ignoreIndex, labelSmoothing, reduction, logitScale, softcap, zLoss, stream);
    }

    /** Label smoothing eps in [0, 1]: the target becomes (1-eps) target + eps/C. */
    public CrossEntropy withLabelSmoothing(double eps) {
        if (!(eps >= 0 && eps <= 1)) {
            throw new IllegalArgumentException("label smoothing must be in [0, 1], got " + eps);
        }
        return new CrossEntropy(engine, weight, ignoreIndex, (float) eps, reduction, logitScale, softcap, zLoss, stream);
    }

    public CrossEntropy withReduction(Reduction reduction) {
        return new CrossEntropy(engine, weight, ignoreIndex, labelSmoothing, Objects.requireNonNull(reduction, "reduction"),
                logitScale, softcap, zLoss, stream);
    }

    /**
     * The stream the device calls enqueue on (null: the default stream of their memory's device).
     * It must be this engine's and on the device of the tensors it is used with.
     */
    public CrossEntropy withStream(Stream stream) {
        if (stream != null) stream.checkAlive();
        return new CrossEntropy(engine, weight, ignoreIndex, labelSmoothing, reduction, logitScale, softcap, zLoss, stream);
    }

    /** The same options on another engine (and its default stream). */
    public CrossEntropy withEngine(Engine engine) {
        return new CrossEntropy(Objects.requireNonNull(engine, "engine"), weight, ignoreIndex, labelSmoothing, reduction,
                logitScale, softcap, zLoss, null);
    }

    /**
     * Multiplies every logit by {@code scale} (finite, > 0; default 1) before anything else: the
     * loss sees {@code scale * z}. Replaces an earlier {@link #withTemperature}.
     */
    public CrossEntropy withLogitScale(double scale) {
        float s = (float) scale;
        if (!(s > 0) || !Float.isFinite(s)) {
            throw new IllegalArgumentException("logit scale must be finite and > 0 in fp32, got " + scale);
        }
        return new CrossEntropy(engine, weight, ignoreIndex, labelSmoothing, reduction, s, softcap, zLoss, stream);
    }

    /** Divides every logit by the temperature {@code tau} (finite, > 0): the logit scale 1 / tau. */
    public CrossEntropy withTemperature(double tau) {
        if (!(tau > 0) || !Double.isFinite(tau)) {
            throw new IllegalArgumentException("temperature must be finite and > 0, got " + tau);
        }
        return withLogitScale(1 / tau);
    }

    /**
     * Soft-caps the (scaled) logits at {@code cap} > 0: {@code z' = cap * tanh(z / cap)}, -inf
     * logits staying -inf. {@code +inf} removes the cap (the default).
     */
    public CrossEntropy withSoftcap(double cap) {
        if (Double.isInfinite(cap) && cap > 0) {
            return new CrossEntropy(engine, weight, ignoreIndex, labelSmoothing, reduction, logitScale, 0f, zLoss, stream);
        }
        float c = (float) cap;
        if (!(c > 0) || !Float.isFinite(c)) throw new IllegalArgumentException("softcap must be > 0 in fp32, got " + cap);
        return new CrossEntropy(engine, weight, ignoreIndex, labelSmoothing, reduction, logitScale, c, zLoss, stream);
    }

    /** z-loss coefficient lambda >= 0 (default 0): each row adds {@code lambda * lse^2}, see the class doc. */
    public CrossEntropy withZLoss(double lambda) {
        float l = (float) lambda;
        if (!(l >= 0) || !Float.isFinite(l)) {
            throw new IllegalArgumentException("z-loss must be finite and >= 0, got " + lambda);
        }
        return new CrossEntropy(engine, weight, ignoreIndex, labelSmoothing, reduction, logitScale, softcap, l, stream);
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

    public float labelSmoothing() {
        return labelSmoothing;
    }

    public Reduction reduction() {
        return reduction;
    }

    /** The logit scale (1 / temperature); 1 by default. */
    public float logitScale() {
        return logitScale;
    }

    /** The soft-cap, or +inf for none. */
    public float softcap() {
        return softcap == 0 ? Float.POSITIVE_INFINITY : softcap;
    }

    public float zLoss() {
        return zLoss;
    }

    /**
     * Gradient from the log-sum-exp a forward pass returned ({@link Loss#lse()}), with a scalar
     * upstream gradient (SUM or MEAN), into {@code grad} (may be {@code logits}).
     */
    public void backward(Logits logits, Targets targets, float[] lse, float upstream, Logits grad) {
        Objects.requireNonNull(logits, "logits");
        run(Pass.BACKWARD, logits, targets, requireLse(lse, logits), Checks.scalarUpstream(upstream, reduction, logits.rows()),
                Objects.requireNonNull(grad, "grad"));
    }

    /** As {@link #backward(Logits, Targets, float[], float, Logits)} with one upstream gradient per row (NONE). */
    public void backward(Logits logits, Targets targets, float[] lse, float[] upstreamPerRow, Logits grad) {
        Objects.requireNonNull(logits, "logits");
        run(Pass.BACKWARD, logits, targets, requireLse(lse, logits), Checks.rowUpstream(upstreamPerRow, reduction, logits.rows()),
                Objects.requireNonNull(grad, "grad"));
    }

    @Override
    long rows(Logits logits) {
        return logits.rows();
    }

    @Override
    Loss run(Logits logits, Targets targets, float[] upstream, Logits grad) {
        return run(grad == null ? Pass.FORWARD : Pass.FORWARD_BACKWARD, logits, targets, null, upstream, grad);
    }

    private Loss run(Pass pass, Logits logits, Targets targets, float[] lseIn, float[] upstream, Logits grad) {
        Objects.requireNonNull(targets, "targets");
        Checks.alive(logits.data(), "logits");
        Checks.onHost("cross-entropy with host results (on device tensors, give a DeviceLoss: see deviceOutputs)",
                Region.of("logits", logits), Region.of("targets", targets), Region.of("grad", grad));
        int n = Checks.rowsForArray(logits.rows(), 1, "per-row losses");
        Checks.classWeights(weight, logits);
        checkTargets(targets, logits);
        if (grad != null) Checks.gradient(grad, logits, "logits");
        Region in = Region.of("logits", logits);
        Checks.disjoint(Arrays.asList(in, Region.of("targets", targets), Region.of("lse", lseIn), Region.of("upstream", upstream)),
                Region.inPlaceOf(in, "grad", grad));
        float[] rowLoss = pass == Pass.BACKWARD ? null : new float[n];
        float[] lse = lseIn != null ? lseIn : new float[n];
        float[] rowZLoss = rowLoss != null && zLoss > 0 ? new float[n] : null;
        float[] reduced = new float[3];
        MemorySegment reducedSeg = MemorySegment.ofArray(reduced);
        engine.crossEntropy(new CrossEntropyCall(
                pass, logits.layout(), logits.dtype(), logits.data(), targets,
                weight == null ? null : MemorySegment.ofArray(weight),
                ignoreIndex, labelSmoothing, reduction, logitScale, softcap, zLoss,
                upstream == null ? null : MemorySegment.ofArray(upstream),
                grad == null ? null : grad.data(),
                rowLoss == null ? null : MemorySegment.ofArray(rowLoss),
                rowZLoss == null ? null : MemorySegment.ofArray(rowZLoss),
                MemorySegment.ofArray(lse),
                reducedSeg));
        if (pass == Pass.BACKWARD) return null;
        return new Loss(reduction, reduced[0], reduced[1], rowLoss, lse, logits.rowShape(), rowZLoss, reduced[2]);
    }

    // ---- on device memory ------------------------------------------------------------------------

    /**
     * Device outputs for this loss's calls over logits of {@code logits}' shape (per-row losses,
     * lse, z-losses, the reduced loss, the error word, and a device copy of the class weights), on
     * their device. {@link DeviceLoss#close()} frees them. Allocating synchronises; the calls
     * that write them do not.
     */
    public DeviceLoss deviceOutputs(Logits logits) {
        return deviceOutputs(logits, null);
    }

    /** As {@link #deviceOutputs(Logits)}, freed when {@code arena} closes. */
    public DeviceLoss deviceOutputs(Logits logits, Arena arena) {
        Objects.requireNonNull(logits, "logits");
        DeviceMemory memory = DeviceOutputs.memoryOf(logits, "deviceOutputs");
        Checks.classWeights(weight, logits);
        return DeviceLoss.allocate(DeviceOutputs.runtimeFor(engine, memory, "deviceOutputs"), memory, logits.rows(),
                logits.classes(), reduction, weight, true, zLoss > 0, CrossEntropy.class, arena);
    }

    /** The loss of device logits into {@code out}, enqueued on the stream; returns {@code out}. */
    public DeviceLoss forward(Logits logits, Targets targets, DeviceLoss out) {
        return runOnDevice(Pass.FORWARD, logits, targets, null, null, out);
    }

    /**
     * Loss and gradient of device tensors in one pass, upstream 1, enqueued on the stream; {@code
     * grad} may be {@code logits} itself. Returns {@code out}.
     */
    public DeviceLoss forwardBackward(Logits logits, Targets targets, Logits grad, DeviceLoss out) {
        return runOnDevice(Pass.FORWARD_BACKWARD, logits, targets, null, Objects.requireNonNull(grad, "grad"), out);
    }

    /**
     * As {@link #forwardBackward(Logits, Targets, Logits, DeviceLoss)} with the upstream gradient
     * in device memory: 1 fp32 for SUM and MEAN, one per row for NONE (null: 1).
     */
    public DeviceLoss forwardBackward(Logits logits, Targets targets, DeviceMemory upstream, Logits grad, DeviceLoss out) {
        return runOnDevice(Pass.FORWARD_BACKWARD, logits, targets, upstream, Objects.requireNonNull(grad, "grad"), out);
    }

    /**
     * The gradient of device logits from the lse a forward pass left in {@code saved}, with the
     * upstream gradient in device memory (null: 1), enqueued on the stream.
     */
    public void backward(Logits logits, Targets targets, DeviceLoss saved, DeviceMemory upstream, Logits grad) {
        runOnDevice(Pass.BACKWARD, logits, targets, upstream, Objects.requireNonNull(grad, "grad"), saved);
    }

    private DeviceLoss runOnDevice(Pass pass, Logits logits, Targets targets, DeviceMemory upstream, Logits grad,
            DeviceLoss out) {
        Objects.requireNonNull(logits, "logits");
        Objects.requireNonNull(targets, "targets");
        Objects.requireNonNull(out, "out");
        String op = "cross-entropy " + pass;
        Checks.alive(logits.data(), "logits");
        DeviceMemory memory = DeviceOutputs.memoryOf(logits, op);
        DeviceRuntime runtime = DeviceOutputs.runtimeFor(engine, memory, op);
        out.checkFor(CrossEntropy.class, logits, reduction, weight, zLoss > 0);
        checkDeviceTargets(targets, logits);
        if (grad != null) Checks.gradient(grad, logits, "logits");
        MemorySegment up = DeviceOutputs.upstreamOf(upstream, reduction, logits.rows());
        Region in = Region.of("logits", logits);
        Region outputs = Region.of("out", out.memory(), out.memory().span());
        Checks.disjoint(Arrays.asList(in, Region.of("targets", targets), Region.of("upstream", upstream, up),
                        pass == Pass.BACKWARD ? outputs : null),
                Region.inPlaceOf(in, "grad", grad), pass == Pass.BACKWARD ? null : outputs);
        memory.checkStream(stream, op);
        boolean forward = pass != Pass.BACKWARD;
        runtime.crossEntropy(memory.device(), new CrossEntropyCall(
                pass, logits.layout(), logits.dtype(), logits.data(), targets, out.weightRange(),
                ignoreIndex, labelSmoothing, reduction, logitScale, softcap, zLoss, up,
                grad == null ? null : grad.data(),
                forward ? out.rowLossRange() : null,
                forward ? out.rowZLossRange() : null,
                out.lseRange(),
                null), out.workspaceRange(), targets instanceof Targets.ClassIndices ? out.errorInfoRange() : null,
                stream == null ? 0 : stream.handle());
        out.writtenOn(stream);
        return out;
    }

    /** Device targets: their size and dtype (the labels' range is checked by the kernels, into the error word). */
    private void checkDeviceTargets(Targets targets, Logits logits) {
        switch (targets) {
            case Targets.ClassIndices idx -> DeviceOutputs.checkLabels(idx, logits);
            case Targets.Probabilities prob -> checkTargets(prob, logits);
        }
    }

    private void checkTargets(Targets targets, Logits logits) {
        switch (targets) {
            case Targets.ClassIndices idx -> Checks.classIndices(idx, logits, ignoreIndex);
            case Targets.Probabilities prob -> {
                Checks.alive(prob.data(), "targets");
                if (prob.dtype() != logits.dtype()) {
                    throw new IllegalArgumentException("probability targets are " + prob.dtype() + " but logits are " + logits.dtype());
                }
                long needed = logits.rows() * logits.classes() * prob.dtype().byteSize();
                if (prob.device() == null ? prob.data().byteSize() != needed : prob.data().byteSize() < needed) {
                    throw new IllegalArgumentException("probability targets must have the logits' shape "
                            + Arrays.toString(logits.shape()) + " (" + needed + " bytes), got " + prob.data().byteSize() + " bytes");
                }
            }
        }
    }

    private static float[] requireLse(float[] lse, Logits logits) {
        Objects.requireNonNull(lse, "lse");
        if (lse.length != logits.rows()) {
            throw new IllegalArgumentException("lse has " + lse.length + " values but logits have " + logits.rows() + " rows");
        }
        return lse;
    }
}
