package dev.xent.engine.jvm.vector;

import dev.xent.DType;
import dev.xent.engine.jvm.Elem;
import dev.xent.engine.jvm.Kernels;
import dev.xent.engine.jvm.ScalarKernels;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API row kernels, handed out by {@link VectorApi} (this package alone touches
 * jdk.incubator.vector, and is loaded reflectively so that a JVM without the module falls back to
 * {@link ScalarKernels}). Class stride 1 only.
 * Loops: a preferred-species body ({@code loopBound}), several accumulators in the reductions,
 * a scalar tail. bf16 widens ShortVector -> IntVector << 16; fp16 widens with the exponent-rebias
 * trick (exact, subnormals included); bf16 stores round to nearest even in vector registers.
 */
final class VectorKernels implements Kernels {
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    static final VectorSpecies<Integer> I = F.withLanes(int.class).check(int.class);
    static final VectorSpecies<Short> S = VectorSpecies.of(short.class, VectorShape.forBitSize(Math.max(64, F.vectorBitSize() / 2)));
    static final int L = F.length();
    /** Double lanes of F's shape: L / 2 of them. */
    static final VectorSpecies<Double> D = VectorSpecies.of(double.class, F.vectorShape());
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

    // ---- lane sums

    /**
     * The sum of v's lanes in one fixed order (halves folded onto each other: lane i gains lane
     * i + half). reduceLanes(ADD) leaves the order unspecified, and the interpreter and C2 do add
     * in different orders, so a row's loss could change bitwise once the kernel is compiled.
     */
    static float sumLanes(FloatVector v) {
        for (int half = L / 2; half >= 1; half /= 2) v = v.add(v.slice(half));
        return v.lane(0);
    }

    /** v's lanes widened to double and added lane-wise to acc (its first half, then its second). */
    static DoubleVector addWide(DoubleVector acc, FloatVector v) {
        return acc.add((DoubleVector) v.convertShape(VectorOperators.F2D, D, 0))
                .add((DoubleVector) v.convertShape(VectorOperators.F2D, D, 1));
    }

    /** The sum of v's lanes in the fixed order of {@link #sumLanes(FloatVector)}, in double. */
    static double sumLanes(DoubleVector v) {
        for (int half = D.length() / 2; half >= 1; half /= 2) v = v.add(v.slice(half));
        return v.lane(0);
    }

    /**
     * The lanes of two accumulators summed in double: a tile's sum of exponentials holds the max's
     * exp(0) = 1 in one lane, which in fp32 would absorb the other lanes' small sums (a confident
     * row's whole loss) to half an ulp of 1 per add.
     */
    static double sumLanesWide(FloatVector a, FloatVector b) {
        return sumLanes(addWide(addWide(DoubleVector.zero(D), a), b));
    }

    // ---- exp

    /** Entries of the 2^(j/T) table: one vector's lanes, so that one lane select reads it. */
    private static final int T = L;
    /** T log2(e): x T log2(e) = n splits as n = T q + j, e^x = 2^q 2^(j/T) e^r. */
    private static final float T_LOG2E = (float) (T / Math.log(2));
    /**
     * ln2 / T split Cody-Waite style: HI is a multiple of 2^-16, so n * HI is exact while |n HI|,
     * about |x|, stays below 2^24 * 2^-16 = 256.
     */
    private static final float LN2_T_HI = (float) (Math.rint(Math.log(2) / T * 0x1p16) / 0x1p16);
    private static final float LN2_T_LO = (float) (Math.log(2) / T - LN2_T_HI);
    /** 1.5 * 2^23: adding it rounds a float of magnitude < 2^22 to an integer in the low mantissa bits. */
    private static final float SHIFTER = 0x1.8p23f;
    /** Below: returns 0 (e^x < 2^-125.3; the scale's exponent would leave the normal range). */
    static final float EXP_LO = -86.9f;
    /** Above: returns +inf (exp) or is outside the domain ({@link #expNonPositive}). */
    static final float EXP_HI = 88.3f;
    /**
     * e^r = 1 + r + C2 r^2 + C3 r^3 + C4 r^4 on |r| <= ln2 / 8 (the widest interval, T = 4),
     * coefficients fitted for relative error (Lawson iterations on Chebyshev nodes, then rounded
     * to float): 5.9e-9 in exact arithmetic there, 5.3e-10 for T = 8 and 7.4e-11 for T = 16.
     */
    private static final float C2 = 0.5000000596046448f;
    private static final float C3 = 0.16672083735466003f;
    private static final float C4 = 0.04166740924119949f;
    /** The bits of 2^(j/T) less j << TABLE_SHIFT, which the exponent step adds back (see expNonPositive). */
    private static final IntVector TABLE;
    private static final int TABLE_SHIFT = 23 - Integer.numberOfTrailingZeros(T);

