package dev.xent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.xent.CeSpec.Run;
import dev.xent.CeSpec.Upstream;
import dev.xent.EngineSource.EngineCase;
import dev.xent.Reference.Extras;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A counted random campaign: 100 000 cases per engine, each an op with its options, shape,
 * strides, memory, dtype and values drawn from one seed, run by the comparison the op's own test
 * makes against its float64 reference (inputs rounded to the dtype first). Every comparison is
 * recorded, so the test prints per op the case count, the worst fraction of its tolerance used and
 * the worst absolute error. A failing case does not stop the campaign: all are listed at the end.
 * {@code -Dxent.test.campaign.seed=S} replays another campaign, {@code -Dxent.test.campaign.cases=K}
 * changes its length, {@code -Dxent.test.campaign.case=I} runs case I alone.
 */
@Tag("limits")
class CampaignLimitTest {
    private static final long SEED = Long.getLong("xent.test.campaign.seed", 20250611L);
    private static final int CASES = Integer.getInteger("xent.test.campaign.cases", 100_000);
    private static final int ONLY = Integer.getInteger("xent.test.campaign.case", -1);
    private static final int FAILURES_SHOWN = 20;

    private static final DType[] DTYPES = DType.values();
    private static final double[] SCALES = {1, 3, 3, 10, 20, 50};
    private static final double[] OFFSETS = {0, 0, 0, 1000, -1000};

    /** The worst comparison of one op: its share of the tolerance and its absolute error, and where. */
    private static final class Worst implements Check.Observer {
        int cases;
        int failures;
        double fraction;
        String fractionAt = "-";
        double abs;
        String absAt = "-";
        int currentCase;

