package dev.xent.bench;

import dev.xent.CrossEntropy;
import dev.xent.DType;
import dev.xent.Logits;
import dev.xent.Loss;
import dev.xent.Targets;
import dev.xent.Xent;
import dev.xent.engine.jvm.JavaEngine;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * xent's Java engine through the public API, as users call it: mean cross-entropy with class-index
 * labels over heap arrays, gradient into a separate preallocated buffer.
 * engine: {@code java} (Vector API) or {@code java-scalar} ({@link JavaEngine#scalar()}).
 * {@link #forwardBackwardSoftcapZLoss} is the fused call with the LLM-training extras on (Gemma's
 * soft-cap 30, PaLM's z-loss 1e-4), to be read against {@link #forwardBackward}.
 */
@State(Scope.Benchmark)
public class CrossEntropyBench extends ComparedBenchmark {
    @Param({"4096x32768", "1024x131072", "65536x1024", "16x262144"})
    public String shape;

    @Param({"f32", "bf16"})
    public String dtype;

    @Param({"java", "java-scalar"})
    public String engine;

    /** 0: every core. */
    @Param({"0"})
    public int threads;

    private CrossEntropy ce;
    private CrossEntropy ceExtras;
    private Logits logits;
    private Logits grad;
    private Targets targets;
    private float[] lse;

    @Setup(Level.Trial)
    public void setUp() {
        Shape s = Shape.parse(shape);
        DType dt = Inputs.dtype(dtype);
        ce = Xent.of(Inputs.javaEngine(engine, threads)).crossEntropy();
        ceExtras = ce.withSoftcap(30).withZLoss(1e-4);
        if (dt == DType.F32) {
            logits = Logits.of(Inputs.logitsF32(s), s.n(), s.c());
            grad = Logits.of(new float[Math.toIntExact(s.elements())], s.n(), s.c());
        } else {
            logits = Logits.ofBf16(Inputs.logitsBf16(s), s.n(), s.c());
            grad = Logits.ofBf16(new short[Math.toIntExact(s.elements())], s.n(), s.c());
        }
        targets = Targets.classes(Inputs.labels(s));
        lse = ce.forward(logits, targets).lse();
    }

    @Benchmark
    public Loss forward() {
        return ce.forward(logits, targets);
    }

    @Benchmark
    public Loss forwardBackward() {
        return ce.forwardBackward(logits, targets, grad);
    }

    @Benchmark
    public Loss forwardBackwardSoftcapZLoss() {
        return ceExtras.forwardBackward(logits, targets, grad);
    }

    @Benchmark
    public Logits backward() {
        ce.backward(logits, targets, lse, 1f, grad);
        return grad;
    }
}
