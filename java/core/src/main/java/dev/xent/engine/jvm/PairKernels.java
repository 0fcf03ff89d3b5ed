package dev.xent.engine.jvm;

import dev.xent.DType;
import java.lang.foreign.MemorySegment;

/**
 * The inner loops of distillation over one tile of at most {@link Kernels#TILE} contiguous
 * classes of a teacher row and a student row (byte offsets; class stride 1). a = teacher * it and
 * b = student * it are the logits over the temperature; the maxima and references ra, rb (and r1
 * for the student at temperature 1) are raw logits: the row maxima so far, or 0 while a maximum is
 * -inf, and a - ra stands for (teacher - ra) * it, the difference taken before the scaling. Only the Vector API
 * implements it; without one, or for strided layouts, {@link DistillRows} runs its scalar path.
 * Public only for {@code dev.xent.engine.jvm.vector}; internal, not API.
 */
public interface PairKernels {

    /**
     * One pass over the tile: out[0], out[1], out[2] = the raw maxima so far {@code ma}, {@code mb},
     * {@code m1} moved up to the tile's own (of the teacher, of the student, and, with {@code
     * hard}, of the student again; NaN skipped), and, as fp32 sums against the references ra, rb, r1 those new maxima
     * give (0 for a maximum that is -inf): out[3] = sum e^{a - ra}; out[4] = sum e^{b - rb};
     * out[5] = sum e^{a - ra} ((a - ra) - (b - rb)); out[6] = sum e^{a - ra} (a - ra) (terms with
     * e^{a - ra} = 0 counting 0); out[7] = sum e^{s - r1} with {@code hard}, else 0.
     */
    void tileStats(DType dt, MemorySegment t, long tOff, MemorySegment s, long sOff, int n, float it,
            float ma, float mb, float m1, boolean hard, float[] out);

    /** g = ib e^{b - rb} - ia e^{a - ra} (+ i1 e^{s - r1} when i1 != 0), stored in dt. g may be s. */
    void tileGrad(DType dt, MemorySegment t, long tOff, MemorySegment s, long sOff, MemorySegment g, long gOff, int n,
            float it, float ra, float rb, float r1, float ia, float ib, float i1);
}