        @Override
        public void compared(String what, double actual, double expected, double atol, double rtol) {
            if (Double.isNaN(expected) || Double.isInfinite(expected) || Double.isNaN(actual) || Double.isInfinite(actual)) return;
            double err = Math.abs(actual - expected);
            double tol = atol + rtol * Math.abs(expected);
            double f = err == 0 ? 0 : tol == 0 ? Double.POSITIVE_INFINITY : err / tol;
            if (f > fraction) {
                fraction = f;
                fractionAt = what + " (case " + currentCase + ")";
            }
            if (err > abs) {
                abs = err;
                absAt = what + " (case " + currentCase + ")";
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"java", "java-scalar", "cuda-emu"})
    void everyOpAgainstItsReference(String label) {
        EngineCase e = EngineSource.named(label);
        e.engine(); // skips (or fails, where the emulator must exist) before the campaign starts
        Map<String, Worst> ops = new TreeMap<>();
        List<String> failures = new ArrayList<>();
        long start = System.nanoTime();
        int first = ONLY >= 0 ? ONLY : 0, end = ONLY >= 0 ? ONLY + 1 : CASES;
        for (int i = first; i < end; i++) {
            Random rnd = new Random(SEED * 1_000_003 + i);
            Case c = draw(rnd);
            Worst w = ops.computeIfAbsent(c.op(), k -> new Worst());
            w.cases++;
            w.currentCase = i;
            Check.observe(w);
            try {
                c.run().accept(e, rnd.nextLong());
            } catch (AssertionError | RuntimeException x) {
                w.failures++;
                if (failures.size() < FAILURES_SHOWN) failures.add("case " + i + " " + c.op() + ": " + x + where(x));
            } finally {
                Check.observe(null);
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        int total = ops.values().stream().mapToInt(w -> w.cases).sum();
        StringBuilder report = new StringBuilder(String.format("CampaignLimitTest %s: seed %d, %d cases in %.1f s%n", label, SEED, total, seconds));
        report.append(String.format("  %-22s %7s %8s  %-44s %10s  %s%n", "op", "cases", "failed", "worst share of tolerance", "worst |err|", "at"));
        ops.forEach((op, w) -> report.append(String.format("  %-22s %7d %8d  %8.3f %-35s %10.3g  %s%n", op, w.cases, w.failures,
                w.fraction, w.fractionAt, w.abs, w.absAt)));
        System.out.print(report);
        assertEquals(end - first, total);
        if (!failures.isEmpty()) {
            int failed = ops.values().stream().mapToInt(w -> w.failures).sum();
            fail(failed + " of " + total + " cases failed on " + label + " (seed " + SEED + "), the first:\n  " + String.join("\n  ", failures));
        }
    }

    /** Where an unexpected exception came from (an assertion's message says enough). */
    private static String where(Throwable x) {
        if (x instanceof AssertionError) return "";
        StringBuilder b = new StringBuilder();
        StackTraceElement[] trace = x.getStackTrace();
        for (int k = 0; k < Math.min(4, trace.length); k++) b.append("\n      at ").append(trace[k]);
        return b.toString();
    }

    /** One drawn case: the op's name in the report and what runs it (on an engine, with a seed for its inputs). */
    private record Case(String op, java.util.function.BiConsumer<EngineCase, Long> run) {}

    private static Case draw(Random rnd) {
        int pick = rnd.nextInt(100);
        if (pick < 40) return crossEntropy(rnd);
        if (pick < 48) return nll(rnd);
        if (pick < 60) return softmaxFamily(rnd);
        if (pick < 70) return distillation(rnd);
        if (pick < 78) return entropyKlJs(rnd);
        if (pick < 92) return elementwise(rnd);
        return rowStats(rnd);
    }

    // ---- shapes

    /** (N, C), (N, C, d) or (N, C, d, 2); C = 1 now and then, a few thousand rarely (then few rows). */
    private static long[] shape(Random rnd) {
        int p = rnd.nextInt(100);
        long c = p < 10 ? 1 : p < 97 ? 2 + rnd.nextInt(69) : 2000 + rnd.nextInt(2200);
        long n = c > 1000 ? 1 + rnd.nextInt(3) : rnd.nextInt(20) == 0 ? 0 : 1 + rnd.nextInt(12);
        int dims = rnd.nextInt(10);
        if (dims < 7 || c > 1000) return new long[] {n, c};
        long d = 1 + rnd.nextInt(3);
        return dims < 9 ? new long[] {n, c, d} : new long[] {n, c, d, 2};
    }

    /** A row stride past C (padding after each row) for a third of the 2-D shapes, else 0 (dense). */
    private static long rowStride(Random rnd, long[] shape) {
        return shape.length == 2 && rnd.nextInt(3) == 0 ? shape[1] + 1 + rnd.nextInt(8) : 0;
    }

    private static long rows(long[] shape) {
        long r = shape[0];
        for (int i = 2; i < shape.length; i++) r *= shape[i];
        return r;
    }

    private static <T> T any(Random rnd, T[] values) {
        return values[rnd.nextInt(values.length)];
    }

    private static double any(Random rnd, double... values) {
        return values[rnd.nextInt(values.length)];
    }

    // ---- the ops

    /** Hard or probability targets, every option; the LLM extras in a third of the cases. */
    private static Case crossEntropy(Random rnd) {
        long[] shape = shape(rnd);
        boolean soft = rnd.nextInt(10) < 3;
        Reduction reduction = any(rnd, Reduction.values());
        int ignored = soft ? 0 : rnd.nextInt(4);
        Upstream upstream = rnd.nextBoolean() ? Upstream.DEFAULT : reduction == Reduction.NONE ? Upstream.PER_ROW : Upstream.SCALAR;
        Run run = any(rnd, Run.values());
        Extras x = Extras.NONE;
        boolean extras = rnd.nextInt(3) == 0;
        if (extras) {
            x = new Extras(any(rnd, 1, 0.7, 1.3), any(rnd, 0, 2.5, 30), any(rnd, 0, 1e-3, 1e-2));
        }
        // the transform is fp32 arithmetic on s z: far from 0 its rounding is beyond the reference of the rounded inputs
        double offset = extras ? 0 : any(rnd, OFFSETS);
        int specials = rnd.nextInt(10);
        CeSpec spec = CeSpec.of(any(rnd, DTYPES), shape).withRowStride(rowStride(rnd, shape)).withMemory(any(rnd, Tensor.Memory.values()))
                .withSoft(soft).withWeights(rnd.nextInt(5) < 2).withIgnored(rnd.nextBoolean() ? -100 : (long) any(rnd, 0, 3, 1000), ignored)
                .withSmoothing(any(rnd, 0, 0, 0.1, 0.7)).withReduction(reduction).withUpstream(upstream).withRun(run)
                .withInPlace(run != Run.FORWARD && rnd.nextInt(3) == 0).withInt64Labels(rnd.nextBoolean())
                .withValues(any(rnd, SCALES), offset)
                .withSpecials(specials < 2 ? any(rnd, 0.2, 0.5) : 0, specials == 2, specials == 3);
        Extras extrasOfCase = x;
        return new Case("ce " + (soft ? "soft" : "hard") + (extras ? "+extras" : ""),
                (e, seed) -> CeRunner.run(e.engine(), spec.withSeed(seed), extrasOfCase));
    }

    private static Case nll(Random rnd) {
        long[] shape = shape(rnd);
        Reduction reduction = any(rnd, Reduction.values());
        NllLossTest.Shape s = new NllLossTest.Shape(shape, rowStride(rnd, shape), any(rnd, Tensor.Memory.values()));
        NllLossTest.Options o = new NllLossTest.Options(rnd.nextBoolean(), (int) Math.min(rows(shape), rnd.nextInt(3)), reduction,
                rnd.nextBoolean(), rnd.nextBoolean(), reduction == Reduction.NONE && rnd.nextBoolean());
        DType dt = any(rnd, DTYPES);
        return new Case("nll", (e, seed) -> NllLossTest.check(e, dt, s, o, seed));
    }

    private static Case softmaxFamily(Random rnd) {
        long[] shape = shape(rnd);
        SoftmaxFamilyTest.Op op = any(rnd, SoftmaxFamilyTest.Op.values());
        SoftmaxFamilyTest.Shape s = new SoftmaxFamilyTest.Shape(shape, rowStride(rnd, shape), any(rnd, Tensor.Memory.values()), rnd.nextBoolean());
        DType dt = any(rnd, DTYPES);
        double scale = any(rnd, SCALES), offset = any(rnd, OFFSETS);
        boolean specials = rnd.nextInt(5) == 0;
        return new Case(op.toString().toLowerCase(java.util.Locale.ROOT),
                (e, seed) -> SoftmaxFamilyTest.check(e, op, dt, s, scale, offset, specials));
    }

    private static Case distillation(Random rnd) {
        long[] shape = shape(rnd);
        DistillationTest.Shape s = new DistillationTest.Shape(shape, rowStride(rnd, shape), any(rnd, Tensor.Memory.values()));
        double alpha = any(rnd, 1, 1, 0.5, 0.3, 0);
        DistillationTest.Options o = new DistillationTest.Options(any(rnd, 0.7, 1, 2.5, 4), alpha, any(rnd, Reduction.values()),
                rnd.nextBoolean(), (int) Math.min(rows(shape), rnd.nextInt(3)));
        int m = rnd.nextInt(10);
        DistillationTest.Values v = new DistillationTest.Values(any(rnd, 3, 3, 20), any(rnd, OFFSETS), any(rnd, 1, 1, 5, 0.001),
                m < 2 ? 0.3 : m == 2 ? 0.2 : 0, m == 2 ? 0.05 : 0);
        DType dt = any(rnd, DTYPES);
        return new Case("distillation", (e, seed) -> DistillationTest.check(e, dt, s, o, v, false, 1, seed));
    }

    /** Entropy with its gradient, KL with the gradient q - p, Jensen-Shannon; p masked at one class now and then. */
    private static Case entropyKlJs(Random rnd) {
        long[] shape = shape(rnd);
        long stride = rowStride(rnd, shape);
        Tensor.Memory memory = any(rnd, Tensor.Memory.values());
        DType dt = any(rnd, DTYPES);
        boolean masked = rnd.nextBoolean();
        return new Case("entropy/kl/js", (e, seed) -> {
            Random r = new Random(seed);
            Xent xent = e.xent();
            String context = e + " " + dt + java.util.Arrays.toString(shape) + " stride " + stride + " " + memory + " seed " + seed;
            try (java.lang.foreign.Arena arena = memory == Tensor.Memory.NATIVE_CONFINED ? java.lang.foreign.Arena.ofConfined()
                    : java.lang.foreign.Arena.ofShared()) {
                Tensor p = Tensor.allocate(dt, shape, stride, memory, arena), q = Tensor.allocate(dt, shape, stride, memory, arena);
                int n = (int) p.rows, c = (int) p.classes;
                double[][] zp = new double[n][c], zq = new double[n][c];
                for (int i = 0; i < n; i++) {
                    for (int k = 0; k < c; k++) {
                        zp[i][k] = Reference.round(dt, (float) (masked && k == 1 ? Double.NEGATIVE_INFINITY : 2 * r.nextGaussian()));
                        zq[i][k] = Reference.round(dt, (float) (2 * r.nextGaussian()));
                    }
                }
                p.write(zp);
                q.write(zq);
                Tensor gradH = Tensor.allocate(dt, shape, stride, memory, arena), gradKl = Tensor.allocate(dt, shape, stride, memory, arena);
                gradH.fill(Float.NaN);
                gradKl.fill(Float.NaN);
                float[] h = xent.entropy(p.logits, gradH.logits);
                float[] kl = xent.kl(p.logits, q.logits, gradKl.logits);
                float[] js = xent.jensenShannon(p.logits, q.logits);
                double[] hRef = new double[n], klRef = new double[n], jsRef = new double[n];
                double[][] gH = new double[n][], gKl = new double[n][c];
                for (int i = 0; i < n; i++) {
                    double[] sp = Reference.softmax(zp[i]), sq = Reference.softmax(zq[i]);
                    hRef[i] = PairReference.entropy(zp[i]);
                    klRef[i] = Reference.kl(sp, sq);
                    jsRef[i] = PairReference.jensenShannon(zp[i], zq[i]);
                    gH[i] = PairReference.entropyGrad(zp[i]);
                    for (int k = 0; k < c; k++) gKl[i][k] = sq[k] - sp[k];
                }
                // tolerances of DistillationTest.entropyKlJsAndTheIdentity and klGradientIsQMinusP
                Check.vector("entropy", Check.toDouble(h), hRef, 2e-5, 1e-5, context);
                Check.vector("kl", Check.toDouble(kl), klRef, 2e-5, 1e-5, context);
                Check.vector("js", Check.toDouble(js), jsRef, 2e-5, 1e-5, context);
                Check.matrix("entropy grad", gradH.read(), gH, Check.atol(dt, 1) + 1e-6, Check.rtol(dt), context);
                Check.matrix("kl grad", gradKl.read(), gKl, Check.atol(dt, 1) + 1e-6, Check.rtol(dt), context);
            }
        });
    }

    private static Case elementwise(Random rnd) {
        ElementwiseRunner.Config c = any(rnd, ElementwiseRunner.Config.values());
        DType dt = any(rnd, DTYPES);
        Reduction red = any(rnd, Reduction.values());
        int dims = rnd.nextInt(4);
        long[] shape = new long[dims];
        for (int i = 0; i < dims; i++) shape[i] = 1 + rnd.nextInt(9);
        if (dims > 1 && rnd.nextInt(20) == 0) shape[0] = 0; // shape [0] is EmptyTensorTest's: no weights fit it
        return new Case(c.kind.toString().toLowerCase(java.util.Locale.ROOT),
                (e, seed) -> ElementwiseRunner.check(e.engine(), c, dt, red, shape, seed));
    }

    private static Case rowStats(Random rnd) {
        long[] shape = shape(rnd);
        if (shape[0] == 0) shape[0] = 1;
        long stride = rowStride(rnd, shape);
        DType dt = any(rnd, DTYPES);
        float scale = (float) any(rnd, 0.25, 1, 3.5);
        RowStatsTest.Inputs kind = any(rnd, RowStatsTest.Inputs.values());
        Tensor.Memory memory = any(rnd, Tensor.Memory.values());
        return new Case("row stats", (e, seed) -> RowStatsTest.check(e, dt, shape, stride, scale, kind, seed, memory));
    }
}
