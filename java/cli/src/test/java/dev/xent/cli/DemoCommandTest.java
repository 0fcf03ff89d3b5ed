package dev.xent.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code xent demo} end to end with a short training run. */
class DemoCommandTest {
    private static final Pattern EPOCH = Pattern.compile("^\\s+(\\d+)\\s+([0-9.]+)\\s+[0-9.]+\\s+[0-9.]+\\s+([0-9.]+)", Pattern.MULTILINE);

    @TempDir
    Path dir;

    @Test
    void runsTrainsAndWritesThePlot() throws Exception {
        CliRun r = CliRun.of("demo", "--epochs", "3", "--out", dir.toString());
        assertEquals(0, r.code(), r.describe());
        String out = r.out();
        for (String expected : List.of("== Engines", "running on: ", "\"the cat sat on the ___\"", "loss = -log p[mat]",
                "H(p,q)", "KL(p||q)", "vocabulary V = ", "held-out CE", "loss curve: ", "a sample from the trained model")) {
            assertTrue(out.contains(expected), "demo output should contain '" + expected + "'\n" + r.describe());
        }
        Path png = dir.resolve("loss.png");
        assertTrue(out.contains(png.toAbsolutePath().normalize().toString()), "the plot's path is printed");
        byte[] bytes = Files.readAllBytes(png);
        assertTrue(bytes.length > 1000, "a real image: " + bytes.length + " bytes");
        assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'}, Arrays.copyOf(bytes, 8));

        Matcher m = EPOCH.matcher(out);
        double firstTrain = Double.NaN;
        double lastTrain = Double.NaN;
        int epochs = 0;
        while (m.find()) {
            epochs++;
            double train = Double.parseDouble(m.group(2));
            if (epochs == 1) firstTrain = train;
            lastTrain = train;
        }
        assertEquals(3, epochs, "one line per epoch\n" + out);
        assertTrue(lastTrain < firstTrain, "training loss falls: " + firstTrain + " -> " + lastTrain);
        // Issue #11: the run's stdout is not a terminal, so no progress bar and no carriage returns, one plain line an epoch
        assertTrue(!r.err().contains("train") && !r.err().contains("\r") && !out.contains("\r"), "no progress bar when piped\n"
                + r.describe());
    }

    @Test
    void trainsOnAGivenText() throws Exception {
        Path text = dir.resolve("t.txt");
        Files.writeString(text, "# a comment line\nabab abba baba abab\nbaab abab\n");
        CliRun r = CliRun.of("demo", "--epochs", "1", "--out", dir.resolve("o").toString(), "--text", text.toString());
        assertEquals(0, r.code(), r.describe());
        assertTrue(r.out().contains("vocabulary V = 3 characters"), r.describe());
        assertTrue(Files.exists(dir.resolve("o/loss.png")));
    }

    @Test
    void badTrainingOptionsAreUserErrors() {
        CliRun r = CliRun.of("demo", "--epochs", "0", "--out", dir.toString());
        assertEquals(2, r.code(), r.describe());
        assertEquals("xent demo: --epochs must be >= 1, got 0", r.err().strip());
    }
}
