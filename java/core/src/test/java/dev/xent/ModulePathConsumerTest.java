package dev.xent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.spi.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A user's module (src/test/consumer/xent.consumer: {@code requires dev.xent}) compiled against the
 * built xent-core and run in a child JVM with both on the module path: it must compute a
 * cross-entropy, with and without jdk.incubator.vector, and print no native-access warning.
 */
class ModulePathConsumerTest {
    private static final int ROWS = 3;
    private static final int CLASSES = 5;
    private static final long SEED = 20261207L;

    private record Run(String stdout, String stderr) {}

    @Test
    void aModuleRequiringDevXentComputesCrossEntropy(@TempDir Path out) throws Exception {
        String root = System.getProperty("xent.test.root");
        assumeTrue(root != null, "needs -Dxent.test.root (the repository), set by java/core/pom.xml");
        Path xentModule = Path.of(Xent.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Path consumerSources = Path.of(root, "java/core/src/test/consumer");
        compile(consumerSources, xentModule, out);

        Random random = new Random(SEED);
        float[] logits = new float[ROWS * CLASSES];
        for (int i = 0; i < logits.length; i++) logits[i] = (float) (random.nextGaussian() * 4);
        int[] labels = {0, CLASSES - 1, 2};
        double expected = referenceMeanLoss(logits, labels);
        String modulePath = xentModule + File.pathSeparator + out;

        Run scalar = run(modulePath, List.of(), logits, labels);
        assertTrue(scalar.stdout().contains("engine java available=true: java: scalar (module jdk.incubator.vector is not present"),
                scalar.stdout());
        assertLoss(expected, scalar);

        Run vector = run(modulePath, List.of("--add-modules", "jdk.incubator.vector"), logits, labels);
        assertTrue(vector.stdout().contains("engine java available=true: java: Vector API"), vector.stdout());
        assertLoss(expected, vector);

        if (Boolean.getBoolean("xent.test.requireEmulator")) {
            // The emulator library was loaded from inside the module and bound through FFM.
            assertTrue(vector.stdout().contains("engine cuda-emu available=true"), vector.stdout());
        }
    }

    private static void compile(Path sources, Path xentModule, Path out) {
        ToolProvider javac = ToolProvider.findFirst("javac").orElseThrow(() -> new AssertionError("no javac in this JDK"));
        StringWriter messages = new StringWriter();
        PrintWriter writer = new PrintWriter(messages);
        int rc = javac.run(writer, writer, "--module-path", xentModule.toString(), "--module-source-path", sources.toString(),
                "--module", "xent.consumer", "-d", out.toString());
        writer.flush();
        assertEquals(0, rc, "javac failed:\n" + messages);
    }

    private static Run run(String modulePath, List<String> extraFlags, float[] logits, int[] labels)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("--enable-native-access=dev.xent");
        command.addAll(extraFlags);
        command.addAll(List.of("--module-path", modulePath, "--module", "xent.consumer/xent.consumer.Main"));
        command.add(Integer.toString(ROWS));
        command.add(Integer.toString(CLASSES));
        for (float z : logits) command.add(Float.toString(z));
        for (int y : labels) command.add(Integer.toString(y));

        Process p = new ProcessBuilder(command).start();
        p.getOutputStream().close();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the consumer JVM did not finish in 60 s: " + command);
        String stdout = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String stderr = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), "consumer failed: " + command + "\nstdout:\n" + stdout + "\nstderr:\n" + stderr);
        // The JDK's warning names "a restricted method" when --enable-native-access does not cover the caller.
        assertFalse(stderr.toLowerCase(Locale.ROOT).contains("restricted method"), "native-access warning:\n" + stderr);
        return new Run(stdout, stderr);
    }

    private static void assertLoss(double expected, Run run) {
        String line = run.stdout().lines().filter(l -> l.startsWith("loss ")).findFirst()
                .orElseThrow(() -> new AssertionError("no loss line in:\n" + run.stdout()));
        double loss = Float.parseFloat(line.substring("loss ".length()));
        assertTrue(Math.abs(loss - expected) <= 1e-6 * Math.abs(expected), "loss " + loss + ", float64 reference " + expected);
    }

    /** Mean over rows of log sum_k exp z_k - z_y, in float64. */
    private static double referenceMeanLoss(float[] logits, int[] labels) {
        double sum = 0;
        for (int r = 0; r < labels.length; r++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int k = 0; k < CLASSES; k++) max = Math.max(max, logits[r * CLASSES + k]);
            double exp = 0;
            for (int k = 0; k < CLASSES; k++) exp += Math.exp(logits[r * CLASSES + k] - max);
            sum += max + Math.log(exp) - logits[r * CLASSES + labels[r]];
        }
        return sum / labels.length;
    }
}
