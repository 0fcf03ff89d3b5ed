package dev.xent.engine.jvm.vector;

import dev.xent.DType;
import dev.xent.Reduction;
import dev.xent.engine.ElementwiseLossCall;
import dev.xent.engine.jvm.Elem;
import dev.xent.engine.jvm.ElementwiseKernels;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

/**
 * The Vector API loop of {@link ElementwiseKernels} for the common multi-label case: BCE with
 * logits without weight or pos_weight, a reduced loss (no per-element losses or upstream), fp32
 * or bf16 in heap arrays. The same formula as the scalar loop (non-negative terms, sigmoid(x)
 * and sigmoid(-x) from one exp(-|x|)), with VectorKernels' table-driven exp and the Vector API's
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
        int es = dt.byteSize();
        int bound = from + VectorKernels.F.loopBound(to - from);
        // targets first: a bad one must leave an in-place gradient untouched
        if (!(dt == DType.F32 ? targetsOkF32(c, from, bound) : targetsOkBf16(c, from, bound))) return false;
        for (int i = bound; i < to; i++) {
            float t = Elem.get(dt, c.target(), (long) i * es);
            if (!(t >= 0f && t <= 1f)) return false;
        }
        double vectors = dt == DType.F32 ? loopF32(c, from, bound, scale) : loopBf16(c, from, bound, scale);
        sum[0] = ElementwiseKernels.checkedTail(c, bound, to, scale, vectors);
        return true;
    }

    // One loop per storage type, so that no vector value merges two loads (C2 keeps them in registers).

    private static double loopF32(ElementwiseLossCall c, int from, int bound, float scale) {
        float[] x = VectorKernels.floats(c.input(), 0), t = VectorKernels.floats(c.target(), 0);
        float[] g = c.grad() == null ? null : VectorKernels.floats(c.grad(), 0);
        int x0 = VectorKernels.index(c.input(), 0, 4), t0 = VectorKernels.index(c.target(), 0, 4);
        int g0 = g == null ? 0 : VectorKernels.index(c.grad(), 0, 4);
        double total = 0;
        FloatVector acc = ZERO;
        for (int i = from, pending = 0; i < bound; i += L) {
            FloatVector xv = FloatVector.fromArray(VectorKernels.F, x, x0 + i);
            FloatVector tv = FloatVector.fromArray(VectorKernels.F, t, t0 + i);
            FloatVector ex = VectorKernels.expNonPositive(xv.abs().neg());
            acc = acc.add(loss(xv, tv, ex));
            if (++pending == FLUSH) {
                total += VectorKernels.sumLanes(acc);
                acc = ZERO;
                pending = 0;
            }
            if (g != null) grad(xv, tv, ex, scale).intoArray(g, g0 + i);
        }
        return total + VectorKernels.sumLanes(acc);
    }

    private static double loopBf16(ElementwiseLossCall c, int from, int bound, float scale) {
        short[] x = VectorKernels.shorts(c.input(), 0), t = VectorKernels.shorts(c.target(), 0);
        short[] g = c.grad() == null ? null : VectorKernels.shorts(c.grad(), 0);
        int x0 = VectorKernels.index(c.input(), 0, 2), t0 = VectorKernels.index(c.target(), 0, 2);
        int g0 = g == null ? 0 : VectorKernels.index(c.grad(), 0, 2);
        double total = 0;
        FloatVector acc = ZERO;
        for (int i = from, pending = 0; i < bound; i += L) {
            FloatVector xv = VectorKernels.widen(DType.BF16, ShortVector.fromArray(VectorKernels.S, x, x0 + i));
            FloatVector tv = VectorKernels.widen(DType.BF16, ShortVector.fromArray(VectorKernels.S, t, t0 + i));
            FloatVector ex = VectorKernels.expNonPositive(xv.abs().neg());
            acc = acc.add(loss(xv, tv, ex));
            if (++pending == FLUSH) {
                total += VectorKernels.sumLanes(acc);
                acc = ZERO;
                pending = 0;
            }
            if (g != null) VectorKernels.toBf16(grad(xv, tv, ex, scale)).intoArray(g, g0 + i);
        }
        return total + VectorKernels.sumLanes(acc);
    }

    private static boolean targetsOkF32(ElementwiseLossCall c, int from, int bound) {
        float[] t = VectorKernels.floats(c.target(), 0);
        int t0 = VectorKernels.index(c.target(), 0, 4);
        for (int i = from; i < bound; i += L) {
            if (!inUnitInterval(FloatVector.fromArray(VectorKernels.F, t, t0 + i))) return false;
        }
        return true;
    }

    private static boolean targetsOkBf16(ElementwiseLossCall c, int from, int bound) {
        short[] t = VectorKernels.shorts(c.target(), 0);
        int t0 = VectorKernels.index(c.target(), 0, 2);
        for (int i = from; i < bound; i += L) {
            if (!inUnitInterval(VectorKernels.widen(DType.BF16, ShortVector.fromArray(VectorKernels.S, t, t0 + i)))) return false;
        }
        return true;
    }

    /** Every lane in [0, 1] (NaN is not). */
    private static boolean inUnitInterval(FloatVector t) {
        return t.compare(VectorOperators.GE, 0f).and(t.compare(VectorOperators.LE, 1f)).allTrue();
    }

    /** (1-t) max(x, 0) + t max(-x, 0) + log1p(ex), a term with coefficient 0 being 0; ex = exp(-|x|). */
    private static FloatVector loss(FloatVector x, FloatVector t, FloatVector ex) {
        FloatVector a = ONE.sub(t);
        FloatVector pos = a.mul(x.max(0f)).blend(ZERO, a.compare(VectorOperators.EQ, 0f));
        FloatVector neg = t.mul(x.neg().max(0f)).blend(ZERO, t.compare(VectorOperators.EQ, 0f));
        return pos.add(neg).add(ex.lanewise(VectorOperators.LOG1P));
    }

    /** scale ((1-t) sigmoid(x) - t sigmoid(-x)), both sigmoids from ex = exp(-|x|). */
    private static FloatVector grad(FloatVector x, FloatVector t, FloatVector ex, float scale) {
        FloatVector r = ONE.div(ONE.add(ex));
        FloatVector er = ex.mul(r);
        VectorMask<Float> nonNeg = x.compare(VectorOperators.GE, 0f);
        return ONE.sub(t).mul(er.blend(r, nonNeg)).sub(t.mul(r.blend(er, nonNeg))).mul(scale);
    }
}
