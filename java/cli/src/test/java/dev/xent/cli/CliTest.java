package dev.xent.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** What the command-line tests share: a temporary directory for the .npy files in and out, and their checks. */
abstract class CliTest {

    @TempDir
    Path dir;

    /** Writes {@code a} as {@code dir/name}. */
    Path save(String name, NpyArray a) throws IOException {
        Path p = dir.resolve(name);
        Npy.write(p, a);
        return p;
    }

    /** Reads {@code dir/name}, an output of the command. */
    NpyArray output(String name) throws NpyFormatException {
        return Npy.read(dir.resolve(name));
    }

    /** What a failure message adds after each mismatch, e.g. the seed of the inputs; nothing by default. */
    String context() {
        return "";
    }

    /** {@code |actual - expected| <= atol + rtol |expected|} element by element; {@code what} names the array. */
    void assertClose(double[] expected, NpyArray actual, double atol, double rtol, String what) {
        assertEquals(expected.length, actual.count(), what + ": element count");
        for (int i = 0; i < expected.length; i++) {
            double got = actual.getDouble(i);
            assertTrue(Math.abs(got - expected[i]) <= atol + rtol * Math.abs(expected[i]),
                    what + "[" + i + "]: expected " + expected[i] + ", got " + got + context());
        }
    }

    /**
     * A user error: exit code 2 and one line on stderr, {@code xent COMMAND: ...}, holding every
     * fragment, without a stack trace.
     */
    static void assertUserError(CliRun r, String... fragments) {
        assertEquals(2, r.code(), r.describe());
        String err = r.err().strip();
        assertEquals(1, err.lines().count(), "one error line: " + r.describe());
        assertTrue(err.startsWith("xent " + r.command() + ": "), r.describe());
        for (String f : fragments) assertTrue(err.contains(f), "stderr should contain '" + f + "': " + r.describe());
        assertTrue(!err.contains("Exception") && !err.contains("\tat "), "no stack trace: " + r.describe());
    }
}
