package dev.xent.engine.jvm;

import dev.xent.DType;
import dev.xent.Reduction;
import dev.xent.engine.ElementwiseLossCall;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

/**
 * The Vector API loop of {@link ElementwiseKernels} for the common multi-label case: BCE with
 * logits without weight or pos_weight, a reduced loss (no per-element losses or upstream), fp32
 * or bf16 in heap arrays. The same formula as the scalar loop (non-negative terms, sigmoid(x)
 * and sigmoid(-x) from one exp(-|x|)), with VectorKernels' polynomial exp and the Vector API's
 * log1p; loss sums in fp32 lanes, flushed to double every {@link #FLUSH} vectors.
 */
final class VectorBce {
    private static final int L = VectorKernels.L;
    private static final int FLUSH = 64;
    private static final FloatVector ZERO = FloatVector.zero(VectorKernels.F);
    private static final FloatVector ONE = FloatVector.broadcast(VectorKernels.F, 1f);

    private VectorBce() {}

    /** Whether the call takes this loop. */
    static boolean fits(ElementwiseLossCall c) {
        DType dt = c.dtype();
        return c.op() == ElementwiseLossCall.Op.BCE_WITH_LOGITS && c.weight() == null && c.posWeight() == null
                && c.loss() == null && (c.upstream() == null || c.reduction() != Reduction.NONE)
                && (dt == DType.F32 ? VectorKernels.floats(c.input(), 0) != null && VectorKernels.floats(c.target(), 0) != null
                        && (c.grad() == null || VectorKernels.floats(c.grad(), 0) != null)
                : dt == DType.BF16 && VectorKernels.shorts(c.input(), 0) != null && VectorKernels.shorts(c.target(), 0) != null
                        && (c.grad() == null || VectorKernels.shorts(c.grad(), 0) != null));
    }

    /**
     * Elements [from, to): the loss sum into {@code sum[0]} and, with a gradient, {@code scale *
     * d loss/dx}. Returns false, having written nothing, when a target is outside [0, 1] (the
     * scalar loop then reports it).
     */
    static boolean chunk(ElementwiseLossCall c, int from, int to, float scale, double[] sum) {
        DType dt = c.dtype();
        boolean f32 = dt == DType.F32;
        int es = dt.byteSize();
        float[] xf = f32 ? VectorKernels.floats(c.input(), 0) : null, tf = f32 ? VectorKernels.floats(c.target(), 0) : null;
        short[] xs = f32 ? null : VectorKernels.shorts(c.input(), 0), ts = f32 ? null : VectorKernels.shorts(c.target(), 0);
        float[] gf = f32 && c.grad() != null ? VectorKernels.floats(c.grad(), 0) : null;
        short[] gs = !f32 && c.grad() != null ? VectorKernels.shorts(c.grad(), 0) : null;
        boolean grad = c.grad() != null;
        int x0 = VectorKernels.index(c.input(), 0, es), t0 = VectorKernels.index(c.target(), 0, es);
        int g0 = grad ? VectorKernels.index(c.grad(), 0, es) : 0;
        // targets first: a bad one must leave the gradient untouched when it is the input itself
        int bound = from + VectorKernels.F.loopBound(to - from);
        for (int i = from; i < bound; i += L) {
            FloatVector t = f32 ? FloatVector.fromArray(VectorKernels.F, tf, t0 + i)
                    : VectorKernels.widen(dt, ShortVector.fromArray(VectorKernels.S, ts, t0 + i));
            VectorMask<Float> ok = t.compare(VectorOperators.GE, 0f).and(t.compare(VectorOperators.LE, 1f));
            if (!ok.allTrue()) return false;
        }
        for (int i = bound; i < to; i++) {
            float t = Elem.get(dt, c.target(), (long) i * es);
            if (!(t >= 0f && t <= 1f)) return false;
        }
        double total = 0;
        FloatVector acc = ZERO;
        int pending = 0;
        for (int i = from; i < bound; i += L) {
            FloatVector x = f32 ? FloatVector.fromArray(VectorKernels.F, xf, x0 + i)
                    : VectorKernels.widen(dt, ShortVector.fromArray(VectorKernels.S, xs, x0 + i));
            FloatVector t = f32 ? FloatVector.fromArray(VectorKernels.F, tf, t0 + i)
                    : VectorKernels.widen(dt, ShortVector.fromArray(VectorKernels.S, ts, t0 + i));
            FloatVector ex = VectorKernels.expNonPositive(x.abs().neg());
            FloatVector a = ONE.sub(t);
            FloatVector pos = a.mul(x.max(0f)).blend(ZERO, a.compare(VectorOperators.EQ, 0f));
            FloatVector neg = t.mul(x.neg().max(0f)).blend(ZERO, t.compare(VectorOperators.EQ, 0f));
            acc = acc.add(pos.add(neg).add(ex.lanewise(VectorOperators.LOG1P)));
            if (++pending == FLUSH) {
                total += acc.reduceLanes(VectorOperators.ADD);
                acc = ZERO;
                pending = 0;
            }
            if (grad) {
                FloatVector r = ONE.div(ONE.add(ex));
                FloatVector er = ex.mul(r);
                VectorMask<Float> nonNeg = x.compare(VectorOperators.GE, 0f);
                FloatVector d = a.mul(er.blend(r, nonNeg)).sub(t.mul(r.blend(er, nonNeg))).mul(scale);
                if (f32) d.intoArray(gf, g0 + i);
                else ((ShortVector) VectorKernels.toBf16(d)).intoArray(gs, g0 + i);
            }
        }
        total += acc.reduceLanes(VectorOperators.ADD);
        float[] out = new float[3];
        for (int i = bound; i < to; i++) {
            float x = Elem.get(dt, c.input(), (long) i * es);
            float t = Elem.get(dt, c.target(), (long) i * es);
            ElementwiseKernels.element(c, i, x, t, out);
            total += out[0];
            if (grad) Elem.set(dt, c.grad(), (long) i * es, scale * out[1]);
        }
        sum[0] = total;
        return true;
    }
}
