package dev.xent;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.xent.eval.Evaluation;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * 200 000 calls of a mix of ops on small shapes: the process's resident memory must not grow
 * (under 5% after the warm-up), which a leak of native staging, of per-thread scratch or of
 * per-call arenas would break. The VmRSS series is printed as one line.
 */
@Tag("limits")
class SoakLimitTest {
    private static final int CALLS = 200_000;
    private static final int SAMPLE_EVERY = 10_000;
    private static final int WARM_UP = 20_000;
    private static final int WINDOW_SAMPLES = 5;
    private static final double MAX_GROWTH = 0.05;

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"java", "cuda-emu"})
    void residentMemoryStaysFlat(String label) {
        Xent xent = EngineSource.named(label).xent();
        try (Arena arena = Arena.ofShared()) {
            List<Runnable> ops = mix(xent, arena);
            List<Long> rssKb = new ArrayList<>();
            long start = System.nanoTime();
            double cpuStart = ProcessUse.cpuSeconds();
            for (int i = 1; i <= CALLS; i++) {
                ops.get(i % ops.size()).run();
                if (i % SAMPLE_EVERY == 0) {
                    // the heap is not what this test measures: -Plimits fixes and pre-touches it
                    // (-Xms = -Xmx, AlwaysPreTouch), so all of it is resident and it is left out
                    rssKb.add(ProcessUse.rssKb() - Runtime.getRuntime().totalMemory() / 1024);
                }
            }
            double seconds = (System.nanoTime() - start) / 1e9, cpu = ProcessUse.cpuSeconds() - cpuStart;
            // GC and malloc arenas make the series wander by a few MB; a leak raises its floor
            int w = WINDOW_SAMPLES, first = WARM_UP / SAMPLE_EVERY;
            long base = floor(rssKb.subList(first, first + w)), end = floor(rssKb.subList(rssKb.size() - w, rssKb.size()));
            double growth = (double) end / base - 1;
            System.out.printf("SoakLimitTest %s: %d calls (%d ops) in %.1f s (%.1f s of CPU); VmRSS less the heap, MB every %d calls: %s; floor of samples %d-%d"
                            + " %d MB, of the last %d %d MB: growth %.2f%%%n",
                    label, CALLS, ops.size(), seconds, cpu, SAMPLE_EVERY, rssKb.stream().map(kb -> String.valueOf(kb / 1024)).toList(),
                    first + 1, first + w, base / 1024, w, end / 1024, 100 * growth);
            assertTrue(growth < MAX_GROWTH, label + ": resident memory grew " + 100 * growth + "% after the warm-up: " + rssKb + " kB");
        }
    }

    private static long floor(List<Long> samples) {
        return samples.stream().mapToLong(Long::longValue).min().orElseThrow();
    }

    /** One closure per op over inputs allocated once (heap, and a native segment for cross-entropy). */
    private static List<Runnable> mix(Xent xent, Arena arena) {
        int n = 8, c = 37;
        Random rnd = new Random(1);
        float[] z = gaussian(rnd, n * c, 3), z2 = gaussian(rnd, n * c, 3), grad = new float[n * c];
        float[] probs = new float[n * c];
        for (int i = 0; i < probs.length; i++) probs[i] = 1f / c;
        int[] y = new int[n];
        for (int r = 0; r < n; r++) y[r] = r == 1 ? -100 : rnd.nextInt(c);
        float[] weight = new float[c];
        for (int k = 0; k < c; k++) weight[k] = 0.5f + rnd.nextFloat();
        Logits logits = Logits.of(z, n, c), other = Logits.of(z2, n, c), g = Logits.of(grad, n, c);
        MemorySegment native1 = arena.allocate((long) n * c * Float.BYTES);
        MemorySegment.copy(MemorySegment.ofArray(z), 0, native1, 0, native1.byteSize());
        Logits nativeLogits = Logits.of(native1, DType.F32, n, c);
        Logits nativeGrad = Logits.of(arena.allocate((long) n * c * Float.BYTES), DType.F32, n, c);
        Targets.ClassIndices labels = Targets.classes(y);
        Targets soft = Targets.probabilities(probs);
        float[] logProbs = new float[n * c];
        xent.logSoftmax(logits, Logits.of(logProbs, n, c));

        CrossEntropy ce = xent.crossEntropy().withWeight(weight).withLabelSmoothing(0.1);
        CrossEntropy extras = xent.crossEntropy().withSoftcap(5).withZLoss(1e-3).withLogitScale(0.8);
        NllLoss nll = xent.nllLoss().withWeight(weight);
        Distillation distill = xent.distillation().withTemperature(2).withAlpha(0.5);
        float[] x = gaussian(rnd, 64, 2), t = new float[64], spread = new float[64], eg = new float[64];
        for (int i = 0; i < 64; i++) {
            t[i] = rnd.nextBoolean() ? 1 : 0;
            spread[i] = 0.5f + rnd.nextFloat();
        }
        DenseTensor xs = DenseTensor.of(x, 8, 8), ts = DenseTensor.of(t, 8, 8), gs = DenseTensor.of(eg, 8, 8);
        float[] posWeight = new float[8];
        java.util.Arrays.fill(posWeight, 2f);
        BinaryCrossEntropy bce = xent.binaryCrossEntropy().withPosWeight(posWeight);
        GaussianNll gaussian = xent.gaussianNll();
        PoissonNll poisson = xent.poissonNll();
        Evaluation eval = Evaluation.of(xent);
        return List.of(
                () -> ce.forward(logits, labels),
                () -> ce.forwardBackward(logits, labels, g),
                () -> ce.forwardBackward(nativeLogits, labels, nativeGrad),
                () -> ce.withReduction(Reduction.NONE).forwardBackward(logits, soft, new float[n], g),
                () -> extras.forwardBackward(logits, labels, g),
                () -> nll.forwardBackward(Logits.of(logProbs, n, c), labels, g),
                () -> xent.softmax(logits, g),
                () -> xent.logSoftmax(nativeLogits, nativeGrad),
                () -> xent.logSumExp(logits),
                () -> distill.forwardBackward(logits, other, labels, g),
                () -> xent.entropy(logits, g),
                () -> xent.kl(logits, other, g),
                () -> xent.jensenShannon(logits, other),
                () -> bce.forwardBackward(xs, ts, gs),
                () -> gaussian.forwardBackward(xs, ts, spread, gs),
                () -> poisson.forwardBackward(xs, ts, gs),
                () -> eval.rowStats(logits, labels));
    }

    private static float[] gaussian(Random rnd, int n, double scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (scale * rnd.nextGaussian());
        return a;
    }
}
