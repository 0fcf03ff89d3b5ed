package dev.xent;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * The layout of several device outputs in one allocation: each part starts on a 16-byte boundary
 * (what the kernels' vector loads and 8-byte error words need). Parts are added in order, the
 * allocation is made for {@link #bytes()}, and {@link #of} cuts part i out of it.
 */
final class DeviceSlices {
    private static final long ALIGN = 16;
    private final List<long[]> parts = new ArrayList<>();
    private long end;

    /** Adds a part of {@code bytes} (0: absent); its index. */
    int add(long bytes) {
        long at = (end + ALIGN - 1) / ALIGN * ALIGN;
        parts.add(new long[] {at, bytes});
        end = Math.addExact(at, bytes);
        return parts.size() - 1;
    }

    long bytes() {
        return end;
    }

    /** Part {@code index} of {@code span}; null for a part of 0 bytes. */
    MemorySegment of(MemorySegment span, int index) {
        long[] p = parts.get(index);
        return p[1] == 0 ? null : span.asSlice(p[0], p[1]);
    }
}
