package dev.xent.cli;

/**
 * A mistake in the command's input (options, files, values): reported as one line on stderr,
 * {@code xent <command>: <message>}, with exit code 2 and no stack trace.
 */
public final class UserError extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public UserError(String message) {
        super(message);
    }
}
