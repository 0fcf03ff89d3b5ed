package dev.xent.engine.jvm;

import dev.xent.DType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API kernels: the only class that touches jdk.incubator.vector, loaded reflectively
 * so that a JVM without the module falls back to {@link ScalarKernels}. Class stride 1 only.
 * Loops: a preferred-species body ({@code loopBound}), several accumulators in the reductions,
 * a scalar tail. bf16 widens ShortVector -> IntVector << 16; fp16 widens with the exponent-rebias
 * trick (exact, subnormals included); bf16 stores round to nearest even in vector registers.
 */
final class VectorKernels implements Kernels {
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    static final VectorSpecies<Integer> I = F.withLanes(int.class).check(int.class);
    static final VectorSpecies<Short> S = VectorSpecies.of(short.class, VectorShape.forBitSize(Math.max(64, F.vectorBitSize() / 2)));
    static final int L = F.length();
    private static final ByteOrder NO = ByteOrder.nativeOrder();
    private static final float NEG_INF = Float.NEGATIVE_INFINITY;

    VectorKernels() {
        if (S.length() != L || L < 4) {
            throw new UnsupportedOperationException("preferred float species of " + L + " lanes is too narrow");
        }
    }

    static int bitSize() {
        return F.vectorBitSize();
    }

    // ---- loads and stores

    private static FloatVector f32(MemorySegment s, long off) {
        return FloatVector.fromMemorySegment(F, s, off, NO);
    }

    /** bf16 or fp16 at off (2 bytes per lane), widened to fp32. */
    private static FloatVector load16(DType dt, MemorySegment s, long off) {
        IntVector h = (IntVector) ShortVector.fromMemorySegment(S, s, off, NO).convertShape(VectorOperators.S2I, I, 0);
        if (dt == DType.BF16) return h.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
        IntVector em = h.and(0x7fff);
        IntVector shifted = em.lanewise(VectorOperators.LSHL, 13);
        IntVector bits = shifted.reinterpretAsFloats().mul(0x1p112f).reinterpretAsInts();
        bits = bits.blend(shifted.or(0x7f800000), em.compare(VectorOperators.GE, 0x7c00));
        return bits.or(h.and(0x8000).lanewise(VectorOperators.LSHL, 16)).reinterpretAsFloats();
    }

    private static FloatVector load(DType dt, MemorySegment s, long off) {
        return dt == DType.F32 ? f32(s, off) : load16(dt, s, off);
    }

    private static void store(DType dt, FloatVector v, MemorySegment s, long off, float[] tmp) {
        switch (dt) {
            case F32 -> v.intoMemorySegment(s, off, NO);
            case BF16 -> {
                IntVector b = v.reinterpretAsInts();
                IntVector hi = b.lanewise(VectorOperators.LSHR, 16);
                IntVector r = b.add(hi.and(1)).add(0x7fff).lanewise(VectorOperators.LSHR, 16);
                VectorMask<Integer> nan = v.test(VectorOperators.IS_NAN).cast(I);
                r = r.blend(hi.or(0x40), nan);
                ((ShortVector) r.convertShape(VectorOperators.I2S, S, 0)).intoMemorySegment(s, off, NO);
            }
            case F16 -> {
                v.intoArray(tmp, 0);
                for (int j = 0; j < L; j++) {
                    s.set(ValueLayout.JAVA_SHORT_UNALIGNED, off + 2L * j, Float.floatToFloat16(tmp[j]));
                }
            }
        }
    }

    private static float weight(MemorySegment w, long wOff, int k) {
        return w == null ? 1f : Elem.get(DType.F32, w, wOff + 4L * k);
    }

    private static FloatVector weights(MemorySegment w, long wOff, int k) {
        return f32(w, wOff + 4L * k);
    }

    // ---- reductions

