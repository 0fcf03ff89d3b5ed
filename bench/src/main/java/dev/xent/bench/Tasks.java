package dev.xent.bench;

import java.util.stream.IntStream;

/**
 * The Java engine's split of one shape's rows into tasks, and its way of running them: {@code count}
 * contiguous row chunks (1 for one thread, else up to 4 per thread), on the calling thread for 1
 * thread, else as a parallel stream on the common ForkJoin pool (the caller plus {@code cores - 1}
 * workers). The floors partition their bytes the same way, so that they compare like for like.
 */
record Tasks(int threads, int count, Shape shape) {

    /** The body of one task: its index and the element range [from, to) of its rows. */
    interface Chunk {
        void run(int task, int from, int to);
    }

    /** The partition of {@code shape} for {@code threads} (0: every core). */
    static Tasks of(Shape shape, int threads) {
        int t = Inputs.threads(threads);
        return new Tasks(t, t == 1 ? 1 : (int) Math.min(shape.n(), 4L * t), shape);
    }

    /** Runs every task's chunk. */
    void run(Chunk chunk) {
        IntStream all = IntStream.range(0, count);
        (threads <= 1 || count <= 1 ? all : all.parallel()).forEach(k -> chunk.run(k, start(k), start(k + 1)));
    }

    private int start(int task) {
        return Math.toIntExact((long) shape.n() * task / count * shape.c());
    }
}
