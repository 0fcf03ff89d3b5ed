package dev.xent.cli.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import dev.xent.cli.Main;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

/** {@code xent bench} without running benchmarks: the plan, and --peers on a build without peers. */
class BenchCommandTest {

    private static String[] run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new String[] {Integer.toString(code), out.toString(), err.toString()};
    }

    @Test
    void planListsTheRunsAndExits() {
        String[] r = run("bench", "--quick", "--plan");
        assertEquals("0", r[0], r[2]);
        assertTrue(r[1].contains("FloorBench") && r[1].contains("CrossEntropyBench") && r[1].contains("shape=4096x32768"), r[1]);
    }

    @Test
    void peersWithoutAPeersBuildSaysHowToGetThem() {
        assumeFalse(PeerClasspath.peerBenchmarksCompiled() && PeerClasspath.find() != null, "this build has the peers");
        String[] r = run("bench", "--quick", "--peers");
        assertEquals("2", r[0], r[1] + r[2]);
        assertTrue(r[2].startsWith("xent bench: --peers needs") && r[2].contains("-Ppeers"), r[2]);
    }

    @Test
    void helpNamesTheOptions() {
        String[] r = run("bench", "--help");
        assertEquals("0", r[0]);
        for (String o : new String[] {"--quick", "--peers", "--out"}) assertTrue(r[1].contains(o), r[1]);
    }
}
