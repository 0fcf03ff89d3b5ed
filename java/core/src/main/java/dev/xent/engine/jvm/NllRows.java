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

    static void run(JavaEngine engine, NllCall call) {
        Layout layout = call.layout();
        DType dt = call.dtype();
        long rows = layout.rows();
        long classes = layout.classes();
        long es = dt.byteSize();
        long cs = layout.classStride();
        boolean backward = call.pass() != Pass.FORWARD;
        if (backward && call.grad() == null) throw new IllegalArgumentException(call.pass() + " needs a gradient buffer");
        MemorySegment weight = call.weight();
        double denominator = 1;
        if (call.reduction() == Reduction.MEAN) {
            denominator = 0;
            for (long r = 0; r < rows; r++) {
                long y = JavaEngine.label(call.targets(), r);
                if (y == call.ignoreIndex()) continue;
                JavaEngine.checkLabel(y, r, classes, call.ignoreIndex());
                denominator += weight == null ? 1 : Elem.getF32(weight, y);
            }
        }
        double scaleDen = denominator;
        engine.forRows(rows, classes, JavaEngine.shareable(call.input(), call.grad()), (from, to, w) -> {
            for (long r = from; r < to; r++) {
                long y = JavaEngine.label(call.targets(), r);
                boolean ignored = y == call.ignoreIndex();
                if (!ignored) JavaEngine.checkLabel(y, r, classes, call.ignoreIndex());
                long base = layout.rowBase(r) * es;
                float wy = ignored ? 0f : weight == null ? 1f : Elem.getF32(weight, y);
                float loss = ignored ? 0f : -wy * Elem.get(dt, call.input(), base + y * cs * es);
                Elem.setF32(call.rowLoss(), r, loss);
                if (!backward) continue;
                JavaEngine.zeroRow(dt, call.grad(), base, cs, classes);
                if (ignored) continue;
                double u = call.upstream() == null ? 1 : Elem.getF32(call.upstream(), call.reduction() == Reduction.NONE ? r : 0);
                if (call.reduction() == Reduction.MEAN) u /= scaleDen;
                Elem.set(dt, call.grad(), base + y * cs * es, (float) (-u * wy));
            }
        });
        if (call.reduced() != null) {
            double sum = 0;
            for (long r = 0; r < rows; r++) sum += Elem.getF32(call.rowLoss(), r);
            Elem.setF32(call.reduced(), 0, (float) (call.reduction() == Reduction.MEAN ? sum / denominator : sum));
            Elem.setF32(call.reduced(), 1, (float) denominator);
        }
    }
}
