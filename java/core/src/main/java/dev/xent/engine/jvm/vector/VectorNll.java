package dev.xent.engine.jvm.vector;

import dev.xent.DType;
import dev.xent.Reduction;
import dev.xent.engine.ElementwiseLossCall;
import dev.xent.engine.ElementwiseLossCall.Broadcast;
import dev.xent.engine.ElementwiseLossCall.Op;
import dev.xent.engine.jvm.Elem;
import dev.xent.engine.jvm.ElementwiseKernels;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

/**
 * The Vector API loop of {@link ElementwiseKernels} for the Gaussian, Laplace and Poisson NLLs
 * in the common case: a reduced loss (no per-element losses or upstream, no variance gradient),
 * fp32 or bf16 in heap arrays, a variance or scale given per element or as one value. The
 * formulas are the scalar loop's (ElementwiseKernels.element); the op is loop-invariant,
 * so its switch costs a predicted branch. Loss sums in fp32 lanes, flushed to double every
 * {@link #FLUSH} vectors.
 */
final class VectorNll {
    private static final int L = VectorKernels.L;
    private static final int FLUSH = 64;
    private static final FloatVector ZERO = FloatVector.zero(VectorKernels.F);
    private static final FloatVector ONE = FloatVector.broadcast(VectorKernels.F, 1f);
    private static final float LOG_2PI = (float) Math.log(2 * Math.PI);
    private static final float HALF_LOG_2PI = (float) (0.5 * Math.log(2 * Math.PI));
    private static final float LOG_2 = (float) Math.log(2);

    private VectorNll() {}

    /** Whether the call takes this loop. */
    static boolean fits(ElementwiseLossCall c) {
        DType dt = c.dtype();
        boolean spread = c.op() == Op.GAUSSIAN_NLL || c.op() == Op.LAPLACE_NLL;
        if (!spread && c.op() != Op.POISSON_NLL) return false;
        if (c.loss() != null || c.auxGrad() != null || (c.upstream() != null && c.reduction() == Reduction.NONE)) return false;
        if (spread && !(c.auxBroadcast() == Broadcast.SCALAR
                || c.auxBroadcast() == Broadcast.PER_ELEMENT && VectorKernels.floats(c.aux(), 0) != null)) {
            return false;
        }
        return dt == DType.F32
                ? VectorKernels.floats(c.input(), 0) != null && VectorKernels.floats(c.target(), 0) != null
                        && (c.grad() == null || VectorKernels.floats(c.grad(), 0) != null)
                : dt == DType.BF16 && VectorKernels.shorts(c.input(), 0) != null && VectorKernels.shorts(c.target(), 0) != null
                        && (c.grad() == null || VectorKernels.shorts(c.grad(), 0) != null);
    }

    /**
     * Elements [from, to): the loss sum into {@code sum[0]} and, with a gradient, {@code scale *
     * d loss/dx}. Returns false, having written nothing, when an element is bad (the scalar loop
     * then reports it).
     */
    static boolean chunk(ElementwiseLossCall c, int from, int to, float scale, double[] sum) {
        // every element checked first: a bad one must leave an in-place gradient untouched
        if (anyNegative(c, from, to)) return false;
        int bound = from + VectorKernels.F.loopBound(to - from);
        sum[0] = ElementwiseKernels.checkedTail(c, bound, to, scale, loop(c, from, bound, scale));
        return true;
    }

    /**
     * Whether [from, to) holds a bad element: a negative variance or scale (Gaussian, Laplace), a
     * negative count or, for rate input, a negative rate (Poisson). NaN is not negative.
     */
    private static boolean anyNegative(ElementwiseLossCall c, int from, int to) {
        if (c.op() != Op.POISSON_NLL) {
            if (c.auxBroadcast() == Broadcast.SCALAR) return Elem.getF32(c.aux(), 0) < 0f;
            return anyNegative(c.aux(), DType.F32, from, to);
        }
        return anyNegative(c.target(), c.dtype(), from, to) || !c.logInput() && anyNegative(c.input(), c.dtype(), from, to);
    }

    private static boolean anyNegative(MemorySegment seg, DType dt, int from, int to) {
        int es = dt.byteSize();
        int i = from;
        int bound = from + VectorKernels.F.loopBound(to - from);
        if (dt == DType.F32) {
            float[] a = VectorKernels.floats(seg, 0);
            int a0 = VectorKernels.index(seg, 0, 4);
            for (; i < bound; i += L) {
                if (FloatVector.fromArray(VectorKernels.F, a, a0 + i).compare(VectorOperators.LT, 0f).anyTrue()) return true;
            }
        } else {
            short[] a = VectorKernels.shorts(seg, 0);
            int a0 = VectorKernels.index(seg, 0, 2);
            for (; i < bound; i += L) {
                FloatVector v = VectorKernels.widen(dt, ShortVector.fromArray(VectorKernels.S, a, a0 + i));
                if (v.compare(VectorOperators.LT, 0f).anyTrue()) return true;
            }
        }
        for (; i < to; i++) {
            if (Elem.get(dt, seg, (long) i * es) < 0f) return true;
        }
        return false;
    }

