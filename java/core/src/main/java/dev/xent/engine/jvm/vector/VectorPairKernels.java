package dev.xent.engine.jvm.vector;

import static dev.xent.engine.jvm.vector.VectorKernels.F;
import static dev.xent.engine.jvm.vector.VectorKernels.L;
import static dev.xent.engine.jvm.vector.VectorKernels.S;

import dev.xent.DType;
import dev.xent.engine.jvm.Elem;
import dev.xent.engine.jvm.Kernels;
import dev.xent.engine.jvm.PairKernels;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

/**
 * {@link PairKernels} on the Vector API. Each tile is first copied into per-thread fp32 arrays
 * (16-bit types widened in vectors): the math then runs on arrays, whose vector loads and stores
 * C2 always intrinsifies, whatever kind of segment holds the tensors (see VectorKernels on heap
 * segments); the copy stays in L1. Exponentials use {@link VectorKernels#expNonPositive}: every
 * argument is at most 0 (the references are maxima).
 */
final class VectorPairKernels implements PairKernels {
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED;
    private static final FloatVector ZERO = FloatVector.zero(F);

    /** Per-thread tiles: teacher, student, gradient as fp32, and 16-bit staging. */
    private static final class Tiles {
        final float[] t = new float[Kernels.TILE];
        final float[] s = new float[Kernels.TILE];
        final float[] g = new float[Kernels.TILE];
        final short[] h = new short[Kernels.TILE];
    }

    private static final ThreadLocal<Tiles> TILES = ThreadLocal.withInitial(Tiles::new);

    VectorPairKernels() {
        if (S.length() != L) throw new UnsupportedOperationException("float and short species differ in lanes");
    }

    private static void load(DType dt, MemorySegment src, long off, int n, float[] dst, short[] h) {
        if (dt == DType.F32) {
            MemorySegment.copy(src, FLOAT, off, dst, 0, n);
            return;
        }
        MemorySegment.copy(src, SHORT, off, h, 0, n);
        int i = 0;
        for (int b = S.loopBound(n); i < b; i += L) {
            VectorKernels.widen(dt, ShortVector.fromArray(S, h, i)).intoArray(dst, i);
        }
        for (; i < n; i++) dst[i] = dt == DType.BF16 ? Float.intBitsToFloat(h[i] << 16) : Float.float16ToFloat(h[i]);
    }

    private static void store(DType dt, float[] src, int n, MemorySegment dst, long off, short[] h) {
        switch (dt) {
            case F32 -> MemorySegment.copy(src, 0, dst, FLOAT, off, n);
            case BF16 -> {
                int i = 0;
                for (int b = F.loopBound(n); i < b; i += L) VectorKernels.toBf16(FloatVector.fromArray(F, src, i)).intoArray(h, i);
                for (; i < n; i++) h[i] = Elem.toBf16(src[i]);
                MemorySegment.copy(h, 0, dst, SHORT, off, n);
            }
            case F16 -> {
                for (int i = 0; i < n; i++) h[i] = Float.floatToFloat16(src[i]);
                MemorySegment.copy(h, 0, dst, SHORT, off, n);
            }
        }
    }

