package dev.xent.cli;

import dev.xent.Engines;
import dev.xent.Xent;
import picocli.CommandLine.Option;

/** {@code --engine NAME}, a mixin of the commands that compute: "auto" or an engine's name. */
final class EngineOption {
    private static final String AUTO = "auto";

    @Option(names = "--engine", paramLabel = "NAME", defaultValue = AUTO,
            description = "Engine by name: auto, java, cuda, cuda-emu (default ${DEFAULT-VALUE}).")
    String engine;

    /** The engine named, or the automatic choice; an unknown or unavailable one is a {@link UserError}. */
    Xent select() {
        if (engine == null || engine.equals(AUTO)) return Xent.auto();
        try {
            return Xent.engine(engine);
        } catch (IllegalArgumentException e) {
            throw new UserError("--engine " + engine + ": " + e.getMessage() + " (known: " + AUTO + ", "
                    + String.join(", ", Engines.names()) + ")");
        }
    }
}
