package dev.xent;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** This process's resident memory and CPU time, from /proc/self (Linux): what the limit tests report and bound. */
final class ProcessUse {
    private ProcessUse() {}

    /** Resident set size now, in kB (VmRSS). */
    static long rssKb() {
        return field("VmRSS:");
    }

    /** Peak resident set size since the process started, in kB (VmHWM). */
    static long peakRssKb() {
        return field("VmHWM:");
    }

    /** CPU time this process has used, user and system, in seconds (all threads: fork-join workers, emulator threads). */
    static double cpuSeconds() {
        try {
            String stat = Files.readString(Path.of("/proc/self/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" "); // after "pid (comm) ": field 3 on
            return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / 100.0; // utime, stime (fields 14, 15) in USER_HZ
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
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
