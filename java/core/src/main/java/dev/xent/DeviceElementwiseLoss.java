package dev.xent;

import dev.xent.engine.DeviceRuntime;
import dev.xent.engine.ElementwiseLossCall;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The device outputs of the element-wise losses ({@link BinaryCrossEntropy}, {@link GaussianNll},
 * {@link LaplaceNll}, {@link PoissonNll}; see {@link DeviceLossResult}): each element is a row,
 * so {@link #perRow()} holds one loss per element (under reduction NONE only: the other
 * reductions write none, which saves a quarter of the traffic), and {@link #readDenominator()} is
 * the element count. BCE's weights live here as a device copy. {@link #checkInputs()} names a bad
 * value (a BCE target outside [0, 1], a negative variance, scale, Poisson rate or count).
 */
public final class DeviceElementwiseLoss extends DeviceLossResult {
    private final ElementwiseLossCall.Op op;
    private final float[] weightSource;
    private final float[] posWeightSource;
    private final MemorySegment weight;
    private final MemorySegment posWeight;
    /** The last call that wrote these outputs, which names a bad value's tensor and index. */
    private volatile ElementwiseLossCall lastCall;

    private DeviceElementwiseLoss(DeviceMemory memory, long count, ElementwiseLossCall.Op op, Reduction reduction,
            float[] weightSource, float[] posWeightSource, DeviceSlices parts, int[] index) {
        super(memory, count, 0, reduction, parts.of(memory.span(), index[0]), parts.of(memory.span(), index[1]),
                parts.of(memory.span(), index[2]));
        this.op = op;
        this.weightSource = weightSource;
        this.posWeightSource = posWeightSource;
        this.weight = parts.of(memory.span(), index[3]);
        this.posWeight = parts.of(memory.span(), index[4]);
    }

    /** Allocates the outputs on {@code input}'s device, copies the weights and clears the error word: one synchronisation. */
    static DeviceElementwiseLoss allocate(DeviceRuntime runtime, DeviceMemory input, long count, ElementwiseLossCall.Op op,
            Reduction reduction, float[] weight, float[] posWeight, Arena arena) {
        DeviceSlices parts = new DeviceSlices();
        int[] index = {
            parts.add(ERROR_WORD_BYTES),
            parts.add(Math.multiplyExact(runtime.elementwiseWorkspaceFloats(count), (long) Float.BYTES)),
            parts.add(reduction == Reduction.NONE ? Math.multiplyExact(count, (long) Float.BYTES) : 0),
            parts.add(weight == null ? 0 : weight.length * (long) Float.BYTES),
            parts.add(posWeight == null ? 0 : posWeight.length * (long) Float.BYTES)
        };
        DeviceMemory memory = DeviceMemory.allocate(runtime, input.device(), parts.bytes(), arena);
        try {
            DeviceElementwiseLoss out = new DeviceElementwiseLoss(memory, count, op, reduction, weight, posWeight, parts, index);
            if (weight != null) out.view(out.weight).copyFrom(weight);
            if (posWeight != null) out.view(out.posWeight).copyFrom(posWeight);
            out.clearErrorWord(null);
            return out;
        } catch (RuntimeException e) {
            memory.close();
            throw e;
        }
    }

    /**
     * Per-element losses, fp32, in the input's order.
     *
     * @throws IllegalStateException unless the reduction is NONE
     */
    @Override
    public DeviceMemory perRow() {
        if (rowLossRange() == null) throw new IllegalStateException("per-element losses are kept under reduction NONE only");
        return super.perRow();
    }

    /** The per-element losses, read to the host: a synchronisation (reduction NONE only). */
    @Override
    public float[] readPerRow() {
        perRow();
        return super.readPerRow();
    }

    @Override
    RuntimeException badInput(long element, long word) {
        ElementwiseLossCall call = lastCall;
        return call.badValue(element, (int) (word >>> 32), Float.intBitsToFloat((int) word));
    }

    /** Refuses outputs allocated for another op, size or other options. */
    void checkFor(ElementwiseLossCall.Op op, DenseTensor input, Reduction reduction, float[] weight, float[] posWeight) {
        if (!isAlive()) throw new IllegalStateException("the device outputs were freed");
        if (rows() != input.count()) {
            throw new IllegalArgumentException("the device outputs are for " + rows() + " elements, but the input " + input
                    + " has " + input.count());
        }
        if (this.op != op || reduction() != reduction || weightSource != weight || posWeightSource != posWeight) {
            throw new IllegalArgumentException("the device outputs were allocated by a loss with other options "
                    + "(op, reduction or weights): allocate them with this loss's deviceOutputs(input)");
        }
    }

    /** Records the call that writes these outputs, for naming a bad value. */
    void writtenBy(ElementwiseLossCall call) {
        lastCall = call;
    }

    MemorySegment weightRange() {
        return weight;
    }

    MemorySegment posWeightRange() {
        return posWeight;
    }
}