    @Override
    public float max(DType dt, MemorySegment z, long zOff, long cs, int n) {
        int es = dt.byteSize();
        FloatVector m0 = FloatVector.broadcast(F, NEG_INF), m1 = m0, m2 = m0, m3 = m0;
        int i = 0;
        int b4 = n & -(4 * L);
        int b1 = F.loopBound(n);
        if (dt == DType.F32) {
            for (; i < b4; i += 4 * L) {
                long o = zOff + 4L * i;
                m0 = m0.max(f32(z, o));
                m1 = m1.max(f32(z, o + 4L * L));
                m2 = m2.max(f32(z, o + 8L * L));
                m3 = m3.max(f32(z, o + 12L * L));
            }
            for (; i < b1; i += L) m0 = m0.max(f32(z, zOff + 4L * i));
        } else {
            for (; i < b4; i += 4 * L) {
                long o = zOff + 2L * i;
                m0 = m0.max(load16(dt, z, o));
                m1 = m1.max(load16(dt, z, o + 2L * L));
                m2 = m2.max(load16(dt, z, o + 4L * L));
                m3 = m3.max(load16(dt, z, o + 6L * L));
            }
            for (; i < b1; i += L) m0 = m0.max(load16(dt, z, zOff + 2L * i));
        }
        float m = m0.max(m1).max(m2.max(m3)).reduceLanes(VectorOperators.MAX);
        for (; i < n; i++) m = Math.max(m, Elem.get(dt, z, zOff + (long) es * i));
        return m;
    }

