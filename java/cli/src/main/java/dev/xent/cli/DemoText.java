package dev.xent.cli;

import java.util.Locale;

/** Number formatting shared by the demo's tables: nats, perplexity and bits per character. */
final class DemoText {
    static final double LN2 = Math.log(2);

    private DemoText() {}

    static String f(String format, Object... args) {
        return String.format(Locale.ROOT, format, args);
    }

    static String epochHeader() {
        return f("%5s  %10s %8s %9s   %10s %8s %9s", "epoch", "train nats", "ppl", "bits/char", "held nats", "ppl", "bits/char");
    }

    static String epochLine(TrainingHistory.Epoch e) {
        return f("%5d  %10.4f %8.3f %9.4f   %10.4f %8.3f %9.4f", e.number(),
                e.trainLoss(), Math.exp(e.trainLoss()), e.trainLoss() / LN2,
                e.heldOutLoss(), Math.exp(e.heldOutLoss()), e.heldOutLoss() / LN2);
    }

    /** A character shown in a table: spaces and controls made visible. */
    static String visible(char c) {
        return c == ' ' ? "' '" : Character.isISOControl(c) ? f("\\u%04x", (int) c) : String.valueOf(c);
    }
}