    static {
        int[] table = new int[T];
        for (int j = 0; j < T; j++) {
            table[j] = Float.floatToRawIntBits((float) Math.pow(2, (double) j / T)) - (j << TABLE_SHIFT);
        }
        TABLE = IntVector.fromArray(I, table, 0);
    }

    private static final FloatVector V_T_LOG2E = FloatVector.broadcast(F, T_LOG2E);
    private static final FloatVector V_SHIFTER = FloatVector.broadcast(F, SHIFTER);
    private static final FloatVector V_NLN2_T_HI = FloatVector.broadcast(F, -LN2_T_HI);
    private static final FloatVector V_NLN2_T_LO = FloatVector.broadcast(F, -LN2_T_LO);
    private static final IntVector V_INDEX_MASK = IntVector.broadcast(I, T - 1);
    private static final FloatVector V_C4 = FloatVector.broadcast(F, C4);
    private static final FloatVector V_C3 = FloatVector.broadcast(F, C3);
    private static final FloatVector V_C2 = FloatVector.broadcast(F, C2);
    private static final FloatVector V_ONE = FloatVector.broadcast(F, 1f);
    private static final FloatVector ZERO = FloatVector.zero(F);
    private static final FloatVector INF = FloatVector.broadcast(F, Float.POSITIVE_INFINITY);

    /**
     * e^x lane-wise without the SVML call behind {@code VectorOperators.EXP}, for x <= EXP_HI (every
     * exp of the stats pass: x = z - max <= 0). Table-driven: n = round(x T / ln2) through the
     * shifter, r = x - n ln2/T (Cody-Waite, two fmas, |r| <= ln2/(2T)), e^r by a quartic (four
     * fmas), and 2^(n/T) = 2^q 2^(j/T) from a lane select into the T-entry table (j = n mod T, the
     * low bits of the shifted float) plus q in the exponent bits (exact). Its dependency chain is
     * two fmas shorter than a degree-6 polynomial over |r| <= ln2/2, which made the forward pass
     * 1.2-1.5x faster (bench/results/2026-11-23-table-exp.md). {@code VectorExpTest} checks every float in [EXP_LO, EXP_HI] against
     * Math.exp, at every vector width: relative error below 2^-22 (about 2 ulp). x < EXP_LO (and
     * -inf) gives 0, NaN gives NaN; x > EXP_HI is outside the domain (use {@link #exp}).
     */
    static FloatVector expNonPositive(FloatVector x) {
        FloatVector t = x.fma(V_T_LOG2E, V_SHIFTER);
        FloatVector n = t.sub(V_SHIFTER);
        FloatVector r = n.fma(V_NLN2_T_HI, x);
        r = n.fma(V_NLN2_T_LO, r);
        FloatVector p = r.fma(V_C4, V_C3).fma(r, V_C2).fma(r, V_ONE).fma(r, V_ONE);
        // t's low bits hold n = T q + j: the select reads entry j and n << TABLE_SHIFT adds q << 23
        // plus the j << TABLE_SHIFT the table took out; the shifter's own bits leave on the left.
        // A multiply, not an exponent-bits add, so that NaN stays NaN.
        IntVector bits = t.reinterpretAsInts();
        FloatVector scale = bits.and(V_INDEX_MASK).selectFrom(TABLE).add(bits.lanewise(VectorOperators.LSHL, TABLE_SHIFT))
                .reinterpretAsFloats();
        return p.mul(scale).blend(ZERO, x.compare(VectorOperators.LT, EXP_LO));
    }

    /** e^x for every x: {@link #expNonPositive} and +inf above EXP_HI (e^88.3 = 2.1e38; Math.exp overflows at 88.72). */
    static FloatVector exp(FloatVector x) {
        return expNonPositive(x).blend(INF, x.compare(VectorOperators.GT, EXP_HI));
    }

    /** {@link #exp(FloatVector)} over an array (tests; the tail in a masked vector so every element takes the same path). */
    static void exp(float[] in, float[] out, int n) {
        int i = 0;
        int b = F.loopBound(n);
        for (; i < b; i += L) exp(FloatVector.fromArray(F, in, i)).intoArray(out, i);
        if (i < n) {
            VectorMask<Float> m = F.indexInRange(i, n);
            exp(FloatVector.fromArray(F, in, i, m)).intoArray(out, i, m);
        }
    }

    // ---- loads and stores

    private static FloatVector f32(MemorySegment s, long off) {
        return FloatVector.fromMemorySegment(F, s, off, NO);
    }

