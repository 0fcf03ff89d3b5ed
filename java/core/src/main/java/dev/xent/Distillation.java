package dev.xent;

import dev.xent.engine.DeviceRuntime;
import dev.xent.engine.DistillCall;
import dev.xent.engine.Engine;
import dev.xent.engine.Pass;
import dev.xent.internal.Checks;
import dev.xent.internal.Region;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Objects;

/**
 * Knowledge distillation (Hinton et al.) of student logits (the input) towards teacher logits (the
 * target) of the same shape, dtype and layout, on one engine. Immutable: the {@code withX} methods
 * return a copy. Made by {@link Xent#distillation()}. As every loss: input (student), targets
 * (teacher, then the hard labels), upstream gradient, gradient buffer last.
 *
 * <p>With temperature T, {@code p = softmax(z_t / T)} and {@code q = softmax(z_s / T)} per row:
 *
 * <pre>  loss = alpha T^2 R(KL(p || q)) + (1 - alpha) R'(CE(z_s, y))</pre>
 *
 * where {@code KL_i = sum_k p_k (log p_k - log q_k)}, CE is the student's cross-entropy at
 * temperature 1 against hard labels y (PyTorch's {@code F.cross_entropy} with ignoreIndex and class
 * weights w, all ones by default): {@code CE_i = w[y_i] (lse_i - z_{i,y_i})}, 0 for ignored rows;
 * and R, R' the reduction: MEAN is {@code sum / N} for the KL term (PyTorch's
 * {@code KLDivLoss(reduction="batchmean")}, N the batch) and {@code sum / (sum of w[y_i] over rows not
 * ignored)} for the hard term (NaN when that is 0, as PyTorch), SUM the plain sums, NONE one value per
 * row. A term whose coefficient is 0 is left out entirely. Gradient w.r.t. the student's logits:
 * {@code alpha T s (q - p) + (1 - alpha) s' w[y] (softmax(z_s) - onehot(y))}, s and s' the upstream
 * gradient over each term's denominator.
 *
 * <p>The teacher's softmax is never stored: one pass reads both rows. Masked teacher classes (-inf)
 * have p = 0 and contribute 0; a class masked in the student only gives KL = +inf, as in PyTorch.
 * Defaults: T = 1, alpha = 1 (pure KL, no hard labels), no class weights, ignoreIndex -100, MEAN. As PyTorch's
 * batchmean, MEAN divides the KL sum by the batch N also for (N, C, d1..dk) logits (not by the
 * N * d1 * .. * dk rows), while the hard term's mean is over the rows not ignored.
 */
public final class Distillation {
    private final Engine engine;
    private final float temperature;
    private final float alpha;
    private final float[] weight;
    private final long ignoreIndex;
    private final Reduction reduction;
    /** What device calls enqueue on; null: the default stream. */
    private final Stream stream;

    private Distillation(Engine engine, float temperature, float alpha, float[] weight, long ignoreIndex, Reduction reduction,
            Stream stream) {
        this.engine = engine;
        this.stream = stream;
        this.temperature = temperature;
        this.alpha = alpha;
        this.weight = weight;
        this.ignoreIndex = ignoreIndex;
        this.reduction = reduction;
    }

    /** Defaults (T = 1, alpha = 1, no weights, ignoreIndex -100, MEAN) on {@code engine}. */
    Distillation(Engine engine) {
        this(Objects.requireNonNull(engine, "engine"), 1f, 1f, null, CrossEntropy.DEFAULT_IGNORE_INDEX, Reduction.MEAN, null);
    }

    /** Temperature T: finite and > 0. */
    public Distillation withTemperature(double temperature) {
        if (!(temperature > 0) || !Double.isFinite(temperature) || !((float) temperature > 0)) {
            throw new IllegalArgumentException("temperature must be finite and > 0, got " + temperature);
        }
        return new Distillation(engine, (float) temperature, alpha, weight, ignoreIndex, reduction, stream);
    }

    /** Weight of the KL term in [0, 1]; below 1 the forward calls need hard targets. */
    public Distillation withAlpha(double alpha) {
        if (!(alpha >= 0 && alpha <= 1)) throw new IllegalArgumentException("alpha must be in [0, 1], got " + alpha);
        return new Distillation(engine, temperature, (float) alpha, weight, ignoreIndex, reduction, stream);
    }

    /**
     * Class weights of the hard term, C finite values, or null for none (all ones). The array is
     * copied. Only the hard term uses them (alpha < 1); the KL term has none.
     */
    public Distillation withWeight(float[] weight) {
        return new Distillation(engine, temperature, alpha, Checks.finite("weight", weight), ignoreIndex, reduction, stream);
    }

    /** Hard label whose rows have no hard term (default -100). */
    public Distillation withIgnoreIndex(long ignoreIndex) {
        return new Distillation(engine, temperature, alpha, weight, ignoreIndex, reduction, stream);
    }