    @Override
    public float expSum(DType dt, MemorySegment z, long zOff, long cs, int n, float m, MemorySegment e, long eOff) {
        int es = dt.byteSize();
        FloatVector mv = FloatVector.broadcast(F, m);
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        int i = 0;
        int b4 = n & -(4 * L);
        int b1 = F.loopBound(n);
        if (dt == DType.F32 && e != null) {
            for (; i < b4; i += 4 * L) {
                long o = zOff + 4L * i;
                long q = eOff + 4L * i;
                FloatVector x0 = f32(z, o).sub(mv).lanewise(VectorOperators.EXP);
                FloatVector x1 = f32(z, o + 4L * L).sub(mv).lanewise(VectorOperators.EXP);
                FloatVector x2 = f32(z, o + 8L * L).sub(mv).lanewise(VectorOperators.EXP);
                FloatVector x3 = f32(z, o + 12L * L).sub(mv).lanewise(VectorOperators.EXP);
                x0.intoMemorySegment(e, q, NO);
                x1.intoMemorySegment(e, q + 4L * L, NO);
                x2.intoMemorySegment(e, q + 8L * L, NO);
                x3.intoMemorySegment(e, q + 12L * L, NO);
                a0 = a0.add(x0);
                a1 = a1.add(x1);
                a2 = a2.add(x2);
                a3 = a3.add(x3);
            }
            for (; i < b1; i += L) {
                FloatVector x = f32(z, zOff + 4L * i).sub(mv).lanewise(VectorOperators.EXP);
                x.intoMemorySegment(e, eOff + 4L * i, NO);
                a0 = a0.add(x);
            }
        } else if (dt == DType.F32) {
            for (; i < b4; i += 4 * L) {
                long o = zOff + 4L * i;
                a0 = a0.add(f32(z, o).sub(mv).lanewise(VectorOperators.EXP));
                a1 = a1.add(f32(z, o + 4L * L).sub(mv).lanewise(VectorOperators.EXP));
                a2 = a2.add(f32(z, o + 8L * L).sub(mv).lanewise(VectorOperators.EXP));
                a3 = a3.add(f32(z, o + 12L * L).sub(mv).lanewise(VectorOperators.EXP));
            }
            for (; i < b1; i += L) a0 = a0.add(f32(z, zOff + 4L * i).sub(mv).lanewise(VectorOperators.EXP));
        } else {
            for (; i < b4; i += 4 * L) {
                long o = zOff + 2L * i;
                a0 = a0.add(load16(dt, z, o).sub(mv).lanewise(VectorOperators.EXP));
                a1 = a1.add(load16(dt, z, o + 2L * L).sub(mv).lanewise(VectorOperators.EXP));
                a2 = a2.add(load16(dt, z, o + 4L * L).sub(mv).lanewise(VectorOperators.EXP));
                a3 = a3.add(load16(dt, z, o + 6L * L).sub(mv).lanewise(VectorOperators.EXP));
            }
            for (; i < b1; i += L) a0 = a0.add(load16(dt, z, zOff + 2L * i).sub(mv).lanewise(VectorOperators.EXP));
        }
        float s = a0.add(a1).add(a2.add(a3)).reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            float x = (float) Math.exp(Elem.get(dt, z, zOff + (long) es * i) - m);
            if (e != null) Elem.set(DType.F32, e, eOff + 4L * i, x);
            s += x;
        }
        return s;
    }

    @Override
    public float shiftedSum(DType dt, MemorySegment z, long zOff, long cs, int n, float ref, MemorySegment w, long wOff) {
        int es = dt.byteSize();
        FloatVector rv = FloatVector.broadcast(F, ref);
        FloatVector a0 = FloatVector.zero(F), a1 = a0;
        int i = 0;
        int b2 = n & -(2 * L);
        int b1 = F.loopBound(n);
        if (w == null) {
            for (; i < b2; i += 2 * L) {
                a0 = a0.add(load(dt, z, zOff + (long) es * i).sub(rv));
                a1 = a1.add(load(dt, z, zOff + (long) es * (i + L)).sub(rv));
            }
            for (; i < b1; i += L) a0 = a0.add(load(dt, z, zOff + (long) es * i).sub(rv));
        } else {
            for (; i < b1; i += L) {
                FloatVector wv = weights(w, wOff, i);
                FloatVector x = load(dt, z, zOff + (long) es * i).sub(rv).mul(wv);
                a0 = a0.add(x, wv.compare(VectorOperators.NE, 0f));
            }
        }
        float s = a0.add(a1).reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            float wk = weight(w, wOff, i);
            if (wk != 0) s += wk * (Elem.get(dt, z, zOff + (long) es * i) - ref);
        }
        return s;
    }

    @Override
    public void targetSums(DType dt, MemorySegment z, long zOff, long cs, int n, float ref,
            MemorySegment t, long tOff, float c1, float c0, MemorySegment w, long wOff, double[] acc) {
        int es = dt.byteSize();
        FloatVector rv = FloatVector.broadcast(F, ref);
        FloatVector c1v = FloatVector.broadcast(F, c1);
        FloatVector c0v = FloatVector.broadcast(F, c0);
        FloatVector tw = FloatVector.zero(F), sv = tw;
        int i = 0;
        int b1 = F.loopBound(n);
        for (; i < b1; i += L) {
            FloatVector wt = load(dt, t, tOff + (long) es * i).fma(c1v, c0v);
            if (w != null) wt = wt.mul(weights(w, wOff, i));
            tw = tw.add(wt);
            sv = sv.add(load(dt, z, zOff + (long) es * i).sub(rv).mul(wt), wt.compare(VectorOperators.NE, 0f));
        }
        double twSum = tw.reduceLanes(VectorOperators.ADD);
        double sSum = sv.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            float wt = weight(w, wOff, i) * (c1 * Elem.get(dt, t, tOff + (long) es * i) + c0);
            twSum += wt;
            if (wt != 0) sSum += wt * (Elem.get(dt, z, zOff + (long) es * i) - ref);
        }
        acc[0] += twSum;
        acc[1] += sSum;
    }

    // ---- maps

    @Override
    public void scaleE(MemorySegment e, long eOff, long cs, int n, float a, float b, MemorySegment w, long wOff) {
        FloatVector av = FloatVector.broadcast(F, a);
        FloatVector bv = FloatVector.broadcast(F, b);
        int i = 0;
        int b1 = F.loopBound(n);
        if (b == 0f) {
            for (; i < b1; i += L) {
                long o = eOff + 4L * i;
                f32(e, o).mul(av).intoMemorySegment(e, o, NO);
            }
        } else if (w == null) {
            for (; i < b1; i += L) {
                long o = eOff + 4L * i;
                f32(e, o).fma(av, bv.neg()).intoMemorySegment(e, o, NO);
            }
        } else {
            for (; i < b1; i += L) {
                long o = eOff + 4L * i;
                f32(e, o).mul(av).sub(weights(w, wOff, i).mul(bv)).intoMemorySegment(e, o, NO);
            }
        }
        for (; i < n; i++) {
            long o = eOff + 4L * i;
            Elem.set(DType.F32, e, o, a * Elem.get(DType.F32, e, o) - b * weight(w, wOff, i));
        }
    }

    @Override
    public void grad(DType dt, MemorySegment z, long zOff, MemorySegment g, long gOff, long cs, int n,
            float m, float logS, float a, float b, MemorySegment w, long wOff, float[] tmp) {
        int es = dt.byteSize();
        FloatVector mv = FloatVector.broadcast(F, m);
        FloatVector lv = FloatVector.broadcast(F, logS);
        FloatVector av = FloatVector.broadcast(F, a);
        FloatVector bv = FloatVector.broadcast(F, b);
        int i = 0;
        int b1 = F.loopBound(n);
        if (dt == DType.F32 && w == null) {
            for (; i < b1; i += L) {
                long o = 4L * i;
                FloatVector p = f32(z, zOff + o).sub(mv).sub(lv).lanewise(VectorOperators.EXP);
                p.mul(av).sub(bv).intoMemorySegment(g, gOff + o, NO);
            }
        } else {
            for (; i < b1; i += L) {
                long o = (long) es * i;
                FloatVector p = load(dt, z, zOff + o).sub(mv).sub(lv).lanewise(VectorOperators.EXP);
                FloatVector r = w == null ? p.mul(av).sub(bv) : p.mul(av).sub(weights(w, wOff, i).mul(bv));
                store(dt, r, g, gOff + o, tmp);
            }
        }
        for (; i < n; i++) {
            long o = (long) es * i;
            float p = (float) Math.exp((Elem.get(dt, z, zOff + o) - m) - logS);
            Elem.set(dt, g, gOff + o, a * p - b * weight(w, wOff, i));
        }
    }

    @Override
    public void gradTargets(DType dt, MemorySegment z, long zOff, MemorySegment g, long gOff, long cs, int n,
            float m, float logS, float a, float b1, float b0, MemorySegment t, long tOff,
            MemorySegment w, long wOff, float[] tmp) {
        int es = dt.byteSize();
        FloatVector mv = FloatVector.broadcast(F, m);
        FloatVector lv = FloatVector.broadcast(F, logS);
        FloatVector av = FloatVector.broadcast(F, a);
        FloatVector b1v = FloatVector.broadcast(F, b1);
        FloatVector b0v = FloatVector.broadcast(F, b0);
        int i = 0;
        int bound = F.loopBound(n);
        for (; i < bound; i += L) {
            long o = (long) es * i;
            FloatVector p = load(dt, z, zOff + o).sub(mv).sub(lv).lanewise(VectorOperators.EXP);
            FloatVector tt = load(dt, t, tOff + o).fma(b1v, b0v);
            if (w != null) tt = tt.mul(weights(w, wOff, i));
            store(dt, p.mul(av).sub(tt), g, gOff + o, tmp);
        }
        for (; i < n; i++) {
            long o = (long) es * i;
            float p = (float) Math.exp((Elem.get(dt, z, zOff + o) - m) - logS);
            float tk = Elem.get(dt, t, tOff + o);
            Elem.set(dt, g, gOff + o, a * p - weight(w, wOff, i) * (b1 * tk + b0));
        }
    }

    @Override
    public void logSoftmax(DType dt, MemorySegment z, long zOff, MemorySegment out, long oOff, long cs, int n,
            float m, float logS, float[] tmp) {
        int es = dt.byteSize();
        FloatVector mv = FloatVector.broadcast(F, m);
        FloatVector lv = FloatVector.broadcast(F, logS);
        int i = 0;
        int b1 = F.loopBound(n);
        for (; i < b1; i += L) {
            long o = (long) es * i;
            store(dt, load(dt, z, zOff + o).sub(mv).sub(lv), out, oOff + o, tmp);
        }
        for (; i < n; i++) {
            long o = (long) es * i;
            Elem.set(dt, out, oOff + o, (Elem.get(dt, z, zOff + o) - m) - logS);
        }
    }
}
