package dev.xent.engine.jvm;

import dev.xent.Reduction;
import java.lang.foreign.MemorySegment;
import java.util.stream.IntStream;

/**
 * How the Java engine spreads work over threads, and the per-thread scratch it gives each range of
 * rows. Rows are split across the common ForkJoin pool above {@link #PARALLEL_THRESHOLD} elements
 * (never for thread-confined segments); whatever the split, per-row results are summed in double in
 * row order ({@link #sumInRowOrder}), so results do not depend on the thread count.
 */
final class RowScheduler {
    /** rows * C (or elements) above which work is split across threads. */
    static final long PARALLEL_THRESHOLD = 1L << 16;

    /** A thread that is never started: a segment it may access is not confined to one thread. */
    private static final Thread OTHER_THREAD = new Thread(() -> {});

    /**
     * One Scratch per thread, reused across calls: no allocation per call or per task. A task runs
     * to completion before its thread takes another, so a thread never uses its Scratch twice at once.
     */
    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private final int threads;

    RowScheduler(int threads) {
        if (threads < 1) throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        this.threads = threads;
    }

    int threads() {
        return threads;
    }

    /** Per-thread scratch, one per range of rows. */
    static final class Scratch {
        /** Slots of {@link #row}: the fp32 rows of the transformed-logits path. */
        static final int ROW_LOGITS = 0;
        static final int ROW_CHAIN = 1;
        static final int ROW_GRAD = 2;
        static final int ROW_TARGETS = 3;

        float[] tileMax = new float[0];
        float[] scratch = new float[0];
        MemorySegment scratchSeg = MemorySegment.ofArray(scratch);
        final float[] tmp = new float[64];
        final double[] acc = new double[2];
        float m;
        double s;
        /** fp32 rows of the transformed-logits path: logits, chain factors, gradient, targets. */
        final float[][] rows = new float[4][0];
        final MemorySegment[] rowSegs = new MemorySegment[4];

        Scratch sizedFor(long classes) {
            int tiles = (int) ((classes + Kernels.TILE - 1) / Kernels.TILE);
            if (tileMax.length < tiles) tileMax = new float[tiles];
            return this;
        }

        /** An fp32 row of at least {@code classes} elements: a 16-bit gradient's exponentials, kept in L2. */
        MemorySegment scratch(long classes) {
            if (scratch.length < classes) {
                scratch = new float[Math.toIntExact(classes)];
                scratchSeg = MemorySegment.ofArray(scratch);
            }
            return scratchSeg;
        }

        /** fp32 row {@code slot} (one of the ROW_* indices) of at least {@code classes} elements. */
        float[] row(int slot, long classes) {
            if (rows[slot].length < classes || rowSegs[slot] == null) {
                rows[slot] = new float[Math.toIntExact(Math.max(classes, rows[slot].length))];
                rowSegs[slot] = MemorySegment.ofArray(rows[slot]);
            }
            return rows[slot];
        }
    }

    @FunctionalInterface
    interface RowRange {
        void run(long from, long to, Scratch scratch);
    }

    /** Whether every non-null segment may be accessed by other threads. */
    static boolean shareable(MemorySegment... segments) {
        for (MemorySegment s : segments) {
            if (s != null && !s.isAccessibleBy(OTHER_THREAD)) return false;
        }
        return true;
    }

    /** Runs {@code body} over [0, rows) in ranges, each with its thread's scratch sized for rows of {@code classes}. */
    void forRows(long rows, long classes, boolean shareable, RowRange body) {
        long work = rows * classes;
        int tasks = 1;
        if (threads > 1 && shareable && rows > 1 && work >= PARALLEL_THRESHOLD) {
            tasks = (int) Math.min(rows, Math.min(4L * threads, Math.max(2, work / (PARALLEL_THRESHOLD / 4))));
        }
        if (tasks == 1) {
            if (rows > 0) body.run(0, rows, scratch(classes));
            return;
        }
        int n = tasks;
        IntStream.range(0, n).parallel().forEach(t -> body.run(rows * t / n, rows * (t + 1) / n, scratch(classes)));
    }

    /** How many tasks a pass over {@code count} independent elements of these segments may take (1: the calling thread). */
    int elementTasks(long count, MemorySegment... segments) {
        return threads > 1 && count >= PARALLEL_THRESHOLD && shareable(segments) ? 4 * threads : 1;
    }

    private static Scratch scratch(long classes) {
        return SCRATCH.get().sizedFor(classes);
    }

    /** The sum of per-row fp32 values in double, in row order, divided by the denominator under MEAN. */
    static float reduce(MemorySegment perRow, long rows, Reduction reduction, double denominator) {
        double sum = sumInRowOrder(perRow, rows);
        return (float) (reduction == Reduction.MEAN ? sum / denominator : sum);
    }

    /** The sum of per-row fp32 values in double, in row order. */
    static double sumInRowOrder(MemorySegment perRow, long rows) {
        double sum = 0;
        for (long r = 0; r < rows; r++) sum += Elem.getF32(perRow, r);
        return sum;
    }
}
