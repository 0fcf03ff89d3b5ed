package dev.xent.bench;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The run settings of every benchmark whose times are compared with each other (xent's engines,
 * the floor, the peers): one place, so that a ratio never compares runs made under different
 * settings. JMH takes these class annotations from the superclass. The fork's JVM flags are
 * {@link Settings#JVM_ARGS}, spelled out because an annotation needs literals; `xent bench`
 * passes Settings.JVM_ARGS itself.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--add-modules", "jdk.incubator.vector",
        "-Xms3g", "-Xmx6g", "-XX:+UseParallelGC", "-Djava.awt.headless=true"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public abstract class ComparedBenchmark {}
