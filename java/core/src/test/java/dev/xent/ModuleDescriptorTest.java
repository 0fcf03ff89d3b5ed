package dev.xent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.xent.engine.EngineProvider;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.lang.module.ModuleReader;
import java.lang.module.ModuleReference;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The module descriptor xent-core is built with, read from its build output (directory or jar). */
class ModuleDescriptorTest {
    /** The public API and the engine SPI: every other package is internal. */
    private static final Set<String> API_PACKAGES = Set.of("dev.xent", "dev.xent.eval", "dev.xent.engine");
    /** Internal packages are these and the packages below them. */
    private static final List<String> INTERNAL_ROOTS =
            List.of("dev.xent.engine.jvm", "dev.xent.engine.cuda", "dev.xent.ffi", "dev.xent.internal");
    private static final String SERVICES_FILE = "META-INF/services/" + EngineProvider.class.getName();

    private static ModuleReference built() throws URISyntaxException {
        Path location = Path.of(Xent.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        return ModuleFinder.of(location).find("dev.xent")
                .orElseThrow(() -> new AssertionError("no module dev.xent (module-info.class) in " + location));
    }

    private static boolean internal(String pkg) {
        return INTERNAL_ROOTS.stream().anyMatch(root -> pkg.equals(root) || pkg.startsWith(root + "."));
    }

    @Test
    void surefireRunsTheTestsInsideTheModule() {
        assumeTrue(Boolean.getBoolean("xent.test.modulePath"), "set by java/core/pom.xml's surefire configuration only");
        Module module = Xent.class.getModule();
        assertTrue(module.isNamed(), "xent-core runs on the class path here, not as a module");
        assertEquals("dev.xent", module.getName());
        assertEquals(module, ModuleDescriptorTest.class.getModule(), "the tests are not patched into dev.xent");
    }

    @Test
    void exportsExactlyTheApiPackages() throws URISyntaxException {
        ModuleDescriptor d = built().descriptor();
        Set<String> exported = d.exports().stream().map(ModuleDescriptor.Exports::source).collect(Collectors.toSet());
        assertEquals(API_PACKAGES, exported);
        for (ModuleDescriptor.Exports e : d.exports()) {
            assertFalse(e.isQualified(), "qualified export " + e);
        }
        assertTrue(d.opens().isEmpty() && !d.isOpen(), "opens " + d.opens());
        for (String pkg : List.of("dev.xent.engine.jvm", "dev.xent.engine.jvm.vector", "dev.xent.engine.cuda",
                "dev.xent.ffi", "dev.xent.internal")) {
            assertTrue(d.packages().contains(pkg), pkg + " is not in the module");
        }
        for (String pkg : d.packages()) {
            assertTrue(API_PACKAGES.contains(pkg) || internal(pkg),
                    pkg + " is neither exported nor under " + INTERNAL_ROOTS + ": an API package missing from module-info?");
        }
    }

    @Test
    void vectorApiIsOptionalAtRunTime() throws URISyntaxException {
        ModuleDescriptor.Requires vector = built().descriptor().requires().stream()
                .filter(r -> r.name().equals("jdk.incubator.vector")).findFirst()
                .orElseThrow(() -> new AssertionError("dev.xent does not require jdk.incubator.vector"));
        assertEquals(Set.of(ModuleDescriptor.Requires.Modifier.STATIC), vector.modifiers());
    }

    @Test
    void enginesAreBoundAsServicesTheSameWayOnBothPaths() throws URISyntaxException, IOException {
        ModuleReference built = built();
        ModuleDescriptor d = built.descriptor();
        assertEquals(Set.of(EngineProvider.class.getName()), d.uses());
        ModuleDescriptor.Provides provides = d.provides().stream()
                .filter(p -> p.service().equals(EngineProvider.class.getName())).findFirst()
                .orElseThrow(() -> new AssertionError("dev.xent provides no " + EngineProvider.class.getName()));
        assertEquals(classPathProviders(built), provides.providers(), "module-info and " + SERVICES_FILE + " disagree");
        assertEquals(Set.of("java", "cuda", "cuda-emu"), Set.copyOf(Engines.names()));
    }

    /** The providers a class-path user gets: the services file beside the classes. */
    private static List<String> classPathProviders(ModuleReference built) throws IOException {
        try (ModuleReader reader = built.open();
             InputStream in = reader.open(SERVICES_FILE).orElseThrow(() -> new AssertionError("no " + SERVICES_FILE))) {
            return new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8)).lines()
                    .map(line -> line.replaceFirst("#.*", "").strip())
                    .filter(line -> !line.isEmpty())
                    .toList();
        }
    }
}
