package dev.xent.cli;

import dev.xent.bench.Settings;
import dev.xent.cli.bench.BenchChart;
import dev.xent.cli.bench.BenchPlan;
import dev.xent.cli.bench.BenchResults;
import dev.xent.cli.bench.Measurement;
import dev.xent.cli.bench.PeerClasspath;
import dev.xent.cli.bench.RunInfo;
import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code xent bench}: runs the JMH benchmarks of xent-bench in this JVM's JMH runner (each
 * benchmark in a forked JVM started from this jar: the CLI jar carries the benchmark classes and
 * JMH's META-INF/BenchmarkList), then prints the ratio table and writes results.json, run.json,
 * the charts and JMH's own logs and JSON under the results directory.
 */
@Command(name = "bench",
        description = {"Benchmarks the Java engine against the memory floor and peers measured in the same run (JMH).",
            "Every time is reported as a ratio: to the floor (each logit read once, each gradient written once,",
            "same threads) and to the fastest peer. Writes results.json, run.json and PNG charts."},
        mixinStandardHelpOptions = true)
public final class BenchCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--quick", description = "The headline shape (4096 x 32768) only, fewer iterations: about 5 minutes on 2 cores.")
    boolean quick;

    @Option(names = "--peers", description = "Also libtorch (autograd and preallocated) and ONNX Runtime; needs a build with `mvn -Ppeers`.")
    boolean peers;

    @Option(names = "--out", paramLabel = "DIR", description = "Results directory (default: results/bench-<date-time>).")
    Path out;

    @Option(names = "--plan", description = "Print what would run (benchmarks, parameters, forks) and exit.")
    boolean planOnly;

    @Override
    public Integer call() throws IOException, RunnerException {
        PrintWriter o = spec.commandLine().getOut();
        BenchPlan plan = BenchPlan.of(quick, peers);
        String peerCp = null;
        if (peers) {
            Path dir = PeerClasspath.find();
            if (!PeerClasspath.peerBenchmarksCompiled() || dir == null) {
                throw new UserError("--peers needs the peer benchmarks and their jars, which this build does not have"
                        + (PeerClasspath.peerBenchmarksCompiled() ? " (no bench/target/peers-lib with pytorch and onnxruntime jars found;"
                                + " set -Dxent.bench.peers=DIR)" : "")
                        + ". Build with `mvn -Ppeers -DskipTests -Dxent.native.skip=true install` (downloads libtorch and"
                        + " ONNX Runtime once, ~150 MB), then rerun; or run without --peers.");
            }
            peerCp = PeerClasspath.classPath(dir);
        }
        if (planOnly) {
            printPlan(o, plan);
            return Main.OK;
        }
        Path dir = out != null ? out : Path.of("results", "bench-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        Files.createDirectories(dir);
        int cores = Runtime.getRuntime().availableProcessors();
        RunInfo info = RunInfo.start(plan, quick, peers);
        o.printf("xent bench%s%s: %d JMH forks, results in %s%n", quick ? " --quick" : "", peers ? " --peers" : "", plan.forkCount(), dir.toAbsolutePath());
        o.println("load average at start: " + info.loadAtStart() + (info.loadAtStart().isEmpty() ? "" : " (timings are only comparable on a quiet machine)"));
        o.flush();

        List<Measurement> measurements = new ArrayList<>();
        String hostCp = System.getProperty("java.class.path");
        try {
            if (peerCp != null) System.setProperty("java.class.path", hostCp + File.pathSeparator + peerCp);
            int i = 0;
            for (BenchPlan.Run run : plan.runs()) {
                i++;
                long t0 = System.nanoTime();
                o.printf("[%d/%d] %s ...", i, plan.runs().size(), run.label());
                o.flush();
                ChainedOptionsBuilder b = new OptionsBuilder()
                        .include(run.include())
                        .forks(plan.forks())
                        .warmupIterations(plan.warmupIterations())
                        .warmupTime(TimeValue.seconds(plan.warmupSeconds()))
                        .measurementIterations(plan.measurementIterations())
                        .measurementTime(TimeValue.seconds(plan.measurementSeconds()))
                        .jvmArgsAppend(Settings.JVM_ARGS)
                        .shouldFailOnError(false)
                        .output(dir.resolve("jmh-" + i + ".log").toString())
                        .result(dir.resolve("jmh-" + i + ".json").toString())
                        .resultFormat(ResultFormatType.JSON);
                for (Map.Entry<String, String[]> p : run.params().entrySet()) b.param(p.getKey(), p.getValue());
                int before = measurements.size();
                for (RunResult r : new Runner(b.build()).run()) measurements.add(measurement(r));
                o.printf(" %d results, %.0f s%n", measurements.size() - before, (System.nanoTime() - t0) / 1e9);
                o.flush();
            }
        } finally {
            System.setProperty("java.class.path", hostCp);
        }

        BenchResults results = BenchResults.of(measurements, cores);
        o.println();
        results.printTable(o);
        results.writeJson(dir.resolve("results.json"));
        List<Path> charts = BenchChart.write(results, dir, cores);
        info.finish(dir.resolve("run.json"));
        o.println();
        o.println("load average at end: " + RunInfo.loadAverage());
        o.println("wrote " + dir.resolve("results.json") + ", " + dir.resolve("run.json") + ", " + charts.size()
                + " charts (chart-<op>-<dtype>.png), JMH logs and JSON (jmh-*.log, jmh-*.json)");
        o.flush();
        return Main.OK;
    }

    private static Measurement measurement(RunResult r) {
        BenchmarkParams p = r.getParams();
        String full = p.getBenchmark();
        int dot = full.lastIndexOf('.');
        String cls = full.substring(full.lastIndexOf('.', dot - 1) + 1, dot);
        Map<String, String> params = new LinkedHashMap<>();
        for (String k : p.getParamsKeys()) params.put(k, p.getParam(k));
        // The median of the measured iterations: one iteration slowed by a neighbour on a shared
        // host moves the mean of five by a fifth of its excess, the median not at all.
        Result<?> primary = r.getPrimaryResult();
        return new Measurement(cls, full.substring(dot + 1), params, primary.getStatistics().getPercentile(50), primary.getScoreError());
    }

    private static void printPlan(PrintWriter o, BenchPlan plan) {
        o.printf("%d runs, %d forks; each fork: %d warm-up x %d s, %d measured x %d s%n", plan.runs().size(), plan.forkCount(),
                plan.warmupIterations(), plan.warmupSeconds(), plan.measurementIterations(), plan.measurementSeconds());
        for (BenchPlan.Run r : plan.runs()) {
            StringBuilder ps = new StringBuilder();
            for (Map.Entry<String, String[]> e : r.params().entrySet()) ps.append(' ').append(e.getKey()).append('=').append(String.join(",", e.getValue()));
            o.println("  " + r.label() + ": " + r.include() + ps);
        }
        o.flush();
    }
}
