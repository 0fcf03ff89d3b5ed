package dev.xent.bench;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * exp over 4096 floats in L1 (not part of xent bench's table): the Vector API's
 * {@code lanewise(EXP)} (an SVML stub call per vector) against the range-reduced polynomial the
 * Java engine uses (a copy of {@code VectorKernels.exp}, which is package-private), and scalar
 * Math.exp. Reports ns per 4096 elements.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class ExpBench {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private final float[] x = new float[4096];
    private final float[] y = new float[4096];

    @Setup
    public void setUp() {
        SplittableRandom r = new SplittableRandom(1);
        for (int i = 0; i < x.length; i++) x[i] = (float) (-20 * r.nextDouble());
    }

    @Benchmark
    public float[] vectorApiExp() {
        for (int i = 0; i < x.length; i += F.length()) FloatVector.fromArray(F, x, i).lanewise(VectorOperators.EXP).intoArray(y, i);
        return y;
    }

    @Benchmark
    public float[] polynomialExp() {
        for (int i = 0; i < x.length; i += F.length()) exp(FloatVector.fromArray(F, x, i)).intoArray(y, i);
        return y;
    }

    @Benchmark
    public float[] scalarMathExp() {
        for (int i = 0; i < x.length; i++) y[i] = (float) Math.exp(x[i]);
        return y;
    }

    private static final FloatVector NLN2_HI = FloatVector.broadcast(F, -0.693359375f);
    private static final FloatVector NLN2_LO = FloatVector.broadcast(F, 2.12194440e-4f);
    private static final FloatVector P2 = FloatVector.broadcast(F, 8.3334519073e-3f);
    private static final FloatVector P3 = FloatVector.broadcast(F, 4.1665795894e-2f);
    private static final FloatVector P4 = FloatVector.broadcast(F, 1.6666665459e-1f);
    private static final FloatVector P5 = FloatVector.broadcast(F, 5.0000001201e-1f);
    private static final FloatVector ZERO = FloatVector.zero(F);
    private static final FloatVector INF = FloatVector.broadcast(F, Float.POSITIVE_INFINITY);

    /** Same as dev.xent.engine.jvm.VectorKernels.exp. */
    static FloatVector exp(FloatVector x) {
        FloatVector t = x.fma(1.44269504088896341f, 0x1.8p23f);
        FloatVector k = t.sub(0x1.8p23f);
        FloatVector r = k.fma(NLN2_HI, x);
        r = k.fma(NLN2_LO, r);
        FloatVector p = r.fma(1.9875691500e-4f, 1.3981999507e-3f).fma(r, P2).fma(r, P3).fma(r, P4).fma(r, P5);
        FloatVector yv = p.fma(r.mul(r), r).add(1f);
        FloatVector scale = t.reinterpretAsInts().lanewise(VectorOperators.LSHL, 23).add(127 << 23).reinterpretAsFloats();
        FloatVector e = yv.mul(scale);
        e = e.blend(ZERO, x.compare(VectorOperators.LT, -87.33654f));
        return e.blend(INF, x.compare(VectorOperators.GT, 88.37626f));
    }
}
