package dev.xent.engine.cuda;

import dev.xent.ffi.XentLibrary;
import dev.xent.ffi.xent_h;
import java.io.IOException;
import java.io.InputStream;
import java.lang.System.Logger.Level;
import java.lang.foreign.Arena;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.UnaryOperator;

/**
 * Finds, loads and checks one of the xent native libraries. Where it looks, first hit wins:
 *
 * <ol>
 *   <li>the flavour's own path property, {@code -Dxent.cuda.library=/path/libxent_cuda.so} or
 *       {@code -Dxent.emu.library=/path/libxent_emu.so}: when set, it is the only place looked at;
 *   <li>{@code -Dxent.library.path=DIR}: {@code DIR/libxent_cuda.so} or {@code DIR/libxent_emu.so},
 *       when that file exists;
 *   <li>the copy inside the jar, resource {@code native/<os>-<arch>/<file>} (e.g.
 *       {@code native/linux-x86_64/libxent_cuda.so}), used in place when the class path is a
 *       directory and extracted to a temporary file otherwise.
 * </ol>
 *
 * The library is opened with {@code SymbolLookup.libraryLookup(path, Arena.global())} (its own
 * {@code dlopen} handle, so libxent_cuda.so and libxent_emu.so, which export the same symbols, live
 * side by side), {@code xent_abi_version()} must equal {@link xent_h#XENT_ABI_VERSION()} (asked
 * first, so a library of another ABI says so rather than miss a symbol), and every function of
 * xent.h is bound ({@link XentLibrary}). Any failure is a
 * reason string in the result, never an exception. Results are cached per flavour: a library
 * cannot be unloaded from a JVM anyway.
 */
@SuppressWarnings("restricted") // FFM: the library runs with --enable-native-access
public final class NativeLibraryLoader {
    /** Property naming a directory that holds the native libraries. */
    public static final String LIBRARY_PATH_PROPERTY = "xent.library.path";

    private static final System.Logger LOG = System.getLogger("dev.xent");
    private static final ConcurrentHashMap<Flavor, Result> CACHE = new ConcurrentHashMap<>();

    private NativeLibraryLoader() {}

    /** The two builds of the same kernel sources. */
    public enum Flavor {
        /** nvcc build, static CUDA runtime: needs a driver at run time. */
        CUDA("libxent_cuda.so", "xent.cuda.library", "built without nvcc"),
        /** Host build against the CUDA emulator: a test vehicle. */
        EMULATOR("libxent_emu.so", "xent.emu.library", "built without cmake");

        private final String fileName;
        private final String property;
        private final String missingHint;

        Flavor(String fileName, String property, String missingHint) {
            this.fileName = fileName;
            this.property = property;
            this.missingHint = missingHint;
        }

        /** The library's file name. */
        public String fileName() {
            return fileName;
        }

        /** The system property that names the library file explicitly. */
        public String property() {
            return property;
        }
    }

    /**
     * Outcome of a load: either {@code library} (with the {@code path} it came from and how it was
     * found) or a {@code reason} it could not be loaded.
     */
    public record Result(Flavor flavor, XentLibrary library, Path path, String origin, String reason) {
        public boolean isLoaded() {
            return library != null;
        }

        static Result loaded(Flavor flavor, XentLibrary library, Path path, String origin) {
            return new Result(flavor, library, path, origin, null);
        }

        static Result failed(Flavor flavor, String reason) {
            return new Result(flavor, null, null, null, reason);
        }
    }

    /** The library of that flavour, found through the system properties and this class's loader; cached. */
    public static Result load(Flavor flavor) {
        Objects.requireNonNull(flavor, "flavor");
        return CACHE.computeIfAbsent(flavor, f -> {
            Result r = load(f, System::getProperty, NativeLibraryLoader.class.getClassLoader());
            if (r.isLoaded()) {
                LOG.log(Level.DEBUG, "xent: loaded {0} from {1} ({2})", f.fileName(), r.path(), r.origin());
            } else {
                LOG.log(Level.DEBUG, "xent: {0} not loaded: {1}", f.fileName(), r.reason());
            }
            return r;
        });
    }

    /**
     * Uncached load with explicit sources: {@code properties} answers property lookups (null when
     * unset) and {@code resources} provides the jar's copy. Never throws.
     */
    static Result load(Flavor flavor, UnaryOperator<String> properties, ClassLoader resources) {
        try {
            return find(flavor, properties, resources);
        } catch (RuntimeException | LinkageError e) {
            return Result.failed(flavor, "cannot load " + flavor.fileName() + ": " + e);
        }
    }

