package dev.xent.cli.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BenchResultsTest {
    private static final String SHAPE = "4096x32768";

    private static Measurement m(String cls, String method, double ms, String... kv) {
        Map<String, String> p = new java.util.LinkedHashMap<>();
        p.put("shape", SHAPE);
        for (int i = 0; i < kv.length; i += 2) p.put(kv[i], kv[i + 1]);
        return new Measurement(cls, method, p, ms, ms / 100);
    }

    private static List<Measurement> sample() {
        return List.of(
                m("FloorBench", "readWrite", 40, "dtype", "f32", "threads", "0"),
                m("FloorBench", "readOnly", 20, "dtype", "f32", "threads", "0"),
                m("FloorBench", "readWrite", 70, "dtype", "f32", "threads", "1"),
                m("CrossEntropyBench", "forwardBackward", 50, "dtype", "f32", "engine", "java", "threads", "0"),
                m("CrossEntropyBench", "forward", 24, "dtype", "f32", "engine", "java", "threads", "0"),
                m("CrossEntropyBench", "forwardBackward", 90, "dtype", "f32", "engine", "java", "threads", "1"),
                m("CrossEntropyBench", "forwardBackward", 30, "dtype", "bf16", "engine", "java", "threads", "0"),
                m("NaiveBench", "forwardBackward", 900, "dtype", "f32"),
                m("TorchPreallocBench", "forwardBackward", 100, "dtype", "f32", "threads", "0"),
                m("TorchAutogradBench", "forwardBackward", 700, "dtype", "f32", "threads", "0"));
    }

    private static BenchRow row(BenchResults r, String engine, String op, String dtype, int threads) {
        return r.rows().stream().filter(x -> x.engine().equals(engine) && x.op().equals(op) && x.dtype().equals(dtype)
                && x.threads() == threads).findFirst().orElseThrow(() -> new AssertionError("no row " + engine + " " + op));
    }

    @Test
    void ratiosUseTheFloorOfTheSameThreadsAndKindAndTheFastestPeer() {
        BenchResults r = BenchResults.of(sample(), 2);
        BenchRow fb = row(r, "java", "forward_backward", "f32", 2);
        assertEquals(40, fb.floorMs());
        assertEquals(1.25, fb.perFloor(), 1e-12);
        assertEquals("libtorch-prealloc", fb.bestPeer());
        assertEquals(0.5, fb.perBestPeer(), 1e-12);
        assertEquals(20, row(r, "java", "forward", "f32", 2).floorMs(), "forward uses the read-only floor");
        assertEquals(70, row(r, "java", "forward_backward", "f32", 1).floorMs(), "1 thread uses the 1-thread floor");
        assertTrue(Double.isNaN(row(r, "java", "forward_backward", "bf16", 2).floorMs()), "no bf16 floor measured: no ratio");
        assertNull(row(r, "java", "forward_backward", "bf16", 2).bestPeer());
        assertEquals(70, row(r, "naive", "forward_backward", "f32", 1).floorMs());
        assertEquals(2, row(r, "libtorch-prealloc", "forward_backward", "f32", 2).threads(), "threads 0 resolves to the cores");
    }

    @Test
    void jsonIsAListOfRowsWithTheRequiredFields(@TempDir Path dir) throws Exception {
        BenchResults r = BenchResults.of(sample(), 2);
        Path f = dir.resolve("results.json");
        r.writeJson(f);
        String json = Files.readString(f).trim();
        assertTrue(json.startsWith("[") && json.endsWith("]"), json);
        long objects = json.chars().filter(ch -> ch == '{').count();
        assertEquals(r.rows().size(), objects);
        for (String field : List.of("\"engine\"", "\"op\"", "\"n\"", "\"c\"", "\"dtype\"", "\"threads\"", "\"ms\"", "\"floor_ms\"")) {
            assertEquals(objects, json.split(field + ":", -1).length - 1, field + " in every row");
        }
        assertTrue(json.contains("\"op\": \"forward_backward\""));
        assertTrue(json.contains("\"floor_ms\": null"), "a missing floor is null, not NaN");
    }

    @Test
    void tablePrintsEveryRowAndTheRatios() {
        BenchResults r = BenchResults.of(sample(), 2);
        StringWriter s = new StringWriter();
        r.printTable(new PrintWriter(s));
        String t = s.toString();
        assertTrue(t.contains("x floor") && t.contains("x peer"), t);
        assertTrue(t.contains("1.25"), t);
        assertTrue(t.contains("0.500"), t);
        assertEquals(r.rows().size(), t.lines().filter(l -> l.matches("^(forward|forward_backward|backward) +\\d+x\\d+ .*")).count());
    }

    @Test
    void chartsAreWrittenPerOpAndDtype(@TempDir Path dir) throws Exception {
        List<Path> files = BenchChart.write(BenchResults.of(sample(), 2), dir, 2);
        assertTrue(files.contains(dir.resolve("chart-forward_backward-f32.png")), files.toString());
        for (Path p : files) assertTrue(Files.size(p) > 1000, p + " is a PNG");
    }
}
