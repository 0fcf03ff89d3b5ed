package dev.xent.cli.bench;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Where the peer jars are. The peer benchmarks (libtorch, ONNX Runtime) are compiled into
 * xent-bench only by {@code mvn -Ppeers}, and their ~150 MB of jars are not shaded into the CLI:
 * that build copies them to {@code bench/target/peers-lib}, and {@code xent bench --peers} adds
 * them to the class path of the forked benchmark JVMs (JMH forks with the host's
 * {@code java.class.path}). Looked up in order: {@code -Dxent.bench.peers=DIR}, then
 * {@code bench/target/peers-lib} next to the CLI jar's checkout ({@code java/cli/target/xent-cli.jar}),
 * then under the working directory.
 */
public final class PeerClasspath {
    private PeerClasspath() {}

    /** The peer benchmark classes are in this build (compiled with -Ppeers). */
    public static boolean peerBenchmarksCompiled() {
        return PeerClasspath.class.getClassLoader().getResource("dev/xent/bench/peers/TorchPreallocBench.class") != null;
    }

    /** The directory holding the peer jars, or null. */
    public static Path find() {
        List<Path> candidates = new ArrayList<>();
        String prop = System.getProperty("xent.bench.peers");
        if (prop != null && !prop.isBlank()) candidates.add(Path.of(prop));
        try {
            Path jar = Path.of(PeerClasspath.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            // java/cli/target/xent-cli.jar (or java/cli/target/classes) -> repository root
            Path root = jar.getParent() == null ? null : jar.getParent().getParent();
            for (int i = 0; i < 2 && root != null; i++) root = root.getParent();
            if (root != null) candidates.add(root.resolve("bench/target/peers-lib"));
        } catch (URISyntaxException | RuntimeException e) {
            // no code source: fall through to the working directory
        }
        candidates.add(Path.of("bench/target/peers-lib"));
        for (Path p : candidates) {
            if (hasJar(p, "pytorch-") && hasJar(p, "onnxruntime-")) return p.toAbsolutePath().normalize();
        }
        return null;
    }

    private static boolean hasJar(Path dir, String prefix) {
        if (!Files.isDirectory(dir)) return false;
        try (Stream<Path> s = Files.list(dir)) {
            return s.anyMatch(p -> p.getFileName().toString().startsWith(prefix) && p.toString().endsWith(".jar"));
        } catch (IOException e) {
            return false;
        }
    }

    /** The jars in {@code dir}, as a class path string. */
    public static String classPath(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return String.join(java.io.File.pathSeparator,
                    s.filter(p -> p.toString().endsWith(".jar")).map(Path::toString).sorted().toList());
        }
    }
}