    private static Result find(Flavor flavor, UnaryOperator<String> properties, ClassLoader resources) {
        String explicit = properties.apply(flavor.property());
        if (explicit != null && !explicit.isBlank()) {
            return open(flavor, Path.of(explicit.strip()), "-D" + flavor.property());
        }
        String looked = "";
        String dir = properties.apply(LIBRARY_PATH_PROPERTY);
        if (dir != null && !dir.isBlank()) {
            Path candidate = Path.of(dir.strip()).resolve(flavor.fileName());
            if (Files.isRegularFile(candidate)) return open(flavor, candidate, "-D" + LIBRARY_PATH_PROPERTY);
            looked = "not in -D" + LIBRARY_PATH_PROPERTY + "=" + dir + ", and ";
        }
        String platform = platform();
        String resource = "native/" + platform + "/" + flavor.fileName();
        URL url = resources == null ? null : resources.getResource(resource);
        if (url == null) {
            return Result.failed(flavor, flavor.fileName() + " " + looked + "not found in the jar (" + flavor.missingHint
                    + "; no resource " + resource + ")");
        }
        Path path;
        try {
            path = materialise(url, flavor);
        } catch (IOException | URISyntaxException e) {
            return Result.failed(flavor, "cannot extract " + resource + " from the jar: " + e);
        }
        return open(flavor, path, "jar resource " + resource);
    }

    private static Result open(Flavor flavor, Path path, String origin) {
        if (!Files.isRegularFile(path)) {
            return Result.failed(flavor, path + " (" + origin + ") does not exist or is not a file");
        }
        String notElf = notElf(path);
        if (notElf != null) return Result.failed(flavor, "cannot load " + path + " (" + origin + "): " + notElf);
        SymbolLookup lookup;
        try {
            lookup = SymbolLookup.libraryLookup(path, Arena.global());
        } catch (IllegalArgumentException e) {
            return Result.failed(flavor, "cannot load " + path + " (" + origin + "): " + e.getMessage());
        }
        String notXent = path + " (" + origin + ") is not a xent library matching these bindings: ";
        // The version first, alone: a library of another ABI lacks other symbols, and its version is the reason to give.
        Optional<MemorySegment> version = lookup.find("xent_abi_version");
        if (version.isEmpty()) return Result.failed(flavor, notXent + "symbol not found: xent_abi_version");
        int abi;
        try {
            abi = (int) Linker.nativeLinker().downcallHandle(version.get(), xent_h.xent_abi_version$descriptor()).invokeExact();
        } catch (Throwable e) {
            throw new AssertionError("xent_abi_version takes nothing and returns an int32", e);
        }
        if (abi != xent_h.XENT_ABI_VERSION()) {
            return Result.failed(flavor, path + " (" + origin + ") has ABI version " + abi + " but these bindings were generated for "
                    + xent_h.XENT_ABI_VERSION());
        }
        XentLibrary library;
        try {
            library = new XentLibrary(lookup);
        } catch (NoSuchElementException e) {
            return Result.failed(flavor, notXent + e.getMessage());
        }
        return Result.loaded(flavor, library, path, origin);
    }

    /**
     * Why {@code path} is plainly not a shared library (no ELF magic), or null. Checked before
     * {@code dlopen}, which gives a vaguer message, and makes HotSpot warn about stack guards.
     */
    private static String notElf(Path path) {
        if (!platform().startsWith("linux")) return null;
        byte[] magic = new byte[4];
        try (InputStream in = Files.newInputStream(path)) {
            if (in.readNBytes(magic, 0, 4) == 4 && magic[0] == 0x7f && magic[1] == 'E' && magic[2] == 'L' && magic[3] == 'F') {
                return null;
            }
            return "not an ELF shared library";
        } catch (IOException e) {
            return "cannot read it: " + e;
        }
    }

    /** The file behind a resource URL: the file itself for a directory class path, else a temporary copy. */
    private static Path materialise(URL url, Flavor flavor) throws IOException, URISyntaxException {
        if ("file".equals(url.getProtocol())) return Path.of(url.toURI());
        Path dir = Files.createTempDirectory("xent-native-");
        Path file = dir.resolve(flavor.fileName());
        try (InputStream in = url.openStream()) {
            Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
        }
        // Deleted at exit in reverse order of registration: the file, then its directory. The
        // mapping stays valid after the unlink, and nothing is left behind in /tmp.
        dir.toFile().deleteOnExit();
        file.toFile().deleteOnExit();
        return file;
    }

    /** "linux-x86_64", "linux-aarch64", ...: the resource directory for this platform. */
    static String platform() {
        String os = System.getProperty("os.name", "unknown").toLowerCase(Locale.ROOT);
        String osPart = os.startsWith("linux") ? "linux" : os.startsWith("mac") ? "macos" : os.startsWith("windows") ? "windows" : os.replace(' ', '_');
        String arch = System.getProperty("os.arch", "unknown").toLowerCase(Locale.ROOT);
        String archPart = switch (arch) {
            case "amd64", "x86_64", "x86-64" -> "x86_64";
            case "aarch64", "arm64" -> "aarch64";
            default -> arch;
        };
        return osPart + "-" + archPart;
    }
}
