package dev.xent;

import dev.xent.engine.ElementwiseLossCall;
import dev.xent.engine.ElementwiseLossCall.Broadcast;
import dev.xent.engine.ElementwiseLossCall.Op;
import dev.xent.engine.Engine;
import dev.xent.internal.Checks;
import dev.xent.internal.Region;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Objects;

/**
 * What the element-wise loss classes share: checking a call (the upstream gradient is checked by
 * the caller), handing it to the engine, and packaging the result. The values themselves (target
 * range, variance sign) are checked by the engines, which see every element anyway.
 */
final class ElementwiseRun {
    private ElementwiseRun() {}

    /** The optional, op-specific parts of a call; {@code auxName} names {@code aux} ("var", "scale") in messages. */
    record Extras(float[] weight, Broadcast weightBroadcast, float[] posWeight, String auxName, float[] aux,
            Broadcast auxBroadcast, float[] auxGrad, boolean full, boolean logInput, float eps) {}

    static ElementwiseLoss run(Engine engine, Op op, Reduction reduction, DenseTensor input, DenseTensor target,
            float[] upstream, DenseTensor grad, Extras x) {
        Objects.requireNonNull(input, "input");
        Objects.requireNonNull(target, "target");
        Checks.alive(input.data(), "input");
        Checks.alive(target.data(), "target");
        if (target.dtype() != input.dtype() || !Arrays.equals(target.shape(), input.shape())) {
            throw new IllegalArgumentException("target " + target + " must have the input's shape and dtype " + input);
        }
        long n = input.count();
        if (grad != null) Checks.gradient(grad, input);
        if (x.auxGrad() != null && x.auxGrad().length != x.aux().length) {
            throw new IllegalArgumentException("spreadGrad has " + x.auxGrad().length + " values; the gradient w.r.t. "
                    + x.auxName() + " has its shape: " + x.aux().length + " values");
        }
        Region in = Region.of("input", input);
        Checks.disjoint(Arrays.asList(in, Region.of("target", target), Region.of(x.auxName(), x.aux()), Region.of("upstream", upstream)),
                Region.inPlaceOf(in, "grad", grad), Region.of(x.auxName() + " gradient", x.auxGrad()));
        if (reduction == Reduction.NONE && n > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("reduction NONE: more elements (" + n + ") than a Java array of losses can hold");
        }
        float[] perElement = reduction == Reduction.NONE ? new float[(int) n] : null;
        float[] reduced = new float[2];
        engine.elementwiseLoss(new ElementwiseLossCall(op, input.dtype(), n, input.lastDim(), input.data(), target.data(),
                segment(x.weight()), x.weightBroadcast(), segment(x.posWeight()), segment(x.aux()), x.auxBroadcast(),
                x.full(), x.logInput(), x.eps(), reduction, segment(upstream), grad == null ? null : grad.data(),
                segment(x.auxGrad()), segment(perElement), MemorySegment.ofArray(reduced)));
        return new ElementwiseLoss(reduction, reduced[0], n, perElement, input.shape());
    }

    private static MemorySegment segment(float[] a) {
        return a == null ? null : MemorySegment.ofArray(a);
    }

    /** BCE's weight: per element or one per last-axis entry. */
    static Broadcast weightBroadcast(float[] weight, DenseTensor input) {
        if (weight.length == input.count()) return Broadcast.PER_ELEMENT;
        if (weight.length == input.lastDim()) return Broadcast.PER_LAST;
        throw new IllegalArgumentException("weight has " + weight.length + " values; it needs one per element ("
                + input.count() + ") or one per entry of the last axis (" + input.lastDim() + ") of " + input);
    }

    static void checkPosWeight(float[] posWeight, DenseTensor input) {
        if (posWeight.length != input.lastDim()) {
            throw new IllegalArgumentException("pos_weight has " + posWeight.length + " values; it needs one per entry of the last axis ("
                    + input.lastDim() + ") of " + input);
        }
    }

    /** A variance or scale: per element, per row (the input's shape with last axis 1) or one scalar. */
    static Broadcast auxBroadcast(String name, float[] aux, DenseTensor input) {
        Objects.requireNonNull(aux, name);
        if (aux.length == input.count()) return Broadcast.PER_ELEMENT;
        if (aux.length == 1) return Broadcast.SCALAR;
        if (aux.length == input.count() / Math.max(1, input.lastDim())) return Broadcast.PER_ROW;
        throw new IllegalArgumentException(name + " has " + aux.length + " values; it needs one per element (" + input.count()
                + "), one per row (" + input.count() / Math.max(1, input.lastDim()) + ", the input's shape with last axis 1) or one for all, for "
                + input);
    }
}
