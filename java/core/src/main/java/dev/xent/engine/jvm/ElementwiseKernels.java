package dev.xent.engine.jvm;

import dev.xent.DType;
import dev.xent.Reduction;
import dev.xent.engine.ElementwiseLossCall;
import dev.xent.engine.ElementwiseLossCall.Broadcast;
import java.lang.foreign.MemorySegment;
import java.util.stream.IntStream;

/**
 * The element-wise losses on the Java engine: one pass over the elements in fixed chunks of
 * {@link #CHUNK} (each input and target element read once, each gradient element written once),
 * the chunks spread over the pool. Each chunk sums its losses in double and the chunk sums are
 * added in chunk order, so results do not depend on the thread count. The gradient of a broadcast
 * variance or scale sums its elements' gradients the same way: in double, each chunk writing the
 * entries that lie inside it and keeping its first and last (which may be shared with the
 * neighbouring chunks) for {@link #run} to add up in chunk order. The formulas are those of
 * {@link ElementwiseLossCall} and cuda/elementwise.cuh; a bad element (see
 * {@link ElementwiseLossCall#badValue}) stops the call with an exception naming the first one.
 * The calls a vector {@link ElementwiseLoop} takes (see {@link Vectorization#elementwiseLoop}) run
 * it instead of the scalar loop. Public only for the vector loops' {@link #checkedTail}; internal,
 * not API.
 */
public final class ElementwiseKernels {
    /** Elements per chunk: a task's work, and the unit of the fixed summation order. */
    static final int CHUNK = 1 << 15;

    private static final double LOG_2PI = Math.log(2 * Math.PI);
    private static final float LOG_2 = (float) Math.log(2);

    private ElementwiseKernels() {}

    /** A chunk's outcome: its loss sum, its first bad element, if any, and its partial spread sums. */
    private static final class ChunkResult {
        double sum;
        long badElement = -1;
        int badTensor;
        float badValue;
        /** The spread-gradient entries this chunk began and ended with (-1: none) and their sums. */
        long firstEntry = -1, lastEntry = -1;
        double firstSum, lastSum;
    }

    /**
     * Sums of the spread gradient by entry while a chunk walks its elements in order (so an entry's
     * elements come in one run): the entries between the chunk's first and last are complete and
     * written at once, the first and the last are kept in the {@link ChunkResult}.
     */
    private static final class SpreadSums {
        private final MemorySegment out;
        private final ChunkResult r;
        private long entry = -1, pending = -1;
        private double sum, pendingSum;

        SpreadSums(MemorySegment out, ChunkResult r) {
            this.out = out;
            this.r = r;
        }

        void add(long e, double g) {
            if (e != entry) {
                close();
                entry = e;
                sum = 0;
            }
            sum += g;
        }

        private void close() {
            if (entry < 0) return;
            if (r.firstEntry < 0) {
                r.firstEntry = entry;
                r.firstSum = sum;
                return;
            }
            if (pending >= 0) Elem.setF32(out, pending, (float) pendingSum); // not the last: complete
            pending = entry;
            pendingSum = sum;
        }

        /** At the chunk's end: the entry being summed is its last (or its first). */
        void finish() {
            close();
            r.lastEntry = pending;
            r.lastSum = pendingSum;
        }
    }

    /**
     * Runs the call as at most {@code tasks} tasks on the common pool (1: the calling thread), each
     * chunk by {@code loop} when it is not null.
     */
    static void run(ElementwiseLossCall c, int tasks, ElementwiseLoop loop) {
        long n = c.count();
        int chunks = Math.toIntExact((n + CHUNK - 1) / CHUNK);
        ChunkResult[] results = new ChunkResult[chunks];
        int t = Math.max(1, Math.min(tasks, chunks));
        IntStream range = IntStream.range(0, t);
        (t > 1 ? range.parallel() : range).forEach(task -> {
            for (int k = (int) ((long) chunks * task / t); k < (long) chunks * (task + 1) / t; k++) {
                long from = (long) k * CHUNK;
                results[k] = chunk(c, from, Math.min(n, from + CHUNK), loop);
            }
        });
        double total = 0;
        for (ChunkResult r : results) {
            if (r.badElement >= 0) throw c.badValue(r.badElement, r.badTensor, r.badValue);
            total += r.sum;
        }
        if (c.auxGrad() != null) addChunkEnds(c.auxGrad(), results);
        MemorySegment reduced = c.reduced();
        Elem.setF32(reduced, 0, (float) (c.reduction() == Reduction.MEAN ? total / n : total));
        Elem.setF32(reduced, 1, (float) n);
    }

    /**
     * Writes the spread-gradient entries the chunks share: each chunk's first and last partial sums,
     * added in chunk order. With no elements a single value's gradient is 0.
     */
    private static void addChunkEnds(MemorySegment auxGrad, ChunkResult[] results) {
        if (results.length == 0 && auxGrad.byteSize() > 0) Elem.setF32(auxGrad, 0, 0f);
        long entry = -1;
        double sum = 0;
        for (ChunkResult r : results) {
            for (int end = 0; end < 2; end++) {
                long e = end == 0 ? r.firstEntry : r.lastEntry;
                if (e < 0) continue;
                if (e != entry) {
                    if (entry >= 0) Elem.setF32(auxGrad, entry, (float) sum);
                    entry = e;
                    sum = 0;
                }
                sum += end == 0 ? r.firstSum : r.lastSum;
            }
        }
        if (entry >= 0) Elem.setF32(auxGrad, entry, (float) sum);
    }

