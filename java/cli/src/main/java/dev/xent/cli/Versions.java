package dev.xent.cli;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import picocli.CommandLine.IVersionProvider;

/** Versions of xent (from the Maven metadata inside the jar), Java and the OS. */
final class Versions {
    private Versions() {}

    /** xent's version, or a note that this is a build without Maven metadata (run from classes). */
    static String xent() {
        for (String artifact : new String[] {"xent-core", "xent-cli"}) {
            String path = "/META-INF/maven/dev.xent/" + artifact + "/pom.properties";
            try (InputStream in = Versions.class.getResourceAsStream(path)) {
                if (in == null) continue;
                Properties p = new Properties();
                p.load(in);
                String v = p.getProperty("version");
                if (v != null) return v;
            } catch (IOException e) {
                // fall through to the next source
            }
        }
        String v = Versions.class.getPackage().getImplementationVersion();
        return v != null ? v : "development build (no jar metadata)";
    }

    static String java() {
        return System.getProperty("java.version") + " (" + System.getProperty("java.vm.name") + ", "
                + System.getProperty("java.vendor") + ")";
    }

    static String os() {
        return System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch");
    }

    /** For {@code xent --version}. */
    static final class Provider implements IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"xent " + xent(), "Java " + java(), "OS " + os()};
        }
    }
}
