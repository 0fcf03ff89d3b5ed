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
 * <p>Modes: {@link Mode#VECTOR} uses {@code jdk.incubator.vector} for row-contiguous layouts when
 * the module is present (pass {@code --add-modules jdk.incubator.vector}) and the system property
 * {@code xent.java.vector} is not {@code false}; otherwise, and for strided (N, C, d..) layouts,
 * plain scalar loops.
 */
public final class JavaEngine implements Engine {
    public static final String NAME = "java";

    private static final System.Logger LOG = System.getLogger("dev.xent");

    /** How the inner loops run. */
    public enum Mode {
        VECTOR,
        SCALAR
    }

    private final Kernels kernels;
    private final Mode mode;
    private final RowScheduler scheduler;
    private final String why;

    private JavaEngine(Kernels kernels, Mode mode, int threads, String why) {
        this.kernels = kernels;
        this.mode = mode;
        this.scheduler = new RowScheduler(threads);
        this.why = why;
    }

    /** The engine with the Vector API when it can run here, else scalar (the reason in {@link #description()}). */
    public static JavaEngine create() {
        int cores = Runtime.getRuntime().availableProcessors();
        return VectorSupport.KERNELS != null
                ? new JavaEngine(VectorSupport.KERNELS, Mode.VECTOR, cores, null)
                : new JavaEngine(ScalarKernels.INSTANCE, Mode.SCALAR, cores, VectorSupport.REASON);
    }

    /** The engine forced to plain scalar loops. */
    public static JavaEngine scalar() {
        return new JavaEngine(ScalarKernels.INSTANCE, Mode.SCALAR, Runtime.getRuntime().availableProcessors(), "forced scalar");
    }

    /** The same engine using at most {@code threads} threads (1: the calling thread only). Results do not change. */
    public JavaEngine withThreads(int threads) {
        return new JavaEngine(kernels, mode, threads, why);
    }

    public Mode mode() {
        return mode;
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
        String base = mode == Mode.VECTOR
                ? "java: Vector API, " + VectorSupport.BITS + "-bit preferred species"
                : "java: scalar (" + why + ")";
        int threads = scheduler.threads();
        return base + ", " + threads + " thread" + (threads == 1 ? "" : "s");
    }

    @Override
    public String toString() {
        return description();
    }

    // ------------------------------------------------------------------------------------------
    // Vector API detection, isolated so that nothing here links jdk.incubator.vector directly.

    private static final class VectorSupport {
        static final Kernels KERNELS;
        static final String REASON;
        static final int BITS;

        static {
            Kernels k = null;
            String reason = null;
            int bits = 0;
            if ("false".equalsIgnoreCase(System.getProperty("xent.java.vector", "true").trim())) {
                reason = "Vector API disabled by -Dxent.java.vector=false";
            } else if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
                reason = "module jdk.incubator.vector is not present; pass --add-modules jdk.incubator.vector";
            } else {
                try {
                    Class<?> c = Class.forName("dev.xent.engine.jvm.VectorKernels");
                    k = (Kernels) c.getDeclaredConstructor().newInstance();
                    bits = (Integer) c.getDeclaredMethod("bitSize").invoke(null);
                } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
                    Throwable cause = e.getCause() != null ? e.getCause() : e;
                    reason = "Vector API unusable (" + cause + "); pass --add-modules jdk.incubator.vector";
                    k = null;
                }
            }
            if (k == null) {
                LOG.log(System.Logger.Level.INFO, "xent java engine runs scalar loops: {0}", reason);
            }
            KERNELS = k;
            REASON = reason;
            BITS = bits;
        }
    }

    // ------------------------------------------------------------------------------------------
    // Dispatch: each op's rows live in their own file.

    private Kernels kernelsFor(Layout layout) {
        return layout.isRowContiguous() ? kernels : ScalarKernels.INSTANCE;
    }

    @Override
    public void crossEntropy(CrossEntropyCall call) {
        Objects.requireNonNull(call, "call");
        CrossEntropyRows.run(scheduler, kernelsFor(call.layout()), kernels, call);
    }

    @Override
    public void elementwiseLoss(ElementwiseLossCall call) {
        int tasks = scheduler.elementTasks(call.count(), call.input(), call.target(), call.grad(), call.loss(), call.auxGrad());
        ElementwiseKernels.run(call, tasks, mode == Mode.VECTOR);
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
        PairKernels vk = mode == Mode.VECTOR && call.layout().isRowContiguous() ? PairKernels.vector() : null;
        DistillRows.distill(scheduler, vk, call);
    }

    @Override
    public void entropy(Layout layout, DType dt, MemorySegment logits, MemorySegment upstream, MemorySegment grad, MemorySegment out) {
        DistillRows.entropy(scheduler, layout, dt, logits, upstream, grad, out);
    }

    @Override
    public void jensenShannon(Layout layout, DType dt, MemorySegment p, MemorySegment q, MemorySegment out) {
        DistillRows.jensenShannon(scheduler, layout, dt, p, q, out);
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
