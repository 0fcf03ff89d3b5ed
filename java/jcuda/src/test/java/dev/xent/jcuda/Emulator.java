package dev.xent.jcuda;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.xent.Engines;
import dev.xent.Xent;
import java.util.Locale;

/**
 * The cuda-emu engine the tests run on. Where it cannot run the test is skipped with the reason,
 * except where xent-core carries the emulator's library (its native build ran) or
 * {@code -Dxent.test.requireEmulator=true} is given: there an unavailable emulator is a failure,
 * as in xent-core's own tests.
 */
final class Emulator {
    private Emulator() {}

    static Xent xent() {
        Engines.Status emu = Engines.report().stream().filter(s -> s.name().equals("cuda-emu")).findFirst()
                .orElseThrow(() -> new AssertionError("the engine registry knows no cuda-emu"));
        if (!emu.available()) {
            String resource = "native/linux-" + arch() + "/libxent_emu.so";
            if (Boolean.getBoolean("xent.test.requireEmulator") || Xent.class.getClassLoader().getResource(resource) != null) {
                fail("xent-core was built with " + resource + ", so engine cuda-emu must be available: " + emu.detail());
            }
            assumeTrue(false, "engine cuda-emu unavailable: " + emu.detail());
        }
        return Xent.engine("cuda-emu");
    }

    private static String arch() {
        String arch = System.getProperty("os.arch").toLowerCase(Locale.ROOT);
        return arch.equals("amd64") ? "x86_64" : arch.equals("arm64") ? "aarch64" : arch;
    }
}
