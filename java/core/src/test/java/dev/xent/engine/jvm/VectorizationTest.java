package dev.xent.engine.jvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The probe's fallbacks, each in a fresh JVM logging every class it loads: the engine runs scalar,
 * says why, gives the forced-scalar engine's results bit for bit, and never loads a class of the
 * vector package.
 */
class VectorizationTest {

    private static String run(String... jvmArgs) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(List.of(jvmArgs));
        cmd.addAll(List.of("-Xlog:class+load=info", "-cp", childClassPath(), ScalarPathMain.class.getName()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the child JVM did not finish");
        assertEquals(0, p.exitValue(), out);
        return out;
    }

    /** The child runs on the class path: the test run's class path plus, when surefire runs the tests
     *  on the module path, the module path (where xent-core's own classes then are). */
    private static String childClassPath() {
        return Stream.of(System.getProperty("jdk.module.path"),
                        System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")))
                .filter(p -> p != null && !p.isEmpty())
                .collect(Collectors.joining(File.pathSeparator));
    }

    private static void assertScalarRun(String out, String reasonPart) {
        assertTrue(out.contains("\nmode SCALAR\n"), out);
        assertTrue(out.lines().anyMatch(l -> l.startsWith("reason ") && l.contains(reasonPart)), out);
        StringBuilder expected = new StringBuilder("losses");
        for (float v : ScalarPathMain.losses(JavaEngine.scalar())) expected.append(' ').append(Integer.toHexString(Float.floatToIntBits(v)));
        assertTrue(out.contains("\n" + expected + "\n"), "expected " + expected + " in\n" + out);
        assertTrue(out.contains("dev.xent.engine.jvm.Vectorization "), "the class-load log must list the probe\n" + out);
        assertFalse(out.contains("dev.xent.engine.jvm.vector."), "the scalar path loaded a vector class\n" + out);
    }

    @Test
    void withoutTheIncubatorModuleTheEngineRunsScalar() throws Exception {
        assertScalarRun(run(), "pass --add-modules jdk.incubator.vector");
    }

    @Test
    void theSystemPropertyTurnsTheVectorApiOff() throws Exception {
        assertScalarRun(run("--add-modules", "jdk.incubator.vector", "-Dxent.java.vector=false"), "-Dxent.java.vector=false");
    }

    @Test
    void theProbeHandsOutEveryKernelOfOneKind() {
        Vectorization v = Vectorization.get();
        // the surefire JVM gets --add-modules jdk.incubator.vector
        assertTrue(v.isVector(), v.reason());
        assertTrue(v.reason().matches("Vector API, \\d+-bit preferred species"), v.reason());
        assertEquals("dev.xent.engine.jvm.vector", v.kernels().getClass().getPackageName());
        assertEquals("dev.xent.engine.jvm.vector", v.pairKernels().getClass().getPackageName());
        Vectorization s = Vectorization.scalar();
        assertFalse(s.isVector());
        assertEquals("forced scalar", s.reason());
        assertEquals(ScalarKernels.INSTANCE, s.kernels());
        assertNull(s.pairKernels());
    }
}
