package dev.xent.bench;

import dev.xent.BinaryCrossEntropy;
import dev.xent.DType;
import dev.xent.DenseTensor;
import dev.xent.GaussianNll;
import dev.xent.LaplaceNll;
import dev.xent.PoissonNll;
import dev.xent.Xent;
import dev.xent.engine.jvm.JavaEngine;
import java.util.SplittableRandom;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The element-wise losses, loss and gradient fused, on the Java engine at a multi-label shape (N
 * samples x L labels), mean reduction, gradient into a separate preallocated buffer: BCE with
 * logits, and the Gaussian, Laplace (fixed variance / scale: one scalar) and Poisson (log-rate
 * input) NLLs over the same inputs (targets 0 or 1, valid for all four). Their floor reads the
 * input and the target once and writes the gradient once (3 bytes of storage per element moved
 * where FloorBench.readWrite moves 2).
 */
@State(Scope.Benchmark)
public class ElementwiseBench extends ComparedBenchmark {
    @Param({"4096x8192"})
    public String shape;

    @Param({"f32", "bf16"})
    public String dtype;

    /** 0: every core. */
    @Param({"0"})
    public int threads;

    private BinaryCrossEntropy bce;
    private GaussianNll gaussian;
    private LaplaceNll laplace;
    private PoissonNll poisson;
    private final float[] unitScale = {1f};
    private DenseTensor logits;
    private DenseTensor targets;
    private DenseTensor grad;

    @Setup(Level.Trial)
    public void setUp() {
        Shape s = Shape.parse(shape);
        DType dt = Inputs.dtype(dtype);
        JavaEngine engine = JavaEngine.create().withThreads(Inputs.threads(threads));
        bce = Xent.of(engine).binaryCrossEntropy();
        gaussian = Xent.of(engine).gaussianNll();
        laplace = Xent.of(engine).laplaceNll();
        poisson = Xent.of(engine).poissonNll();
        int n = Math.toIntExact(s.elements());
        // multi-label targets: about 1 label in 16 positive
        SplittableRandom rnd = new SplittableRandom(Inputs.SEED + 1);
        float[] y = new float[n];
        for (int i = 0; i < n; i++) y[i] = rnd.nextInt(16) == 0 ? 1f : 0f;
        if (dt == DType.F32) {
            logits = DenseTensor.of(Inputs.logitsF32(s), s.n(), s.c());
            targets = DenseTensor.of(y, s.n(), s.c());
            grad = DenseTensor.of(new float[n], s.n(), s.c());
        } else {
            short[] yb = new short[n];
            for (int i = 0; i < n; i++) yb[i] = Inputs.toBf16(y[i]);
            logits = DenseTensor.ofBf16(Inputs.logitsBf16(s), s.n(), s.c());
            targets = DenseTensor.ofBf16(yb, s.n(), s.c());
            grad = DenseTensor.ofBf16(new short[n], s.n(), s.c());
        }
    }

    @Benchmark
    public float bceFused() {
        return bce.forwardBackward(logits, targets, grad).value();
    }

    @Benchmark
    public float gaussianNllFused() {
        return gaussian.forwardBackward(logits, targets, unitScale, grad).value();
    }

    @Benchmark
    public float laplaceNllFused() {
        return laplace.forwardBackward(logits, targets, unitScale, grad).value();
    }

    @Benchmark
    public float poissonNllFused() {
        return poisson.forwardBackward(logits, targets, grad).value();
    }
}
