package dev.xent.engine.jvm;

import dev.xent.DType;
import dev.xent.Layout;
import dev.xent.Reduction;
import dev.xent.engine.DistillCall;
import dev.xent.engine.Pass;
import java.lang.foreign.MemorySegment;

/**
 * Distillation, entropy and Jensen-Shannon for the Java engine, the same algorithm as
 * cuda/distill.cuh in double: one online pass reads teacher and student rows together and keeps,
 * relative to the running maxima, both sums of exponentials, the cross term
 * {@code X = sum_k e^{a_k - m_a} ((a_k - m_a) - (b_k - m_b))} and {@code D = sum_k e^{a_k - m_a}
 * (a_k - m_a)} (a, b the logits over T); then {@code H(p) = log S_a - D / S_a} and {@code KL =
 * X / S_a - log S_a + log S_b}; the hard term is {@code w[y] (lse - z_y)} of the student at
 * temperature 1. The fused gradient re-reads both rows and writes each element once.
 * Reductions sum the fp32 per-row values in double in row order.
 */
final class DistillRows {
    private DistillRows() {}

    /** Online row statistics; references are the maxima, or 0 while a maximum is -inf. */
    static final class Stats {
        double ma, sa, mb, sb, x, d, m1, s1;

        void reset() {
            ma = mb = m1 = Double.NEGATIVE_INFINITY;
            sa = sb = x = d = s1 = 0;
        }

        static double ref(double m) {
            return m == Double.NEGATIVE_INFINITY ? 0 : m;
        }

        /**
         * Moves the references up to new maxima: teacher terms scale by e^{-delta} and (a - m_a)
         * drops by delta; a student move drops (b - m_b) by delta, so X grows by delta S_a.
         */
        void rebase(double maNew, double mbNew, double m1New) {
            if (maNew > ma) {
                if (ma == Double.NEGATIVE_INFINITY) {
                    sa *= 0; d *= 0; x *= 0;
                } else {
                    double delta = maNew - ma, f = Math.exp(-delta);
                    d = f * (d - delta * sa);
                    if (x != Double.POSITIVE_INFINITY) x = f * (x - delta * sa);  // an infinite KL stays so (f may be 0)
                    sa *= f;
                }
                ma = maNew;
            }
            if (mbNew > mb) {
                double delta = mbNew - ref(mb);
                sb = mb == Double.NEGATIVE_INFINITY ? sb * 0 : sb * Math.exp(-delta);
                x += delta * sa;
                mb = mbNew;
            }
            if (m1New > m1) {
                s1 = m1 == Double.NEGATIVE_INFINITY ? s1 * 0 : s1 * Math.exp(m1 - m1New);
                m1 = m1New;
            }
        }

        /** Adds one class: a = teacher / T, b = student / T (two), z1 = the student at T = 1 (hard). */
        void add(double a, double b, double z1, boolean two, boolean hard) {
            rebase(a, two ? b : mb, hard ? z1 : m1);
            double da = a - ref(ma), ea = Math.exp(da);
            sa += ea;
            if (ea != 0) {  // p_k = 0 contributes 0, not 0 * inf
                d += ea * da;
                if (two) x += ea * (da - (b - ref(mb)));
            } else if (two && b == Double.NEGATIVE_INFINITY && a != Double.NEGATIVE_INFINITY) {
                x = Double.POSITIVE_INFINITY;  // teacher mass where the student has none, however small p_k is
            }
            if (two) sb += Math.exp(b - ref(mb));
            if (hard) s1 += Math.exp(z1 - ref(m1));
        }

        double entropy() {
            return Math.log(sa) - d / sa;
        }

        /** KL >= 0: a value that rounding leaves below 0 (q within rounding of p) is 0; NaN stays NaN. */
        double kl() {
            double kl = x / sa - Math.log(sa) + Math.log(sb);
            return kl < 0 ? 0 : kl;
        }
    }

