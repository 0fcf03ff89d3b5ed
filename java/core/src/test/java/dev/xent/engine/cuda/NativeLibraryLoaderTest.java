package dev.xent.engine.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.xent.Engines;
import dev.xent.engine.EngineProvider;
import dev.xent.ffi.xent_h;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Where the loader looks, and that every failure is a reason, never an exception. */
class NativeLibraryLoaderTest {
    private static final ClassLoader EMPTY = new URLClassLoader(new URL[0], null);

    @TempDir
    Path tmp;

    /** The freshly built library on the test class path (target/classes/native/...), or null. */
    static Path built(NativeLibraryLoader.Flavor flavor) {
        URL url = NativeLibraryLoaderTest.class.getClassLoader()
                .getResource("native/" + NativeLibraryLoader.platform() + "/" + flavor.fileName());
        if (url == null || !"file".equals(url.getProtocol())) return null;
        try {
            return Path.of(url.toURI());
        } catch (Exception e) {
            return null;
        }
    }

    private static NativeLibraryLoader.Result load(NativeLibraryLoader.Flavor flavor, Map<String, String> props, ClassLoader resources) {
        return NativeLibraryLoader.load(flavor, props::get, resources);
    }

    @Test
    void missingExplicitPathIsAReason() {
        Path missing = tmp.resolve("nowhere/libxent_cuda.so");
        var r = load(NativeLibraryLoader.Flavor.CUDA, Map.of("xent.cuda.library", missing.toString()), EMPTY);
        assertFalse(r.isLoaded());
        assertNull(r.library());
        assertTrue(r.reason().contains(missing.toString()) && r.reason().contains("does not exist"), r.reason());
        assertTrue(r.reason().contains("-Dxent.cuda.library"), r.reason());
    }

    @Test
    void explicitPathWinsOverEverythingElse() {
        Path emu = built(NativeLibraryLoader.Flavor.EMULATOR);
        assumeTrue(emu != null, "libxent_emu.so was not built");
        // A wrong explicit path is not silently replaced by the good library next to it.
        var r = load(NativeLibraryLoader.Flavor.EMULATOR,
                Map.of("xent.emu.library", tmp.resolve("libxent_emu.so").toString(), "xent.library.path", emu.getParent().toString()),
                getClass().getClassLoader());
        assertFalse(r.isLoaded(), "an explicit path that does not exist must not fall through");
    }

    @Test
    void textFileNamedSoIsAReason() throws IOException {
        Path broken = Files.writeString(tmp.resolve("libxent_cuda.so"), "this is not an ELF file\n");
        var r = load(NativeLibraryLoader.Flavor.CUDA, Map.of("xent.cuda.library", broken.toString()), EMPTY);
        assertFalse(r.isLoaded());
        assertTrue(r.reason().startsWith("cannot load " + broken), r.reason());
        // The same through the directory property, and through the provider's probe.
        var viaDir = load(NativeLibraryLoader.Flavor.CUDA, Map.of("xent.library.path", tmp.toString()), EMPTY);
        assertTrue(viaDir.reason().startsWith("cannot load " + broken), viaDir.reason());
        EngineProvider.Probe probe = CudaEngineProvider.probe("cuda", viaDir, false);
        assertFalse(probe.isAvailable());
        assertEquals(viaDir.reason(), probe.reason());
    }

    @Test
    void truncatedElfFileIsAReason() throws IOException {
        byte[] bytes = new byte[64];
        bytes[0] = 0x7f;
        bytes[1] = 'E';
        bytes[2] = 'L';
        bytes[3] = 'F';
        Path broken = Files.write(tmp.resolve("libxent_emu.so"), bytes);
        var r = load(NativeLibraryLoader.Flavor.EMULATOR, Map.of("xent.emu.library", broken.toString()), EMPTY);
        assertFalse(r.isLoaded());
        assertTrue(r.reason().startsWith("cannot load " + broken), r.reason());
    }

    @Test
    void aLibraryWithoutTheSymbolsIsAReason() {
        Path libc = Path.of("/lib/x86_64-linux-gnu/libc.so.6");
        assumeTrue(Files.isRegularFile(libc), "no glibc at " + libc);
        var r = load(NativeLibraryLoader.Flavor.EMULATOR, Map.of("xent.emu.library", libc.toString()), EMPTY);
        assertFalse(r.isLoaded());
        assertTrue(r.reason().contains("is not a xent library") && r.reason().contains("xent_abi_version"), r.reason());
    }

