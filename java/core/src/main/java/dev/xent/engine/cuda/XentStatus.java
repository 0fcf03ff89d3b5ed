package dev.xent.engine.cuda;

import dev.xent.ffi.XentLibrary;
import dev.xent.ffi.xent_h;
import java.lang.foreign.MemorySegment;

/**
 * The C ABI's {@code xent_status} codes, and their translation into Java exceptions: {@link
 * #INVALID_ARGUMENT} becomes an {@link IllegalArgumentException}, every other failure a {@link
 * XentException}; both carry {@code xent_last_error()}.
 */
@SuppressWarnings("restricted") // FFM: the library runs with --enable-native-access
public enum XentStatus {
    OK(xent_h.XENT_OK()),
    INVALID_ARGUMENT(xent_h.XENT_ERROR_INVALID_ARGUMENT()),
    CUDA(xent_h.XENT_ERROR_CUDA()),
    NO_DEVICE(xent_h.XENT_ERROR_NO_DEVICE()),
    OUT_OF_MEMORY(xent_h.XENT_ERROR_OUT_OF_MEMORY());

    private final int code;

    XentStatus(int code) {
        this.code = code;
    }

    /** The C value. */
    public int code() {
        return code;
    }

    /** The status with that C value, or null for a code these bindings do not know. */
    public static XentStatus of(int code) {
        for (XentStatus s : values()) {
            if (s.code == code) return s;
        }
        return null;
    }

    /**
     * Returns normally for {@code XENT_OK}; otherwise throws, naming {@code call} and the library's
     * message for this thread. Call it right after the native call, on the same thread:
     * {@code xent_last_error()} is per thread and the next call overwrites it.
     */
    static void check(XentLibrary lib, int code, String call) {
        if (code == OK.code) return;
        String nativeMessage = lastError(lib);
        XentStatus status = of(code);
        String text = call + " failed: " + (status == null ? "unknown status " + code : status.name())
                + (nativeMessage.isEmpty() ? "" : ": " + nativeMessage);
        if (status == INVALID_ARGUMENT) throw new IllegalArgumentException(text);
        throw new XentException(status, code, nativeMessage, text);
    }

    /** {@code xent_last_error()} as a Java string ("" for none). */
    static String lastError(XentLibrary lib) {
        MemorySegment message = lib.xent_last_error();
        if (message.equals(MemorySegment.NULL)) return "";
        return message.reinterpret(Long.MAX_VALUE).getString(0);
    }
}
