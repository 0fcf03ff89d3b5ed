package dev.xent.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.xent.Xent;
import dev.xent.engine.jvm.JavaEngine;
import org.junit.jupiter.api.Test;

/** {@code xent info} and the top-level command. */
class InfoCommandTest {

    @Test
    void listsEnginesVersionsVectorWidthAndTheAutoChoice() {
        CliRun r = CliRun.of("info");
        assertEquals(0, r.code(), r.describe());
        String out = r.out();
        assertTrue(out.contains("java     " + System.getProperty("java.version")), r.describe());
        assertTrue(out.contains("vector   "), r.describe());
        assertTrue(out.matches("(?s).*\\njava\\s+yes\\s+yes\\s+.*"), "the java engine is available and auto-selectable\n" + out);
        Xent auto = Xent.auto();
        assertTrue(out.contains("auto     " + auto.engine().name() + ": " + auto.selectionReason()), r.describe());
    }

    @Test
    void vectorWidthIsReportedOrItsAbsenceExplained() {
        String v = JavaEngine.vectorSupport();
        boolean present = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
        boolean disabled = "false".equalsIgnoreCase(System.getProperty("xent.java.vector", "true").trim());
        if (disabled) {
            assertTrue(v.contains("-Dxent.java.vector=false"), v);
        } else {
            assertTrue(present ? v.matches("Vector API, \\d+-bit preferred species") : v.contains("--add-modules jdk.incubator.vector"), v);
        }
        assertTrue(CliRun.of("info").out().contains("vector   " + v + "\n"), "xent info prints the engine's own probe");
    }

    @Test
    void noCommandIsAUsageError() {
        CliRun r = CliRun.of();
        assertEquals(2, r.code(), r.describe());
        assertTrue(r.err().startsWith("xent: a command is needed"), r.describe());
        CliRun unknown = CliRun.of("train");
        assertEquals(2, unknown.code(), unknown.describe());
        assertEquals(1, unknown.err().strip().lines().count(), unknown.describe());
    }

    @Test
    void versionAndHelp() {
        CliRun v = CliRun.of("--version");
        assertEquals(0, v.code(), v.describe());
        assertTrue(v.out().startsWith("xent "), v.describe());
        CliRun h = CliRun.of("loss", "--help");
        assertEquals(0, h.code(), h.describe());
        assertTrue(h.out().contains("--bf16") && h.out().contains("--out-log-probs"), h.describe());
    }
}
