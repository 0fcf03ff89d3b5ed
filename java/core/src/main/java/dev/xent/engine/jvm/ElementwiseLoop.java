package dev.xent.engine.jvm;

import dev.xent.engine.ElementwiseLossCall;

/**
 * A vector loop of {@link ElementwiseKernels} for the calls that {@link Vectorization#elementwiseLoop}
 * hands it. Public only for {@code dev.xent.engine.jvm.vector}; internal, not API.
 */
@FunctionalInterface
public interface ElementwiseLoop {
    /**
     * Elements [from, to): the loss sum into {@code sum[0]} and, with a gradient, {@code scale *
     * d loss/dx}. Returns false, having written nothing, when an element is bad (the scalar loop
     * then reports it).
     */
    boolean chunk(ElementwiseLossCall c, int from, int to, float scale, double[] sum);
}
