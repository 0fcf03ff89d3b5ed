package dev.xent.engine.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.xent.Engines;
import dev.xent.Logits;
import dev.xent.Loss;
import dev.xent.Targets;
import dev.xent.Xent;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Runs only in the surefire executions "fallback-missing-library" and "fallback-broken-library"
 * (java/core/pom.xml): a fresh JVM whose -Dxent.cuda.library and -Dxent.emu.library point at a
 * missing file or at a text file named .so. The registry must report both native engines
 * unavailable with that reason and pick java automatically, without throwing.
 */
class NativeFallbackTest {
    private static String mode;

    @BeforeAll
    static void prepare() throws IOException {
        mode = System.getProperty("xent.test.fallback");
        assumeTrue(mode != null, "runs in the fallback surefire executions only");
        if (mode.equals("broken")) {
            for (String property : new String[] {"xent.cuda.library", "xent.emu.library"}) {
                Path p = Path.of(System.getProperty(property));
                Files.createDirectories(p.getParent());
                Files.writeString(p, "not a shared library\n");
            }
        } else {
            assertFalse(Files.exists(Path.of(System.getProperty("xent.cuda.library"))));
        }
    }

    @Test
    void autoPicksJavaAndSaysWhy() {
        String expected = mode.equals("broken") ? "cannot load " + System.getProperty("xent.cuda.library") : "does not exist";
        Engines.Status cuda = status("cuda");
        assertFalse(cuda.available());
        assertTrue(cuda.detail().contains(expected), cuda.detail());
        Engines.Status emu = status("cuda-emu");
        assertFalse(emu.available());

        Engines.Selection s = Engines.auto();
        assertEquals("java", s.engine().name());
        assertTrue(s.reason().contains("cuda is unavailable: ") && s.reason().contains(expected), s.reason());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Engines.named("cuda"));
        assertTrue(e.getMessage().contains(expected), e.getMessage());

        // And the library works.
        Xent xent = Xent.auto();
        Loss loss = xent.crossEntropy().forward(Logits.of(new float[] {0f, 0f}, 1, 2), Targets.classes(new int[] {1}));
        assertEquals(Math.log(2), loss.value(), 1e-6);
    }

    private static Engines.Status status(String name) {
        return Engines.report().stream().filter(st -> st.name().equals(name)).findFirst().orElseThrow();
    }
}
