package dev.xent;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** This process's resident memory, from /proc/self/status (Linux): what the limit tests report and bound. */
final class MemoryUse {
    private MemoryUse() {}

    /** Resident set size now, in kB (VmRSS). */
    static long rssKb() {
        return field("VmRSS:");
    }

    /** Peak resident set size since the process started, in kB (VmHWM). */
    static long peakRssKb() {
        return field("VmHWM:");
    }

    private static long field(String name) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith(name)) return Long.parseLong(line.substring(name.length()).replace("kB", "").trim());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        throw new IllegalStateException("no " + name + " in /proc/self/status");
    }
}