    @Test
    void aLibraryOfAnotherAbiVersionSaysWhich() throws Exception {
        String cc = onPath("cc") ? "cc" : onPath("gcc") ? "gcc" : null;
        assumeTrue(cc != null, "no C compiler on PATH to build a library of another ABI version");
        int other = xent_h.XENT_ABI_VERSION() - 1;
        Path source = Files.writeString(tmp.resolve("old.c"), "int xent_abi_version(void) { return " + other + "; }\n");
        Path old = tmp.resolve("libxent_emu.so");
        Process p = new ProcessBuilder(cc, "-shared", "-fPIC", "-o", old.toString(), source.toString())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), cc + " failed: " + out);
        var r = load(NativeLibraryLoader.Flavor.EMULATOR, Map.of("xent.emu.library", old.toString()), EMPTY);
        assertFalse(r.isLoaded());
        assertTrue(r.reason().contains("has ABI version " + other + " but these bindings were generated for "
                + xent_h.XENT_ABI_VERSION()), r.reason());
    }

    private static boolean onPath(String tool) {
        String path = System.getenv("PATH");
        if (path == null) return false;
        for (String dir : path.split(File.pathSeparator)) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, tool))) return true;
        }
        return false;
    }

    @Test
    void notInTheJarSaysHowItWasBuilt() {
        var cuda = load(NativeLibraryLoader.Flavor.CUDA, Map.of("xent.library.path", tmp.toString()), EMPTY);
        assertFalse(cuda.isLoaded());
        assertTrue(cuda.reason().contains("libxent_cuda.so") && cuda.reason().contains("not found in the jar (built without nvcc"),
                cuda.reason());
        assertTrue(cuda.reason().contains("-Dxent.library.path=" + tmp), cuda.reason());
        var emu = load(NativeLibraryLoader.Flavor.EMULATOR, Map.of(), EMPTY);
        assertTrue(emu.reason().contains("libxent_emu.so not found in the jar"), emu.reason());
    }

    @Test
    void loadsFromADirectoryProperty() {
        Path emu = built(NativeLibraryLoader.Flavor.EMULATOR);
        assumeTrue(emu != null, "libxent_emu.so was not built");
        var r = load(NativeLibraryLoader.Flavor.EMULATOR, Map.of("xent.library.path", emu.getParent().toString()), EMPTY);
        assertTrue(r.isLoaded(), r.reason());
        assertEquals(emu, r.path());
        assertEquals(xent_h.XENT_ABI_VERSION(), r.library().xent_abi_version());
        assertEquals(1, r.library().xent_is_emulator());
    }

    @Test
    void extractsFromAJar() throws IOException {
        Path emu = built(NativeLibraryLoader.Flavor.EMULATOR);
        assumeTrue(emu != null, "libxent_emu.so was not built");
        Path jar = tmp.resolve("natives.jar");
        String entry = "native/" + NativeLibraryLoader.platform() + "/libxent_emu.so";
        try (OutputStream os = Files.newOutputStream(jar); JarOutputStream jos = new JarOutputStream(os)) {
            jos.putNextEntry(new JarEntry(entry));
            Files.copy(emu, jos);
            jos.closeEntry();
        }
        try (URLClassLoader cl = new URLClassLoader(new URL[] {jar.toUri().toURL()}, null)) {
            var r = load(NativeLibraryLoader.Flavor.EMULATOR, Map.of(), cl);
            assertTrue(r.isLoaded(), r.reason());
            assertNotEquals(emu, r.path(), "a jar resource is extracted to a file of its own");
            assertEquals(Files.size(emu), Files.size(r.path()));
            assertTrue(r.origin().contains(entry), r.origin());
            assertEquals(1, r.library().xent_is_emulator());
        }
    }

    @Test
    void cudaAndEmulatorLibrariesLoadSideBySide() {
        var cuda = NativeLibraryLoader.load(NativeLibraryLoader.Flavor.CUDA);
        var emu = NativeLibraryLoader.load(NativeLibraryLoader.Flavor.EMULATOR);
        assumeTrue(cuda.isLoaded() && emu.isLoaded(), "both libraries needed: " + cuda.reason() + " / " + emu.reason());
        assertNotEquals(cuda.library().xent_abi_version$address().address(), emu.library().xent_abi_version$address().address(),
                "the same symbol must resolve in each library separately");
        assertEquals(0, cuda.library().xent_is_emulator());
        assertEquals(1, emu.library().xent_is_emulator());
    }

    @Test
    void autoSelectionNeverThrowsAndExplainsItself() {
        Engines.Selection s = Engines.auto();
        assertNotNull(s.engine());
        Engines.Status cuda = Engines.report().stream().filter(st -> st.name().equals("cuda")).findFirst().orElseThrow();
        if (!cuda.available()) {
            assertEquals("java", s.engine().name());
            assertTrue(s.reason().contains("cuda is unavailable: " + cuda.detail()), s.reason());
            assertFalse(cuda.detail().isBlank());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Engines.named("cuda"));
            assertTrue(e.getMessage().contains(cuda.detail()), e.getMessage());
        } else {
            assertEquals("cuda", s.engine().name());
        }
        Engines.Status emu = Engines.report().stream().filter(st -> st.name().equals("cuda-emu")).findFirst().orElseThrow();
        assertFalse(emu.autoSelectable(), "the emulator is never selected automatically");
    }

    @Test
    void withoutAGpuTheCudaProviderGivesTheDriversReason() {
        var cuda = NativeLibraryLoader.load(NativeLibraryLoader.Flavor.CUDA);
        assumeTrue(cuda.isLoaded(), "libxent_cuda.so not loaded: " + cuda.reason());
        EngineProvider.Probe probe = new CudaEngineProvider().probe();
        if (probe.isAvailable()) return; // a machine with a GPU
        assertTrue(probe.reason().contains("xent_device_count"), probe.reason());
        System.out.println("cuda provider on this machine: " + probe.reason());
    }
}
