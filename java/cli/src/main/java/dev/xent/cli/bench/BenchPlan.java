package dev.xent.cli.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Which JMH benchmarks {@code xent bench} runs, as a list of runs (one JMH Runner call each: an
 * include pattern and the parameter values), and with which iteration settings. Pure data, so
 * that tests can check the selection without running it.
 *
 * <p>Full: every shape of issue 5, fp32 and bf16, engines java and java-scalar, the floors at all
 * cores and at 1 thread, the naive loop, the 1-thread Java engine at the headline shape, and
 * with peers libtorch (autograd and preallocated) and ONNX Runtime. Quick: the headline shape
 * (4096 x 32768) only, fewer iterations, the scalar engine and naive loop on fp32
 * forward+backward only; it finishes in about 5 minutes on 2 cores (under 10 with peers).
 */
public record BenchPlan(List<Run> runs, int forks, int warmupIterations, int warmupSeconds,
        int measurementIterations, int measurementSeconds) {

    /** The headline shape: targets are judged here. */
    public static final String HEADLINE = "4096x32768";
    public static final String[] SHAPES = {"4096x32768", "1024x131072", "65536x1024", "16x262144"};
    public static final String BENCH = "dev.xent.bench.";
    public static final String PEERS = "dev.xent.bench.peers.";

    /** One JMH Runner call: benchmarks whose full name matches {@code include}, with these parameter values. */
    public record Run(String label, String include, Map<String, String[]> params) {}

    public static BenchPlan of(boolean quick, boolean peers) {
        List<Run> runs = new ArrayList<>();
        String[] shapes = quick ? new String[] {HEADLINE} : SHAPES;
        String[] both = {"f32", "bf16"};
        String[] f32 = {"f32"};
        String all = "0";
        // Floors first: every engine row needs one from the same run.
        runs.add(new Run("floor, all cores", exact("FloorBench", "readWrite|readOnly"),
                params("shape", shapes, "dtype", both, "threads", new String[] {all})));
        runs.add(new Run("floor, 1 thread", exact("FloorBench", "readWrite|readOnly"),
                params("shape", quick ? shapes : SHAPES, "dtype", quick ? f32 : both, "threads", new String[] {"1"})));
        runs.add(new Run("java engine (vector), all cores", exact("CrossEntropyBench", "forward|forwardBackward|backward"),
                params("shape", shapes, "dtype", both, "engine", new String[] {"java"}, "threads", new String[] {all})));
        runs.add(new Run("java engine (vector), 1 thread", exact("CrossEntropyBench", quick ? "forward|forwardBackward" : "forward|forwardBackward|backward"),
                params("shape", new String[] {HEADLINE}, "dtype", quick ? f32 : both, "engine", new String[] {"java"}, "threads", new String[] {"1"})));
        runs.add(new Run("java engine forced scalar, all cores", exact("CrossEntropyBench", quick ? "forwardBackward" : "forward|forwardBackward|backward"),
                params("shape", shapes, "dtype", quick ? f32 : both, "engine", new String[] {"java-scalar"}, "threads", new String[] {all})));
        runs.add(new Run("naive three-pass loop, 1 thread", exact("NaiveBench", quick ? "forwardBackward" : "forward|forwardBackward|backward"),
                params("shape", shapes, "dtype", quick ? f32 : both)));
        if (peers) {
            runs.add(new Run("libtorch autograd", peer("TorchAutogradBench", "forward|forwardBackward"),
                    params("shape", shapes, "dtype", quick ? f32 : both, "threads", new String[] {all})));
            runs.add(new Run("libtorch preallocated", peer("TorchPreallocBench", "forward|forwardBackward|backward"),
                    params("shape", shapes, "dtype", both, "threads", new String[] {all})));
            runs.add(new Run("ONNX Runtime SoftmaxCrossEntropyLoss", peer("OrtBench", "forward"),
                    params("shape", shapes, "dtype", f32, "threads", new String[] {all})));
        }
        return quick ? new BenchPlan(runs, 1, 3, 1, 7, 1) : new BenchPlan(runs, 1, 3, 2, 7, 2);
    }

    private static String exact(String cls, String methods) {
        return "^" + BENCH.replace(".", "\\.") + cls + "\\.(" + methods + ")$";
    }

    private static String peer(String cls, String methods) {
        return "^" + PEERS.replace(".", "\\.") + cls + "\\.(" + methods + ")$";
    }

    private static Map<String, String[]> params(Object... kv) {
        Map<String, String[]> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], (String[]) kv[i + 1]);
        return m;
    }

    /** Forks the plan starts: benchmark methods times parameter combinations (the include patterns list their methods). */
    public int forkCount() {
        int total = 0;
        for (Run r : runs) {
            int methods = r.include().substring(r.include().lastIndexOf('(') + 1).split("\\|").length;
            int combos = 1;
            for (String[] v : r.params().values()) combos *= v.length;
            total += methods * combos;
        }
        return total * forks;
    }
}
