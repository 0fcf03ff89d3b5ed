package dev.xent;

import dev.xent.engine.Engine;
import dev.xent.engine.EngineProvider;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The engine registry. Engines come from {@link EngineProvider}s found by {@link ServiceLoader};
 * each is probed once, lazily. Automatic selection takes the first auto-selectable engine in
 * {@link #AUTO_ORDER} that is available, and always says which one and why.
 */
public final class Engines {
    /** Names in the order automatic selection tries them. */
    public static final List<String> AUTO_ORDER = List.of("cuda", "java");

    private static final System.Logger LOG = System.getLogger("dev.xent");
    private static final ConcurrentHashMap<String, EngineProvider.Probe> PROBES = new ConcurrentHashMap<>();
    private static volatile Selection autoSelection;

    private Engines() {}

    /** An engine and why it was chosen. */
    public record Selection(Engine engine, String reason) {}

    /** What is known about one engine: whether it can run here and, if not, why. */
    public record Status(String name, boolean available, boolean autoSelectable, String detail) {}

    private static List<EngineProvider> providers() {
        List<EngineProvider> found = new ArrayList<>();
        ServiceLoader.load(EngineProvider.class, Engines.class.getClassLoader()).forEach(found::add);
        return found;
    }

    private static EngineProvider provider(String name) {
        for (EngineProvider p : providers()) {
            if (p.name().equals(name)) return p;
        }
        return null;
    }

    private static EngineProvider.Probe probe(EngineProvider provider) {
        return PROBES.computeIfAbsent(provider.name(), n -> {
            try {
                return provider.probe();
            } catch (RuntimeException | LinkageError e) {
                return EngineProvider.Probe.unavailable(e.getClass().getSimpleName() + ": " + e.getMessage());
            }
        });
    }

    /**
     * The engine called {@code name}.
     *
     * @throws IllegalArgumentException if no engine has that name, or it cannot run here (the
     *                                  message says why)
     */
    public static Engine named(String name) {
        EngineProvider provider = provider(name);
        if (provider == null) {
            throw new IllegalArgumentException("unknown engine '" + name + "'; known engines: " + names());
        }
        EngineProvider.Probe probe = probe(provider);
        if (!probe.isAvailable()) {
            throw new IllegalArgumentException("engine '" + name + "' is unavailable: " + probe.reason());
        }
        return probe.engine();
    }

    /** Automatic selection: the first available engine of {@link #AUTO_ORDER}. Never throws. */
    public static Selection auto() {
        Selection s = autoSelection;
        if (s == null) {
            synchronized (Engines.class) {
                s = autoSelection;
                if (s == null) {
                    s = select();
                    LOG.log(Level.INFO, "xent engine: {0} ({1})", s.engine().name(), s.reason());
                    autoSelection = s;
                }
            }
        }
        return s;
    }

    private static Selection select() {
        StringBuilder skipped = new StringBuilder();
        for (String name : AUTO_ORDER) {
            EngineProvider provider = provider(name);
            if (provider == null || !provider.autoSelectable()) continue;
            EngineProvider.Probe probe = probe(provider);
            if (probe.isAvailable()) {
                String reason = skipped.isEmpty()
                        ? name + " is the first choice and is available"
                        : "chosen because " + skipped;
                return new Selection(probe.engine(), reason);
            }
            if (!skipped.isEmpty()) skipped.append("; ");
            skipped.append(name).append(" is unavailable: ").append(probe.reason());
        }
        throw new IllegalStateException("no engine available, not even java: " + skipped);
    }

    /** Every known engine with its availability, in registry order. */
    public static List<Status> report() {
        List<Status> out = new ArrayList<>();
        for (EngineProvider p : providers()) {
            EngineProvider.Probe probe = probe(p);
            out.add(new Status(p.name(), probe.isAvailable(), p.autoSelectable(),
                    probe.isAvailable() ? probe.engine().description() : probe.reason()));
        }
        return out;
    }

    /** Names of every engine the registry knows, available or not. */
    public static List<String> names() {
        return providers().stream().map(EngineProvider::name).toList();
    }
}
