package dev.xent.bench;

import dev.xent.DType;
import dev.xent.Logits;
import dev.xent.Targets;
import dev.xent.Xent;
import dev.xent.engine.jvm.JavaEngine;
import dev.xent.eval.Evaluation;
import dev.xent.eval.RowStats;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The evaluation pass (per-row loss, lse, rank of the target, argmax, confidence, E_p[z],
 * Var_p[z]) on the Java engine through the public API. Each logit is read once: its floor is
 * {@link FloorBench#readOnly} at the same shape, dtype and threads.
 */
@State(Scope.Benchmark)
public class RowStatsBench extends ComparedBenchmark {
    @Param({"4096x32768"})
    public String shape;

    @Param({"f32"})
    public String dtype;

    /** 0: every core. */
    @Param({"0"})
    public int threads;

    private Evaluation evaluation;
    private Logits logits;
    private Targets.ClassIndices targets;

    @Setup(Level.Trial)
    public void setUp() {
        Shape s = Shape.parse(shape);
        DType dt = Inputs.dtype(dtype);
        evaluation = Evaluation.of(Xent.of(JavaEngine.create().withThreads(Inputs.threads(threads))));
        logits = dt == DType.F32 ? Logits.of(Inputs.logitsF32(s), s.n(), s.c()) : Logits.ofBf16(Inputs.logitsBf16(s), s.n(), s.c());
        targets = Targets.classes(Inputs.labels(s));
    }

    @Benchmark
    public RowStats rowStats() {
        return evaluation.rowStats(logits, targets);
    }
}
