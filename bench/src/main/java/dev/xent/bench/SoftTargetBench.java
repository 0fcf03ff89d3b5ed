package dev.xent.bench;

import dev.xent.CrossEntropy;
import dev.xent.DType;
import dev.xent.Logits;
import dev.xent.Loss;
import dev.xent.Targets;
import dev.xent.Xent;
import java.lang.foreign.MemorySegment;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The cross-entropy paths that weigh the gaps to the row max besides the exponentials, to be read
 * against {@link CrossEntropyBench#forwardBackward}: probability targets (0.9 on the label, 0.1
 * spread over the row, stored in the logits' dtype) and class indices with label smoothing 0.1.
 * Its own class, so that the other benchmarks do not allocate the N x C targets.
 */
@State(Scope.Benchmark)
public class SoftTargetBench extends ComparedBenchmark {
    @Param({"1024x32768"})
    public String shape;

    @Param({"f32", "bf16"})
    public String dtype;

    @Param({"java", "java-scalar"})
    public String engine;

    /** 0: every core. */
    @Param({"0"})
    public int threads;

    private CrossEntropy ce;
    private Logits logits;
    private Logits grad;
    private Targets labels;
    private Targets probabilities;

    @Setup(Level.Trial)
    public void setUp() {
        Shape s = Shape.parse(shape);
        DType dt = Inputs.dtype(dtype);
        ce = Xent.of(Inputs.javaEngine(engine, threads)).crossEntropy();
        int[] y = Inputs.labels(s);
        float[] t = new float[Math.toIntExact(s.elements())];
        java.util.Arrays.fill(t, 0.1f / s.c());
        for (int r = 0; r < s.n(); r++) t[r * s.c() + y[r]] += 0.9f;
        if (dt == DType.F32) {
            logits = Logits.of(Inputs.logitsF32(s), s.n(), s.c());
            grad = Logits.of(new float[t.length], s.n(), s.c());
            probabilities = Targets.probabilities(t);
        } else {
            logits = Logits.ofBf16(Inputs.logitsBf16(s), s.n(), s.c());
            grad = Logits.ofBf16(new short[t.length], s.n(), s.c());
            short[] tb = new short[t.length];
            for (int i = 0; i < t.length; i++) tb[i] = Inputs.toBf16(t[i]);
            probabilities = Targets.probabilities(MemorySegment.ofArray(tb), DType.BF16);
        }
        labels = Targets.classes(y);
    }

    @Benchmark
    public Loss forwardBackwardProbabilities() {
        return ce.forwardBackward(logits, probabilities, grad);
    }

    @Benchmark
    public Loss forwardProbabilities() {
        return ce.forward(logits, probabilities);
    }

    @Benchmark
    public Loss forwardBackwardSmoothing() {
        return ce.withLabelSmoothing(0.1).forwardBackward(logits, labels, grad);
    }

    @Benchmark
    public Loss forwardBackwardPlain() {
        return ce.forwardBackward(logits, labels, grad);
    }
}
