package dev.xent.cli;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Native memory for whole arrays, from the C library's {@code malloc}, freed when the segment is
 * no longer reachable. {@code Arena.allocate} counts against the JVM's direct-memory limit (by
 * default the heap's maximum, a quarter of the machine), which a 4 GB input and its 4 GB gradient
 * pass; memory from {@code malloc} is bounded only by the machine.
 */
final class NativeMemory {
    private static final Linker LINKER = Linker.nativeLinker();
    private static final MethodHandle MALLOC = LINKER.downcallHandle(LINKER.defaultLookup().find("malloc").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
    private static final MethodHandle FREE = LINKER.downcallHandle(LINKER.defaultLookup().find("free").orElseThrow(),
            FunctionDescriptor.ofVoid(ValueLayout.ADDRESS));

    private NativeMemory() {}

    /** {@code bytes} of memory aligned to 16 bytes (malloc's guarantee on 64-bit platforms), contents undefined. */
    static MemorySegment allocate(long bytes) {
        MemorySegment raw;
        try {
            raw = (MemorySegment) MALLOC.invokeExact(Math.max(bytes, 1));
        } catch (Throwable e) {
            throw new IllegalStateException("malloc failed", e);
        }
        if (raw.equals(MemorySegment.NULL)) {
            throw new OutOfMemoryError("cannot allocate " + bytes + " bytes of native memory");
        }
        return raw.reinterpret(Math.max(bytes, 1), Arena.ofAuto(), NativeMemory::free).asSlice(0, bytes);
    }

    private static void free(MemorySegment segment) {
        try {
            FREE.invokeExact(segment);
        } catch (Throwable e) {
            throw new IllegalStateException("free failed", e);
        }
    }
}