    public Distillation withReduction(Reduction reduction) {
        return new Distillation(engine, temperature, alpha, weight, ignoreIndex, Objects.requireNonNull(reduction, "reduction"),
                stream);
    }

    /** The stream the device calls enqueue on (null: the default stream). */
    public Distillation withStream(Stream stream) {
        if (stream != null) stream.checkAlive();
        return new Distillation(engine, temperature, alpha, weight, ignoreIndex, reduction, stream);
    }

    /** The same options on another engine (and its default stream). */
    public Distillation withEngine(Engine engine) {
        return new Distillation(Objects.requireNonNull(engine, "engine"), temperature, alpha, weight, ignoreIndex, reduction,
                null);
    }

    public float temperature() {
        return temperature;
    }

    public float alpha() {
        return alpha;
    }

    /** A copy of the class weights of the hard term, or null for none. */
    public float[] weight() {
        return weight == null ? null : weight.clone();
    }

    public long ignoreIndex() {
        return ignoreIndex;
    }

    public Reduction reduction() {
        return reduction;
    }

    public Engine engine() {
        return engine;
    }

    /** The loss with alpha = 1 (no hard term). */
    public DistillLoss forward(Logits student, Logits teacher) {
        return run(student, teacher, null, null, null);
    }

    /** The loss mixed with the student's hard-label cross-entropy. */
    public DistillLoss forward(Logits student, Logits teacher, Targets.ClassIndices targets) {
        return run(student, teacher, Objects.requireNonNull(targets, "targets"), null, null);
    }

    /** Loss and the gradient w.r.t. the student's logits (upstream 1), alpha = 1. {@code grad} may be the student. */
    public DistillLoss forwardBackward(Logits student, Logits teacher, Logits grad) {
        return run(student, teacher, null, null, Objects.requireNonNull(grad, "grad"));
    }

    /** Loss and gradient with hard targets. {@code grad} may be the student. */
    public DistillLoss forwardBackward(Logits student, Logits teacher, Targets.ClassIndices targets, Logits grad) {
        return run(student, teacher, Objects.requireNonNull(targets, "targets"), null, Objects.requireNonNull(grad, "grad"));
    }

    /** As {@link #forwardBackward(Logits, Logits, Targets.ClassIndices, Logits)} with a scalar upstream gradient (SUM or MEAN). */
    public DistillLoss forwardBackward(Logits student, Logits teacher, Targets.ClassIndices targets, float upstream, Logits grad) {
        Objects.requireNonNull(student, "student");
        float[] up = Checks.scalarUpstream(upstream, reduction, student.rows());
        return run(student, teacher, Objects.requireNonNull(targets, "targets"), up, Objects.requireNonNull(grad, "grad"));
    }

    /** Overwrites the student's logits with the gradient of the loss (upstream 1), alpha = 1. */
    public DistillLoss forwardBackwardInPlace(Logits student, Logits teacher) {
        return forwardBackward(student, teacher, student);
    }

    /** Overwrites the student's logits with the gradient of the loss with hard targets (upstream 1). */
    public DistillLoss forwardBackwardInPlace(Logits student, Logits teacher, Targets.ClassIndices targets) {
        return forwardBackward(student, teacher, targets, student);
    }

    private DistillLoss run(Logits student, Logits teacher, Targets.ClassIndices targets, float[] upstream, Logits grad) {
        Objects.requireNonNull(student, "student");
        Objects.requireNonNull(teacher, "teacher");
        Checks.alive(student.data(), "student logits");
        Checks.alive(teacher.data(), "teacher logits");
        Checks.onHost("distillation", Region.of("student", student), Region.of("teacher", teacher), Region.of("targets", targets),
                Region.of("grad", grad));
        if (!Checks.sameLayout(teacher, student)) {
            throw new IllegalArgumentException("teacher logits " + teacher + " and student logits " + student
                    + " must match in shape, dtype and row stride");
        }
        int n = Checks.rowsForArray(student.rows(), 1, "per-row losses");
        if (alpha < 1 && targets == null) {
            throw new IllegalArgumentException("alpha = " + alpha + " < 1 mixes in the hard-label loss: pass the targets");
        }
        Targets.ClassIndices hard = alpha < 1 ? targets : null;
        if (hard != null) Checks.classIndices(hard, student, ignoreIndex);
        Checks.classWeights(weight, student);
        if (grad != null) Checks.gradient(grad, student, "student logits");
        Region in = Region.of("student", student);
        Checks.disjoint(Arrays.asList(in, Region.of("teacher", teacher), Region.of("targets", hard), Region.of("upstream", upstream)),
                Region.inPlaceOf(in, "grad", grad));
        float[] perRow = new float[n];
        float[] kl = new float[n];
        float[] softCe = new float[n];
        float[] entropy = new float[n];
        float[] reduced = new float[3];
        engine.distill(new DistillCall(grad == null ? Pass.FORWARD : Pass.FORWARD_BACKWARD, student.layout(),
                student.dtype(), teacher.data(), student.data(), temperature, alpha, hard,
                hard == null || weight == null ? null : MemorySegment.ofArray(weight), ignoreIndex, reduction,
                upstream == null ? null : MemorySegment.ofArray(upstream), grad == null ? null : grad.data(),
                MemorySegment.ofArray(perRow), MemorySegment.ofArray(kl), MemorySegment.ofArray(softCe),
                MemorySegment.ofArray(entropy), MemorySegment.ofArray(reduced)));
        return new DistillLoss(reduction, reduced[0], reduced[1], reduced[2], perRow, kl, softCe, entropy, student.rowShape());
    }