    private static float max(float[] a, int n) {
        FloatVector m0 = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY), m1 = m0;
        int i = 0;
        for (int b = n & -(2 * L); i < b; i += 2 * L) {
            FloatVector x0 = FloatVector.fromArray(F, a, i), x1 = FloatVector.fromArray(F, a, i + L);
            m0 = m0.blend(x0, x0.compare(VectorOperators.GT, m0));
            m1 = m1.blend(x1, x1.compare(VectorOperators.GT, m1));
        }
        float m = m0.max(m1).reduceLanes(VectorOperators.MAX);
        for (; i < n; i++) if (a[i] > m) m = a[i];
        return m;
    }

    private static float ref(float m) {
        return m == Float.NEGATIVE_INFINITY ? 0f : m;
    }

    @Override
    public void tileStats(DType dt, MemorySegment t, long tOff, MemorySegment s, long sOff, int n, float it,
            float ma, float mb, float m1, boolean hard, float[] out) {
        Tiles w = TILES.get();
        load(dt, t, tOff, n, w.t, w.h);
        load(dt, s, sOff, n, w.s, w.h);
        float[] ta = w.t, sa = w.s;
        // the maxima stay raw logits (a = z * it is monotone in z, it > 0): every difference is taken
        // between raw logits first, then scaled, so rows offset by 1000 keep their digits at any tau
        float ms = max(sa, n);
        ma = Math.max(ma, max(ta, n));
        mb = Math.max(mb, ms);
        if (hard) m1 = Math.max(m1, ms);
        float ra = ref(ma), rb = ref(mb), r1 = ref(m1);
        // the terms at a maximum (each exactly 1) are counted apart from the fp32 sums: a confident
        // row's 1 + (tiny terms) would keep those only to 2^-24
        FloatVector vsa = ZERO, vsb = ZERO, vx = ZERO, vd = ZERO, vs1 = ZERO, vna = ZERO, vnb = ZERO, vn1 = ZERO;
        VectorMask<Float> unsupported = F.maskAll(false);
        int i = 0;
        for (int b = F.loopBound(n); i < b; i += L) {
            FloatVector zt = FloatVector.fromArray(F, ta, i), zs = FloatVector.fromArray(F, sa, i);
            FloatVector da = zt.sub(ra).mul(it), db = zs.sub(rb).mul(it);
            FloatVector ea = VectorKernels.expNonPositive(da);
            unsupported = unsupported.or(zs.compare(VectorOperators.EQ, Float.NEGATIVE_INFINITY)
                    .and(zt.compare(VectorOperators.NE, Float.NEGATIVE_INFINITY)));
            VectorMask<Float> none = ea.compare(VectorOperators.EQ, 0f);  // p = 0: the term is 0, not 0 * inf
            VectorMask<Float> topA = zt.compare(VectorOperators.EQ, ra), topB = zs.compare(VectorOperators.EQ, rb);
            vna = vna.add(1f, topA);
            vsa = vsa.add(ea.blend(ZERO, topA));
            vd = ea.fma(da.blend(ZERO, none), vd);
            vx = ea.fma(da.sub(db).blend(ZERO, none), vx);
            vnb = vnb.add(1f, topB);
            vsb = vsb.add(VectorKernels.expNonPositive(db).blend(ZERO, topB));
            if (hard) {
                VectorMask<Float> top1 = zs.compare(VectorOperators.EQ, r1);
                vn1 = vn1.add(1f, top1);
                vs1 = vs1.add(VectorKernels.expNonPositive(zs.sub(r1)).blend(ZERO, top1));
            }
        }
        float fsa = VectorKernels.sumLanes(vsa), fsb = VectorKernels.sumLanes(vsb);
        float fx = VectorKernels.sumLanes(vx), fd = VectorKernels.sumLanes(vd);
        float fs1 = hard ? VectorKernels.sumLanes(vs1) : 0f;
        float na = VectorKernels.sumLanes(vna), nb = VectorKernels.sumLanes(vnb), n1 = hard ? VectorKernels.sumLanes(vn1) : 0f;
        for (; i < n; i++) {
            float da = (ta[i] - ra) * it, db = (sa[i] - rb) * it;
            float ea = (float) Math.exp(da);
            if (ta[i] == ra) na += 1f;
            else fsa += ea;
            if (ea != 0f) {
                fd += ea * da;
                fx += ea * (da - db);
            }
            if (sa[i] == rb) nb += 1f;
            else fsb += (float) Math.exp(db);
            if (hard && sa[i] == r1) n1 += 1f;
            else if (hard) fs1 += (float) Math.exp(sa[i] - r1);
            if (sa[i] == Float.NEGATIVE_INFINITY && ta[i] != Float.NEGATIVE_INFINITY) fx = Float.POSITIVE_INFINITY;
        }
        // teacher mass where the student has none: KL = +inf, however far p_k underflowed in fp32
        if (unsupported.anyTrue()) fx = Float.POSITIVE_INFINITY;
        out[0] = ma;
        out[1] = mb;
        out[2] = m1;
        out[3] = fsa;
        out[4] = fsb;
        out[5] = fx;
        out[6] = fd;
        out[7] = fs1;
        out[8] = na;
        out[9] = nb;
        out[10] = n1;
    }

    @Override
    public void tileGrad(DType dt, MemorySegment t, long tOff, MemorySegment s, long sOff, MemorySegment g, long gOff,
            int n, float it, float ra, float rb, float r1, float ia, float ib, float i1) {
        Tiles w = TILES.get();
        load(dt, t, tOff, n, w.t, w.h);
        load(dt, s, sOff, n, w.s, w.h);
        float[] ta = w.t, sa = w.s, ga = w.g;
        int i = 0;
        for (int b = F.loopBound(n); i < b; i += L) {
            FloatVector zt = FloatVector.fromArray(F, ta, i), zs = FloatVector.fromArray(F, sa, i);
            FloatVector v = VectorKernels.expNonPositive(zs.sub(rb).mul(it)).mul(ib)
                    .sub(VectorKernels.expNonPositive(zt.sub(ra).mul(it)).mul(ia));
            if (i1 != 0f) v = VectorKernels.expNonPositive(zs.sub(r1)).fma(FloatVector.broadcast(F, i1), v);
            v.intoArray(ga, i);
        }
        for (; i < n; i++) {
            float v = ib * (float) Math.exp((sa[i] - rb) * it) - ia * (float) Math.exp((ta[i] - ra) * it);
            if (i1 != 0f) v += i1 * (float) Math.exp(sa[i] - r1);
            ga[i] = v;
        }
        store(dt, ga, n, g, gOff, w.h);
    }

    @Override
    public void tileEntropyStats(DType dt, MemorySegment z, long zOff, int n, float m, float[] out) {
        Tiles w = TILES.get();
        load(dt, z, zOff, n, w.t, w.h);
        float[] za = w.t;
        m = Math.max(m, max(za, n));
        float r = ref(m);
        FloatVector vcount = ZERO, vrest = ZERO, vd = ZERO;
        int i = 0;
        for (int b = F.loopBound(n); i < b; i += L) {
            FloatVector d = FloatVector.fromArray(F, za, i).sub(r);
            FloatVector e = VectorKernels.expNonPositive(d);
            VectorMask<Float> atMax = d.compare(VectorOperators.EQ, 0f);  // z = r exactly: e = 1
            vcount = vcount.add(1f, atMax);
            vrest = vrest.add(e.blend(ZERO, atMax));
            vd = e.fma(d.blend(ZERO, e.compare(VectorOperators.EQ, 0f)), vd);  // p = 0: the term is 0, not 0 * inf
        }
        float count = VectorKernels.sumLanes(vcount), rest = VectorKernels.sumLanes(vrest), fd = VectorKernels.sumLanes(vd);
        for (; i < n; i++) {
            float d = za[i] - r, e = (float) Math.exp(d);
            if (d == 0f) count += 1f;
            else rest += e;
            if (e != 0f) fd += e * d;
        }
        out[0] = m;
        out[1] = count;
        out[2] = rest;
        out[3] = fd;
    }

    @Override
    public void tileEntropyGrad(DType dt, MemorySegment z, long zOff, MemorySegment g, long gOff, int n, float r, float cp,
            float shift) {
        Tiles w = TILES.get();
        load(dt, z, zOff, n, w.t, w.h);
        float[] za = w.t, ga = w.g;
        int i = 0;
        for (int b = F.loopBound(n); i < b; i += L) {
            FloatVector d = FloatVector.fromArray(F, za, i).sub(r);
            FloatVector e = VectorKernels.expNonPositive(d);
            e.mul(cp).mul(d.sub(shift)).blend(ZERO, e.compare(VectorOperators.EQ, 0f)).intoArray(ga, i);
        }
        for (; i < n; i++) {
            float d = za[i] - r, e = (float) Math.exp(d);
            ga[i] = e != 0f ? cp * e * (d - shift) : 0f;
        }
        store(dt, ga, n, g, gOff, w.h);
    }
}
