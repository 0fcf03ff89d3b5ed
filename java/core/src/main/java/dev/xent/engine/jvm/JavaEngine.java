package dev.xent.engine.jvm;

import dev.xent.DType;
import dev.xent.Layout;
import dev.xent.engine.CrossEntropyCall;
import dev.xent.engine.DistillCall;
import dev.xent.engine.ElementwiseLossCall;
import dev.xent.engine.Engine;
import dev.xent.engine.NllCall;
import dev.xent.engine.RowStatsCall;
import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * The pure-Java engine: every op on host memory (heap arrays or native segments), fp32, bf16 and
 * fp16 storage, any {@link Layout}. This class only dispatches: each op's rows live in their own
 * file ({@link CrossEntropyRows}, {@link SoftmaxRows}, {@link NllRows}, {@link DistillRows},
 * {@link RowStatsPass}, {@link ElementwiseKernels}), threads and per-thread scratch in
 * {@link RowScheduler}, the inner loops behind {@link Kernels}.
 *
 * <p>Modes: {@link Mode#VECTOR} takes its inner loops from {@code dev.xent.engine.jvm.vector}
 * (the Vector API) for row-contiguous layouts when {@link Vectorization} finds the module
 * (pass {@code --add-modules jdk.incubator.vector}) and the system property
 * {@code xent.java.vector} is not {@code false}; otherwise, and for strided (N, C, d..) layouts,
 * plain scalar loops.
 */
public final class JavaEngine implements Engine {
    public static final String NAME = "java";

    /** How the inner loops run. */
    public enum Mode {
        VECTOR,
        SCALAR
    }

    private final Vectorization vectorization;
    private final RowScheduler scheduler;

    private JavaEngine(Vectorization vectorization, int threads) {
        this.vectorization = vectorization;
        this.scheduler = new RowScheduler(threads);
    }

    /** The engine with the Vector API when it can run here, else scalar (the reason in {@link #description()}). */
    public static JavaEngine create() {
        return new JavaEngine(Vectorization.get(), Runtime.getRuntime().availableProcessors());
    }

    /** The engine forced to plain scalar loops. */
    public static JavaEngine scalar() {
        return new JavaEngine(Vectorization.scalar(), Runtime.getRuntime().availableProcessors());
    }

    /**
     * What {@link #create()} runs on here: "Vector API, 256-bit preferred species", or why its loops
     * are scalar (probed once per JVM).
     */
    public static String vectorSupport() {
        return Vectorization.get().reason();
    }

    /** The same engine using at most {@code threads} threads (1: the calling thread only). Results do not change. */
    public JavaEngine withThreads(int threads) {
        return new JavaEngine(vectorization, threads);
    }

    public Mode mode() {
        return vectorization.isVector() ? Mode.VECTOR : Mode.SCALAR;
    }

    public int threads() {
        return scheduler.threads();
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        String base = vectorization.isVector() ? vectorization.reason() : "scalar (" + vectorization.reason() + ")";
        int threads = scheduler.threads();
        return "java: " + base + ", " + threads + " thread" + (threads == 1 ? "" : "s");
    }

    @Override
    public String toString() {
        return description();
    }

    // ------------------------------------------------------------------------------------------
    // Dispatch: each op's rows live in their own file.

    private Kernels kernelsFor(Layout layout) {
        return layout.isRowContiguous() ? vectorization.kernels() : ScalarKernels.INSTANCE;
    }

    /** The tile kernels of distillation and entropy, or null: their scalar path in double. */
    private PairKernels pairKernelsFor(Layout layout) {
        return layout.isRowContiguous() ? vectorization.pairKernels() : null;
    }

    @Override
    public void crossEntropy(CrossEntropyCall call) {
        Objects.requireNonNull(call, "call");
        CrossEntropyRows.run(scheduler, kernelsFor(call.layout()), vectorization.kernels(), call);
    }

    @Override
    public void elementwiseLoss(ElementwiseLossCall call) {
        int tasks = scheduler.elementTasks(call.count(), call.input(), call.target(), call.grad(), call.loss(), call.auxGrad());
        ElementwiseKernels.run(call, tasks, vectorization.elementwiseLoop(call));
    }

    @Override
    public void logSoftmax(Layout layout, DType dt, MemorySegment in, MemorySegment out) {
        SoftmaxRows.logSoftmax(scheduler, kernelsFor(layout), layout, dt, in, out);
    }

    @Override
    public void softmax(Layout layout, DType dt, MemorySegment in, MemorySegment out) {
        SoftmaxRows.softmax(scheduler, kernelsFor(layout), layout, dt, in, out);
    }

    @Override
    public void logSumExp(Layout layout, DType dt, MemorySegment in, MemorySegment out) {
        SoftmaxRows.logSumExp(scheduler, kernelsFor(layout), layout, dt, in, out);
    }

    @Override
    public void nll(NllCall call) {
        NllRows.run(scheduler, Objects.requireNonNull(call, "call"));
    }

    @Override
    public void distill(DistillCall call) {
        Objects.requireNonNull(call, "call");
        DistillRows.distill(scheduler, pairKernelsFor(call.layout()), call);
    }

    @Override
    public void entropy(Layout layout, DType dt, MemorySegment logits, MemorySegment upstream, MemorySegment grad, MemorySegment out) {
        DistillRows.entropy(scheduler, pairKernelsFor(layout), layout, dt, logits, upstream, grad, out);
    }

    @Override
    public void jensenShannon(Layout layout, DType dt, MemorySegment p, MemorySegment q, MemorySegment upstream,
            MemorySegment gradP, MemorySegment gradQ, MemorySegment out) {
        DistillRows.jensenShannon(scheduler, layout, dt, p, q, upstream, gradP, gradQ, out);
    }

    @Override
    public void rowStats(RowStatsCall call) {
        Objects.requireNonNull(call, "call");
        Layout layout = call.layout();
        RowStatsPass pass = new RowStatsPass(call, kernelsFor(layout));
        boolean share = RowScheduler.shareable(call.logits(), call.targets().data(), call.stats(), call.indices());
        scheduler.forRows(layout.rows(), layout.classes(), share, (from, to, w) -> pass.rows(from, to));
    }
}
