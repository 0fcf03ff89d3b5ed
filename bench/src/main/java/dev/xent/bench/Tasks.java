package dev.xent.bench;

import java.util.function.IntConsumer;
import java.util.stream.IntStream;

/**
 * Runs tasks the way the Java engine does: on the calling thread for 1 thread, else as a parallel
 * stream on the common ForkJoin pool (the caller plus {@code cores - 1} workers).
 */
final class Tasks {
    private Tasks() {}

    static void run(int threads, int tasks, IntConsumer task) {
        if (threads <= 1 || tasks <= 1) {
            for (int t = 0; t < tasks; t++) task.accept(t);
        } else {
            IntStream.range(0, tasks).parallel().forEach(task);
        }
    }
}
