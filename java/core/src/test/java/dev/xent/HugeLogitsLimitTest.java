package dev.xent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.xent.engine.Engine;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Cross-entropy on the {@code java} engine over one native segment of more than 2^31 fp32 logits
 * (8.6 GB), the gradient written in place: the element offsets of the rows past 2^31 / C need 64
 * bits. The logits are a hash of their index, so the float64 reference regenerates any row without
 * a second copy: every row's loss, lse and gradient at its label, and every element of sampled rows
 * (the first, the last, rows on both sides of element 2^31, a few hashed ones).
 */
@Tag("limits")
class HugeLogitsLimitTest {
    private static final int C = 50257;
    private static final int N = 42_800; // N C = 2 151 000 000 > 2^31 = 2 147 483 648
    private static final long ROW_AT_2_31 = (1L << 31) / C; // the row holding element 2^31

    /** Logit of element i: a SplitMix64 hash of i mapped to [-8, 8), exact in fp32. */
    static float logit(long i) {
        return (mix(i) >>> 40) * 0x1p-20f - 8f;
    }

    static int label(int row) {
        return (int) Long.remainderUnsigned(mix(~(long) row), C);
    }

    private static long mix(long z) {
        z += 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    @Test
    void moreThanTwoToThe31LogitsInNativeMemoryGradientInPlace() {
        assertTrue((long) N * C > 1L << 31);
        Engine java = Engines.named("java");
        long rssBefore = ProcessUse.rssKb();
        long start = System.nanoTime();
        try (Arena arena = Arena.ofShared()) {
            MemorySegment seg = arena.allocate((long) N * C * Float.BYTES, 64);
            IntStream.range(0, N).parallel().forEach(r -> {
                long base = (long) r * C;
                for (int k = 0; k < C; k++) seg.setAtIndex(ValueLayout.JAVA_FLOAT, base + k, logit(base + k));
            });
            int[] y = new int[N];
            for (int r = 0; r < N; r++) y[r] = label(r);
            long filled = System.nanoTime();

            Loss loss = Xent.of(java).crossEntropy().forwardBackwardInPlace(Logits.of(seg, DType.F32, N, C), Targets.classes(y));
            long computed = System.nanoTime();
            long rssAfterCall = ProcessUse.rssKb();

            // every row: loss and lse against the reference, the gradient (p_y - 1) / N at the label
            double[] refLoss = new double[N];
            AtomicLong checkedRows = new AtomicLong();
            IntStream.range(0, N).parallel().forEach(r -> {
                double[] z = row(r);
                double lse = Reference.logSumExp(z);
                String at = "row " + r;
                Check.scalar("lse", loss.lse()[r], lse, 1e-6, 1e-6, at);
                refLoss[r] = lse - z[y[r]];
                Check.scalar("row loss", loss.perRow()[r], refLoss[r], 2e-6, 4e-6, at);
                double g = (Math.exp(z[y[r]] - lse) - 1) / N;
                Check.scalar("gradient at the label", seg.getAtIndex(ValueLayout.JAVA_FLOAT, (long) r * C + y[r]), g,
                        Check.atol(DType.F32, 1.0 / N), Check.rtol(DType.F32), at);
                checkedRows.incrementAndGet();
            });
            assertEquals(N, checkedRows.get());
            double sum = 0;
            for (double l : refLoss) sum += l;
            Check.scalar("mean loss", loss.value(), sum / N, 1e-6, 4e-6, "all rows");

            // sampled rows: every element of the gradient against Reference.hard on the regenerated row
            long[] sampled = {0, 1, ROW_AT_2_31 - 1, ROW_AT_2_31, ROW_AT_2_31 + 1, N - 2, N - 1,
                    Long.remainderUnsigned(mix(1), N), Long.remainderUnsigned(mix(2), N), Long.remainderUnsigned(mix(3), N),
                    ROW_AT_2_31 + 1 + Long.remainderUnsigned(mix(4), N - ROW_AT_2_31 - 1)};
            for (long r : sampled) {
                double[][] z = {row((int) r)};
                Reference.Result ref = Reference.hard(z, new long[] {y[(int) r]}, null, -100, 0, Reduction.SUM,
                        new double[] {1.0 / N}, null);
                double[][] got = new double[1][C];
                for (int k = 0; k < C; k++) got[0][k] = seg.getAtIndex(ValueLayout.JAVA_FLOAT, r * C + k);
                Check.matrix("gradient of row " + r, got, ref.grad(), Check.atol(DType.F32, 1.0 / N), Check.rtol(DType.F32),
                        "N=" + N + " C=" + C);
            }
            long checked = System.nanoTime();
            System.out.printf("HugeLogitsLimitTest: N=%d C=%d (%d elements, %.2f GB): fill %.1f s, forwardBackwardInPlace %.1f s,"
                    + " reference check %.1f s; VmRSS %d MB before, %d MB after the call; peak VmHWM %d MB%n",
                    N, C, (long) N * C, (long) N * C * 4 / 1e9, (filled - start) / 1e9, (computed - filled) / 1e9,
                    (checked - computed) / 1e9, rssBefore / 1024, rssAfterCall / 1024, ProcessUse.peakRssKb() / 1024);
        }
    }

    private static double[] row(int r) {
        double[] z = new double[C];
        long base = (long) r * C;
        for (int k = 0; k < C; k++) z[k] = logit(base + k);
        return z;
    }
}
