package dev.xent.cli.bench;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The plan names benchmarks that exist in the BenchmarkList the CLI jar carries; quick stays small. */
class BenchPlanTest {

    private static List<String> benchmarkNames() throws Exception {
        try (InputStream in = BenchPlanTest.class.getClassLoader().getResourceAsStream("META-INF/BenchmarkList")) {
            assertNotNull(in, "META-INF/BenchmarkList is on the class path (xent-bench)");
            String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            // Each line: JMH S <len> <class> S <len> <generated> S <len> <method> ...
            return text.lines().filter(l -> !l.isBlank()).map(l -> {
                String[] f = l.split(" ");
                return f[3] + "." + f[9];
            }).toList();
        }
    }

    @Test
    void everyRunOfTheDefaultPlansMatchesABenchmark() throws Exception {
        List<String> names = benchmarkNames();
        for (boolean quick : new boolean[] {true, false}) {
            for (BenchPlan.Run r : BenchPlan.of(quick, false).runs()) {
                Pattern p = Pattern.compile(r.include());
                assertTrue(names.stream().anyMatch(n -> p.matcher(n).find()), r.label() + ": " + r.include() + " matches nothing in " + names);
            }
        }
    }

    @Test
    void quickIsTheHeadlineShapeWithFewForks() {
        BenchPlan q = BenchPlan.of(true, false);
        for (BenchPlan.Run r : q.runs()) {
            String[] shapes = r.params().get("shape");
            assertTrue(shapes.length == 1 && shapes[0].equals(BenchPlan.HEADLINE), r.label());
        }
        assertTrue(q.forkCount() <= 20, "quick starts " + q.forkCount() + " forks");
        assertTrue(BenchPlan.of(true, true).forkCount() <= 30);
        assertTrue(BenchPlan.of(false, false).forkCount() > q.forkCount());
    }

    @Test
    void floorsRunBeforeEngines() {
        List<BenchPlan.Run> runs = BenchPlan.of(false, true).runs();
        assertTrue(runs.get(0).include().contains("FloorBench"));
    }
}