    // ---- on device memory ------------------------------------------------------------------------

    /**
     * Device outputs for this loss's calls over student logits of {@code student}'s shape, on their
     * device; {@link DeviceDistillLoss#close()} frees them. Allocating synchronises; the calls do not.
     */
    public DeviceDistillLoss deviceOutputs(Logits student) {
        return deviceOutputs(student, null);
    }

    /** As {@link #deviceOutputs(Logits)}, freed when {@code arena} closes. */
    public DeviceDistillLoss deviceOutputs(Logits student, Arena arena) {
        Objects.requireNonNull(student, "student");
        DeviceMemory memory = DeviceOutputs.memoryOf(student, "deviceOutputs");
        Checks.classWeights(weight, student);
        return DeviceDistillLoss.allocate(DeviceOutputs.runtimeFor(engine, memory, "deviceOutputs"), memory, student.rows(),
                student.classes(), reduction, temperature, alpha, alpha < 1 ? weight : null, arena);
    }

    /**
     * The loss of device logits into {@code out}, enqueued on the stream; {@code targets} (device
     * class indices) are needed when alpha < 1 and may be null otherwise. Returns {@code out}.
     */
    public DeviceDistillLoss forward(Logits student, Logits teacher, Targets.ClassIndices targets, DeviceDistillLoss out) {
        return runOnDevice(student, teacher, targets, null, null, out);
    }

    /**
     * Loss and the gradient w.r.t. the student's logits, enqueued on the stream, with the upstream
     * gradient in device memory (1 fp32 for SUM and MEAN, one per row for NONE; null: 1); {@code
     * grad} may be the student. Returns {@code out}.
     */
    public DeviceDistillLoss forwardBackward(Logits student, Logits teacher, Targets.ClassIndices targets, DeviceMemory upstream,
            Logits grad, DeviceDistillLoss out) {
        return runOnDevice(student, teacher, targets, upstream, Objects.requireNonNull(grad, "grad"), out);
    }

    private DeviceDistillLoss runOnDevice(Logits student, Logits teacher, Targets.ClassIndices targets, DeviceMemory upstream,
            Logits grad, DeviceDistillLoss out) {
        Objects.requireNonNull(student, "student");
        Objects.requireNonNull(teacher, "teacher");
        Objects.requireNonNull(out, "out");
        Pass pass = grad == null ? Pass.FORWARD : Pass.FORWARD_BACKWARD;
        String op = "distillation " + pass;
        Checks.alive(student.data(), "student logits");
        Checks.alive(teacher.data(), "teacher logits");
        DeviceMemory memory = DeviceOutputs.memoryOf(student, op);
        DeviceRuntime runtime = DeviceOutputs.runtimeFor(engine, memory, op);
        if (!Checks.sameLayout(teacher, student)) {
            throw new IllegalArgumentException("teacher logits " + teacher + " and student logits " + student
                    + " must match in shape, dtype and row stride");
        }
        if (alpha < 1 && targets == null) {
            throw new IllegalArgumentException("alpha = " + alpha + " < 1 mixes in the hard-label loss: pass the targets");
        }
        Targets.ClassIndices hard = alpha < 1 ? targets : null;
        out.checkFor(student, reduction, temperature, alpha, alpha < 1 ? weight : null);
        if (hard != null) DeviceOutputs.checkLabels(hard, student);
        if (grad != null) Checks.gradient(grad, student, "student logits");
        MemorySegment up = DeviceOutputs.upstreamOf(upstream, reduction, student.rows());
        Region in = Region.of("student", student);
        Checks.disjoint(Arrays.asList(in, Region.of("teacher", teacher), Region.of("targets", hard), Region.of("upstream", upstream, up)),
                Region.inPlaceOf(in, "grad", grad), Region.of("out", out.memory(), out.memory().span()));
        memory.checkStream(stream, op);
        runtime.distill(memory.device(), new DistillCall(pass, student.layout(), student.dtype(), teacher.data(), student.data(),
                temperature, alpha, hard, out.weightRange(), ignoreIndex, reduction, up, grad == null ? null : grad.data(),
                out.rowLossRange(), out.rowKlRange(), out.rowSoftCeRange(), out.rowTeacherEntropyRange(), null),
                out.workspaceRange(), hard == null ? null : out.errorInfoRange(), stream == null ? 0 : stream.handle());
        out.writtenOn(stream);
        return out;
    }
}
