package dev.xent.cli.bench;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Turns JMH measurements into rows with their floor and best peer from the same run, prints the
 * ratio table and writes results.json.
 */
public final class BenchResults {
    public static final Set<String> PEER_ENGINES = Set.of("naive", "libtorch-autograd", "libtorch-prealloc", "onnxruntime");
    public static final List<String> OPS = List.of("forward", "forward_backward", "backward");

    private final List<BenchRow> rows;

    private BenchResults(List<BenchRow> rows) {
        this.rows = rows;
    }

    public List<BenchRow> rows() {
        return rows;
    }

    /** Floor key: shape, dtype, threads and kind (rw or r). */
    private static String floorKey(int n, int c, String dtype, int threads, boolean readOnly) {
        return n + "x" + c + "/" + dtype + "/" + threads + "/" + (readOnly ? "r" : "rw");
    }

    private static String op(String method) {
        return switch (method) {
            case "forward" -> "forward";
            case "forwardBackward" -> "forward_backward";
            case "backward" -> "backward";
            default -> null;
        };
    }

    private static String engine(Measurement m) {
        return switch (m.benchClass()) {
            case "CrossEntropyBench" -> m.param("engine", "java");
            case "NaiveBench" -> "naive";
            case "TorchAutogradBench" -> "libtorch-autograd";
            case "TorchPreallocBench" -> "libtorch-prealloc";
            case "OrtBench" -> "onnxruntime";
            default -> null;
        };
    }

    /**
     * Rows from measurements. {@code cores} resolves the benchmarks' "0 = every core" thread
     * parameter. A row whose floor was not measured at its own thread count gets NaN: a ratio is
     * never taken across thread counts. Peers are compared whatever their thread count (each runs
     * as its users would: libtorch and ORT on every core, the naive loop on one).
     */
    public static BenchResults of(List<Measurement> ms, int cores) {
        Map<String, Double> floors = new HashMap<>();
        for (Measurement m : ms) {
            if (!m.benchClass().equals("FloorBench")) continue;
            int[] s = shape(m.param("shape", "0x0"));
            int t = threads(m, cores);
            floors.put(floorKey(s[0], s[1], m.param("dtype", "f32"), t, m.method().equals("readOnly")), m.ms());
        }
        List<BenchRow> raw = new ArrayList<>();
        for (Measurement m : ms) {
            String engine = engine(m);
            String op = op(m.method());
            if (engine == null || op == null) continue;
            int[] s = shape(m.param("shape", "0x0"));
            String dtype = m.param("dtype", "f32");
            int t = threads(m, cores);
            Double floor = floors.get(floorKey(s[0], s[1], dtype, t, op.equals("forward")));
            raw.add(new BenchRow(engine, op, s[0], s[1], dtype, t, m.ms(), m.error(),
                    floor == null ? Double.NaN : floor, null, Double.NaN));
        }
        List<BenchRow> rows = new ArrayList<>();
        for (BenchRow r : raw) {
            BenchRow best = null;
            for (BenchRow p : raw) {
                if (!p.isPeer() || p.engine().equals(r.engine()) || !p.op().equals(r.op()) || p.n() != r.n()
                        || p.c() != r.c() || !p.dtype().equals(r.dtype())) {
                    continue;
                }
                if (best == null || p.ms() < best.ms()) best = p;
            }
            rows.add(new BenchRow(r.engine(), r.op(), r.n(), r.c(), r.dtype(), r.threads(), r.ms(), r.msError(), r.floorMs(),
                    best == null ? null : best.engine(), best == null ? Double.NaN : best.ms()));
        }
        rows.sort(Comparator.comparing((BenchRow r) -> OPS.indexOf(r.op()))
                .thenComparing(BenchResults::shapeOrder)
                .thenComparing(BenchRow::dtype, Comparator.reverseOrder())
                .thenComparing(r -> engineOrder(r.engine()))
                .thenComparing(r -> -r.threads()));
        return new BenchResults(rows);
    }

    private static long shapeOrder(BenchRow r) {
        String s = r.n() + "x" + r.c();
        for (int i = 0; i < BenchPlan.SHAPES.length; i++) if (BenchPlan.SHAPES[i].equals(s)) return i;
        return BenchPlan.SHAPES.length;
    }

