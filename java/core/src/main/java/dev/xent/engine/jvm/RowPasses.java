package dev.xent.engine.jvm;

import dev.xent.DType;
import dev.xent.engine.jvm.RowScheduler.Scratch;
import java.lang.foreign.MemorySegment;

/**
 * The passes over one row in tiles of {@link Kernels#TILE} classes that cross-entropy and the
 * softmax family share: a tile's max, then its exponentials against the running max (online
 * softmax at tile granularity: one exp per element, the tile read a second time from L1), and the
 * passes that turn stored exponentials, or the logits again, into a * softmax - b * w.
 */
final class RowPasses {
    private static final float NEG_INF = Float.NEGATIVE_INFINITY;

    private RowPasses() {}

    /**
     * One pass over a row (zb: byte offset of class 0). Leaves m and s in {@code w}; with
     * {@code e} non-null stores exp(z - running max) into it (fp32, same class stride) and each
     * tile's running max in {@code w.tileMax}. With {@code gaps}, acc[0] = sum u and acc[1] = sum
     * u (m - z) against the row max m ({@link Kernels#gapSums}: u = w (c1 t + c0), or w where t is
     * null): every term is >= 0, so a confident row's loss keeps its digits at any scale and offset.
     */
    static void stats(Kernels k, DType dt, MemorySegment z, long zb, long cs, long classes,
            MemorySegment e, long eb, boolean gaps, MemorySegment weight,
            MemorySegment t, long tb, float c1, float c0, Scratch w) {
        long step = cs * dt.byteSize();
        long eStep = cs * 4;
        float m = NEG_INF;
        double s = 0;
        w.acc[0] = 0;
        w.acc[1] = 0;
        int tile = 0;
        for (long j = 0; j < classes; j += Kernels.TILE, tile++) {
            int n = (int) Math.min(Kernels.TILE, classes - j);
            long zo = zb + j * step;
            float mNew = Math.max(m, k.max(dt, z, zo, cs, n));
            if (mNew == NEG_INF && hasNaN(dt, z, zo, cs, n)) mNew = Float.NaN;  // the vector max skips NaN
            if (gaps) {
                // a higher max widens every gap so far by mNew - m: adds sum u (mNew - m) >= 0, no cancellation
                if (mNew > m && w.acc[0] != 0) w.acc[1] += w.acc[0] * ((double) mNew - finiteOr0(m));
                k.gapSums(dt, z, zo, cs, n, finiteOr0(mNew), t, tb + j * step, c1, c0, weight, 4 * j, w.acc);
            }
            if (mNew == NEG_INF) {
                if (e != null) zeroRow(DType.F32, e, eb + j * eStep, cs, n);
                w.tileMax[tile] = NEG_INF;
                continue;
            }
            if (mNew != m) s *= Math.exp((double) m - mNew);
            m = mNew;
            s += k.expSum(dt, z, zo, cs, n, m, e, e == null ? 0 : eb + j * eStep);
            w.tileMax[tile] = m;
        }
        w.m = m;
        w.s = s;
    }

    private static boolean hasNaN(DType dt, MemorySegment z, long zb, long cs, int n) {
        long step = cs * dt.byteSize();
        for (int j = 0; j < n; j++) {
            if (Float.isNaN(Elem.get(dt, z, zb + j * step))) return true;
        }
        return false;
    }

    /** Turns the stored exps of a row into a * softmax - b * w (fp32, in place). */
    static void scaleRow(Kernels k, MemorySegment e, long eb, long cs, long classes, double m, double logS,
            double a, float b, MemorySegment weight, Scratch w) {
        long eStep = cs * 4;
        int tile = 0;
        for (long j = 0; j < classes; j += Kernels.TILE, tile++) {
            int n = (int) Math.min(Kernels.TILE, classes - j);
            float at = (float) (a * Math.exp((w.tileMax[tile] - m) - logS));
            k.scaleE(e, eb + j * eStep, cs, n, at, b, weight, 4 * j);
        }
    }

    /** As {@link #scaleRow} from a contiguous fp32 scratch row {@code e} into a contiguous row of g in dt. */
    static void scaleRowInto(Kernels k, DType dt, MemorySegment e, MemorySegment g, long gb, long classes,
            double m, double logS, double a, float b, MemorySegment weight, Scratch w) {
        long es = dt.byteSize();
        int tile = 0;
        for (long j = 0; j < classes; j += Kernels.TILE, tile++) {
            int n = (int) Math.min(Kernels.TILE, classes - j);
            float at = (float) (a * Math.exp((w.tileMax[tile] - m) - logS));
            k.scaleInto(dt, e, 4 * j, g, gb + j * es, n, at, b, weight, 4 * j, w.tmp);
        }
    }

    /** g = a softmax - b w from the logits again, tile by tile. */
    static void gradRow(Kernels k, DType dt, MemorySegment z, long zb, MemorySegment g, long gb, long cs,
            long classes, float m, float logS, float a, float b, MemorySegment weight, Scratch w) {
        long step = cs * dt.byteSize();
        for (long j = 0; j < classes; j += Kernels.TILE) {
            int n = (int) Math.min(Kernels.TILE, classes - j);
            k.grad(dt, z, zb + j * step, g, gb + j * step, cs, n, m, logS, a, b, weight, 4 * j, w.tmp);
        }
    }

    static void zeroRow(DType dt, MemorySegment g, long gb, long cs, long classes) {
        long es = dt.byteSize();
        if (cs == 1) {
            g.asSlice(gb, classes * es).fill((byte) 0);
        } else {
            for (long j = 0; j < classes; j++) Elem.set(dt, g, gb + j * cs * es, 0f);
        }
    }

    /** A running max as the gaps' reference: -inf (nothing finite yet) measures from 0, as the CUDA kernels do. */
    private static float finiteOr0(float m) {
        return m == NEG_INF ? 0f : m;
    }
}
