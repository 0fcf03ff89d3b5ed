package dev.xent.engine.jvm;

import dev.xent.DType;
import java.lang.foreign.MemorySegment;

/**
 * Plain loops, any class stride; the fallback without the Vector API and the strided-layout path.
 * Public for the vector kernels' scalar tails; internal, not API.
 */
public final class ScalarKernels implements Kernels {
    public static final ScalarKernels INSTANCE = new ScalarKernels();

    private ScalarKernels() {}

    private static float weight(MemorySegment w, long wOff, int k) {
        return w == null ? 1f : Elem.get(DType.F32, w, wOff + 4L * k);
    }

    @Override
    public float max(DType dt, MemorySegment z, long zOff, long cs, int n) {
        long step = cs * dt.byteSize();
        float m = Float.NEGATIVE_INFINITY;
        for (int k = 0; k < n; k++) m = Math.max(m, Elem.get(dt, z, zOff + k * step));
        return m;
    }

    @Override
    public double expSum(DType dt, MemorySegment z, long zOff, long cs, int n, float m, MemorySegment e, long eOff) {
        long step = cs * dt.byteSize();
        long eStep = cs * 4;
        double s = 0;
        for (int k = 0; k < n; k++) {
            float x = (float) Math.exp(Elem.get(dt, z, zOff + k * step) - m);
            if (e != null) Elem.set(DType.F32, e, eOff + k * eStep, x);
            s += x;
        }
        return s;
    }

    @Override
    public long moments(DType dt, MemorySegment z, long zOff, long cs, int n, float ref, float scale, float zy, long yPos,
            double[] acc) {
        long step = cs * dt.byteSize();
        double s0 = 0, s1 = 0, s2 = 0;
        long above = 0;
        for (int k = 0; k < n; k++) {
            float v = Elem.get(dt, z, zOff + k * step);
            if (v > zy || (v == zy && k < yPos)) above++;
            double d = v - ref;
            double e = Math.exp(scale * d);
            if (e != 0) { // NaN still counts
                s0 += e;
                s1 += e * d;
                s2 += e * d * d;
            }
        }
        acc[0] += s0;
        acc[1] += s1;
        acc[2] += s2;
        return above;
    }

    @Override
    public void gapSums(DType dt, MemorySegment z, long zOff, long cs, int n, float ref,
            MemorySegment t, long tOff, float c1, float c0, MemorySegment w, long wOff, double[] acc) {
        long step = cs * dt.byteSize();
        double sum = 0;
        double gaps = 0;
        for (int k = 0; k < n; k++) {
            double u = t == null ? weight(w, wOff, k) : weight(w, wOff, k) * (c1 * Elem.get(dt, t, tOff + k * step) + c0);
            sum += u;
            if (u != 0) gaps += u * ((double) ref - Elem.get(dt, z, zOff + k * step));
        }
        acc[0] += sum;
        acc[1] += gaps;
    }

    @Override
    public void scaleE(MemorySegment e, long eOff, long cs, int n, float a, float b, MemorySegment w, long wOff) {
        long step = cs * 4;
        for (int k = 0; k < n; k++) {
            long o = eOff + k * step;
            Elem.set(DType.F32, e, o, a * Elem.get(DType.F32, e, o) - b * weight(w, wOff, k));
        }
    }

    @Override
    public void scaleInto(DType dt, MemorySegment e, long eOff, MemorySegment g, long gOff, int n, float a, float b,
            MemorySegment w, long wOff, float[] tmp) {
        long es = dt.byteSize();
        for (int k = 0; k < n; k++) {
            Elem.set(dt, g, gOff + k * es, a * Elem.get(DType.F32, e, eOff + 4L * k) - b * weight(w, wOff, k));
        }
    }

    @Override
    public void grad(DType dt, MemorySegment z, long zOff, MemorySegment g, long gOff, long cs, int n,
            float m, float logS, float a, float b, MemorySegment w, long wOff, float[] tmp) {
        long step = cs * dt.byteSize();
        for (int k = 0; k < n; k++) {
            float p = (float) Math.exp((Elem.get(dt, z, zOff + k * step) - m) - logS);
            Elem.set(dt, g, gOff + k * step, a * p - b * weight(w, wOff, k));
        }
    }

    @Override
    public void gradTargets(DType dt, MemorySegment z, long zOff, MemorySegment g, long gOff, long cs, int n,
            float m, float logS, float a, float b1, float b0, MemorySegment t, long tOff,
            MemorySegment w, long wOff, float[] tmp) {
        long step = cs * dt.byteSize();
        for (int k = 0; k < n; k++) {
            float p = (float) Math.exp((Elem.get(dt, z, zOff + k * step) - m) - logS);
            float tk = Elem.get(dt, t, tOff + k * step);
            Elem.set(dt, g, gOff + k * step, a * p - weight(w, wOff, k) * (b1 * tk + b0));
        }
    }

    @Override
    public void transform(DType dt, MemorySegment z, long zOff, long cs, int n, float scale, float cap,
            float[] zt, float[] chain, int off) {
        long step = cs * dt.byteSize();
        double s = scale;
        double c = cap;
        for (int k = 0; k < n; k++) {
            double x = Elem.get(dt, z, zOff + k * step);
            if (c == 0) {
                zt[off + k] = (float) (s * x);
                chain[off + k] = scale;
            } else if (x == Double.NEGATIVE_INFINITY) {
                zt[off + k] = Float.NEGATIVE_INFINITY;  // masked stays masked
                chain[off + k] = 0f;
            } else {
                double th = Math.tanh(s * x / c);
                zt[off + k] = (float) (c * th);
                chain[off + k] = (float) (s * (1 - th * th));
            }
        }
    }

    @Override
    public void chainInto(DType dt, float[] gt, float[] chain, int off, MemorySegment g, long gOff, long cs, int n,
            float[] tmp) {
        long step = cs * dt.byteSize();
        for (int k = 0; k < n; k++) {
            float gk = gt[off + k];
            Elem.set(dt, g, gOff + k * step, gk == 0f ? 0f : gk * chain[off + k]);
        }
    }

    @Override
    public void logSoftmax(DType dt, MemorySegment z, long zOff, MemorySegment out, long oOff, long cs, int n,
            float m, float logS, float[] tmp) {
        long step = cs * dt.byteSize();
        for (int k = 0; k < n; k++) {
            Elem.set(dt, out, oOff + k * step, (Elem.get(dt, z, zOff + k * step) - m) - logS);
        }
    }
}
