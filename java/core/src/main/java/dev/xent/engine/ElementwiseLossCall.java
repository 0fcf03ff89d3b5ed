package dev.xent.engine;

import dev.xent.DType;
import dev.xent.Reduction;
import java.lang.foreign.MemorySegment;

/**
 * One element-wise loss computation handed to an engine, already validated by the public API
 * (shapes agree, buffers are large enough, targets, variances, scales and rates are in range).
 * It mirrors {@code xent_elementwise} and its option and output structs in native/include/xent.h
 * (the loss is the {@code op} field) so the native engines only translate.
 *
 * @param op              which loss
 * @param dtype           storage type of input, target and grad
 * @param count           number of elements
 * @param lastDim         length of the input's last axis (>= 1; count is a multiple of it)
 * @param input           the input being differentiated (logits, means, log-rates or rates)
 * @param target          the target, the input's shape and dtype
 * @param weight          BCE: fp32 weights or null
 * @param weightBroadcast how {@code weight} is indexed: PER_ELEMENT or PER_LAST
 * @param posWeight       BCE: fp32 positive-class weights, {@code lastDim} values, or null
 * @param aux             Gaussian: the variance, Laplace: the scale (fp32); null otherwise
 * @param auxBroadcast    how {@code aux} is indexed: PER_ELEMENT, PER_ROW or SCALAR
 * @param full            add the constant terms (Gaussian, Laplace, Poisson's Stirling term)
 * @param logInput        Poisson: the input is log(rate)
 * @param eps             Gaussian/Laplace: clamp of var/scale; Poisson: added to the rate in the log
 * @param reduction       how {@code reduced[0]} is formed and which upstream shape applies
 * @param upstream        fp32 upstream gradient: 1 value for SUM and MEAN, {@code count} for NONE; null means 1
 * @param grad            gradient out (dtype, the input's shape), may be the input itself; null: forward only
 * @param auxGrad         fp32 gradient w.r.t. {@code aux}, {@code aux}'s length (an entry shared by several
 *                        elements gets the sum of their gradients), or null
 * @param loss            fp32 per-element losses out, or null
 * @param reduced         2 fp32 out: [0] the reduced loss (NONE: the sum), [1] the element count
 */
public record ElementwiseLossCall(
        Op op,
        DType dtype,
        long count,
        long lastDim,
        MemorySegment input,
        MemorySegment target,
        MemorySegment weight,
        Broadcast weightBroadcast,
        MemorySegment posWeight,
        MemorySegment aux,
        Broadcast auxBroadcast,
        boolean full,
        boolean logInput,
        float eps,
        Reduction reduction,
        MemorySegment upstream,
        MemorySegment grad,
        MemorySegment auxGrad,
        MemorySegment loss,
        MemorySegment reduced) {

    /** The element-wise losses, in the order of {@code xent_elementwise_op}'s values. */
    public enum Op {
        BCE_WITH_LOGITS,
        GAUSSIAN_NLL,
        LAPLACE_NLL,
        POISSON_NLL
    }

    /** How an fp32 aux tensor is indexed by element e; ordinals are xent_broadcast's values. */
    public enum Broadcast {
        /** aux[e]: the input's shape. */
        PER_ELEMENT,
        /** aux[e % lastDim]: one per entry of the last axis (one per class). */
        PER_LAST,
        /** aux[e / lastDim]: the input's shape with last axis 1. */
        PER_ROW,
        /** aux[0]. */
        SCALAR;

        /** The index into the aux tensor of element {@code e}. */
        public long index(long e, long lastDim) {
            return switch (this) {
                case PER_ELEMENT -> e;
                case PER_LAST -> e % lastDim;
                case PER_ROW -> e / lastDim;
                case SCALAR -> 0;
            };
        }
    }

    /**
     * The exception for a bad element an engine found (the C ABI's error_info): {@code tensor} 0 =
     * target, 1 = var / scale, 2 = input, as in xent.h; {@code element} is the flat input index.
     */
    public IllegalArgumentException badValue(long element, int tensor, float value) {
        String what = switch (op) {
            case BCE_WITH_LOGITS -> "target[" + element + "] = " + value + " is outside [0, 1] (BCE targets are probabilities)";
            case GAUSSIAN_NLL -> "var[" + auxBroadcast.index(element, lastDim) + "] = " + value + " is negative";
            case LAPLACE_NLL -> "scale[" + auxBroadcast.index(element, lastDim) + "] = " + value + " is negative";
            case POISSON_NLL -> tensor == 2
                    ? "input[" + element + "] = " + value + " is negative (with logInput false the input is a rate)"
                    : "target[" + element + "] = " + value + " is negative (Poisson targets are counts)";
        };
        return new IllegalArgumentException(op + ": " + what);
    }
}