    /** The distillation call; {@code vk} the vector tile kernels for its rows, or null for the scalar path in double. */
    static void distill(RowScheduler scheduler, PairKernels vk, DistillCall c) {
        Layout layout = c.layout();
        DType dt = c.dtype();
        long rows = layout.rows();
        long classes = layout.classes();
        long es = dt.byteSize();
        long step = layout.classStride() * es;
        boolean fused = c.pass() == Pass.FORWARD_BACKWARD;
        if (fused && c.grad() == null) throw new IllegalArgumentException(c.pass() + " needs a gradient buffer");
        boolean hard = c.alpha() < 1 && c.targets() != null;
        if (c.alpha() < 1 && c.targets() == null) throw new IllegalArgumentException("alpha < 1 needs hard targets");
        boolean mean = c.reduction() == Reduction.MEAN;
        double klDen = mean ? layout.outer() : 1;  // batchmean: over N, also for (N, C, d..)
        MemorySegment weight = hard ? c.weight() : null;
        Labels.checkWeights(weight, classes);
        double ceDen = hard && mean ? Labels.meanDenominator(c.targets(), rows, classes, c.ignoreIndex(), weight) : 1;
        double tau = c.temperature();
        double alpha = c.alpha();
        double t2 = tau * tau;
        float[] klRows = new float[Math.toIntExact(rows)];
        float[] ceRows = new float[klRows.length];
        double ceDenF = ceDen;
        float it = (float) (1 / tau);
        scheduler.forRows(rows, classes, RowScheduler.shareable(c.teacher(), c.student(), c.grad(), weight), (from, to, w) -> {
            Stats st = new Stats();
            float[] sums = new float[11];
            for (long r = from; r < to; r++) {
                long base = layout.rowBase(r) * es;
                long y = -1;
                boolean active = false;
                double wy = 0;  // the target's class weight
                if (hard) {
                    y = Labels.label(c.targets(), r);
                    if (y != c.ignoreIndex()) Labels.checkLabel(y, r, classes, c.ignoreIndex());
                    active = y != c.ignoreIndex();
                    if (active) wy = weight == null ? 1 : Elem.getF32(weight, y);
                }
                if (vk != null) {
                    vectorStats(vk, dt, c.teacher(), c.student(), base, classes, it, hard, st, sums);
                } else {
                    st.reset();
                    for (long k = 0; k < classes; k++) {
                        double zt = Elem.get(dt, c.teacher(), base + k * step);
                        double zs = Elem.get(dt, c.student(), base + k * step);
                        st.add(zt / tau, zs / tau, zs, true, hard);
                    }
                }
                double kl = st.kl();
                double ent = st.entropy();
                double ce = active ? wy * ((Stats.ref(st.m1) - Elem.get(dt, c.student(), base + y * step)) + Math.log(st.s1)) : 0;
                klRows[(int) r] = (float) kl;
                ceRows[(int) r] = (float) ce;
                double loss = (alpha != 0 ? alpha * t2 * kl : 0) + (hard && alpha != 1 ? (1 - alpha) * ce : 0);
                if (c.rowLoss() != null) Elem.setF32(c.rowLoss(), r, (float) loss);
                if (c.rowKl() != null) Elem.setF32(c.rowKl(), r, (float) kl);
                if (c.rowSoftCe() != null) Elem.setF32(c.rowSoftCe(), r, (float) (ent + kl));
                if (c.rowEntropy() != null) Elem.setF32(c.rowEntropy(), r, (float) ent);
                if (!fused) continue;
                double u = c.upstream() == null ? 1 : Elem.getF32(c.upstream(), c.reduction() == Reduction.NONE ? r : 0);
                double ckl = alpha * tau * u / klDen;
                double cce = active && alpha != 1 ? (1 - alpha) * u * wy / ceDenF : 0;  // the hard term's gradient scale, w[y] in it
                double ia = ckl / st.sa, ib = ckl / st.sb, i1 = cce != 0 ? cce / st.s1 : 0;
                double ra = Stats.ref(st.ma), rb = Stats.ref(st.mb), r1 = Stats.ref(st.m1);
                if (vk != null) {
                    double zsY = active ? Elem.get(dt, c.student(), base + y * step) : 0;  // before the gradient overwrites it
                    // the tile kernels take raw maxima: exact, since vectorStats set st.ma = (raw max) * it in double
                    float raRaw = (float) (ra / it), rbRaw = (float) (rb / it);
                    for (long j = 0; j < classes; j += Kernels.TILE) {
                        int tn = (int) Math.min(Kernels.TILE, classes - j);
                        long o = base + j * step;
                        vk.tileGrad(dt, c.teacher(), o, c.student(), o, c.grad(), o, tn, it, raRaw, rbRaw,
                                (float) r1, (float) ia, (float) ib, (float) i1);
                    }
                    if (active && cce != 0) {
                        double zt = Elem.get(dt, c.teacher(), base + y * step);
                        double v = ib * Math.exp((float) ((float) zsY - rbRaw) * it) - ia * Math.exp((float) ((float) zt - raRaw) * it)
                                + i1 * Math.exp(zsY - r1) - cce;
                        Elem.set(dt, c.grad(), base + y * step, (float) v);
                    }
                    continue;
                }
                for (long k = 0; k < classes; k++) {
                    double zt = Elem.get(dt, c.teacher(), base + k * step);
                    double zs = Elem.get(dt, c.student(), base + k * step);
                    double v = ib * Math.exp(zs / tau - rb) - ia * Math.exp(zt / tau - ra);
                    if (cce != 0) v += i1 * Math.exp(zs - r1) - (k == y ? cce : 0);
                    Elem.set(dt, c.grad(), base + k * step, (float) v);
                }
            }
        });
        if (c.reduced() != null) {
            double klSum = RowScheduler.sumInRowOrder(MemorySegment.ofArray(klRows), rows);
            double ceSum = RowScheduler.sumInRowOrder(MemorySegment.ofArray(ceRows), rows);
            double total = (alpha != 0 ? alpha * t2 * (klSum / klDen) : 0) + (hard && alpha != 1 ? (1 - alpha) * (ceSum / ceDen) : 0);
            Elem.setF32(c.reduced(), 0, (float) total);
            Elem.setF32(c.reduced(), 1, (float) klDen);
            Elem.setF32(c.reduced(), 2, (float) ceDen);
        }
    }

