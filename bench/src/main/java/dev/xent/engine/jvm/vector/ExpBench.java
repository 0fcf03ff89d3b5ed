package dev.xent.engine.jvm.vector;

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
 * {@code lanewise(EXP)} (an SVML stub call per vector) against the table-driven exp the Java
 * engine uses ({@code VectorKernels.exp}: this class sits in the engine's vector package to call it),
 * and scalar Math.exp. Reports ns per 4096 elements: the arithmetic floor of a pass that takes one
 * exp per logit.
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
    public float[] engineExp() {
        VectorKernels.exp(x, y, x.length);
        return y;
    }

    @Benchmark
    public float[] scalarMathExp() {
        for (int i = 0; i < x.length; i++) y[i] = (float) Math.exp(x[i]);
        return y;
    }
}
