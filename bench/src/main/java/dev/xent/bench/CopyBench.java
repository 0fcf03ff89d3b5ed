package dev.xent.bench;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * What the read+write floor is made of (not part of xent bench's table): the same bytes copied
 * (1) by System.arraycopy per thread chunk (= FloorBench.readWrite), (2) by System.arraycopy one
 * row at a time, (3) by a Vector API load/store loop (what a Java kernel's stores cost, write
 * allocate included). If (3) is much slower than (1), the JDK's copy stub avoids the read-for-
 * ownership of the destination and no Java store loop can reach the copy floor.
 */
@State(Scope.Benchmark)
public class CopyBench extends ComparedBenchmark {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    @Param({"4096x32768"})
    public String shape;

    @Param({"0"})
    public int threads;

    private int c;
    private Tasks tasks;
    private float[] z;
    private float[] g;

    @Setup(Level.Trial)
    public void setUp() {
        Shape s = Shape.parse(shape);
        c = s.c();
        tasks = Tasks.of(s, threads);
        z = Inputs.logitsF32(s);
        g = new float[z.length];
    }

    @Benchmark
    public float[] arraycopyChunk() {
        tasks.run((task, a, b) -> System.arraycopy(z, a, g, a, b - a));
        return g;
    }

    @Benchmark
    public float[] arraycopyRows() {
        tasks.run((task, a, b) -> {
            for (int i = a; i < b; i += c) System.arraycopy(z, i, g, i, c);
        });
        return g;
    }

    @Benchmark
    public float[] vectorLoop() {
        tasks.run((task, a, b) -> {
            int l = F.length();
            int i = a;
            for (; i + l <= b; i += l) FloatVector.fromArray(F, z, i).intoArray(g, i);
            for (; i < b; i++) g[i] = z[i];
        });
        return g;
    }
}
