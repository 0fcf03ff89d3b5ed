package dev.xent.cli;

/** A .npy file that cannot be read: its message names the file and what is wrong with it. */
public final class NpyFormatException extends Exception {
    private static final long serialVersionUID = 1L;

    public NpyFormatException(String message) {
        super(message);
    }
}