    private static double loop(ElementwiseLossCall c, int from, int bound, float scale) {
        boolean bf16 = c.dtype() == DType.BF16;
        int es = c.dtype().byteSize();
        float[] xf = bf16 ? null : VectorKernels.floats(c.input(), 0), tf = bf16 ? null : VectorKernels.floats(c.target(), 0);
        short[] xb = bf16 ? VectorKernels.shorts(c.input(), 0) : null, tb = bf16 ? VectorKernels.shorts(c.target(), 0) : null;
        int x0 = VectorKernels.index(c.input(), 0, es), t0 = VectorKernels.index(c.target(), 0, es);
        float[] gf = c.grad() == null || bf16 ? null : VectorKernels.floats(c.grad(), 0);
        short[] gb = c.grad() == null || !bf16 ? null : VectorKernels.shorts(c.grad(), 0);
        int g0 = c.grad() == null ? 0 : VectorKernels.index(c.grad(), 0, es);
        float[] spread = c.auxBroadcast() == Broadcast.PER_ELEMENT ? VectorKernels.floats(c.aux(), 0) : null;
        int s0 = spread == null ? 0 : VectorKernels.index(c.aux(), 0, 4);
        FloatVector fixed = c.aux() == null || spread != null ? ZERO
                : FloatVector.broadcast(VectorKernels.F, Elem.getF32(c.aux(), 0));
        Op op = c.op();
        boolean full = c.full(), logInput = c.logInput();
        float eps = c.eps();
        double total = 0;
        FloatVector acc = ZERO;
        for (int i = from, pending = 0; i < bound; i += L) {
            FloatVector x = bf16 ? VectorKernels.widen(DType.BF16, ShortVector.fromArray(VectorKernels.S, xb, x0 + i))
                    : FloatVector.fromArray(VectorKernels.F, xf, x0 + i);
            FloatVector t = bf16 ? VectorKernels.widen(DType.BF16, ShortVector.fromArray(VectorKernels.S, tb, t0 + i))
                    : FloatVector.fromArray(VectorKernels.F, tf, t0 + i);
            FloatVector loss, grad;
            switch (op) {
                case GAUSSIAN_NLL, LAPLACE_NLL -> {
                    FloatVector raw = spread != null ? FloatVector.fromArray(VectorKernels.F, spread, s0 + i) : fixed;
                    // clamped as the scalar loop does: raw < eps becomes eps, NaN stays NaN
                    FloatVector v = raw.blend(eps, raw.compare(VectorOperators.LT, eps));
                    FloatVector d = x.sub(t);
                    FloatVector logV = v.lanewise(VectorOperators.LOG);
                    if (op == Op.GAUSSIAN_NLL) {
                        grad = d.div(v);
                        loss = logV.add(d.mul(grad)).mul(0.5f);
                        if (full) loss = loss.add(HALF_LOG_2PI);
                    } else {
                        FloatVector inv = ONE.div(v);
                        loss = logV.add(d.abs().mul(inv));
                        if (full) loss = loss.add(LOG_2);
                        // sign(d) / v, 0 at d = 0 (and for NaN d, as the scalar loop)
                        grad = ZERO.blend(inv, d.compare(VectorOperators.GT, 0f)).blend(inv.neg(), d.compare(VectorOperators.LT, 0f));
                    }
                }
                default -> {
                    if (logInput) {
                        FloatVector ex = x.lanewise(VectorOperators.EXP);
                        loss = ex.sub(t.mul(x));
                        grad = ex.sub(t);
                    } else {
                        FloatVector xe = x.add(eps);
                        loss = x.sub(t.mul(xe.lanewise(VectorOperators.LOG)));
                        grad = ONE.sub(t.div(xe));
                    }
                    if (full) {
                        // Stirling's term where t > 1 (PyTorch masks the rest to 0)
                        FloatVector logT = t.lanewise(VectorOperators.LOG);
                        FloatVector stirling = t.mul(logT).sub(t).add(logT.add(LOG_2PI).mul(0.5f));
                        loss = loss.add(ZERO.blend(stirling, t.compare(VectorOperators.GT, 1f)));
                    }
                }
            }
            acc = acc.add(loss);
            if (++pending == FLUSH) {
                total += VectorKernels.sumLanes(acc);
                acc = ZERO;
                pending = 0;
            }
            if (gf != null) grad.mul(scale).intoArray(gf, g0 + i);
            else if (gb != null) VectorKernels.toBf16(grad.mul(scale)).intoArray(gb, g0 + i);
        }
        return total + VectorKernels.sumLanes(acc);
    }
}