    private static int engineOrder(String e) {
        List<String> order = List.of("java", "java-scalar", "libtorch-prealloc", "libtorch-autograd", "onnxruntime", "naive");
        int i = order.indexOf(e);
        return i < 0 ? order.size() : i;
    }

    private static int threads(Measurement m, int cores) {
        int t = Integer.parseInt(m.param("threads", m.benchClass().equals("NaiveBench") ? "1" : "0"));
        return t > 0 ? t : cores;
    }

    private static int[] shape(String s) {
        int x = s.indexOf('x');
        return new int[] {Integer.parseInt(s.substring(0, x)), Integer.parseInt(s.substring(x + 1))};
    }

    // ---- output

    /** The ratio table: one line per row, grouped by op. */
    public void printTable(PrintWriter out) {
        String head = String.format(Locale.ROOT, "%-17s %-12s %-5s %-18s %3s %10s %8s %10s %8s %8s  %s",
                "op", "shape", "dtype", "engine", "thr", "ms", "+-", "floor ms", "x floor", "x peer", "best peer");
        out.println(head);
        out.println("-".repeat(head.length() + 8));
        String lastOp = null;
        for (BenchRow r : rows) {
            if (lastOp != null && !lastOp.equals(r.op())) out.println();
            lastOp = r.op();
            out.println(String.format(Locale.ROOT, "%-17s %-12s %-5s %-18s %3d %10.2f %8.2f %10s %8s %8s  %s",
                    r.op(), r.n() + "x" + r.c(), r.dtype(), r.engine(), r.threads(), r.ms(), r.msError(),
                    fmt(r.floorMs(), "%.2f"), fmt(r.perFloor(), "%.2f"), r.isPeer() ? "" : fmt(r.perBestPeer(), "%.3f"),
                    r.isPeer() || r.bestPeer() == null ? "" : r.bestPeer() + String.format(Locale.ROOT, " %.2f ms", r.bestPeerMs())));
        }
        out.println();
        out.println("x floor: time / the floor measured in the same run for the same bytes and threads (parallel copy for");
        out.println("forward_backward and backward: each logit read once, each gradient written once; parallel read for forward).");
        out.println("x peer: time / the fastest peer (libtorch, ONNX Runtime, naive loop) for the op, shape and dtype; < 1 is faster.");
        out.flush();
    }

    private static String fmt(double v, String f) {
        return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, f, v);
    }

    /** results.json: a list of rows. */
    public void writeJson(Path file) throws IOException {
        StringBuilder b = new StringBuilder("[\n");
        for (int i = 0; i < rows.size(); i++) {
            BenchRow r = rows.get(i);
            b.append("  {\"engine\": ").append(q(r.engine()))
                    .append(", \"op\": ").append(q(r.op()))
                    .append(", \"n\": ").append(r.n())
                    .append(", \"c\": ").append(r.c())
                    .append(", \"dtype\": ").append(q(r.dtype()))
                    .append(", \"threads\": ").append(r.threads())
                    .append(", \"ms\": ").append(num(r.ms()))
                    .append(", \"ms_error\": ").append(num(r.msError()))
                    .append(", \"floor_ms\": ").append(num(r.floorMs()))
                    .append(", \"floor_kind\": ").append(q(r.op().equals("forward") ? "read" : "read+write"))
                    .append(", \"x_floor\": ").append(num(r.perFloor()))
                    .append(", \"best_peer\": ").append(r.bestPeer() == null ? "null" : q(r.bestPeer()))
                    .append(", \"best_peer_ms\": ").append(num(r.bestPeerMs()))
                    .append(", \"x_best_peer\": ").append(num(r.perBestPeer()))
                    .append(", \"ns_per_element\": ").append(num(r.nsPerElement()))
                    .append(i + 1 < rows.size() ? "},\n" : "}\n");
        }
        b.append("]\n");
        Files.writeString(file, b.toString());
    }

    static String q(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char ch : s.toCharArray()) {
            switch (ch) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                default -> {
                    if (ch < 0x20) b.append(String.format("\\u%04x", (int) ch));
                    else b.append(ch);
                }
            }
        }
        return b.append('"').toString();
    }

    static String num(double v) {
        if (Double.isNaN(v) || Double.isInfinite(v)) return "null";
        return String.format(Locale.ROOT, "%.6g", v);
    }
}
