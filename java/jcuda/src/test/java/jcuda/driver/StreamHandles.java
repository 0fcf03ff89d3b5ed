package jcuda.driver;

/**
 * CUstream's constructor from a handle is package-private (JCuda's natives fill handles in); the
 * tests build streams over cuda-emu's handles from inside JCuda's package, on the class path.
 */
public final class StreamHandles {
    private StreamHandles() {}

    public static CUstream of(long handle) {
        return new CUstream(handle);
    }
}
