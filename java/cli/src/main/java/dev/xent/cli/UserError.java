package dev.xent.cli;

import java.util.function.Supplier;

/**
 * A mistake in the command's input (options, files, values): reported as one line on stderr,
 * {@code xent <command>: <message>}, with exit code 2 and no stack trace.
 */
public final class UserError extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public UserError(String message) {
        super(message);
    }

    /** Runs a library call, turning its argument errors (IllegalArgumentException) into user errors. */
    static <T> T check(Supplier<T> call) {
        try {
            return call.get();
        } catch (IllegalArgumentException e) {
            throw new UserError(e.getMessage());
        }
    }
}
