package dev.xent.bench;

import java.util.concurrent.TimeUnit;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What the read+write floor is made of (not part of xent bench's table): the same bytes copied
 * (1) by System.arraycopy per thread chunk (= FloorBench.readWrite), (2) by System.arraycopy one
 * row at a time, (3) by a Vector API load/store loop (what a Java kernel's stores cost, write
 * allocate included). If (3) is much slower than (1), the JDK's copy stub avoids the read-for-
 * ownership of the destination and no Java store loop can reach the copy floor.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--add-modules", "jdk.incubator.vector",
        "-Xms3g", "-Xmx6g", "-XX:+UseParallelGC", "-Djava.awt.headless=true"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class CopyBench {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    @Param({"4096x32768"})
    public String shape;

    @Param({"0"})
    public int threads;

    private Shape s;
    private int t;
    private int tasks;
    private float[] z;
    private float[] g;

    @Setup(Level.Trial)
    public void setUp() {
        s = Shape.parse(shape);
        t = Inputs.threads(threads);
        tasks = t == 1 ? 1 : (int) Math.min(s.n(), 4L * t);
        z = Inputs.logitsF32(s);
        g = new float[z.length];
    }

    private int row(int task) {
        return (int) ((long) s.n() * task / tasks);
    }

    @Benchmark
    public float[] arraycopyChunk() {
        Tasks.run(t, tasks, k -> {
            int a = row(k) * s.c();
            System.arraycopy(z, a, g, a, row(k + 1) * s.c() - a);
        });
        return g;
    }

    @Benchmark
    public float[] arraycopyRows() {
        Tasks.run(t, tasks, k -> {
            for (int r = row(k); r < row(k + 1); r++) System.arraycopy(z, r * s.c(), g, r * s.c(), s.c());
        });
        return g;
    }

    @Benchmark
    public float[] vectorLoop() {
        Tasks.run(t, tasks, k -> {
            int a = row(k) * s.c();
            int b = row(k + 1) * s.c();
            int l = F.length();
            int i = a;
            for (; i + l <= b; i += l) FloatVector.fromArray(F, z, i).intoArray(g, i);
            for (; i < b; i++) g[i] = z[i];
        });
        return g;
    }
}
