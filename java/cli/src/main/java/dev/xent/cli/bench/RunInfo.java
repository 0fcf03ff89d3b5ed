package dev.xent.cli.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Locale;

/** run.json: when, where, on which JDK, with which JMH settings and under which load a bench run was taken. */
public final class RunInfo {
    private final BenchPlan plan;
    private final boolean quick;
    private final boolean peers;
    private final Instant start;
    private final String loadAtStart;

    private RunInfo(BenchPlan plan, boolean quick, boolean peers) {
        this.plan = plan;
        this.quick = quick;
        this.peers = peers;
        this.start = Instant.now();
        this.loadAtStart = loadAverage();
    }

    public static RunInfo start(BenchPlan plan, boolean quick, boolean peers) {
        return new RunInfo(plan, quick, peers);
    }

    public String loadAtStart() {
        return loadAtStart;
    }

    /** The 1, 5 and 15 minute load averages from /proc/loadavg, or "" where there is none. */
    public static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }

    static String cpuModel() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) return line.substring(line.indexOf(':') + 1).trim();
            }
        } catch (IOException | RuntimeException e) {
            // not Linux
        }
        return System.getProperty("os.arch");
    }

    public void finish(Path file) throws IOException {
        String json = String.format(Locale.ROOT, """
                {
                  "start": %s,
                  "end": %s,
                  "quick": %b,
                  "peers": %b,
                  "cpu": %s,
                  "cores": %d,
                  "os": %s,
                  "jdk": %s,
                  "jmh": {"forks": %d, "warmup_iterations": %d, "warmup_s": %d, "measurement_iterations": %d, "measurement_s": %d, "mode": "avgt"},
                  "load_average_start": %s,
                  "load_average_end": %s
                }
                """,
                BenchResults.q(start.toString()), BenchResults.q(Instant.now().toString()), quick, peers,
                BenchResults.q(cpuModel()), Runtime.getRuntime().availableProcessors(),
                BenchResults.q(System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch")),
                BenchResults.q(System.getProperty("java.vm.vendor") + " " + System.getProperty("java.runtime.version")),
                plan.forks(), plan.warmupIterations(), plan.warmupSeconds(), plan.measurementIterations(), plan.measurementSeconds(),
                BenchResults.q(loadAtStart), BenchResults.q(loadAverage()));
        Files.writeString(file, json);
    }
}
