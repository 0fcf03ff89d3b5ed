package dev.xent.cli;

import java.io.PrintWriter;
import me.tongfei.progressbar.DelegatingProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * A progress bar on stderr that lets result lines go to stdout without tearing: before a line is
 * printed the bar's line is wiped, and the bar redraws itself on its next tick.
 */
final class ProgressDisplay implements AutoCloseable {
    private static final int DEFAULT_COLUMNS = 80;

    private final PrintWriter out;
    private final PrintWriter err;
    private final ProgressBar bar;
    private int drawnLength;

    ProgressDisplay(String task, long steps, PrintWriter out, PrintWriter err) {
        this.out = out;
        this.err = err;
        this.bar = new ProgressBarBuilder()
                .setTaskName(task)
                .setInitialMax(steps)
                .setStyle(ProgressBarStyle.ASCII)
                .setUpdateIntervalMillis(100)
                .setConsumer(new DelegatingProgressBarConsumer(this::draw, columns() - 1))
                .build();
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
        bar.close();
        synchronized (this) {
            err.println();
            err.flush();
            drawnLength = 0;
        }
    }
}
