package dev.xent.engine;

/**
 * Knows how to make one engine, and why it cannot when it cannot. Providers must not throw from
 * {@link #probe()}: a missing library or driver is an answer, not an error.
 */
public interface EngineProvider {

    /** The engine's name. */
    String name();

    /** Whether automatic selection may pick this engine (the emulator never is). */
    boolean autoSelectable();

    /** Tries to make the engine: the engine, or the reason it is unavailable. */
    Probe probe();

    /** The result of a probe: exactly one of engine and reason is set. */
    record Probe(Engine engine, String reason) {
        public static Probe available(Engine engine) {
            return new Probe(engine, null);
        }

        public static Probe unavailable(String reason) {
            return new Probe(null, reason);
        }

        public boolean isAvailable() {
            return engine != null;
        }
    }
}