    private static ChunkResult chunk(ElementwiseLossCall c, long from, long to, ElementwiseLoop loop) {
        ChunkResult r = new ChunkResult();
        DType dt = c.dtype();
        long es = dt.byteSize();
        MemorySegment x = c.input(), t = c.target(), g = c.grad(), loss = c.loss(), auxGrad = c.auxGrad();
        MemorySegment up = c.upstream();
        boolean perElementUpstream = c.reduction() == Reduction.NONE && up != null;
        float scale = up != null && !perElementUpstream ? Elem.getF32(up, 0) : 1f;
        if (c.reduction() == Reduction.MEAN) scale /= (float) c.count();
        if (loop != null) {
            double[] sum = new double[1];
            if (loop.chunk(c, (int) from, (int) to, scale, sum)) {
                r.sum = sum[0];
                return r;
            }
        }
        float[] out = new float[3]; // loss, d/dx, d/daux
        SpreadSums spread = g != null && auxGrad != null ? new SpreadSums(auxGrad, r) : null;
        double sum = 0;
        for (long e = from; e < to; e++) {
            float xv = Elem.get(dt, x, e * es);
            float tv = Elem.get(dt, t, e * es);
            int bad = element(c, e, xv, tv, out);
            if (bad >= 0) {
                r.badElement = e;
                r.badTensor = bad;
                r.badValue = bad == 2 ? xv : bad == 0 ? tv : aux(c.aux(), c.auxBroadcast(), e, c.lastDim());
                return r;
            }
            sum += out[0];
            if (loss != null) Elem.setF32(loss, e, out[0]);
            if (g != null) {
                float s = perElementUpstream ? Elem.getF32(up, e) : scale;
                if (spread != null) spread.add(c.auxBroadcast().index(e, c.lastDim()), s * out[2]);
                Elem.set(dt, g, e * es, s * out[1]);
            }
        }
        if (spread != null) spread.finish();
        r.sum = sum;
        return r;
    }

    /**
     * The vector loops' scalar tail: elements [from, to), already checked, added to the loss sum
     * {@code total} (returned) and, with a gradient, {@code scale * d loss/dx}.
     */
    public static double checkedTail(ElementwiseLossCall c, int from, int to, float scale, double total) {
        DType dt = c.dtype();
        long es = dt.byteSize();
        float[] out = new float[3];
        for (int i = from; i < to; i++) {
            element(c, i, Elem.get(dt, c.input(), i * es), Elem.get(dt, c.target(), i * es), out);
            total += out[0];
            if (c.grad() != null) Elem.set(dt, c.grad(), i * es, scale * out[1]);
        }
        return total;
    }

    private static float aux(MemorySegment a, Broadcast b, long e, long last) {
        return Elem.getF32(a, b.index(e, last));
    }

    /**
     * out = (loss, d loss/dx, d loss/d aux) of element e; returns -1, or the bad tensor's code
     * (0 target, 1 var/scale, 2 input) as in xent.h.
     */
    static int element(ElementwiseLossCall c, long e, float x, float t, float[] out) {
        switch (c.op()) {
            case BCE_WITH_LOGITS -> {
                if (!(t >= 0f && t <= 1f)) return 0;
                float w = c.weight() == null ? 1f : aux(c.weight(), c.weightBroadcast(), e, c.lastDim());
                float pw = c.posWeight() == null ? 1f : Elem.getF32(c.posWeight(), e % c.lastDim());
                float k = 1f + (pw - 1f) * t;
                float ex = (float) Math.exp(-Math.abs(x));
                // sigmoid(x) k - pw t as (1-t) sigmoid(x) - pw t sigmoid(-x): no cancellation at t = 0 or 1
                float r = 1f / (1f + ex);
                float sigPos = x >= 0f ? r : ex * r, sigNeg = x >= 0f ? ex * r : r;
                // (1-t) x + k (log1p(exp(-|x|)) + max(-x, 0)) regrouped into non-negative terms (no
                // cancellation); a term whose coefficient is 0 is 0 even at x = +-inf (the limit)
                float a = 1f - t, b = pw * t;
                out[0] = w * ((a != 0f ? a * Math.max(x, 0f) : 0f) + (b != 0f ? b * Math.max(-x, 0f) : 0f)
                        + k * (float) Math.log1p(ex));
                out[1] = w * ((1f - t) * sigPos - pw * t * sigNeg);
                out[2] = 0f;
            }
            case GAUSSIAN_NLL, LAPLACE_NLL -> {
                float raw = aux(c.aux(), c.auxBroadcast(), e, c.lastDim());
                if (raw < 0f) return 1;
                float v = raw < c.eps() ? c.eps() : raw; // NaN stays NaN, as PyTorch's clamp
                float d = x - t;
                if (c.op() == ElementwiseLossCall.Op.GAUSSIAN_NLL) {
                    float q = d / v;
                    out[0] = 0.5f * ((float) Math.log(v) + d * q) + (c.full() ? (float) (0.5 * LOG_2PI) : 0f);
                    out[1] = q;
                    out[2] = 0.5f * (1f / v - q * q);
                } else {
                    float ad = Math.abs(d);
                    out[0] = (float) Math.log(v) + ad / v + (c.full() ? LOG_2 : 0f);
                    out[1] = d > 0f ? 1f / v : d < 0f ? -1f / v : 0f;
                    out[2] = 1f / v - ad / (v * v);
                }
            }
            case POISSON_NLL -> {
                if (t < 0f) return 0;
                if (c.logInput()) {
                    float ex = (float) Math.exp(x);
                    out[0] = ex - t * x;
                    out[1] = ex - t;
                } else {
                    if (x < 0f) return 2;
                    out[0] = x - t * (float) Math.log(x + c.eps());
                    out[1] = 1f - t / (x + c.eps());
                }
                if (c.full() && t > 1f) out[0] += t * (float) Math.log(t) - t + 0.5f * (float) Math.log(2 * Math.PI * t);
                out[2] = 0f;
            }
        }
        return -1;
    }
}
