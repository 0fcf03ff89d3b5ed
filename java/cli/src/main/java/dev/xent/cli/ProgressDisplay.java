package dev.xent.cli;

import java.io.PrintWriter;
import me.tongfei.progressbar.DelegatingProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * Progress of a long task. On a terminal, a progress bar on stderr that lets result lines go to
 * stdout without tearing: before a line is printed the bar's line is wiped, and the bar redraws
 * itself on its next tick. Otherwise (output piped or redirected) no bar: the lines alone, as
 * they come, so a log holds no carriage returns.
 */
final class ProgressDisplay implements AutoCloseable {
    private static final int DEFAULT_COLUMNS = 80;

    private final PrintWriter out;
    private final PrintWriter err;
    private final ProgressBar bar;
    private int drawnLength;

    /** With {@code terminal} false there is no bar, only the lines (see {@link #stdoutIsTerminal()}). */
    ProgressDisplay(String task, long steps, PrintWriter out, PrintWriter err, boolean terminal) {
        this.out = out;
        this.err = err;
        this.bar = !terminal ? null : new ProgressBarBuilder()
                .setTaskName(task)
                .setInitialMax(steps)
                .setStyle(ProgressBarStyle.ASCII)
                .setUpdateIntervalMillis(100)
                .setConsumer(new DelegatingProgressBarConsumer(this::draw, columns() - 1))
                .build();
    }

    /** Whether this JVM's standard output is a terminal (not a pipe or a file). */
    static boolean stdoutIsTerminal() {
        java.io.Console console = System.console();
        return console != null && console.isTerminal();
    }

    /** The terminal's width from $COLUMNS where the shell exports it, else 80: a wrapped bar cannot redraw itself. */
    private static int columns() {
        try {
            String c = System.getenv("COLUMNS");
            int n = c == null ? DEFAULT_COLUMNS : Integer.parseInt(c.strip());
            return Math.max(40, Math.min(n, 200));
        } catch (NumberFormatException e) {
            return DEFAULT_COLUMNS;
        }
    }

    void step(String message) {
        if (bar == null) return;
        bar.setExtraMessage(message);
        bar.step();
    }

    /** Prints a line to stdout above the bar. */
    void println(String line) {
        synchronized (this) {
            wipe();
            out.println(line);
            out.flush();
        }
    }

    private synchronized void draw(String rendered) {
        err.print('\r');
        err.print(rendered);
        if (rendered.length() < drawnLength) err.print(" ".repeat(drawnLength - rendered.length()));
        err.flush();
        drawnLength = rendered.length();
    }

    private void wipe() {
        if (drawnLength > 0) {
            err.print('\r' + " ".repeat(drawnLength) + '\r');
            err.flush();
            drawnLength = 0;
        }
    }

    /** Draws the final state and ends the bar's line. */
    @Override
    public void close() {
        if (bar == null) return;
        bar.close();
        synchronized (this) {
            err.println();
            err.flush();
            drawnLength = 0;
        }
    }
}
