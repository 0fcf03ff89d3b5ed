package dev.xent;

import dev.xent.engine.DeviceRuntime;
import dev.xent.engine.Engine;
import dev.xent.internal.Checks;
import dev.xent.internal.Region;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Entry point: the ops of one engine. {@code Xent.auto()} picks the engine automatically (CUDA when
 * a driver and a device answer, else Java; {@link #selectionReason()} says why);
 * {@code Xent.engine("java")} names one. Every loss object comes from here ({@link #crossEntropy()},
 * {@link #nllLoss()}, {@link #distillation()}, {@link #binaryCrossEntropy()}, {@link #gaussianNll()},
 * {@link #laplaceNll()}, {@link #poissonNll()}), with PyTorch's defaults; {@code withX} changes them.
 *
 * <pre>{@code
 * Xent xent = Xent.auto();
 * Loss loss = xent.crossEntropy().withLabelSmoothing(0.1)
 *         .forwardBackward(Logits.of(z, n, c), Targets.classes(labels), Logits.of(grad, n, c));
 * }</pre>
 *
 * <p>On a device engine ({@code cuda}, {@code cuda-emu}) the same ops take tensors in device
 * memory ({@link #allocate}, {@link #wrap}, {@link Logits#onDevice}), enqueue their work on a
 * {@link Stream} ({@link #withStream}; the device's default stream otherwise) and leave their
 * results on the device:
 *
 * <pre>{@code
 * Xent cuda = Xent.engine("cuda");
 * try (Stream stream = cuda.newStream(); DeviceMemory z = cuda.allocate(4L * n * c);
 *      DeviceMemory y = cuda.allocate(8L * n)) {
 *     Logits logits = Logits.onDevice(z, DType.F32, n, c);
 *     CrossEntropy ce = cuda.withStream(stream).crossEntropy();
 *     try (DeviceLoss out = ce.deviceOutputs(logits)) {
 *         ce.forwardBackward(logits, Targets.classes(y, IndexType.I64), logits, out); // enqueued only
 *         float loss = out.readValue();                                              // waits for the stream
 *     }
 * }
 * }</pre>
 */
public final class Xent {
    private final Engine engine;
    private final String selectionReason;
    /** The device allocations and streams are made on. */
    private final int device;
    /** What device calls enqueue on; null: the default stream of their memory's device. */
    private final Stream stream;

    private Xent(Engine engine, String selectionReason, int device, Stream stream) {
        this.engine = engine;
        this.selectionReason = selectionReason;
        this.device = device;
        this.stream = stream;
    }

    /** The automatically selected engine. Never throws: the Java engine is always there. */
    public static Xent auto() {
        Engines.Selection s = Engines.auto();
        return new Xent(s.engine(), s.reason(), 0, null);
    }

    /** The engine of that name ("java", "cuda", "cuda-emu"); throws naming the reason if it cannot run here. */
    public static Xent engine(String name) {
        return new Xent(Engines.named(name), "requested by name", 0, null);
    }

    /** A given engine. */
    public static Xent of(Engine engine) {
        return new Xent(Objects.requireNonNull(engine, "engine"), "given", 0, null);
    }

    public Engine engine() {
        return engine;
    }

    // ---- device memory and streams (device engines only) ---------------------------------------------

    /** The same engine on device {@code index} (0 by default): where {@link #allocate} and {@link #newStream} make theirs. */
    public Xent onDevice(int index) {
        int count = runtime("onDevice").deviceCount();
        if (index < 0 || index >= count) {
            throw new IllegalArgumentException("device " + index + " does not exist: " + engine.name() + " has " + count);
        }
        return new Xent(engine, selectionReason, index, null);
    }

    /** The device index allocations and streams are made on. */
    public int device() {
        return device;
    }

    /**
     * The same engine with every device op enqueued on {@code stream} (null: the default stream).
     * The stream must be this engine's, on this Xent's device.
     */
    public Xent withStream(Stream stream) {
        if (stream != null) checkStream(stream);
        return new Xent(engine, selectionReason, stream == null ? device : stream.device(), stream);
    }

    /** The stream device ops of this Xent enqueue on, if one was bound. */
    public Optional<Stream> stream() {
        return Optional.ofNullable(stream);
    }

    /** {@code bytes} of device memory, owned: {@link DeviceMemory#close()} frees it. Not initialised. */
    public DeviceMemory allocate(long bytes) {
        return DeviceMemory.allocate(runtime("allocate"), device, bytes, null);
    }

    /** {@code bytes} of device memory freed when {@code arena} closes. Not initialised. */
    public DeviceMemory allocate(long bytes, Arena arena) {
        return DeviceMemory.allocate(runtime("allocate"), device, bytes, Objects.requireNonNull(arena, "arena"));
    }

    /**
     * A view of {@code bytes} of device memory at {@code address} that someone else owns (a
     * framework's tensor): refused unless the runtime knows the address as memory of this Xent's
     * device. Nothing is freed when the view closes. The size cannot be checked: it is the
     * caller's word.
     */
    public DeviceMemory wrap(long address, long bytes) {
        return DeviceMemory.wrap(runtime("wrap"), device, address, bytes);
    }

    /** A new stream on this Xent's device; {@link Stream#close()} destroys it. */
    public Stream newStream() {
        return Stream.create(runtime("newStream"), device);
    }

    /**
     * A view of a {@code cudaStream_t} someone else owns (0 for the default stream); its device is
     * asked of the runtime. Nothing is destroyed when the view closes.
     */
    public Stream wrapStream(long handle) {
        return Stream.wrap(runtime("wrapStream"), device, handle);
    }

    /** The default (legacy) stream of this Xent's device. */
    public Stream defaultStream() {
        return Stream.defaultOf(runtime("defaultStream"), device);
    }

    private DeviceRuntime runtime(String what) {
        return engine.device().orElseThrow(() -> new UnsupportedOperationException(
                what + ": the " + engine.name() + " engine computes on host memory and has no device memory or streams"));
    }

    private void checkStream(Stream s) {
        s.checkAlive();
        if (s.runtime() != runtime("withStream")) {
            throw new IllegalArgumentException("the stream is " + s.engineName() + "'s, not " + engine.name() + "'s");
        }
    }

    /** Why this engine runs the ops. */
    public String selectionReason() {
        return selectionReason;
    }

    /** Cross-entropy with PyTorch's defaults on this engine. */
    public CrossEntropy crossEntropy() {
        return new CrossEntropy(engine).withStream(stream);
    }

    /** Binary cross-entropy with logits (PyTorch's defaults) on this engine. */
    public BinaryCrossEntropy binaryCrossEntropy() {
        return new BinaryCrossEntropy(engine).withStream(stream);
    }

    /** Gaussian negative log-likelihood (PyTorch's defaults) on this engine. */
    public GaussianNll gaussianNll() {
        return new GaussianNll(engine).withStream(stream);
    }

    /** Laplace negative log-likelihood on this engine. */
    public LaplaceNll laplaceNll() {
        return new LaplaceNll(engine).withStream(stream);
    }

    /** Poisson negative log-likelihood (PyTorch's defaults) on this engine. */
    public PoissonNll poissonNll() {
        return new PoissonNll(engine).withStream(stream);
    }

    /**
     * {@code out = z - logsumexp(z)} over the class axis. {@code out} may be {@code in} itself. On
     * device memory: enqueued on this Xent's stream.
     */
    public void logSoftmax(Logits in, Logits out) {
        DeviceMemory memory = checkSameLayout(in, out);
        if (memory == null) {
            engine.logSoftmax(in.layout(), in.dtype(), in.data(), out.data());
        } else {
            onDevice(memory, "logSoftmax").logSoftmax(memory.device(), in.layout(), in.dtype(), in.data(), out.data(), handle());
        }
    }

    /**
     * {@code out = softmax(z)} over the class axis. {@code out} may be {@code in} itself. On device
     * memory: enqueued on this Xent's stream.
     */
    public void softmax(Logits in, Logits out) {
        DeviceMemory memory = checkSameLayout(in, out);
        if (memory == null) {
            engine.softmax(in.layout(), in.dtype(), in.data(), out.data());
        } else {
            onDevice(memory, "softmax").softmax(memory.device(), in.layout(), in.dtype(), in.data(), out.data(), handle());
        }
    }

    /** Per-row {@code log sum_k exp z_k}, as fp32, shape (N) or (N, d1..dk). */
    public float[] logSumExp(Logits in) {
        Objects.requireNonNull(in, "in");
        Checks.alive(in.data(), "logits");
        Checks.onHost("logSumExp(Logits) (give device logits an output: logSumExp(Logits, DeviceMemory))", Region.of("logits", in));
        float[] out = new float[Checks.rowsForArray(in.rows(), 1, "per-row values")];
        engine.logSumExp(in.layout(), in.dtype(), in.data(), MemorySegment.ofArray(out));
        return out;
    }

    /**
     * Per-row {@code log sum_k exp z_k} of device logits into {@code out}, one fp32 per row (row
     * order of {@link Logits#rowShape()}): enqueued on this Xent's stream.
     */
    public void logSumExp(Logits in, DeviceMemory out) {
        Objects.requireNonNull(in, "in");
        Objects.requireNonNull(out, "out");
        Checks.alive(in.data(), "logits");
        MemorySegment range = DeviceOutputs.rowsOf(out, in.rows(), "out");
        Region input = Region.of("logits", in);
        Checks.disjoint(List.of(input), Region.of("out", out, range));
        DeviceMemory memory = in.deviceMemory().orElseThrow();
        onDevice(memory, "logSumExp").logSumExp(memory.device(), in.layout(), in.dtype(), in.data(), range, handle());
    }

    /** NLL loss on log-probabilities with PyTorch's defaults on this engine. */
    public NllLoss nllLoss() {
        return new NllLoss(engine).withStream(stream);
    }

    /** Distillation with T = 1, alpha = 1 (pure KL), MEAN on this engine. */
    public Distillation distillation() {
        return new Distillation(engine).withStream(stream);
    }

    /** Per-row entropy {@code H(softmax(z)) = lse - sum_k p_k z_k} in nats, fp32, shape (N) or (N, d1..dk). */
    public float[] entropy(Logits logits) {
        return entropy(logits, null);
    }

    /**
     * Per-row entropy, and into {@code grad} (may be {@code logits} itself) the gradient of their sum:
     * {@code -p_k (z_k - sum_j p_j z_j)}; 0 for masked (-inf) classes.
     */
    public float[] entropy(Logits logits, Logits grad) {
        float[] out = perRowOut(logits, "logits");
        if (grad != null) Checks.gradient(grad, logits, "logits");
        Region in = Region.of("logits", logits);
        Checks.disjoint(List.of(in), Region.inPlaceOf(in, "grad", grad));
        engine.entropy(logits.layout(), logits.dtype(), logits.data(), null, grad == null ? null : grad.data(),
                MemorySegment.ofArray(out));
        return out;
    }

    /**
     * Per-row entropy of device logits into {@code out} (one fp32 per row), and, when {@code grad}
     * is not null, into {@code grad} (may be {@code logits}) the gradient of their sum: enqueued on
     * this Xent's stream.
     */
    public void entropy(Logits logits, Logits grad, DeviceMemory out) {
        Objects.requireNonNull(logits, "logits");
        Objects.requireNonNull(out, "out");
        Checks.alive(logits.data(), "logits");
        if (grad != null) Checks.gradient(grad, logits, "logits");
        MemorySegment rows = DeviceOutputs.rowsOf(out, logits.rows(), "out");
        Region in = Region.of("logits", logits);
        Checks.disjoint(List.of(in), Region.inPlaceOf(in, "grad", grad), Region.of("out", out, rows));
        DeviceMemory memory = DeviceOutputs.memoryOf(logits, "entropy");
        onDevice(memory, "entropy").entropy(memory.device(), logits.layout(), logits.dtype(), logits.data(), null,
                grad == null ? null : grad.data(), rows, handle());
    }

    /** Per-row {@code KL(softmax(p) || softmax(q))} in nats (the distillation kernel at T = 1, without T^2). */
    public float[] kl(Logits p, Logits q) {
        return distillation().withReduction(Reduction.NONE).forward(q, p).perRowKl();
    }

    /** Per-row KL(p || q), and into {@code gradQ} (may be {@code q} itself) the gradient of their sum w.r.t. q's logits: {@code q - p}. */
    public float[] kl(Logits p, Logits q, Logits gradQ) {
        return distillation().withReduction(Reduction.NONE).forwardBackward(q, p, gradQ).perRowKl();
    }

    /**
     * Per-row Jensen-Shannon divergence {@code JS = (KL(p || m) + KL(q || m)) / 2}, {@code m = (p + q) / 2},
     * of {@code softmax(p)} and {@code softmax(q)}, in nats, fp32, shape (N) or (N, d1..dk); never
     * below 0.
     */
    public float[] jensenShannon(Logits p, Logits q) {
        return jensenShannonOf(p, q, null, null);
    }

    /**
     * Per-row Jensen-Shannon divergence, and the gradients of their sum w.r.t. the logits: into
     * {@code gradP} {@code p_k (log(p_k / m_k) - KL(p || m)) / 2}, into {@code gradQ}
     * {@code q_k (log(q_k / m_k) - KL(q || m)) / 2}; 0 for masked (-inf) classes. Either gradient
     * may be null (not wanted), not both; {@code gradP} may be {@code p} itself and {@code gradQ}
     * {@code q} itself (in place); no other overlap is allowed.
     */
    public float[] jensenShannon(Logits p, Logits q, Logits gradP, Logits gradQ) {
        if (gradP == null && gradQ == null) {
            throw new IllegalArgumentException("gradP and gradQ are both null: pass at least one (or call jensenShannon(p, q))");
        }
        return jensenShannonOf(p, q, gradP, gradQ);
    }

    /**
     * Per-row Jensen-Shannon divergence of device logits into {@code out} (one fp32 per row), and
     * the gradients into {@code gradP} and {@code gradQ} where not null, as {@link
     * #jensenShannon(Logits, Logits, Logits, Logits)}: enqueued on this Xent's stream.
     */
    public void jensenShannon(Logits p, Logits q, Logits gradP, Logits gradQ, DeviceMemory out) {
        Objects.requireNonNull(p, "p");
        Objects.requireNonNull(q, "q");
        Objects.requireNonNull(out, "out");
        Checks.alive(p.data(), "p");
        Checks.alive(q.data(), "q");
        if (!Checks.sameLayout(p, q)) {
            throw new IllegalArgumentException("logits p " + p + " and q " + q + " must match in shape, dtype and row stride");
        }
        if (gradP != null) Checks.gradient(gradP, p, "logits p");
        if (gradQ != null) Checks.gradient(gradQ, q, "logits q");
        MemorySegment rows = DeviceOutputs.rowsOf(out, p.rows(), "out");
        Region inP = Region.of("p", p), inQ = Region.of("q", q);
        Checks.disjoint(List.of(inP, inQ), Region.inPlaceOf(inP, "gradP", gradP), Region.inPlaceOf(inQ, "gradQ", gradQ),
                Region.of("out", out, rows));
        DeviceMemory memory = DeviceOutputs.memoryOf(p, "jensenShannon");
        onDevice(memory, "jensenShannon").jensenShannon(memory.device(), p.layout(), p.dtype(), p.data(), q.data(), null,
                gradP == null ? null : gradP.data(), gradQ == null ? null : gradQ.data(), rows, handle());
    }

    private float[] jensenShannonOf(Logits p, Logits q, Logits gradP, Logits gradQ) {
        float[] out = perRowOut(p, "p");
        Objects.requireNonNull(q, "q");
        Checks.alive(q.data(), "q");
        if (!Checks.sameLayout(p, q)) {
            throw new IllegalArgumentException("logits p " + p + " and q " + q + " must match in shape, dtype and row stride");
        }
        if (gradP != null) Checks.gradient(gradP, p, "logits p");
        if (gradQ != null) Checks.gradient(gradQ, q, "logits q");
        Region inP = Region.of("p", p), inQ = Region.of("q", q);
        Checks.disjoint(List.of(inP, inQ), Region.inPlaceOf(inP, "gradP", gradP), Region.inPlaceOf(inQ, "gradQ", gradQ));
        engine.jensenShannon(p.layout(), p.dtype(), p.data(), q.data(), null, gradP == null ? null : gradP.data(),
                gradQ == null ? null : gradQ.data(), MemorySegment.ofArray(out));
        return out;
    }

    private static float[] perRowOut(Logits in, String what) {
        Objects.requireNonNull(in, what);
        Checks.alive(in.data(), what);
        Checks.onHost("entropy or jensenShannon with host results (on device tensors, give them a DeviceMemory out)",
                Region.of(what, in));
        return new float[Checks.rowsForArray(in.rows(), 1, "per-row values")];
    }

    /** The runtime of {@code memory}'s engine, which must be this Xent's, and the stream's device checked. */
    private DeviceRuntime onDevice(DeviceMemory memory, String op) {
        DeviceRuntime runtime = DeviceOutputs.runtimeFor(engine, memory, op);
        memory.checkStream(stream, op);
        return runtime;
    }

    private long handle() {
        return stream == null ? 0 : stream.handle();
    }

    /** The call's device memory (null: host) once the pair is checked. */
    private static DeviceMemory checkSameLayout(Logits in, Logits out) {
        Objects.requireNonNull(in, "in");
        Objects.requireNonNull(out, "out");
        Checks.alive(in.data(), "input");
        Checks.alive(out.data(), "output");
        if (!Checks.sameLayout(in, out)) {
            throw new IllegalArgumentException("output " + out + " must match the input " + in + " in shape, dtype and row stride");
        }
        Checks.writable(out.data(), "output");
        Region input = Region.of("in", in);
        Checks.disjoint(List.of(input), Region.inPlaceOf(input, "out", out));
        return in.deviceMemory().orElse(null);
    }
}
