package dev.xent.cli;

import dev.xent.Engines;
import dev.xent.Xent;

/** Turns an {@code --engine} value into a {@link Xent}: "auto" or an engine's name. */
final class EngineChoice {
    static final String AUTO = "auto";

    private EngineChoice() {}

    static Xent select(String name) {
        if (name == null || name.equals(AUTO)) return Xent.auto();
        try {
            return Xent.engine(name);
        } catch (IllegalArgumentException e) {
            throw new UserError("--engine " + name + ": " + e.getMessage() + " (known: " + AUTO + ", "
                    + String.join(", ", Engines.names()) + ")");
        }
    }
}
