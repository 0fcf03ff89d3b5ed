package dev.xent.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

/** The demo's progress: a bar on stderr only on a terminal; the result lines on stdout either way. */
class ProgressDisplayTest {

    private static String[] run(boolean terminal) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        try (ProgressDisplay p = new ProgressDisplay("train", 4, new PrintWriter(out), new PrintWriter(err), terminal)) {
            for (int epoch = 1; epoch <= 2; epoch++) {
                p.step("epoch " + epoch + " step 1");
                p.step("epoch " + epoch + " step 2");
                p.println("epoch " + epoch + " done");
            }
        }
        return new String[] {out.toString(), err.toString()};
    }

    @Test
    void onATerminalABarOnStderr() {
        String[] r = run(true);
        assertEquals("epoch 1 done" + System.lineSeparator() + "epoch 2 done" + System.lineSeparator(), r[0]);
        assertTrue(r[1].contains("train") && r[1].contains("\r"), "a bar redrawn in place: " + r[1]);
        assertTrue(r[1].contains("4/4"), "the bar ends full: " + r[1]);
    }

    @Test
    void pipedOnlyThePlainLines() {
        String[] r = run(false);
        assertEquals("epoch 1 done" + System.lineSeparator() + "epoch 2 done" + System.lineSeparator(), r[0]);
        assertEquals("", r[1], "nothing on stderr");
    }
}
