package dev.xent.engine.jvm;

import dev.xent.DType;
import java.lang.foreign.MemorySegment;

/**
 * The inner loops of the Java engine, over one tile of at most {@link #TILE} classes of
 * one row. Offsets are in bytes and point at the tile's first class; {@code cs} is the class stride
 * in elements (1 for row-contiguous layouts, the only stride the vector kernels take). Weights are
 * fp32 and contiguous ({@code wOff} the byte offset of the tile's first class); a null weight
 * segment means all ones. {@code e} buffers are fp32 with the logits' class stride.
 * Public only for {@code dev.xent.engine.jvm.vector}; internal, not API.
 */
public interface Kernels {
    /** Classes per tile of a row. */
    int TILE = 2048;

    /**
     * max_k z_k over the elements that are not NaN (-inf if there are none); an implementation
     * may also return NaN when one is NaN. Callers must not rely on either: the stats pass sees a
     * NaN through its exponential, and checks an all -inf tile for NaN itself.
     */
    float max(DType dt, MemorySegment z, long zOff, long cs, int n);

    /**
     * sum_k exp(z_k - m), the exps fp32 and their sum kept in double past the partial sums; with
     * {@code e} non-null also stores each exp(z_k - m) there (fp32).
     */
    double expSum(DType dt, MemorySegment z, long zOff, long cs, int n, float m, MemorySegment e, long eOff);

    /**
     * The evaluation pass over one tile: with d_k = z_k - ref (ref >= every z_k of the tile) and
     * e_k = exp(scale d_k), acc[0] += sum e_k, acc[1] += sum e_k d_k, acc[2] += sum e_k d_k^2, terms
     * with e_k == 0 (masked logits) counting 0; returns the number of elements ranked above a target
     * of logit zy sitting at tile position yPos: #{k : z_k > zy} + #{k < yPos : z_k == zy}.
     */
    long moments(DType dt, MemorySegment z, long zOff, long cs, int n, float ref, float scale, float zy, long yPos,
            double[] acc);

    /**
     * The gaps to the row max that the smoothing and probability-target losses weigh: with u_k =
     * w_k (c1 t_k + c0), or u_k = w_k where {@code t} is null, acc[0] += sum_k u_k and acc[1] +=
     * sum_k u_k (ref - z_k), terms with u_k == 0 counting 0. ref is the running row max (>= every
     * z_k), so every term is >= 0 for u >= 0 and the sum cannot cancel. t has the logits' dtype
     * and class stride.
     */
    void gapSums(DType dt, MemorySegment z, long zOff, long cs, int n, float ref,
            MemorySegment t, long tOff, float c1, float c0, MemorySegment w, long wOff, double[] acc);

    /** e_k = a e_k - b w_k, in place on an fp32 buffer. */
    void scaleE(MemorySegment e, long eOff, long cs, int n, float a, float b, MemorySegment w, long wOff);

    /** g_k = a e_k - b w_k from a contiguous fp32 buffer e into a contiguous row of g in dt (class stride 1). */
    void scaleInto(DType dt, MemorySegment e, long eOff, MemorySegment g, long gOff, int n, float a, float b,
            MemorySegment w, long wOff, float[] tmp);

    /** g_k = a exp((z_k - m) - logS) - b w_k, stored in dt. g may be z. */
    void grad(DType dt, MemorySegment z, long zOff, MemorySegment g, long gOff, long cs, int n,
            float m, float logS, float a, float b, MemorySegment w, long wOff, float[] tmp);

    /** g_k = a exp((z_k - m) - logS) - w_k (b1 t_k + b0), stored in dt. g may be z. */
    void gradTargets(DType dt, MemorySegment z, long zOff, MemorySegment g, long gOff, long cs, int n,
            float m, float logS, float a, float b1, float b0, MemorySegment t, long tOff,
            MemorySegment w, long wOff, float[] tmp);

    /**
     * The logit transform of the cross-entropy extras: zt[off + k] = cap tanh(scale z_k / cap) and
     * chain[off + k] = d zt / d z_k (cap 0: scale z_k and scale); a -inf logit stays -inf with
     * chain 0 under a cap.
     */
    void transform(DType dt, MemorySegment z, long zOff, long cs, int n, float scale, float cap,
            float[] zt, float[] chain, int off);

    /** g_k = gt[off + k] chain[off + k] stored in dt (an exact 0 in gt stays 0, whatever chain holds). */
    void chainInto(DType dt, float[] gt, float[] chain, int off, MemorySegment g, long gOff, long cs, int n, float[] tmp);

    /** out_k = (z_k - m) - logS, stored in dt. out may be z. */
    void logSoftmax(DType dt, MemorySegment z, long zOff, MemorySegment out, long oOff, long cs, int n,
            float m, float logS, float[] tmp);
}
