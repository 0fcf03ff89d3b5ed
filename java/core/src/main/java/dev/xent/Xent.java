package dev.xent;

import dev.xent.engine.Engine;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Objects;

/**
 * Entry point: the ops of one engine. {@code Xent.auto()} picks the engine automatically (CUDA when
 * a driver and a device answer, else Java; {@link #selectionReason()} says why);
 * {@code Xent.engine("java")} names one.
 *
 * <pre>{@code
 * Xent xent = Xent.auto();
 * Loss loss = xent.crossEntropy().withLabelSmoothing(0.1)
 *         .forwardBackward(Logits.of(z, n, c), Targets.classes(labels), Logits.of(grad, n, c));
 * }</pre>
 */
public final class Xent {
    private final Engine engine;
    private final String selectionReason;

    private Xent(Engine engine, String selectionReason) {
        this.engine = engine;
        this.selectionReason = selectionReason;
    }

    /** The automatically selected engine. Never throws: the Java engine is always there. */
    public static Xent auto() {
        Engines.Selection s = Engines.auto();
        return new Xent(s.engine(), s.reason());
    }

    /** The engine of that name ("java", "cuda", "cuda-emu"); throws naming the reason if it cannot run here. */
    public static Xent engine(String name) {
        return new Xent(Engines.named(name), "requested by name");
    }

    /** A given engine. */
    public static Xent of(Engine engine) {
        return new Xent(Objects.requireNonNull(engine, "engine"), "given");
    }

    public Engine engine() {
        return engine;
    }

    /** Why this engine runs the ops. */
    public String selectionReason() {
        return selectionReason;
    }

    /** Cross-entropy with PyTorch's defaults on this engine. */
    public CrossEntropy crossEntropy() {
        return CrossEntropy.on(engine);
    }

    /** Evaluation (row statistics, accuracy, top-k, NLL, ECE) on this engine, with its defaults. */
    public Evaluation evaluation() {
        return Evaluation.on(engine);
    }

    /** {@code out = z - logsumexp(z)} over the class axis. {@code out} may be {@code in} itself. */
    public void logSoftmax(Logits in, Logits out) {
        checkSameLayout(in, out);
        engine.logSoftmax(in.layout(), in.dtype(), in.data(), out.data());
    }

    /** {@code out = softmax(z)} over the class axis. {@code out} may be {@code in} itself. */
    public void softmax(Logits in, Logits out) {
        checkSameLayout(in, out);
        engine.softmax(in.layout(), in.dtype(), in.data(), out.data());
    }

    /** Per-row {@code log sum_k exp z_k}, as fp32, shape (N) or (N, d1..dk). */
    public float[] logSumExp(Logits in) {
        Objects.requireNonNull(in, "in");
        CrossEntropy.checkAlive(in.data(), "logits");
        if (in.rows() > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("more rows (" + in.rows() + ") than a Java array can hold");
        }
        float[] out = new float[(int) in.rows()];
        engine.logSumExp(in.layout(), in.dtype(), in.data(), MemorySegment.ofArray(out));
        return out;
    }

    private static void checkSameLayout(Logits in, Logits out) {
        Objects.requireNonNull(in, "in");
        Objects.requireNonNull(out, "out");
        CrossEntropy.checkAlive(in.data(), "input");
        CrossEntropy.checkAlive(out.data(), "output");
        if (in.dtype() != out.dtype() || !Arrays.equals(in.shape(), out.shape()) || !in.layout().equals(out.layout())) {
            throw new IllegalArgumentException("output " + out + " must match the input " + in + " in shape, dtype and row stride");
        }
        if (out.data().isReadOnly()) throw new IllegalArgumentException("output buffer is read-only");
    }
}
