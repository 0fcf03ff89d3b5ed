package dev.xent.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Issue #11, no partial outputs: {@code xent loss}, {@code eval} and {@code calibrate} create or
 * change none of their outputs when anything fails, leave no temporary file, and say what is
 * wrong in one line with exit code 2.
 */
class OutputFilesTest extends CliTest {
    private static final byte[] OLD = "old contents".getBytes();

    private Path logits;
    private Path target;

    @BeforeEach
    void inputs() throws IOException {
        logits = save("z.npy", NpyArray.ofFloats(new float[] {1, 2, 3, 4, 5, 6}, 2, 3));
        target = save("y.npy", NpyArray.ofLongs(new long[] {2, 0}, 2));
    }

    /** Every file below the test directory (links as themselves) and its bytes. */
    private Map<String, List<Byte>> snapshot() throws IOException {
        Map<String, List<Byte>> files = new TreeMap<>();
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.filter(Files::isRegularFile).toList()) {
                byte[] b = Files.readAllBytes(p);
                Byte[] boxed = new Byte[b.length];
                for (int i = 0; i < b.length; i++) boxed[i] = b[i];
                files.put(dir.relativize(p).toString(), Arrays.asList(boxed));
            }
        }
        return files;
    }

    /** Runs the command, which must fail as a user error naming each fragment and leave every file as it was. */
    private CliRun failsLeavingFilesAsTheyWere(List<String> args, String... fragments) throws IOException {
        Map<String, List<Byte>> before = snapshot();
        CliRun r = CliRun.of(args.toArray(String[]::new));
        assertUserError(r, fragments);
        assertEquals(before, snapshot(), "files before and after: " + r.describe());
        return r;
    }

    private List<String> loss(String... outputs) {
        List<String> a = new java.util.ArrayList<>(List.of("loss", "--logits", logits.toString(), "--target", target.toString()));
        a.addAll(List.of(outputs));
        return a;
    }

    private Path existing(String name) throws IOException {
        Path p = dir.resolve(name);
        Files.write(p, OLD);
        return p;
    }

    @Test
    void lossWritesEveryOutputAndNoTemporaryFile() throws Exception {
        Path loss = existing("loss.npy");
        CliRun r = CliRun.of(loss("--out-loss", loss.toString(), "--out-grad", dir.resolve("grad.npy").toString())
                .toArray(String[]::new));
        assertEquals(0, r.code(), r.describe());
        assertEquals(3, output("grad.npy").count() / 2, "grad (2, 3)");
        assertEquals(1, output("loss.npy").count(), "the old loss.npy replaced by the scalar");
        assertEquals(Map.of(), temporaryFiles());
    }

    private Map<String, List<Byte>> temporaryFiles() throws IOException {
        Map<String, List<Byte>> all = snapshot();
        all.keySet().removeIf(name -> !name.startsWith(".xent-"));
        return all;
    }

    @Test
    void aLaterOutputThatIsADirectoryLeavesTheEarlierOneUnchanged() throws Exception {
        Files.createDirectory(dir.resolve("grad.npy"));
        failsLeavingFilesAsTheyWere(loss("--out-loss", existing("loss.npy").toString(), "--out-grad", dir.resolve("grad.npy").toString()),
                "grad.npy", "is a directory");
    }

    @Test
    void anOutputInAMissingDirectory() throws Exception {
        Path missing = dir.resolve("absent").resolve("grad.npy");
        failsLeavingFilesAsTheyWere(loss("--out-loss", existing("loss.npy").toString(), "--out-grad", missing.toString()),
                "absent", "does not exist");
        failsLeavingFilesAsTheyWere(loss("--out-loss", dir.resolve("new.npy").toString(), "--out-lse", missing.toString()),
                "does not exist");
    }

    @Test
    void anOutputUnderARegularFile() throws Exception {
        Path underFile = existing("plain").resolve("grad.npy");
        failsLeavingFilesAsTheyWere(loss("--out-loss", existing("loss.npy").toString(), "--out-grad", underFile.toString()),
                "plain", "is not a directory");
    }

    @Test
    void aComputeErrorChangesNoOutput() throws Exception {
        Path bad = save("bad.npy", NpyArray.ofLongs(new long[] {2, 7}, 2));
        failsLeavingFilesAsTheyWere(List.of("loss", "--logits", logits.toString(), "--target", bad.toString(),
                "--out-loss", existing("loss.npy").toString(), "--out-grad", dir.resolve("grad.npy").toString()),
                "bad.npy", "target 7");
    }

    @Test
    void twoOutputsNamingTheSameFile() throws Exception {
        Path loss = existing("loss.npy");
        failsLeavingFilesAsTheyWere(loss("--out-loss", loss.toString(), "--out-grad", dir.resolve(".").resolve("loss.npy").toString()),
                "--out-grad", "--out-loss", "are the same file");
        Path link = Files.createSymbolicLink(dir.resolve("link.npy"), loss);
        failsLeavingFilesAsTheyWere(loss("--out-loss", loss.toString(), "--out-lse", link.toString()), "--out-lse", "are the same file");
    }

    @Test
    void anOutputNamingAnInput() throws Exception {
        failsLeavingFilesAsTheyWere(loss("--out-loss", dir.resolve("loss.npy").toString(), "--out-grad", logits.toString()),
                "--out-grad", "is the input --logits");
    }

    @Test
    void evalJsonIntoAMissingDirectoryFailsBeforeComputing() throws Exception {
        Path json = dir.resolve("absent").resolve("out.json");
        CliRun r = failsLeavingFilesAsTheyWere(List.of("eval", "--logits", logits.toString(), "--target", target.toString(),
                "--json", json.toString()), "out.json", "directory", "absent", "does not exist");
        assertEquals("", r.out(), "nothing printed before the error");
    }

    @Test
    void evalJsonOverItsInput() throws Exception {
        failsLeavingFilesAsTheyWere(List.of("eval", "--logits", logits.toString(), "--target", target.toString(),
                "--json", "./" + Path.of("").toAbsolutePath().relativize(target)), "is the input --target");
    }

    @Test
    void calibrateLeavesAnOldDiagramWhenTheFitFails() throws Exception {
        Files.write(dir.resolve("reliability.png"), OLD);
        Path ignored = save("ignored.npy", NpyArray.ofLongs(new long[] {-100, -100}, 2));
        failsLeavingFilesAsTheyWere(List.of("calibrate", "--logits", logits.toString(), "--target", ignored.toString(),
                "--out", dir.toString(), "--engine", "java"), "nothing to fit");
    }

    @Test
    void calibrateIntoARegularFile() throws Exception {
        failsLeavingFilesAsTheyWere(List.of("calibrate", "--logits", logits.toString(), "--target", target.toString(),
                "--out", existing("plain").toString()), "--out", "not a directory");
    }

    /** A write that fails half-way (a full disk) leaves the outputs written before it unmoved and no temporary file. */
    @Test
    void aFailedWriteMovesNothingAndRemovesTheTemporaryFiles() throws Exception {
        Path first = existing("first.npy");
        Path second = dir.resolve("second.npy");
        Map<String, List<Byte>> before = snapshot();
        UserError e = assertThrows(UserError.class, () -> {
            try (OutputFiles files = new OutputFiles()) {
                files.output("--out-loss", first);
                files.output("--out-grad", second);
                files.write(first, file -> Files.writeString(file, "new"));
                files.write(second, file -> {
                    Files.writeString(file, "partial");
                    throw new IOException("No space left on device");
                });
                files.commit();
            }
        });
        assertEquals(second + ": cannot write: No space left on device", e.getMessage());
        assertEquals(before, snapshot());
        assertArrayEquals(OLD, Files.readAllBytes(first));
        assertTrue(!Files.exists(second));
    }
}
