package dev.xent.bench;

import dev.xent.DType;
import dev.xent.DistillLoss;
import dev.xent.Distillation;
import dev.xent.Logits;
import dev.xent.Xent;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorSpecies;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Fused distillation (KL(softmax(t / T) || softmax(s / T)) * T^2, batchmean, T = 2) loss and the
 * student's gradient on the Java engine through the public API, over heap arrays, and its floor in
 * the same run: {@code floor} reads the teacher and the student once and writes one gradient-sized
 * array (a vector subtraction), with the engine's row partition on the same pool, as FloorBench.
 * {@code entropyForwardBackward} reads the teacher once and writes one gradient: its floor is
 * FloorBench's {@code readWrite} at the same shape and dtype.
 */
@State(Scope.Benchmark)
public class DistillBench extends ComparedBenchmark {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Short> S = ShortVector.SPECIES_PREFERRED;

    @Param({"4096x32768"})
    public String shape;

    @Param({"f32", "bf16"})
    public String dtype;

    /** 0: every core. */
    @Param({"0"})
    public int threads;

    private Tasks tasks;
    private Xent xent;
    private Distillation distill;
    private Logits teacher;
    private Logits student;
    private Logits grad;
    private float[] tf, sf, gf;
    private short[] tb, sb, gb;

    @Setup(Level.Trial)
    public void setUp() {
        Shape s = Shape.parse(shape);
        tasks = Tasks.of(s, threads);
        xent = Xent.of(Inputs.javaEngine("java", tasks.threads()));
        distill = xent.distillation().withTemperature(2);
        sf = Inputs.logitsF32(s);
        tf = new float[sf.length];
        // a teacher close to the student, not equal: sharper and shifted
        for (int i = 0; i < tf.length; i++) tf[i] = 1.5f * sf[i] + (float) Math.sin(i);
        if (Inputs.dtype(dtype) == DType.F32) {
            gf = new float[sf.length];
            teacher = Logits.of(tf, s.n(), s.c());
            student = Logits.of(sf, s.n(), s.c());
            grad = Logits.of(gf, s.n(), s.c());
        } else {
            tb = bf16(tf);
            sb = bf16(sf);
            gb = new short[sb.length];
            tf = sf = null;
            teacher = Logits.ofBf16(tb, s.n(), s.c());
            student = Logits.ofBf16(sb, s.n(), s.c());
            grad = Logits.ofBf16(gb, s.n(), s.c());
        }
    }

    private static short[] bf16(float[] f) {
        short[] b = new short[f.length];
        for (int i = 0; i < f.length; i++) b[i] = Inputs.toBf16(f[i]);
        return b;
    }

    @Benchmark
    public DistillLoss forwardBackward() {
        return distill.forwardBackward(student, teacher, grad);
    }

    /** The teacher's per-row entropy and its gradient. */
    @Benchmark
    public float[] entropyForwardBackward() {
        return xent.entropy(teacher, grad);
    }

    /** Reads both inputs once and writes the gradient buffer once: the bytes of the fused pass. */
    @Benchmark
    public Object floor() {
        tasks.run((task, a, b) -> {
            if (gf != null) {
                int i = a;
                for (int e = a + F.loopBound(b - a); i < e; i += F.length()) {
                    FloatVector.fromArray(F, tf, i).sub(FloatVector.fromArray(F, sf, i)).intoArray(gf, i);
                }
                for (; i < b; i++) gf[i] = tf[i] - sf[i];
            } else {
                int i = a;
                for (int e = a + S.loopBound(b - a); i < e; i += S.length()) {
                    ShortVector.fromArray(S, tb, i).sub(ShortVector.fromArray(S, sb, i)).intoArray(gb, i);
                }
                for (; i < b; i++) gb[i] = (short) (tb[i] - sb[i]);
            }
        });
        return gf != null ? gf : gb;
    }
}
