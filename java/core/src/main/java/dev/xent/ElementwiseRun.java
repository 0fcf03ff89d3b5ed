package dev.xent;

import dev.xent.engine.DeviceRuntime;
import dev.xent.engine.ElementwiseLossCall;
import dev.xent.engine.ElementwiseLossCall.Broadcast;
import dev.xent.engine.ElementwiseLossCall.Op;
import dev.xent.engine.Engine;
import dev.xent.internal.Checks;
import dev.xent.internal.Region;
import java.lang.foreign.Arena;
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
        Checks.onHost(op + " with host results (on device tensors, give a DeviceElementwiseLoss: see deviceOutputs)",
                Region.of("input", input), Region.of("target", target), Region.of("grad", grad));
        checkTarget(input, target);
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

    /**
     * The device counterpart of {@link Extras}: the spread and its gradient in device memory (exactly
     * the spread's length), the weights being the outputs' device copies.
     */
    record DeviceExtras(Broadcast weightBroadcast, String auxName, DeviceMemory aux, Broadcast auxBroadcast,
            DeviceMemory auxGrad, boolean full, boolean logInput, float eps) {}

    /** Checks a call on device tensors and enqueues it on {@code stream} (null: the default stream); returns {@code out}. */
    static DeviceElementwiseLoss runOnDevice(Engine engine, Op op, Reduction reduction, DenseTensor input, DenseTensor target,
            DeviceMemory upstream, DenseTensor grad, DeviceExtras x, DeviceElementwiseLoss out, float[] weight,
            float[] posWeight, Stream stream) {
        Objects.requireNonNull(input, "input");
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(out, "out");
        String name = op + (grad == null ? " FORWARD" : " FORWARD_BACKWARD");
        Checks.alive(input.data(), "input");
        Checks.alive(target.data(), "target");
        DeviceMemory memory = input.deviceMemory().orElseThrow(() -> new IllegalArgumentException(name + ": input " + input
                + " is host memory; the calls with device outputs take device tensors (host tensors: the forms without them)"));
        DeviceRuntime runtime = DeviceOutputs.runtimeFor(engine, memory, name);
        checkTarget(input, target);
        out.checkFor(op, input, reduction, weight, posWeight);
        if (grad != null) Checks.gradient(grad, input);
        long n = input.count();
        MemorySegment up = DeviceOutputs.upstreamOf(upstream, reduction, n);
        MemorySegment aux = x.aux() == null ? null : x.aux().span();
        MemorySegment auxGrad = x.auxGrad() == null ? null : x.auxGrad().span();
        if (aux != null) Checks.aligned(aux, Float.BYTES, x.auxName());
        if (auxGrad != null) {
            Checks.alive(auxGrad, x.auxName() + " gradient");
            Checks.aligned(auxGrad, Float.BYTES, x.auxName() + " gradient");
            if (auxGrad.byteSize() != aux.byteSize()) {
                throw new IllegalArgumentException(x.auxName() + " gradient has " + auxGrad.byteSize() + " bytes; it has the "
                        + x.auxName() + "'s shape: " + aux.byteSize() + " bytes");
            }
        }
        Region in = Region.of("input", input);
        Checks.disjoint(Arrays.asList(in, Region.of("target", target), Region.of(x.auxName(), x.aux(), aux),
                        Region.of("upstream", upstream, up)),
                Region.inPlaceOf(in, "grad", grad), Region.of(x.auxName() + " gradient", x.auxGrad(), auxGrad),
                Region.of("out", out.memory(), out.memory().span()));
        memory.checkStream(stream, name);
        ElementwiseLossCall call = new ElementwiseLossCall(op, input.dtype(), n, input.lastDim(), input.data(), target.data(),
                out.weightRange(), x.weightBroadcast(), out.posWeightRange(), aux, x.auxBroadcast(), x.full(), x.logInput(),
                x.eps(), reduction, up, grad == null ? null : grad.data(), auxGrad, out.rowLossRange(), null);
        runtime.elementwiseLoss(memory.device(), call, out.workspaceRange(), out.errorInfoRange(),
                stream == null ? 0 : stream.handle());
        out.writtenBy(call);
        out.writtenOn(stream);
        return out;
    }

    /** The device outputs of {@code op} over {@code input}, with device copies of the weights. */
    static DeviceElementwiseLoss deviceOutputs(Engine engine, Op op, Reduction reduction, DenseTensor input, float[] weight,
            float[] posWeight, Arena arena) {
        Objects.requireNonNull(input, "input");
        DeviceMemory memory = input.deviceMemory().orElseThrow(() -> new IllegalArgumentException(
                "deviceOutputs: input " + input + " is host memory"));
        return DeviceElementwiseLoss.allocate(DeviceOutputs.runtimeFor(engine, memory, "deviceOutputs"), memory, input.count(),
                op, reduction, weight, posWeight, arena);
    }

    /** A spread in device memory: its broadcast, from its exact size (per element, per row, one value). */
    static Broadcast auxBroadcast(String name, DeviceMemory aux, DenseTensor input) {
        Objects.requireNonNull(aux, name);
        Checks.alive(aux.span(), name);
        if (aux.byteSize() % Float.BYTES != 0) {
            throw new IllegalArgumentException(name + " holds " + aux.byteSize() + " bytes, not a whole number of fp32 values");
        }
        return auxBroadcast(name, aux.byteSize() / Float.BYTES, input);
    }

    private static void checkTarget(DenseTensor input, DenseTensor target) {
        if (target.dtype() != input.dtype() || !Arrays.equals(target.shape(), input.shape())) {
            throw new IllegalArgumentException("target " + target + " must have the input's shape and dtype " + input);
        }
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
        return auxBroadcast(name, aux.length, input);
    }

    private static Broadcast auxBroadcast(String name, long length, DenseTensor input) {
        if (length == input.count()) return Broadcast.PER_ELEMENT;
        if (length == 1) return Broadcast.SCALAR;
        if (length == input.count() / Math.max(1, input.lastDim())) return Broadcast.PER_ROW;
        throw new IllegalArgumentException(name + " has " + length + " values; it needs one per element (" + input.count()
                + "), one per row (" + input.count() / Math.max(1, input.lastDim()) + ", the input's shape with last axis 1) or one for all, for "
                + input);
    }
}
