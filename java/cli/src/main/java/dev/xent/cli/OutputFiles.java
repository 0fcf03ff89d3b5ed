package dev.xent.cli;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The files a command writes, all or none. Each output is checked when it is declared (before any
 * computing): its directory exists, it is not a directory, no other output and no input is the
 * same file (whatever the spelling or symlinks). {@link #write} puts an output's bytes in a
 * temporary file beside it; {@link #commit} moves every one into place (atomically where the file
 * system can) once all were written; {@link #close} removes the temporary files that were not.
 * Every failure is a {@link UserError} naming the file.
 */
final class OutputFiles implements AutoCloseable {

    /** Writes one output's content to the given (temporary) file. */
    interface Content {
        void writeTo(Path file) throws IOException;
    }

    private final Map<Path, String> inputs = new LinkedHashMap<>();
    private final Map<Path, Output> outputs = new LinkedHashMap<>();
    private final Map<Path, Path> staged = new LinkedHashMap<>();
    private boolean committed;

    private record Output(String option, Path given, Path target) {}

    /** An input file: no output may name it. Files that do not exist are left to the reader to report. */
    void input(String option, Path path) {
        if (path == null) return;
        try {
            inputs.put(path.toRealPath(), option + " " + path);
        } catch (IOException e) {
            // not there (yet): reading it fails with its own message
        }
    }

    /** Declares an output ({@code option} names it in messages) and checks where it goes; null is no output. */
    void output(String option, Path path) {
        if (path == null) return;
        Path target = resolve(path);
        String input = inputs.get(target);
        if (input != null) throw new UserError(option + " " + path + " is the input " + input);
        Output other = outputs.get(target);
        if (other != null) throw new UserError(option + " " + path + " and " + other.option() + " " + other.given() + " are the same file");
        outputs.put(target, new Output(option, path, target));
    }

    /** The file the output {@code path} will be: its real directory and name, or the real file a symlink points to. */
    private static Path resolve(Path path) {
        Path absolute = path.toAbsolutePath();
        if (Files.isDirectory(absolute)) throw new UserError(path + ": cannot write: it is a directory");
        Path parent = absolute.getParent();
        if (!Files.exists(parent)) throw new UserError(path + ": cannot write: directory " + parent + " does not exist");
        if (!Files.isDirectory(parent)) throw new UserError(path + ": cannot write: " + parent + " is not a directory");
        try {
            return Files.exists(absolute) ? absolute.toRealPath() : parent.toRealPath().resolve(absolute.getFileName());
        } catch (IOException e) {
            throw new UserError(path + ": cannot write: " + e.getMessage());
        }
    }

    /** Writes a declared output's content to a temporary file beside it. */
    void write(Path path, Content content) {
        Output out = outputs.get(resolve(path));
        if (out == null) throw new IllegalStateException(path + " was not declared as an output");
        if (staged.containsKey(out.target())) throw new IllegalStateException(path + " was written twice");
        Path temp = createTemp(out);
        staged.put(out.target(), temp);
        try {
            content.writeTo(temp);
        } catch (IOException e) {
            throw new UserError(path + ": cannot write: " + e.getMessage());
        }
    }

    /** An empty file beside the target, named to end as the target does (some writers add a missing extension). */
    private Path createTemp(Output out) {
        Path dir = out.target().getParent();
        while (true) {
            Path temp = dir.resolve(".xent-" + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 1) + "-"
                    + out.target().getFileName());
            try {
                Files.newByteChannel(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE).close();
                return temp;
            } catch (FileAlreadyExistsException e) {
                // a name taken by chance: draw another
            } catch (IOException e) {
                throw new UserError(out.given() + ": cannot write: " + e.getMessage());
            }
        }
    }

    /** Moves every written output into place; call once, after the last {@link #write}. */
    void commit() {
        if (staged.size() != outputs.size()) throw new IllegalStateException(staged.size() + " of " + outputs.size() + " outputs written");
        for (Output out : outputs.values()) {
            try {
                move(staged.get(out.target()), out.target());
            } catch (IOException e) {
                throw new UserError(out.given() + ": cannot write: " + e.getMessage());
            }
        }
        committed = true;
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** Removes the temporary files not moved into place. */
    @Override
    public void close() {
        if (committed) return;
        for (Path temp : staged.values()) {
            try {
                Files.deleteIfExists(temp);
            } catch (IOException e) {
                // best effort: the error that brought us here is the one to report
            }
        }
    }
}
