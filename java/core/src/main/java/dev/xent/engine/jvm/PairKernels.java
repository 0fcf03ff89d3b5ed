package dev.xent.engine.jvm;

import dev.xent.DType;
import java.lang.foreign.MemorySegment;

/**
 * The inner loops of distillation and entropy over one tile of at most {@link Kernels#TILE}
 * contiguous classes (byte offsets; class stride 1): of a teacher row and a student row, or of the
 * one row of an entropy. a = teacher * it and b = student * it are the logits over the
 * temperature; the maxima and references ra, rb (and r1 for the student at temperature 1) are raw
 * logits: the row maxima so far, or 0 while a maximum is -inf, and a - ra stands for (teacher -
 * ra) * it, the difference taken before the scaling. Only the Vector API implements it; without
 * one, or for strided layouts, {@link DistillRows} runs its scalar path.
 * Public only for {@code dev.xent.engine.jvm.vector}; internal, not API.
 */
public interface PairKernels {

    /**
     * One pass over the tile: out[0], out[1], out[2] = the raw maxima so far {@code ma}, {@code mb},
     * {@code m1} moved up to the tile's own (of the teacher, of the student, and, with {@code
     * hard}, of the student again; NaN skipped), and, as fp32 sums against the references ra, rb, r1 those new maxima
     * give (0 for a maximum that is -inf): out[3] = sum e^{a - ra}; out[4] = sum e^{b - rb};
     * out[5] = sum e^{a - ra} ((a - ra) - (b - rb)); out[6] = sum e^{a - ra} (a - ra) (terms with
     * e^{a - ra} = 0 counting 0); out[7] = sum e^{s - r1} with {@code hard}, else 0. The three sums
     * of exponentials leave out the terms at their reference (each exactly 1), whose counts are
     * out[8], out[9], out[10]: the caller adds them in double, so a confident row's sum 1 + (tiny
     * terms) keeps the tiny terms' digits.
     */
    void tileStats(DType dt, MemorySegment t, long tOff, MemorySegment s, long sOff, int n, float it,
            float ma, float mb, float m1, boolean hard, float[] out);

    /** g = ib e^{b - rb} - ia e^{a - ra} (+ i1 e^{s - r1} when i1 != 0), stored in dt. g may be s. */
    void tileGrad(DType dt, MemorySegment t, long tOff, MemorySegment s, long sOff, MemorySegment g, long gOff, int n,
            float it, float ra, float rb, float r1, float ia, float ib, float i1);

    /**
     * Entropy's pass over one row's tile (temperature 1): out[0] = the raw maximum so far {@code m}
     * moved up to the tile's own (NaN skipped) and, against the reference r it gives (0 while it is
     * -inf), as fp32 sums: out[1] = the number of classes at r (each e^0 = 1 exactly), out[2] = sum
     * e^{z - r} over the other classes, out[3] = sum e^{z - r} (z - r) (terms with e^{z - r} = 0
     * counting 0). The count stays apart from the sum so that S = out[1] + out[2], added in double,
     * keeps the digits of S - 1 that log S needs in a confident row.
     */
    void tileEntropyStats(DType dt, MemorySegment z, long zOff, int n, float m, float[] out);

    /** Entropy's gradient: g = cp e^{z - r} ((z - r) - shift), 0 where e^{z - r} = 0, stored in dt. g may be z. */
    void tileEntropyGrad(DType dt, MemorySegment z, long zOff, MemorySegment g, long gOff, int n, float r, float cp,
            float shift);
}
