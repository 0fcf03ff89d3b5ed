package dev.xent.bench;

import dev.xent.DType;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The memory floor for the same bytes, threads and row partition as the engine:
 * {@code readWrite} copies the logits into the gradient buffer (each logit read once, each
 * gradient written once: the floor of forward+backward and of backward), {@code readOnly} reads
 * the logits once with a vector max (the floor of forward). Rows are split into the same number
 * of contiguous chunks on the same pool as the Java engine.
 */
@State(Scope.Benchmark)
public class FloorBench extends ComparedBenchmark {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Short> S = ShortVector.SPECIES_PREFERRED;

    @Param({"4096x32768", "1024x131072", "65536x1024", "16x262144"})
    public String shape;

    @Param({"f32", "bf16"})
    public String dtype;

    /** 0: every core. */
    @Param({"0"})
    public int threads;

    private Tasks tasks;
    private float[] zf;
    private float[] gf;
    private short[] zb;
    private short[] gb;

    @Setup(Level.Trial)
    public void setUp() {
        Shape s = Shape.parse(shape);
        tasks = Tasks.of(s, threads);
        if (Inputs.dtype(dtype) == DType.F32) {
            zf = Inputs.logitsF32(s);
            gf = new float[zf.length];
        } else {
            zb = Inputs.logitsBf16(s);
            gb = new short[zb.length];
        }
    }

    @Benchmark
    public Object readWrite() {
        tasks.run((task, a, b) -> {
            if (zf != null) System.arraycopy(zf, a, gf, a, b - a);
            else System.arraycopy(zb, a, gb, a, b - a);
        });
        return zf != null ? gf : gb;
    }

    @Benchmark
    public float readOnly() {
        float[] out = new float[tasks.count()];
        tasks.run((task, a, b) -> {
            out[task] = zf != null ? maxF32(zf, a, b) : orBf16(zb, a, b);
        });
        float m = Float.NEGATIVE_INFINITY;
        for (float v : out) m = Math.max(m, v);
        return m;
    }

    private static float maxF32(float[] z, int a, int b) {
        int l = F.length();
        FloatVector m0 = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY), m1 = m0, m2 = m0, m3 = m0;
        int i = a;
        for (; i + 4 * l <= b; i += 4 * l) {
            m0 = m0.max(FloatVector.fromArray(F, z, i));
            m1 = m1.max(FloatVector.fromArray(F, z, i + l));
            m2 = m2.max(FloatVector.fromArray(F, z, i + 2 * l));
            m3 = m3.max(FloatVector.fromArray(F, z, i + 3 * l));
        }
        float m = m0.max(m1).max(m2.max(m3)).reduceLanes(VectorOperators.MAX);
        for (; i < b; i++) m = Math.max(m, z[i]);
        return m;
    }

    private static float orBf16(short[] z, int a, int b) {
        int l = S.length();
        ShortVector m0 = ShortVector.zero(S), m1 = m0, m2 = m0, m3 = m0;
        int i = a;
        for (; i + 4 * l <= b; i += 4 * l) {
            m0 = m0.or(ShortVector.fromArray(S, z, i));
            m1 = m1.or(ShortVector.fromArray(S, z, i + l));
            m2 = m2.or(ShortVector.fromArray(S, z, i + 2 * l));
            m3 = m3.or(ShortVector.fromArray(S, z, i + 3 * l));
        }
        short m = m0.or(m1).or(m2.or(m3)).reduceLanes(VectorOperators.OR);
        for (; i < b; i++) m |= z[i];
        return m;
    }
}
