package dev.xent;

import dev.xent.engine.Engine;
import dev.xent.engine.jvm.JavaEngine;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.ArgumentsProvider;

/**
 * Every engine the registry knows ({@link Engines#names()}) plus the Java engine forced to scalar
 * loops. Use as {@code @ArgumentsSource(EngineSource.class)}, or {@link #crossed} in a
 * {@code @MethodSource} to combine with other parameters. An engine that cannot run here still
 * yields a case; {@link EngineCase#engine()} skips the test with the reason.
 */
public final class EngineSource implements ArgumentsProvider {

    /** One engine to test, or why it cannot run here. */
    public record EngineCase(String label, Engine available, String reason) {
        /** The engine; skips the calling test when it is unavailable. */
        public Engine engine() {
            if (available == null && "cuda-emu".equals(label) && Boolean.getBoolean("xent.test.requireEmulator")) {
                org.junit.jupiter.api.Assertions.fail("the native build ran, so engine cuda-emu must be available: " + reason);
            }
            Assumptions.assumeTrue(available != null, "engine " + label + " unavailable: " + reason);
            return available;
        }

        public Xent xent() {
            return Xent.of(engine());
        }

        @Override
        public String toString() {
            return label;
        }
    }

    private static volatile List<EngineCase> cases;

    public static List<EngineCase> engines() {
        List<EngineCase> c = cases;
        if (c == null) {
            List<EngineCase> out = new ArrayList<>();
            for (Engines.Status s : Engines.report()) {
                out.add(s.available() ? new EngineCase(s.name(), Engines.named(s.name()), null)
                        : new EngineCase(s.name(), null, s.detail()));
            }
            out.add(new EngineCase("java-scalar", JavaEngine.scalar(), null));
            cases = c = List.copyOf(out);
        }
        return c;
    }

    /** The case of one engine by its label ("java", "java-scalar", "cuda-emu", "cuda"). */
    public static EngineCase named(String label) {
        return engines().stream().filter(e -> e.label().equals(label)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no engine " + label));
    }

    /** Engines that can run here. */
    public static List<EngineCase> availableEngines() {
        return engines().stream().filter(e -> e.available() != null).toList();
    }

    /** Every engine crossed with every combination of the given parameter lists. */
    public static Stream<Arguments> crossed(List<?>... dims) {
        List<Object[]> rows = new ArrayList<>();
        for (EngineCase e : engines()) rows.add(new Object[] {e});
        for (List<?> dim : dims) {
            List<Object[]> next = new ArrayList<>();
            for (Object[] row : rows) {
                for (Object v : dim) {
                    Object[] r = java.util.Arrays.copyOf(row, row.length + 1);
                    r[row.length] = v;
                    next.add(r);
                }
            }
            rows = next;
        }
        return rows.stream().map(Arguments::of);
    }

    @Override
    public Stream<? extends Arguments> provideArguments(ExtensionContext context) {
        return engines().stream().map(Arguments::of);
    }
}
