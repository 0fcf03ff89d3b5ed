package dev.xent.bench;

import dev.xent.DType;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The loop anyone would write first, one thread: per row a max pass, a sum-of-exp pass, and (for
 * the gradient) a third pass {@code g = exp(z - m) / s - onehot}, scaled by 1/N for the mean.
 */
@State(Scope.Benchmark)
// Fewer iterations than ComparedBenchmark's: one thread over the whole tensor is seconds a call.
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
public class NaiveBench extends ComparedBenchmark {
    @Param({"4096x32768", "1024x131072", "65536x1024", "16x262144"})
    public String shape;

    @Param({"f32", "bf16"})
    public String dtype;

    private Shape s;
    private float[] zf;
    private float[] gf;
    private short[] zb;
    private short[] gb;
    private int[] y;
    private float[] lse;

    @Setup(Level.Trial)
    public void setUp() {
        s = Shape.parse(shape);
        if (Inputs.dtype(dtype) == DType.F32) {
            zf = Inputs.logitsF32(s);
            gf = new float[zf.length];
        } else {
            zb = Inputs.logitsBf16(s);
            gb = new short[zb.length];
        }
        y = Inputs.labels(s);
        lse = new float[s.n()];
        forward();
    }

    private float z(int i) {
        return zf != null ? zf[i] : Float.intBitsToFloat(zb[i] << 16);
    }

    private void g(int i, float v) {
        if (gf != null) gf[i] = v;
        else gb[i] = Inputs.toBf16(v);
    }

    @Benchmark
    public double forward() {
        int c = s.c();
        double loss = 0;
        for (int r = 0; r < s.n(); r++) {
            int base = r * c;
            float m = Float.NEGATIVE_INFINITY;
            for (int k = 0; k < c; k++) m = Math.max(m, z(base + k));
            double sum = 0;
            for (int k = 0; k < c; k++) sum += Math.exp(z(base + k) - m);
            lse[r] = (float) (m + Math.log(sum));
            loss += lse[r] - z(base + y[r]);
        }
        return loss / s.n();
    }

    @Benchmark
    public double forwardBackward() {
        int c = s.c();
        float inv = 1f / s.n();
        double loss = 0;
        for (int r = 0; r < s.n(); r++) {
            int base = r * c;
            float m = Float.NEGATIVE_INFINITY;
            for (int k = 0; k < c; k++) m = Math.max(m, z(base + k));
            double sum = 0;
            for (int k = 0; k < c; k++) sum += Math.exp(z(base + k) - m);
            float l = (float) (m + Math.log(sum));
            loss += l - z(base + y[r]);
            for (int k = 0; k < c; k++) {
                float p = (float) Math.exp(z(base + k) - l);
                g(base + k, (p - (k == y[r] ? 1f : 0f)) * inv);
            }
        }
        return loss / s.n();
    }

    @Benchmark
    public Object backward() {
        int c = s.c();
        float inv = 1f / s.n();
        for (int r = 0; r < s.n(); r++) {
            int base = r * c;
            float l = lse[r];
            for (int k = 0; k < c; k++) {
                float p = (float) Math.exp(z(base + k) - l);
                g(base + k, (p - (k == y[r] ? 1f : 0f)) * inv);
            }
        }
        return gf != null ? gf : gb;
    }
}
