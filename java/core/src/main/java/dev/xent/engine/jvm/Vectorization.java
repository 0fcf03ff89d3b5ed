package dev.xent.engine.jvm;

import dev.xent.engine.ElementwiseLossCall;

/**
 * Where the Java engine's inner loops come from: the Vector API ({@code dev.xent.engine.jvm.vector},
 * loaded reflectively) or plain scalar loops. {@link #get()} probes once per JVM and logs the reason
 * of a fallback; nothing else looks for {@code jdk.incubator.vector}, and the scalar instances never
 * load a class of the vector package, so the engine runs without the incubator module. Public only
 * so that the vector package can extend it; internal, not API.
 */
public abstract class Vectorization {
    private static final String VECTOR_CLASS = "dev.xent.engine.jvm.vector.VectorApi";
    private static final String ADD_MODULES = "pass --add-modules jdk.incubator.vector";

    protected Vectorization() {}

    /** Whether the kernels are the Vector API's. */
    public abstract boolean isVector();

    /** The row kernels for row-contiguous layouts (strided layouts always take {@link ScalarKernels}). */
    public abstract Kernels kernels();

    /** The distillation tile kernels, or null: {@link DistillRows} then runs its scalar path. */
    public abstract PairKernels pairKernels();

    /** The vector loop that takes this element-wise call, or null: the scalar loop runs it. */
    public abstract ElementwiseLoop elementwiseLoop(ElementwiseLossCall call);

    /** "Vector API, 256-bit preferred species", or why the loops are scalar. */
    public abstract String reason();

    /** The probed provider: the Vector API when it can run here, else scalar with the reason. */
    static Vectorization get() {
        return Probe.INSTANCE;
    }

    /** Scalar loops, chosen by the caller ({@link JavaEngine#scalar()}). */
    static Vectorization scalar() {
        return Scalar.FORCED;
    }

    private static final class Probe {
        static final Vectorization INSTANCE = probe();

        private static Vectorization probe() {
            String reason;
            if ("false".equalsIgnoreCase(System.getProperty("xent.java.vector", "true").trim())) {
                reason = "Vector API disabled by -Dxent.java.vector=false";
            } else if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
                reason = "module jdk.incubator.vector is not present; " + ADD_MODULES;
            } else {
                try {
                    return (Vectorization) Class.forName(VECTOR_CLASS).getConstructor().newInstance();
                } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
                    Throwable cause = e.getCause() != null ? e.getCause() : e;
                    reason = "Vector API unusable (" + cause + "); " + ADD_MODULES;
                }
            }
            System.getLogger("dev.xent").log(System.Logger.Level.INFO, "xent java engine runs scalar loops: {0}", reason);
            return new Scalar(reason);
        }
    }

    private static final class Scalar extends Vectorization {
        static final Scalar FORCED = new Scalar("forced scalar");

        private final String reason;

        Scalar(String reason) {
            this.reason = reason;
        }

        @Override
        public boolean isVector() {
            return false;
        }

        @Override
        public Kernels kernels() {
            return ScalarKernels.INSTANCE;
        }

        @Override
        public PairKernels pairKernels() {
            return null;
        }

        @Override
        public ElementwiseLoop elementwiseLoop(ElementwiseLossCall call) {
            return null;
        }

        @Override
        public String reason() {
            return reason;
        }
    }
}
