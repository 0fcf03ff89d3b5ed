package dev.xent.engine.jvm;

import dev.xent.DType;
import dev.xent.Layout;
import dev.xent.engine.RowStatsCall;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The Java engine's per-row statistics ({@link RowStatsCall}): one pass over each row in tiles of
 * {@link Kernels#TILE} classes. Per tile the kernels give its max, then, from L1, the sums
 * S_j = sum_k exp(s (z_k - m)) (z_k - m)^j for j = 0, 1, 2 relative to the running max m (in fp32
 * within the tile, in double across tiles, moved when m moves) and the count of elements ranked
 * above the target. When a tile raises the max, its first occurrence is the predicted class so
 * far. The target logit is read once beforehand so that the same pass can rank it.
 */
final class RowStatsPass {
    private static final float NEG_INF = Float.NEGATIVE_INFINITY;

    private final RowStatsCall call;
    private final Kernels kernels;
    private final long rows;

    RowStatsPass(RowStatsCall call, Kernels kernels) {
        this.call = call;
        this.kernels = kernels;
        this.rows = call.layout().rows();
    }

    void rows(long from, long to) {
        for (long r = from; r < to; r++) row(r);
    }

    private void row(long r) {
        Layout layout = call.layout();
        DType dt = call.dtype();
        MemorySegment z = call.logits();
        long classes = layout.classes();
        long cs = layout.classStride();
        long step = cs * dt.byteSize();
        long zb = layout.rowBase(r) * dt.byteSize();
        long label = Labels.label(call.targets(), r);
        boolean counted = label != call.ignoreIndex() && label >= 0 && label < classes;
        float zy = counted ? Elem.get(dt, z, zb + label * step) : Float.POSITIVE_INFINITY;
        double scale = call.scale();

        float m = NEG_INF;
        long predicted = -1;
        long rank = 0;
        double[] acc = new double[3]; // S_0, S_1, S_2 relative to m
        for (long c0 = 0; c0 < classes; c0 += Kernels.TILE) {
            int n = (int) Math.min(Kernels.TILE, classes - c0);
            long tb = zb + c0 * step;
            float tileMax = kernels.max(dt, z, tb, cs, n);
            if (tileMax > m) {
                if (m != NEG_INF) { // move the sums from reference m to tileMax
                    double d = (double) m - tileMax;
                    double f = Math.exp(scale * d);
                    acc[2] = f * (acc[2] + d * (2 * acc[1] + d * acc[0]));
                    acc[1] = f * (acc[1] + d * acc[0]);
                    acc[0] = f * acc[0];
                }
                m = tileMax;
                predicted = c0 + firstIndexOf(dt, z, tb, step, n, tileMax);
            }
            rank += kernels.moments(dt, z, tb, cs, n, m == NEG_INF ? 0f : m, call.scale(), zy, label - c0, acc);
        }
        double s0 = acc[0], s1 = acc[1], s2 = acc[2];
        double ms = m == NEG_INF ? 0 : m;
        double logS = Math.log(s0);
        double mean1 = s1 / s0;
        MemorySegment out = call.stats();
        Elem.setF32(out, RowStatsCall.LSE * rows + r, (float) (scale * m + logS));
        Elem.setF32(out, RowStatsCall.LOSS * rows + r, counted ? (float) (scale * ((double) m - zy) + logS) : 0f);
        Elem.setF32(out, RowStatsCall.CONFIDENCE * rows + r, s0 > 0 ? (float) (1 / s0) : Float.NaN);
        Elem.setF32(out, RowStatsCall.MEAN * rows + r, (float) (ms + mean1));
        Elem.setF32(out, RowStatsCall.VARIANCE * rows + r, (float) Math.max(0, s2 / s0 - mean1 * mean1));
        MemorySegment idx = call.indices();
        idx.setAtIndex(ValueLayout.JAVA_LONG_UNALIGNED, r, !counted ? -1 : Float.isNaN(zy) ? classes : rank);
        idx.setAtIndex(ValueLayout.JAVA_LONG_UNALIGNED, rows + r, Math.max(predicted, 0));
    }

    /** The first k < n with z_k == v (the tile's max: it is there). */
    private static int firstIndexOf(DType dt, MemorySegment z, long tb, long step, int n, float v) {
        for (int k = 0; k < n; k++) {
            if (Elem.get(dt, z, tb + k * step) == v) return k;
        }
        throw new IllegalStateException("a tile's max " + v + " is not in the tile");
    }
}