    /** bf16 or fp16 at off (2 bytes per lane), widened to fp32. */
    private static FloatVector load16(DType dt, MemorySegment s, long off) {
        return widen(dt, ShortVector.fromMemorySegment(S, s, off, NO));
    }

    /** bf16 or fp16 lanes widened to fp32. */
    static FloatVector widen(DType dt, ShortVector v) {
        IntVector h = (IntVector) v.convertShape(VectorOperators.S2I, I, 0);
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
            case BF16 -> toBf16(v).intoMemorySegment(s, off, NO);
            case F16 -> {
                v.intoArray(tmp, 0);
                for (int j = 0; j < L; j++) {
                    s.set(ValueLayout.JAVA_SHORT_UNALIGNED, off + 2L * j, Float.floatToFloat16(tmp[j]));
                }
            }
        }
    }

    /** fp32 lanes rounded to bf16, nearest even, NaN kept NaN. */
    static ShortVector toBf16(FloatVector v) {
        IntVector b = v.reinterpretAsInts();
        IntVector hi = b.lanewise(VectorOperators.LSHR, 16);
        IntVector r = b.add(hi.and(1)).add(0x7fff).lanewise(VectorOperators.LSHR, 16);
        VectorMask<Integer> nan = v.test(VectorOperators.IS_NAN).cast(I);
        r = r.blend(hi.or(0x40), nan);
        return (ShortVector) r.convertShape(VectorOperators.I2S, S, 0);
    }

    // ---- heap arrays
    //
    // C2 does not intrinsify a vector store into a heap MemorySegment whose array type it cannot
    // prove (the JDK's own segment code sees heap and native segments of every kind, so its type
    // profile is polluted): the store becomes a call and every vector is boxed, ~10x slower. Heap
    // segments over float[] / short[] therefore take array loops (fromArray / intoArray, always
    // intrinsified); native segments and everything else the segment loops.

    /** The float[] behind a writable heap segment when byte offset off is element-aligned, else null. */
    static float[] floats(MemorySegment s, long off) {
        if (s == null || s.isNative() || ((s.address() + off) & 3) != 0) return null;
        return s.heapBase().orElse(null) instanceof float[] a ? a : null;
    }

    /** The short[] behind a writable heap segment when byte offset off is element-aligned, else null. */
    static short[] shorts(MemorySegment s, long off) {
        if (s == null || s.isNative() || ((s.address() + off) & 1) != 0) return null;
        return s.heapBase().orElse(null) instanceof short[] a ? a : null;
    }

    /** Array index of byte offset off in a heap segment of es-byte elements. */
    static int index(MemorySegment s, long off, int es) {
        return (int) ((s.address() + off) / es);
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
        int b = F.loopBound(n);
        float[] fa = dt == DType.F32 ? floats(z, zOff) : null;
        short[] sa = dt != DType.F32 ? shorts(z, zOff) : null;
        if (fa != null || sa != null) {
            float m = fa != null ? maxA(fa, index(z, zOff, 4), b) : maxA(dt, sa, index(z, zOff, 2), b);
            for (int i = b; i < n; i++) m = Math.max(m, Elem.get(dt, z, zOff + (long) es * i));
            return m;
        }
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
    public long moments(DType dt, MemorySegment z, long zOff, long cs, int n, float ref, float scale, float zy, long yPos,
            double[] acc) {
        int before = (int) Math.max(0, Math.min(n, yPos));
        long above = momentsRange(dt, z, zOff, 0, before, ref, scale, zy, true, acc);
        return above + momentsRange(dt, z, zOff, before, n, ref, scale, zy, false, acc);
    }

    /**
     * {@link #moments} over elements [from, to) into acc; the elements ranked above the target are
     * those >= zy ({@code ties}: before the target) or > zy. A lane whose exponential is 0 (a masked
     * logit, d = -inf) has its d zeroed first, so it adds 0 rather than 0 * -inf. The tail that
     * fills no vector goes to the scalar kernel.
     */
    private static long momentsRange(DType dt, MemorySegment z, long zOff, int from, int to, float ref, float scale,
            float zy, boolean ties, double[] acc) {
        int es = dt.byteSize();
        float[] fa = dt == DType.F32 ? floats(z, zOff) : null; // heap arrays: array loads (see floats())
        short[] sa = dt != DType.F32 ? shorts(z, zOff) : null;
        int base = fa != null || sa != null ? index(z, zOff, es) : 0;
        FloatVector s0 = ZERO, s1 = ZERO, s2 = ZERO;
        long above = 0, atMax = 0;
        int i = from;
        for (; i <= to - L; i += L) {
            FloatVector v = fa != null ? FloatVector.fromArray(F, fa, base + i)
                    : sa != null ? widen(dt, ShortVector.fromArray(S, sa, base + i))
                    : load(dt, z, zOff + (long) es * i);
            above += v.compare(VectorOperators.GT, zy).trueCount(); // constant operators: intrinsified
            if (ties) above += v.compare(VectorOperators.EQ, zy).trueCount();
            FloatVector d = v.sub(ref);
            FloatVector e = expNonPositive(d.mul(scale));
            // the terms at the max (each exactly 1) are counted apart: an fp32 lane sum 1 + (small
            // terms) would keep those only to 2^-24, and a confident row's loss is their sum
            VectorMask<Float> top = d.compare(VectorOperators.EQ, 0f);
            atMax += top.trueCount();
            d = d.blend(ZERO, e.compare(VectorOperators.EQ, 0f));
            FloatVector ed = e.mul(d);
            s0 = s0.add(e.blend(ZERO, top));
            s1 = s1.add(ed);
            s2 = ed.fma(d, s2);
        }
        acc[0] += atMax + sumLanes(s0);
        acc[1] += sumLanes(s1);
        acc[2] += sumLanes(s2);
        if (i < to) {
            // every tail element lies before the target (ties count) or after it (they do not)
            above += ScalarKernels.INSTANCE.moments(dt, z, zOff + (long) es * i, 1, to - i, ref, scale, zy, ties ? to - i : 0, acc);
        }
        return above;
    }

    /**
     * Lane-wise max by compare and blend: two instructions where Java's max (NaN and signed-zero
     * rules) takes about six. NaN lanes of x are skipped; the stats pass still sees them (their
     * exp is NaN), see {@link Kernels#max}.
     */
    private static FloatVector gt(FloatVector m, FloatVector x) {
        return m.blend(x, x.compare(VectorOperators.GT, m));
    }

    private static float maxA(float[] z, int zi, int bound) {
        FloatVector m0 = FloatVector.broadcast(F, NEG_INF), m1 = m0, m2 = m0, m3 = m0;
        int i = 0;
        for (; i + 4 * L <= bound; i += 4 * L) {
            m0 = gt(m0, FloatVector.fromArray(F, z, zi + i));
            m1 = gt(m1, FloatVector.fromArray(F, z, zi + i + L));
            m2 = gt(m2, FloatVector.fromArray(F, z, zi + i + 2 * L));
            m3 = gt(m3, FloatVector.fromArray(F, z, zi + i + 3 * L));
        }
        for (; i < bound; i += L) m0 = gt(m0, FloatVector.fromArray(F, z, zi + i));
        return m0.max(m1).max(m2.max(m3)).reduceLanes(VectorOperators.MAX);
    }

    private static float maxA(DType dt, short[] z, int zi, int bound) {
        FloatVector m0 = FloatVector.broadcast(F, NEG_INF), m1 = m0;
        int i = 0;
        for (; i + 2 * L <= bound; i += 2 * L) {
            m0 = gt(m0, widen(dt, ShortVector.fromArray(S, z, zi + i)));
            m1 = gt(m1, widen(dt, ShortVector.fromArray(S, z, zi + i + L)));
        }
        for (; i < bound; i += L) m0 = gt(m0, widen(dt, ShortVector.fromArray(S, z, zi + i)));
        return m0.max(m1).reduceLanes(VectorOperators.MAX);
    }

    @Override
    public double expSum(DType dt, MemorySegment z, long zOff, long cs, int n, float m, MemorySegment e, long eOff) {
        // One small method per case: C2 inlines every exp of a loop only while the method's node
        // count stays under its inlining cutoff; a vector that is not inlined is boxed per call.
        FloatVector mv = FloatVector.broadcast(F, m);
        int b1 = F.loopBound(n);
        double s;
        float[] ea = e == null ? null : floats(e, eOff);
        float[] fa = dt == DType.F32 ? floats(z, zOff) : null;
        short[] sa = dt != DType.F32 ? shorts(z, zOff) : null;
        if ((fa != null || sa != null) && (e == null || ea != null)) {
            int ei = e == null ? 0 : index(e, eOff, 4);
            if (fa != null) {
                s = e != null ? expStoreA(fa, index(z, zOff, 4), mv, ea, ei, b1) : expSumA(fa, index(z, zOff, 4), mv, b1);
            } else {
                s = e != null ? expStoreA(dt, sa, index(z, zOff, 2), mv, ea, ei, b1) : expSumA(dt, sa, index(z, zOff, 2), mv, b1);
            }
        } else if (dt == DType.F32) {
            s = e != null ? expStoreF32(z, zOff, mv, e, eOff, b1) : expSumF32(z, zOff, mv, b1);
        } else {
            s = e != null ? expStore16(dt, z, zOff, mv, e, eOff, b1) : expSum16(dt, z, zOff, mv, b1);
        }
        int es = dt.byteSize();
        for (int i = b1; i < n; i++) {
            float x = (float) Math.exp(Elem.get(dt, z, zOff + (long) es * i) - m);
            if (e != null) Elem.set(DType.F32, e, eOff + 4L * i, x);
            s += x;
        }
        return s;
    }

    private static double expStoreA(float[] z, int zi, FloatVector mv, float[] e, int ei, int bound) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0;
        int i = 0;
        for (; i + 2 * L <= bound; i += 2 * L) {
            FloatVector x0 = expNonPositive(FloatVector.fromArray(F, z, zi + i).sub(mv));
            FloatVector x1 = expNonPositive(FloatVector.fromArray(F, z, zi + i + L).sub(mv));
            x0.intoArray(e, ei + i);
            x1.intoArray(e, ei + i + L);
            a0 = a0.add(x0);
            a1 = a1.add(x1);
        }
        for (; i < bound; i += L) {
            FloatVector x = expNonPositive(FloatVector.fromArray(F, z, zi + i).sub(mv));
            x.intoArray(e, ei + i);
            a0 = a0.add(x);
        }
        return sumLanesWide(a0, a1);
    }

    private static double expSumA(float[] z, int zi, FloatVector mv, int bound) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0;
        int i = 0;
        for (; i + 2 * L <= bound; i += 2 * L) {
            a0 = a0.add(expNonPositive(FloatVector.fromArray(F, z, zi + i).sub(mv)));
            a1 = a1.add(expNonPositive(FloatVector.fromArray(F, z, zi + i + L).sub(mv)));
        }
        for (; i < bound; i += L) a0 = a0.add(expNonPositive(FloatVector.fromArray(F, z, zi + i).sub(mv)));
        return sumLanesWide(a0, a1);
    }

    private static double expStoreA(DType dt, short[] z, int zi, FloatVector mv, float[] e, int ei, int bound) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0;
        int i = 0;
        for (; i + 2 * L <= bound; i += 2 * L) {
            FloatVector x0 = expNonPositive(widen(dt, ShortVector.fromArray(S, z, zi + i)).sub(mv));
            FloatVector x1 = expNonPositive(widen(dt, ShortVector.fromArray(S, z, zi + i + L)).sub(mv));
            x0.intoArray(e, ei + i);
            x1.intoArray(e, ei + i + L);
            a0 = a0.add(x0);
            a1 = a1.add(x1);
        }
        for (; i < bound; i += L) {
            FloatVector x = expNonPositive(widen(dt, ShortVector.fromArray(S, z, zi + i)).sub(mv));
            x.intoArray(e, ei + i);
            a0 = a0.add(x);
        }
        return sumLanesWide(a0, a1);
    }

    private static double expSumA(DType dt, short[] z, int zi, FloatVector mv, int bound) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0;
        int i = 0;
        for (; i + 2 * L <= bound; i += 2 * L) {
            a0 = a0.add(expNonPositive(widen(dt, ShortVector.fromArray(S, z, zi + i)).sub(mv)));
            a1 = a1.add(expNonPositive(widen(dt, ShortVector.fromArray(S, z, zi + i + L)).sub(mv)));
        }
        for (; i < bound; i += L) a0 = a0.add(expNonPositive(widen(dt, ShortVector.fromArray(S, z, zi + i)).sub(mv)));
        return sumLanesWide(a0, a1);
    }

    /** Sum of exp(z - m) over [0, bound) (a multiple of L), fp32, storing each exp into e. */
    private static double expStoreF32(MemorySegment z, long zOff, FloatVector mv, MemorySegment e, long eOff, int bound) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0;
        int i = 0;
        for (; i + 2 * L <= bound; i += 2 * L) {
            FloatVector x0 = expNonPositive(f32(z, zOff + 4L * i).sub(mv));
            FloatVector x1 = expNonPositive(f32(z, zOff + 4L * (i + L)).sub(mv));
            x0.intoMemorySegment(e, eOff + 4L * i, NO);
            x1.intoMemorySegment(e, eOff + 4L * (i + L), NO);
            a0 = a0.add(x0);
            a1 = a1.add(x1);
        }
        for (; i < bound; i += L) {
            FloatVector x = expNonPositive(f32(z, zOff + 4L * i).sub(mv));
            x.intoMemorySegment(e, eOff + 4L * i, NO);
            a0 = a0.add(x);
        }
        return sumLanesWide(a0, a1);
    }

    /** Sum of exp(z - m) over [0, bound), fp32. */
    private static double expSumF32(MemorySegment z, long zOff, FloatVector mv, int bound) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0;
        int i = 0;
        for (; i + 2 * L <= bound; i += 2 * L) {
            a0 = a0.add(expNonPositive(f32(z, zOff + 4L * i).sub(mv)));
            a1 = a1.add(expNonPositive(f32(z, zOff + 4L * (i + L)).sub(mv)));
        }
        for (; i < bound; i += L) a0 = a0.add(expNonPositive(f32(z, zOff + 4L * i).sub(mv)));
        return sumLanesWide(a0, a1);
    }

    /** Sum of exp(z - m) over [0, bound), bf16 or fp16 logits, storing each exp (fp32) into e. */
    private static double expStore16(DType dt, MemorySegment z, long zOff, FloatVector mv, MemorySegment e, long eOff, int bound) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0;
        int i = 0;
        for (; i + 2 * L <= bound; i += 2 * L) {
            FloatVector x0 = expNonPositive(load16(dt, z, zOff + 2L * i).sub(mv));
            FloatVector x1 = expNonPositive(load16(dt, z, zOff + 2L * (i + L)).sub(mv));
            x0.intoMemorySegment(e, eOff + 4L * i, NO);
            x1.intoMemorySegment(e, eOff + 4L * (i + L), NO);
            a0 = a0.add(x0);
            a1 = a1.add(x1);
        }
        for (; i < bound; i += L) {
            FloatVector x = expNonPositive(load16(dt, z, zOff + 2L * i).sub(mv));
            x.intoMemorySegment(e, eOff + 4L * i, NO);
            a0 = a0.add(x);
        }
        return sumLanesWide(a0, a1);
    }

    /** Sum of exp(z - m) over [0, bound), bf16 or fp16 logits. */
    private static double expSum16(DType dt, MemorySegment z, long zOff, FloatVector mv, int bound) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0;
        int i = 0;
        for (; i + 2 * L <= bound; i += 2 * L) {
            a0 = a0.add(expNonPositive(load16(dt, z, zOff + 2L * i).sub(mv)));
            a1 = a1.add(expNonPositive(load16(dt, z, zOff + 2L * (i + L)).sub(mv)));
        }
        for (; i < bound; i += L) a0 = a0.add(expNonPositive(load16(dt, z, zOff + 2L * i).sub(mv)));
        return sumLanesWide(a0, a1);
    }

    @Override
    public void gapSums(DType dt, MemorySegment z, long zOff, long cs, int n, float ref,
            MemorySegment t, long tOff, float c1, float c0, MemorySegment w, long wOff, double[] acc) {
        // summed in double lanes: a tile's 2048 terms, one of them maybe 0.9 and the rest 1e-5,
        // would lose their last digits in fp32 lanes
        int es = dt.byteSize();
        FloatVector rv = FloatVector.broadcast(F, ref);
        FloatVector c1v = FloatVector.broadcast(F, c1);
        FloatVector c0v = FloatVector.broadcast(F, c0);
        DoubleVector uv = DoubleVector.zero(D), gv = uv;
        int i = 0;
        int b1 = F.loopBound(n);
        if (t == null && w == null) {
            for (; i < b1; i += L) gv = addWide(gv, rv.sub(load(dt, z, zOff + (long) es * i)));
        } else {
            for (; i < b1; i += L) {
                FloatVector u = t == null ? weights(w, wOff, i) : load(dt, t, tOff + (long) es * i).fma(c1v, c0v);
                if (t != null && w != null) u = u.mul(weights(w, wOff, i));
                uv = addWide(uv, u);
                gv = addWide(gv, rv.sub(load(dt, z, zOff + (long) es * i)).mul(u).blend(ZERO, u.compare(VectorOperators.EQ, 0f)));
            }
        }
        double sum = t == null && w == null ? b1 : sumLanes(uv);
        double gaps = sumLanes(gv);
        for (; i < n; i++) {
            float u = t == null ? weight(w, wOff, i) : weight(w, wOff, i) * (c1 * Elem.get(dt, t, tOff + (long) es * i) + c0);
            sum += u;
            if (u != 0) gaps += u * (ref - Elem.get(dt, z, zOff + (long) es * i));
        }
        acc[0] += sum;
        acc[1] += gaps;
    }

    // ---- maps

    @Override
    public void scaleE(MemorySegment e, long eOff, long cs, int n, float a, float b, MemorySegment w, long wOff) {
        FloatVector av = FloatVector.broadcast(F, a);
        FloatVector bv = FloatVector.broadcast(F, b);
        int i = 0;
        int b1 = F.loopBound(n);
        float[] ea = w == null ? floats(e, eOff) : null;
        if (ea != null) {
            int ei = index(e, eOff, 4);
            FloatVector nb = bv.neg();
            for (; i < b1; i += L) FloatVector.fromArray(F, ea, ei + i).fma(av, nb).intoArray(ea, ei + i);
        } else if (b == 0f) {
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
    public void scaleInto(DType dt, MemorySegment e, long eOff, MemorySegment g, long gOff, int n, float a, float b,
            MemorySegment w, long wOff, float[] tmp) {
        int es = dt.byteSize();
        FloatVector av = FloatVector.broadcast(F, a);
        FloatVector bv = FloatVector.broadcast(F, b);
        int i = 0;
        int b1 = F.loopBound(n);
        float[] ea = floats(e, eOff);
        short[] ga = dt == DType.BF16 && w == null && ea != null ? shorts(g, gOff) : null;
        if (ga != null) {
            int ei = index(e, eOff, 4);
            int gi = index(g, gOff, 2);
            FloatVector nb = bv.neg();
            for (; i < b1; i += L) toBf16(FloatVector.fromArray(F, ea, ei + i).fma(av, nb)).intoArray(ga, gi + i);
        } else if (w == null) {
            FloatVector nb = bv.neg();
            for (; i < b1; i += L) store(dt, f32(e, eOff + 4L * i).fma(av, nb), g, gOff + (long) es * i, tmp);
        } else {
            for (; i < b1; i += L) {
                store(dt, f32(e, eOff + 4L * i).mul(av).sub(weights(w, wOff, i).mul(bv)), g, gOff + (long) es * i, tmp);
            }
        }
        for (; i < n; i++) {
            Elem.set(dt, g, gOff + (long) es * i, a * Elem.get(DType.F32, e, eOff + 4L * i) - b * weight(w, wOff, i));
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
        float[] zf = dt == DType.F32 && w == null ? floats(z, zOff) : null;
        float[] gf = zf != null ? floats(g, gOff) : null;
        short[] zs = dt == DType.BF16 && w == null ? shorts(z, zOff) : null;
        short[] gs = zs != null ? shorts(g, gOff) : null;
        if (gf != null) {
            gradA(zf, index(z, zOff, 4), gf, index(g, gOff, 4), mv, lv, av, bv, b1);
            i = b1;
        } else if (gs != null) {
            gradA(zs, index(z, zOff, 2), gs, index(g, gOff, 2), mv, lv, av, bv, b1);
            i = b1;
        } else if (dt == DType.F32 && w == null) {
            gradF32(z, zOff, g, gOff, mv, lv, av, bv, b1);
            i = b1;
        } else {
            for (; i < b1; i += L) {
                long o = (long) es * i;
                FloatVector p = exp(load(dt, z, zOff + o).sub(mv).sub(lv));
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

    private static void gradA(float[] z, int zi, float[] g, int gi, FloatVector mv, FloatVector lv,
            FloatVector av, FloatVector bv, int bound) {
        FloatVector nb = bv.neg();
        for (int i = 0; i < bound; i += L) {
            exp(FloatVector.fromArray(F, z, zi + i).sub(mv).sub(lv)).fma(av, nb).intoArray(g, gi + i);
        }
    }

    /** bf16 logits and gradient. */
    private static void gradA(short[] z, int zi, short[] g, int gi, FloatVector mv, FloatVector lv,
            FloatVector av, FloatVector bv, int bound) {
        FloatVector nb = bv.neg();
        for (int i = 0; i < bound; i += L) {
            toBf16(exp(widen(DType.BF16, ShortVector.fromArray(S, z, zi + i)).sub(mv).sub(lv)).fma(av, nb)).intoArray(g, gi + i);
        }
    }

    /** g = a exp((z - m) - logS) - b over [0, bound), fp32, no weights. */
    private static void gradF32(MemorySegment z, long zOff, MemorySegment g, long gOff, FloatVector mv, FloatVector lv,
            FloatVector av, FloatVector bv, int bound) {
        for (int i = 0; i < bound; i += L) {
            long o = 4L * i;
            FloatVector p = exp(f32(z, zOff + o).sub(mv).sub(lv));
            p.fma(av, bv.neg()).intoMemorySegment(g, gOff + o, NO);
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
            FloatVector p = exp(load(dt, z, zOff + o).sub(mv).sub(lv));
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

    // ---- the logit transform of the cross-entropy extras

    /** tanh's Taylor coefficients x^3 .. x^13: below TANH_SMALL the series is exact to 1e-7 relative. */
    private static final float T3 = -1f / 3;
    private static final float T5 = 2f / 15;
    private static final float T7 = -17f / 315;
    private static final float T9 = 62f / 2835;
    private static final float T11 = -1382f / 155925;
    private static final float T13 = 21844f / 6081075;
    private static final float TANH_SMALL = 0.5f;
    private static final FloatVector V_T13 = FloatVector.broadcast(F, T13);
    private static final FloatVector V_T11 = FloatVector.broadcast(F, T11);
    private static final FloatVector V_T9 = FloatVector.broadcast(F, T9);
    private static final FloatVector V_T7 = FloatVector.broadcast(F, T7);
    private static final FloatVector V_T5 = FloatVector.broadcast(F, T5);
    private static final FloatVector V_T3 = FloatVector.broadcast(F, T3);
    private static final FloatVector NEG_INF_V = FloatVector.broadcast(F, NEG_INF);

    /**
     * cap tanh(y) and scale (1 - tanh^2(y)) for y = scale z / cap, lane-wise: with a = |y| and e =
     * e^{-2a} ({@link #expNonPositive}), tanh a = (1 - e) / (1 + e) and 1 - tanh^2 = 4e / (1 + e)^2
     * (no cancellation as tanh nears 1) for a >= 0.5, the Taylor series below. -inf stays -inf.
     */
    private static void softcapLanes(FloatVector z, float scale, float cap, float[] zt, float[] chain, int at) {
        FloatVector y = z.mul(scale / cap);
        FloatVector a = y.abs();
        FloatVector e = expNonPositive(a.mul(-2f));
        FloatVector d = e.add(1f);
        FloatVector thBig = V_ONE.sub(e).div(d);
        FloatVector dBig = e.mul(4f).div(d.mul(d));
        FloatVector a2 = a.mul(a);
        FloatVector poly = a2.fma(V_T13, V_T11).fma(a2, V_T9).fma(a2, V_T7).fma(a2, V_T5).fma(a2, V_T3);
        FloatVector thSmall = a.mul(a2).fma(poly, a);
        VectorMask<Float> small = a.compare(VectorOperators.LT, TANH_SMALL);
        FloatVector th = thBig.blend(thSmall, small);
        FloatVector dth = dBig.blend(V_ONE.sub(thSmall.mul(thSmall)), small);
        VectorMask<Float> masked = z.compare(VectorOperators.EQ, NEG_INF);
        th = th.lanewise(VectorOperators.NEG, y.compare(VectorOperators.LT, 0f));
        th.mul(cap).blend(NEG_INF_V, masked).intoArray(zt, at);
        dth.mul(scale).blend(ZERO, masked).intoArray(chain, at);
    }

    @Override
    public void transform(DType dt, MemorySegment z, long zOff, long cs, int n, float scale, float cap,
            float[] zt, float[] chain, int off) {
        int es = dt.byteSize();
        int i = 0;
        int b1 = F.loopBound(n);
        float[] za = dt == DType.F32 ? floats(z, zOff) : null;
        int zi = za != null ? index(z, zOff, 4) : 0;
        for (; i < b1; i += L) {
            FloatVector v = za != null ? FloatVector.fromArray(F, za, zi + i) : load(dt, z, zOff + (long) es * i);
            if (cap == 0) {
                v.mul(scale).intoArray(zt, off + i);
                FloatVector.broadcast(F, scale).intoArray(chain, off + i);
            } else {
                softcapLanes(v, scale, cap, zt, chain, off + i);
            }
        }
        if (i < n) ScalarKernels.INSTANCE.transform(dt, z, zOff + (long) es * i, 1, n - i, scale, cap, zt, chain, off + i);
    }

    @Override
    public void chainInto(DType dt, float[] gt, float[] chain, int off, MemorySegment g, long gOff, long cs, int n,
            float[] tmp) {
        int es = dt.byteSize();
        int i = 0;
        int b1 = F.loopBound(n);
        float[] ga = dt == DType.F32 ? floats(g, gOff) : null;
        short[] gs = dt == DType.BF16 ? shorts(g, gOff) : null;
        for (; i < b1; i += L) {
            FloatVector v = FloatVector.fromArray(F, gt, off + i);
            // an exact 0 stays 0 (ignored rows), even where the chain factor is NaN
            FloatVector r = v.mul(FloatVector.fromArray(F, chain, off + i)).blend(ZERO, v.compare(VectorOperators.EQ, 0f));
            if (ga != null) r.intoArray(ga, index(g, gOff, 4) + i);
            else if (gs != null) toBf16(r).intoArray(gs, index(g, gOff, 2) + i);
            else store(dt, r, g, gOff + (long) es * i, tmp);
        }
        if (i < n) ScalarKernels.INSTANCE.chainInto(dt, gt, chain, off + i, g, gOff + (long) es * i, 1, n - i, tmp);
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
