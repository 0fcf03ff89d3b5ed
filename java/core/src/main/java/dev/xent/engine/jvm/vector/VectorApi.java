package dev.xent.engine.jvm.vector;

import dev.xent.engine.ElementwiseLossCall;
import dev.xent.engine.jvm.ElementwiseLoop;
import dev.xent.engine.jvm.Kernels;
import dev.xent.engine.jvm.PairKernels;
import dev.xent.engine.jvm.Vectorization;

/**
 * The Vector API's {@link Vectorization}: every kernel of this package. Loaded reflectively by
 * the probe, the one way into the package; public only for that.
 */
public final class VectorApi extends Vectorization {
    private static final ElementwiseLoop BCE = VectorBce::chunk;
    private static final ElementwiseLoop NLL = VectorNll::chunk;

    private final Kernels kernels = new VectorKernels();
    private final PairKernels pairKernels = new VectorPairKernels();

    /** Throws where the preferred species is too narrow for the kernels (the probe falls back). */
    public VectorApi() {}

    @Override
    public boolean isVector() {
        return true;
    }

    @Override
    public Kernels kernels() {
        return kernels;
    }

    @Override
    public PairKernels pairKernels() {
        return pairKernels;
    }

    @Override
    public ElementwiseLoop elementwiseLoop(ElementwiseLossCall call) {
        return VectorBce.fits(call) ? BCE : VectorNll.fits(call) ? NLL : null;
    }

    @Override
    public String reason() {
        return "Vector API, " + VectorKernels.bitSize() + "-bit preferred species";
    }
}
