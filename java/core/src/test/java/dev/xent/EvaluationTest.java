package dev.xent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.xent.EngineSource.EngineCase;
import dev.xent.engine.jvm.JavaEngine;
import dev.xent.eval.Evaluation;
import dev.xent.eval.Metrics;
import dev.xent.eval.RowStats;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ArgumentsSource;

/** Accuracy, top-k accuracy, mean NLL and ECE on every engine: a hand-checkable case and float64 recomputation. */
class EvaluationTest {

    /**
     * Row 0: right. Row 1: target second. Row 2: three-way tie, target at 1 ranks behind class 0.
     * Row 3: ignored. Row 4: target tied with class 1 but first of the two, behind class 2.
     */
    private static final float[] Z = {2, 1, 0, 0, 3, 1, 1, 1, 1, 9, 9, 9, 0, 0, 5};
    private static final int[] Y = {0, 2, 1, -100, 0};

    @ParameterizedTest(name = "{0}")
    @ArgumentsSource(EngineSource.class)
    void handCheckableMetrics(EngineCase e) {
        Evaluation ev = Evaluation.of(e.xent()).withTopK(2).withBins(2);
        RowStats stats = ev.rowStats(Logits.of(Z, 5, 3), Targets.classes(Y));
        assertArrayEquals(new long[] {0, 1, 1, -1, 1}, new long[] {stats.rank(0), stats.rank(1), stats.rank(2), stats.rank(3), stats.rank(4)});
        assertArrayEquals(new long[] {0, 1, 0, 0, 2}, new long[] {stats.predicted(0), stats.predicted(1), stats.predicted(2),
                stats.predicted(3), stats.predicted(4)});
        Metrics m = Metrics.of(stats, 2, 2);
        assertEquals(4, m.rows());
        assertEquals(0.25, m.accuracy());
        assertEquals(1.0, m.topKAccuracy());
        assertEquals(0.25, Metrics.of(stats, 1, 2).topKAccuracy());

        double c0 = Math.exp(2) / (Math.exp(2) + Math.exp(1) + 1);
        double c1 = Math.exp(3) / (1 + Math.exp(3) + Math.exp(1));
        double c4 = Math.exp(5) / (2 + Math.exp(5));
        double nll = (-Math.log(c0) + (Math.log(1 + Math.exp(3) + Math.exp(1)) - 1) + Math.log(3) + (Math.log(2 + Math.exp(5))))
                / 4;
        Check.scalar("mean NLL", m.meanNll(), nll, 0, 1e-6, "hand case");
        // bin 0 (confidence <= 0.5): row 2 (1/3, wrong); bin 1: rows 0, 1, 4 (one right).
        assertArrayEquals(new long[] {1, 3}, m.reliability().counts());
        double ece = 0.25 * (1.0 / 3) + 0.75 * Math.abs(1.0 / 3 - (c0 + c1 + c4) / 3);
        Check.scalar("ECE", m.ece(), ece, 0, 1e-6, "hand case");
        Check.scalar("bin 1 confidence", m.reliability().confidence()[1], (c0 + c1 + c4) / 3, 0, 1e-6, "hand case");
        assertEquals(1.0 / 3, m.reliability().accuracy()[1]);
    }

    @ParameterizedTest(name = "{0}")
    @ArgumentsSource(EngineSource.class)
    void metricsMatchFloat64Recomputation(EngineCase e) {
        int n = 600, c = 23, k = 3, bins = 15;
        SplittableRandom rnd = new SplittableRandom(99);
        float[] z = new float[n * c];
        int[] y = new int[n];
        for (int i = 0; i < z.length; i++) z[i] = (float) (3 * rnd.nextGaussian());
        for (int r = 0; r < n; r++) y[r] = r % 17 == 0 ? -100 : rnd.nextInt(c);
        Metrics m = Evaluation.of(Xent.of(e.engine())).withTopK(k).withBins(bins).evaluate(Logits.of(z, n, c), Targets.classes(y));

        long counted = 0, top1 = 0, topk = 0;
        double nll = 0;
        long[] binCount = new long[bins];
        double[] binConf = new double[bins], binRight = new double[bins];
        for (int r = 0; r < n; r++) {
            if (y[r] == -100) continue;
            double[] row = new double[c];
            for (int j = 0; j < c; j++) row[j] = z[r * c + j];
            double lse = Reference.logSumExp(row);
            int above = 0, best = 0;
            for (int j = 0; j < c; j++) {
                if (row[j] > row[y[r]]) above++;
                if (row[j] > row[best]) best = j;
            }
            counted++;
            nll += lse - row[y[r]];
            if (above == 0) top1++;
            if (above < k) topk++;
            double conf = Math.exp(row[best] - lse);
            int b = Math.min(bins - 1, (int) Math.ceil(conf * bins) - 1);
            binCount[b]++;
            binConf[b] += conf;
            if (best == y[r]) binRight[b]++;
        }
        double ece = 0;
        for (int b = 0; b < bins; b++) {
            if (binCount[b] > 0) ece += (double) binCount[b] / counted * Math.abs(binRight[b] / binCount[b] - binConf[b] / binCount[b]);
        }
        assertEquals(counted, m.rows());
        assertEquals((double) top1 / counted, m.accuracy());
        assertEquals((double) topk / counted, m.topKAccuracy());
        assertArrayEquals(binCount, m.reliability().counts());
        Check.scalar("mean NLL", m.meanNll(), nll / counted, 0, 1e-5, e);
        Check.scalar("ECE", m.ece(), ece, 1e-6, 1e-5, e);
    }

    @Test
    void refusesBadOptions() {
        Evaluation ev = Evaluation.of(Xent.of(JavaEngine.create()));
        assertEquals("top-k: k must be >= 1, got 0", assertThrows(IllegalArgumentException.class, () -> ev.withTopK(0)).getMessage());
        assertEquals("bins must be >= 1, got 0", assertThrows(IllegalArgumentException.class, () -> ev.withBins(0)).getMessage());
        RowStats stats = ev.rowStats(Logits.of(Z, 5, 3), Targets.classes(Y));
        assertEquals("topK must be >= 1, got -1", assertThrows(IllegalArgumentException.class, () -> Metrics.of(stats, -1, 15)).getMessage());
        assertEquals("bins must be >= 1, got 0", assertThrows(IllegalArgumentException.class, () -> Metrics.of(stats, 1, 0)).getMessage());
    }

    @Test
    void everyRowIgnoredGivesNaN() {
        Metrics m = Evaluation.of(Xent.of(JavaEngine.create())).evaluate(Logits.of(new float[] {1, 2}, 1, 2), Targets.classes(new int[] {-100}));
        assertEquals(0, m.rows());
        assertEquals(Double.NaN, m.meanNll());
        assertEquals(Double.NaN, m.accuracy());
        assertEquals(Double.NaN, m.ece());
    }
}