    /**
     * The row's statistics tile by tile on the vector kernels: each tile moves the raw maxima and
     * sums against them ((z - max) * it in fp32); the running sums are moved to the new references
     * in double (a-units: the raw max times it, exact in double), then the tile's are added.
     */
    private static void vectorStats(PairKernels vk, DType dt, MemorySegment t, MemorySegment s, long base, long classes,
            float it, boolean hard, Stats st, float[] out) {
        long es = dt.byteSize();
        st.reset();
        float ma = Float.NEGATIVE_INFINITY, mb = ma;
        for (long j = 0; j < classes; j += Kernels.TILE) {
            int n = (int) Math.min(Kernels.TILE, classes - j);
            long o = base + j * es;
            vk.tileStats(dt, t, o, s, o, n, it, ma, mb, (float) st.m1, hard, out);
            ma = out[0];
            mb = out[1];
            st.rebase((double) ma * it, (double) mb * it, out[2]);
            st.sa += out[8] + (double) out[3];
            st.sb += out[9] + (double) out[4];
            st.x += out[5];
            st.d += out[6];
            st.s1 += out[10] + (double) out[7];
        }
    }

    /**
     * Entropy's row statistics tile by tile, as {@link #vectorStats} for distillation: each tile
     * moves the raw maximum and sums against it in fp32; the running sums move to the new maximum
     * and add the tile's in double (S as the count of classes at the maximum plus the rest, exact).
     */
    private static void vectorEntropyStats(PairKernels vk, DType dt, MemorySegment z, long base, long classes, Stats st,
            float[] out) {
        long es = dt.byteSize();
        st.reset();
        float m = Float.NEGATIVE_INFINITY;
        for (long j = 0; j < classes; j += Kernels.TILE) {
            int n = (int) Math.min(Kernels.TILE, classes - j);
            vk.tileEntropyStats(dt, z, base + j * es, n, m, out);
            m = out[0];
            st.rebase(m, Double.NEGATIVE_INFINITY, Double.NEGATIVE_INFINITY);
            st.sa += (double) out[1] + out[2];
            st.d += out[3];
        }
    }

