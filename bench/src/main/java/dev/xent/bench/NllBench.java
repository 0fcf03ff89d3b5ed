package dev.xent.bench;

import dev.xent.DType;
import dev.xent.Logits;
import dev.xent.NllLoss;
import dev.xent.Targets;
import dev.xent.Xent;
import dev.xent.engine.jvm.JavaEngine;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * NLL loss on log-probabilities (PyTorch's nll_loss), mean reduction, on the Java engine: the
 * forward gathers one element per row; forward + gradient also writes the whole gradient (zeros
 * but one element a row), so its floor is a write of the gradient's bytes, which FloorBench's
 * readWrite bounds from above.
 */
@State(Scope.Benchmark)
public class NllBench extends ComparedBenchmark {
    @Param({"4096x32768"})
    public String shape;

    @Param({"f32", "bf16"})
    public String dtype;

    /** 0: every core. */
    @Param({"0"})
    public int threads;

    private NllLoss nll;
    private Logits logProbs;
    private Logits grad;
    private Targets.ClassIndices labels;

    @Setup(Level.Trial)
    public void setUp() {
        Shape s = Shape.parse(shape);
        nll = Xent.of(JavaEngine.create().withThreads(Inputs.threads(threads))).nllLoss();
        labels = Targets.classes(Inputs.labels(s));
        // log-probability values are not needed for timing: logits stand in for them
        if (Inputs.dtype(dtype) == DType.F32) {
            logProbs = Logits.of(Inputs.logitsF32(s), s.n(), s.c());
            grad = Logits.of(new float[Math.toIntExact(s.elements())], s.n(), s.c());
        } else {
            logProbs = Logits.ofBf16(Inputs.logitsBf16(s), s.n(), s.c());
            grad = Logits.ofBf16(new short[Math.toIntExact(s.elements())], s.n(), s.c());
        }
    }

    @Benchmark
    public float forward() {
        return nll.forward(logProbs, labels).value();
    }

    @Benchmark
    public float forwardBackward() {
        return nll.forwardBackward(logProbs, labels, grad).value();
    }
}
