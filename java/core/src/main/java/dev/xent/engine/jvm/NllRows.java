package dev.xent.engine.jvm;

import dev.xent.DType;
import dev.xent.Layout;
import dev.xent.Reduction;
import dev.xent.engine.NllCall;
import dev.xent.engine.Pass;
import java.lang.foreign.MemorySegment;

/**
 * NLL loss on log-probabilities for the Java engine: {@code loss_i = -w[y_i] x[i, y_i]} reads one
 * element per row; the gradient writes every element once (-s_i w[y_i] at y_i, 0 elsewhere). The
 * MEAN denominator and the reduction are summed in double in row order, so results do not depend
 * on the thread count.
 */
final class NllRows {
    private NllRows() {}

    static void run(RowScheduler scheduler, NllCall call) {
        Layout layout = call.layout();
        DType dt = call.dtype();
        long rows = layout.rows();
        long classes = layout.classes();
        long es = dt.byteSize();
        long cs = layout.classStride();
        boolean backward = call.pass() != Pass.FORWARD;
        if (backward && call.grad() == null) throw new IllegalArgumentException(call.pass() + " needs a gradient buffer");
        MemorySegment weight = call.weight();
        double denominator = call.reduction() != Reduction.MEAN ? 1
                : Labels.meanDenominator(call.targets(), rows, classes, call.ignoreIndex(), weight);
        double scaleDen = denominator;
        scheduler.forRows(rows, classes, RowScheduler.shareable(call.input(), call.grad()), (from, to, w) -> {
            for (long r = from; r < to; r++) {
                long y = Labels.label(call.targets(), r);
                boolean ignored = y == call.ignoreIndex();
                if (!ignored) Labels.checkLabel(y, r, classes, call.ignoreIndex());
                long base = layout.rowBase(r) * es;
                float wy = ignored ? 0f : weight == null ? 1f : Elem.getF32(weight, y);
                float loss = ignored ? 0f : -wy * Elem.get(dt, call.input(), base + y * cs * es);
                Elem.setF32(call.rowLoss(), r, loss);
                if (!backward) continue;
                RowPasses.zeroRow(dt, call.grad(), base, cs, classes);
                if (ignored) continue;
                double u = call.upstream() == null ? 1 : Elem.getF32(call.upstream(), call.reduction() == Reduction.NONE ? r : 0);
                if (call.reduction() == Reduction.MEAN) u /= scaleDen;
                Elem.set(dt, call.grad(), base + y * cs * es, (float) (-u * wy));
            }
        });
        if (call.reduced() != null) {
            Elem.setF32(call.reduced(), 0, RowScheduler.reduce(call.rowLoss(), rows, call.reduction(), denominator));
            Elem.setF32(call.reduced(), 1, (float) denominator);
        }
    }
}