    /** Per-row entropy and, with {@code grad}, its gradient; {@code vk} the vector tile kernels, or null for the scalar path in double. */
    static void entropy(RowScheduler scheduler, PairKernels vk, Layout layout, DType dt, MemorySegment z, MemorySegment upstream,
            MemorySegment grad, MemorySegment out) {
        long es = dt.byteSize();
        long step = layout.classStride() * es;
        long classes = layout.classes();
        scheduler.forRows(layout.rows(), classes, RowScheduler.shareable(z, grad, upstream, out), (from, to, w) -> {
            Stats st = new Stats();
            float[] sums = new float[4];
            for (long r = from; r < to; r++) {
                long base = layout.rowBase(r) * es;
                if (vk != null) {
                    vectorEntropyStats(vk, dt, z, base, classes, st, sums);
                } else {
                    st.reset();
                    for (long k = 0; k < classes; k++) st.add(Elem.get(dt, z, base + k * step), 0, 0, false, false);
                }
                Elem.setF32(out, r, (float) st.entropy());
                if (grad == null) continue;
                double u = upstream == null ? 1 : Elem.getF32(upstream, r);
                double shift = st.d / st.sa, cp = -u / st.sa, ra = Stats.ref(st.ma);
                if (vk != null) {
                    for (long j = 0; j < classes; j += Kernels.TILE) {
                        int tn = (int) Math.min(Kernels.TILE, classes - j);
                        long o = base + j * es;
                        vk.tileEntropyGrad(dt, z, o, grad, o, tn, (float) ra, (float) cp, (float) shift);
                    }
                    continue;
                }
                for (long k = 0; k < classes; k++) {
                    double da = Elem.get(dt, z, base + k * step) - ra, e = Math.exp(da);
                    Elem.set(dt, grad, base + k * step, e != 0 ? (float) (cp * e * (da - shift)) : 0f);
                }
            }
        });
    }

    /**
     * JS = (A + B) / 2 with A = sum_k p_k log(p_k / m_k), B = sum_k q_k log(q_k / m_k), m = (p + q) / 2,
     * and its gradients u / 2 p_k (log(p_k / m_k) - A), u / 2 q_k (log(q_k / m_k) - B) (a second pass
     * after the statistics for A and B, a third for the gradients, each element written right after
     * it is read, so in place works).
     */
    static void jensenShannon(RowScheduler scheduler, Layout layout, DType dt, MemorySegment p, MemorySegment q,
            MemorySegment upstream, MemorySegment gradP, MemorySegment gradQ, MemorySegment out) {
        long es = dt.byteSize();
        long step = layout.classStride() * es;
        long classes = layout.classes();
        scheduler.forRows(layout.rows(), classes, RowScheduler.shareable(p, q, upstream, gradP, gradQ, out), (from, to, w) -> {
            Stats st = new Stats();
            for (long r = from; r < to; r++) {
                long base = layout.rowBase(r) * es;
                st.reset();
                for (long k = 0; k < classes; k++) {
                    st.add(Elem.get(dt, p, base + k * step), Elem.get(dt, q, base + k * step), 0, true, false);
                }
                double lsa = Math.log(st.sa), lsb = Math.log(st.sb), ra = Stats.ref(st.ma), rb = Stats.ref(st.mb);
                double a = 0, b = 0;
                for (long k = 0; k < classes; k++) {
                    double lp = (Elem.get(dt, p, base + k * step) - ra) - lsa;
                    double lq = (Elem.get(dt, q, base + k * step) - rb) - lsb;
                    double pk = Math.exp(lp), qk = Math.exp(lq);
                    if (pk != 0) a += pk * logRatioToMean(lp, lq);
                    if (qk != 0) b += qk * logRatioToMean(lq, lp);
                }
                double js = 0.5 * (a + b);
                Elem.setF32(out, r, (float) (js < 0 ? 0 : js));  // JS >= 0: below is rounding (NaN stays NaN)
                if (gradP == null && gradQ == null) continue;
                double hu = 0.5 * (upstream == null ? 1 : Elem.getF32(upstream, r));
                for (long k = 0; k < classes; k++) {
                    long o = base + k * step;
                    double lp = (Elem.get(dt, p, o) - ra) - lsa;
                    double lq = (Elem.get(dt, q, o) - rb) - lsb;
                    double pk = Math.exp(lp), qk = Math.exp(lq);
                    if (gradP != null) Elem.set(dt, gradP, o, pk != 0 ? (float) (hu * pk * (logRatioToMean(lp, lq) - a)) : 0f);
                    if (gradQ != null) Elem.set(dt, gradQ, o, qk != 0 ? (float) (hu * qk * (logRatioToMean(lq, lp) - b)) : 0f);
                }
            }
        });
    }

    /**
     * log(x / m), m = (x + y) / 2, from lx = log x and ly = log y, in log space around the larger:
     * exactly 0 when x = y (so JS(p, p) = 0 and its gradient 0), exact where both are tiny.
     */
    private static double logRatioToMean(double lx, double ly) {
        double hi = Math.max(lx, ly);
        return (lx - hi) - Math.log1p(0.5 * (Math.exp(Math.min(lx, ly) - hi) - 1));
    }
}
