package dev.xent.engine.cuda;

/**
 * A native xent call failed with a status other than {@link XentStatus#INVALID_ARGUMENT} (that one
 * becomes an {@link IllegalArgumentException}): a CUDA runtime error, no device, out of device
 * memory. The message names the call, the status and the library's {@code xent_last_error()}.
 */
public final class XentException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final transient XentStatus status;
    private final int code;
    private final String nativeMessage;

    XentException(XentStatus status, int code, String nativeMessage, String message) {
        super(message);
        this.status = status;
        this.code = code;
        this.nativeMessage = nativeMessage;
    }

    /** The status, or null when the library returned a code these bindings do not know. */
    public XentStatus status() {
        return status;
    }

    /** The raw status code the C function returned. */
    public int code() {
        return code;
    }

    /** {@code xent_last_error()} right after the failed call ("" if the library said nothing). */
    public String nativeMessage() {
        return nativeMessage;
    }
}
