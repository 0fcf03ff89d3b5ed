package dev.xent.engine.jvm;

import static dev.xent.engine.jvm.RowPasses.gradRow;
import static dev.xent.engine.jvm.RowPasses.scaleRow;
import static dev.xent.engine.jvm.RowPasses.stats;

import dev.xent.DType;
import dev.xent.Layout;
import java.lang.foreign.MemorySegment;

/**
 * log_softmax, softmax and logsumexp on the Java engine: per row the {@link RowPasses#stats} pass
 * gives max and sum of exponentials, then one more pass writes the row (an fp32 softmax rescales
 * the exponentials the stats pass stored in the output). {@code k} takes the layout's rows.
 */
final class SoftmaxRows {
    private SoftmaxRows() {}

    static void logSoftmax(RowScheduler scheduler, Kernels k, Layout layout, DType dt, MemorySegment in, MemorySegment out) {
        long es = dt.byteSize();
        long cs = layout.classStride();
        long classes = layout.classes();
        scheduler.forRows(layout.rows(), classes, RowScheduler.shareable(in, out), (from, to, w) -> {
            for (long r = from; r < to; r++) {
                long zb = layout.rowBase(r) * es;
                stats(k, dt, in, zb, cs, classes, null, 0, false, null, null, 0, 0f, 0f, w);
                float logS = (float) Math.log(w.s);
                long step = cs * es;
                for (long j = 0; j < classes; j += Kernels.TILE) {
                    int n = (int) Math.min(Kernels.TILE, classes - j);
                    k.logSoftmax(dt, in, zb + j * step, out, zb + j * step, cs, n, w.m, logS, w.tmp);
                }
            }
        });
    }

    static void softmax(RowScheduler scheduler, Kernels k, Layout layout, DType dt, MemorySegment in, MemorySegment out) {
        long es = dt.byteSize();
        long cs = layout.classStride();
        long classes = layout.classes();
        scheduler.forRows(layout.rows(), classes, RowScheduler.shareable(in, out), (from, to, w) -> {
            for (long r = from; r < to; r++) {
                long zb = layout.rowBase(r) * es;
                if (dt == DType.F32) {
                    stats(k, dt, in, zb, cs, classes, out, zb, false, null, null, 0, 0f, 0f, w);
                    scaleRow(k, out, zb, cs, classes, w.m, Math.log(w.s), 1.0, 0f, null, w);
                } else {
                    stats(k, dt, in, zb, cs, classes, null, 0, false, null, null, 0, 0f, 0f, w);
                    gradRow(k, dt, in, zb, out, zb, cs, classes, w.m, (float) Math.log(w.s), 1f, 0f, null, w);
                }
            }
        });
    }

    static void logSumExp(RowScheduler scheduler, Kernels k, Layout layout, DType dt, MemorySegment in, MemorySegment out) {
        long es = dt.byteSize();
        long cs = layout.classStride();
        long classes = layout.classes();
        scheduler.forRows(layout.rows(), classes, RowScheduler.shareable(in, out), (from, to, w) -> {
            for (long r = from; r < to; r++) {
                stats(k, dt, in, layout.rowBase(r) * es, cs, classes, null, 0, false, null, null, 0, 0f, 0f, w);
                Elem.setF32(out, r, (float) (w.m + Math.log(w.s)));
            }
        });
    }
}
