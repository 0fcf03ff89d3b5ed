package dev.xent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.xent.EngineSource.EngineCase;
import dev.xent.engine.DistillCall;
import dev.xent.engine.Engine;
import dev.xent.engine.Pass;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.ArgumentsSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Distillation, KL, entropy and Jensen-Shannon on every engine against {@link PairReference}:
 * per-row KL, soft cross-entropy, teacher entropy, the reduced loss, its denominators and the
 * student's gradient, without and with class weights on the hard term.
 */
class DistillationTest {
    private static final float PAD = -7.5f;

    record Shape(long[] shape, long rowStride, Tensor.Memory memory) {
        @Override
        public String toString() {
            return Arrays.toString(shape) + (rowStride > 0 ? " stride=" + rowStride : "") + " " + memory;
        }
    }

    /** How the logits are drawn: z_t = offset + scale N(0,1), z_s = z_t + noise N(0,1), masks. */
    record Values(double scale, double offset, double noise, double teacherMask, double studentMask) {
        static final Values PLAIN = new Values(3, 0, 1, 0, 0);

        @Override
        public String toString() {
            return "z=" + offset + "+" + scale + "N noise " + noise + (teacherMask > 0 ? " teacher-mask " + teacherMask : "")
                    + (studentMask > 0 ? " student-mask " + studentMask : "");
        }
    }

    record Options(double tau, double alpha, Reduction reduction, boolean inPlace, int ignoredRows) {
        @Override
        public String toString() {
            return "tau " + tau + " alpha " + alpha + " " + reduction + (inPlace ? " in-place" : "") + (ignoredRows > 0 ? " ignored " + ignoredRows : "");
        }
    }

    private static final List<Shape> SHAPES = List.of(
            new Shape(new long[] {9, 1}, 0, Tensor.Memory.HEAP),
            new Shape(new long[] {9, 7}, 0, Tensor.Memory.HEAP),
            new Shape(new long[] {5, 41}, 60, Tensor.Memory.HEAP),
            new Shape(new long[] {3, 4098}, 0, Tensor.Memory.NATIVE_SHARED),
            new Shape(new long[] {2, 8003}, 8010, Tensor.Memory.HEAP),
            new Shape(new long[] {3, 13, 2, 3}, 0, Tensor.Memory.HEAP),
            new Shape(new long[] {2, 33, 5}, 0, Tensor.Memory.NATIVE_CONFINED),
            new Shape(new long[] {0, 5}, 0, Tensor.Memory.HEAP),
            new Shape(new long[] {64, 300}, 0, Tensor.Memory.HEAP));

    private static final List<Options> OPTIONS = List.of(
            new Options(1, 1, Reduction.MEAN, false, 0),
            new Options(2.5, 0.3, Reduction.MEAN, true, 1),
            new Options(0.7, 0, Reduction.SUM, false, 2),
            new Options(4, 0.5, Reduction.NONE, false, 0));

    static Stream<Arguments> cases() {
        return EngineSource.crossed(List.of(DType.values()), SHAPES, OPTIONS);
    }

    @ParameterizedTest(name = "{0} {1} {2} {3}")
    @MethodSource("cases")
    void matchesReference(EngineCase e, DType dt, Shape s, Options o) {
        check(e, dt, s, o, Values.PLAIN, false, 1, 11);
    }

    private static final List<Options> WEIGHTED_OPTIONS = List.of(
            new Options(1, 0, Reduction.MEAN, false, 2),
            new Options(2.5, 0.3, Reduction.MEAN, true, 1),
            new Options(0.7, 0.3, Reduction.SUM, false, 1),
            new Options(1.5, 0, Reduction.SUM, true, 0),
            new Options(3, 0.3, Reduction.NONE, false, 2),
            new Options(1, 0, Reduction.NONE, false, 1));

    static Stream<Arguments> weightedCases() {
        return EngineSource.crossed(List.of(DType.values()), List.of(SHAPES.get(1), SHAPES.get(2), SHAPES.get(4), SHAPES.get(5),
                SHAPES.get(6)), WEIGHTED_OPTIONS);
    }

    /** The hard term weighted by class (F.cross_entropy's weight), upstream 0.75 under SUM and MEAN. */
    @ParameterizedTest(name = "{0} {1} {2} {3}")
    @MethodSource("weightedCases")
    void weightedHardTermMatchesReference(EngineCase e, DType dt, Shape s, Options o) {
        check(e, dt, s, o, Values.PLAIN, true, o.reduction() == Reduction.NONE ? 1 : 0.75, 12);
    }

    static Stream<Arguments> valueCases() {
        List<Values> values = List.of(
                new Values(3, 1000, 1, 0, 0),
                new Values(3, -1000, 1, 0, 0),
                new Values(20, 0, 5, 0, 0),
                new Values(3, 0, 0.001, 0, 0),
                new Values(3, 0, 1, 0.3, 0),
                new Values(3, 0, 1, 0.2, 0.05));
        return EngineSource.crossed(List.of(DType.F32, DType.BF16), values,
                List.of(new Options(1, 1, Reduction.NONE, false, 0), new Options(2, 0.5, Reduction.MEAN, false, 1)));
    }

    @ParameterizedTest(name = "{0} {1} {2} {3}")
    @MethodSource("valueCases")
    void offsetScaledCloseAndMasked(EngineCase e, DType dt, Values v, Options o) {
        check(e, dt, new Shape(new long[] {6, 3001}, 0, Tensor.Memory.HEAP), o, v, false, 1, 5);
        check(e, dt, new Shape(new long[] {7, 45}, 0, Tensor.Memory.HEAP), o, v, false, 1, 6);
    }

    static Stream<Arguments> weightedValueCases() {
        List<Values> values = List.of(
                new Values(3, 1000, 1, 0, 0),
                new Values(3, -1000, 1, 0, 0),
                new Values(20, 0, 5, 0, 0),
                new Values(50, 0, 5, 0, 0),
                new Values(3, 0, 1, 0.2, 0.05));
        return EngineSource.crossed(List.of(DType.F32, DType.BF16, DType.F16), values,
                List.of(new Options(1, 0, Reduction.MEAN, false, 1), new Options(2, 0.3, Reduction.SUM, true, 1)));
    }

    @ParameterizedTest(name = "{0} {1} {2} {3}")
    @MethodSource("weightedValueCases")
    void weightedOffsetScaledAndMasked(EngineCase e, DType dt, Values v, Options o) {
        check(e, dt, new Shape(new long[] {6, 3001}, 0, Tensor.Memory.HEAP), o, v, true, 1.25, 7);
        check(e, dt, new Shape(new long[] {7, 45}, 0, Tensor.Memory.HEAP), o, v, true, 1.25, 8);
    }

    /**
     * One comparison. {@code weighted}: the hard term takes class weights in [0.2, 3) (fp32);
     * {@code upstream} != 1 is passed as a scalar upstream gradient (SUM and MEAN only).
     */
    static void check(EngineCase e, DType dt, Shape s, Options o, Values v, boolean weighted, double upstream, long seed) {
        String context = e + " " + dt + " " + s + " " + o + " " + v + (weighted ? " weighted" : "")
                + (upstream != 1 ? " upstream " + upstream : "") + " seed " + seed;
        Random rnd = new Random(seed);
        try (Arena arena = s.memory() == Tensor.Memory.NATIVE_CONFINED ? Arena.ofConfined() : Arena.ofShared()) {
            Tensor teacher = Tensor.allocate(dt, s.shape(), s.rowStride(), s.memory(), arena);
            Tensor student = Tensor.allocate(dt, s.shape(), s.rowStride(), s.memory(), arena);
            int n = (int) teacher.rows, c = (int) teacher.classes;
            double[][] zt = new double[n][c], zs = new double[n][c];
            long ignore = -100;
            long[] y = new long[n];
            for (int r = 0; r < n; r++) y[r] = r < o.ignoredRows() ? ignore : rnd.nextInt(c);
            if (n > o.ignoredRows() + 1) {  // the first and the last class
                y[o.ignoredRows()] = 0;
                y[n - 1] = c - 1;
            }
            for (int r = 0; r < n; r++) {
                for (int k = 0; k < c; k++) {
                    double t = v.offset() + v.scale() * rnd.nextGaussian();
                    double sv = t + v.noise() * rnd.nextGaussian();
                    if (k != 0 && rnd.nextDouble() < v.teacherMask()) {
                        t = Double.NEGATIVE_INFINITY;
                        if (rnd.nextBoolean() && k != y[r]) sv = Double.NEGATIVE_INFINITY;  // masked in both
                    } else if (k != y[r] && rnd.nextDouble() < v.studentMask()) {
                        sv = Double.NEGATIVE_INFINITY;  // masked in the student only: KL = +inf
                    }
                    zt[r][k] = Reference.round(dt, (float) t);
                    zs[r][k] = Reference.round(dt, (float) sv);
                }
            }
            teacher.fillAll(PAD);
            teacher.write(zt);
            student.fillAll(PAD);
            student.write(zs);
            Tensor grad = o.inPlace() ? student : Tensor.allocate(dt, s.shape(), s.rowStride(), s.memory(), arena);
            if (!o.inPlace()) {
                grad.fillAll(PAD);
                grad.fill(Float.NaN);
            }
            float[] weight = null;
            double[] w = null;
            if (weighted) {
                weight = new float[c];
                w = new double[c];
                for (int k = 0; k < c; k++) {
                    weight[k] = (float) (0.2 + 2.8 * rnd.nextDouble());
                    w[k] = weight[k];
                }
            }
            Distillation d = e.xent().distillation().withTemperature(o.tau()).withAlpha(o.alpha()).withIgnoreIndex(ignore)
                    .withReduction(o.reduction()).withWeight(weight);
            Targets.ClassIndices targets = Targets.classes(y);
            PairReference.Distill ref = PairReference.distill(zt, zs, s.shape()[0], o.tau(), o.alpha(), y, w, ignore, o.reduction(),
                    upstream);
            DistillLoss fwd = d.forward(student.logits, teacher.logits, targets);
            DistillLoss fb = upstream == 1 ? d.forwardBackward(student.logits, teacher.logits, targets, grad.logits)
                    : d.forwardBackward(student.logits, teacher.logits, targets, (float) upstream, grad.logits);
            // fp32 arithmetic on terms of the size of the entropies and of z / tau (scaling rounds z / tau)
            double zsize = (Math.abs(v.offset()) + 6 * v.scale()) / o.tau();
            double atol = 1e-5 * (1 + Check.maxAbs(ref.softCe())) + 4 * Math.ulp((float) zsize);
            for (DistillLoss l : List.of(fwd, fb)) {
                Check.vector("kl", Check.toDouble(l.perRowKl()), ref.kl(), atol, 1e-5, context);
                Check.vector("soft ce", Check.toDouble(l.perRowSoftCe()), ref.softCe(), atol, 1e-5, context);
                Check.vector("teacher entropy", Check.toDouble(l.perRowTeacherEntropy()), ref.entropy(), atol, 1e-5, context);
                double lossAtol = atol * (o.tau() * o.tau() + 1) + 1e-5 * Check.maxAbs(ref.rowLoss());
                Check.vector("row loss", Check.toDouble(l.perRow()), ref.rowLoss(), lossAtol, 1e-5, context);
                if (o.reduction() != Reduction.NONE) Check.scalar("loss", l.value(), ref.reduced(), lossAtol, 1e-5, context);
                double refSum = 0;
                for (double x : ref.rowLoss()) refSum += x;
                Check.scalar("sum", l.sum(), refSum, lossAtol * n, 1e-5, context);
                if (o.reduction() == Reduction.MEAN) Check.scalar("KL denominator", l.denominator(), s.shape()[0], 0, 0, context);
                Check.scalar("hard denominator", l.hardDenominator(), ref.hardDenominator(), 0, 1e-6, context);
            }
            double[][] g = grad.read();
            for (int r = 0; r < n; r++) {
                double gatol = Check.atol(dt, ref.gradScale()[r]) + 8 * Math.ulp((float) zsize) * ref.gradScale()[r];
                Check.vector("grad row " + r, g[r], ref.grad()[r], gatol, Check.rtol(dt), context);
            }
            for (long p : grad.padding()) {
                if (grad.get(p) != PAD) throw new AssertionError("padding written at " + p + " in " + context);
            }
        }
    }

    // ---- entropy, KL, Jensen-Shannon, and H(p, q) = H(p) + KL(p || q) --------------------------

    static Stream<Arguments> dtypes() {
        return EngineSource.crossed(List.of(DType.values()), List.of(
                new Shape(new long[] {6, 1}, 0, Tensor.Memory.HEAP),
                new Shape(new long[] {6, 45}, 50, Tensor.Memory.HEAP),
                new Shape(new long[] {3, 5000}, 0, Tensor.Memory.NATIVE_SHARED),
                new Shape(new long[] {2, 11, 3}, 0, Tensor.Memory.HEAP)));
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("dtypes")
    void entropyKlJsAndTheIdentity(EngineCase e, DType dt, Shape s) {
        Xent xent = e.xent();
        String context = e + " " + dt + " " + s;
        Random rnd = new Random(3);
        try (Arena arena = Arena.ofShared()) {
            Tensor p = Tensor.allocate(dt, s.shape(), s.rowStride(), s.memory(), arena);
            Tensor q = Tensor.allocate(dt, s.shape(), s.rowStride(), s.memory(), arena);
            int n = (int) p.rows, c = (int) p.classes;
            double[][] zp = new double[n][c], zq = new double[n][c];
            for (int r = 0; r < n; r++) {
                for (int k = 0; k < c; k++) {
                    zp[r][k] = Reference.round(dt, (float) (2 * rnd.nextGaussian() + (k == 3 ? Double.NEGATIVE_INFINITY : 0)));
                    zq[r][k] = Reference.round(dt, (float) (2 * rnd.nextGaussian()));
                }
            }
            p.fillAll(PAD);
            p.write(zp);
            q.fillAll(PAD);
            q.write(zq);
            Tensor grad = Tensor.allocate(dt, s.shape(), s.rowStride(), s.memory(), arena);
            grad.fill(Float.NaN);
            float[] h = xent.entropy(p.logits, grad.logits);
            float[] kl = xent.kl(p.logits, q.logits);
            float[] js = xent.jensenShannon(p.logits, q.logits);
            double[] hRef = new double[n], klRef = new double[n], jsRef = new double[n];
            double[][] gRef = new double[n][];
            for (int r = 0; r < n; r++) {
                hRef[r] = PairReference.entropy(zp[r]);
                klRef[r] = Reference.kl(Reference.softmax(zp[r]), Reference.softmax(zq[r]));
                jsRef[r] = PairReference.jensenShannon(zp[r], zq[r]);
                gRef[r] = PairReference.entropyGrad(zp[r]);
            }
            Check.vector("entropy", Check.toDouble(h), hRef, 2e-5, 1e-5, context);
            Check.vector("kl", Check.toDouble(kl), klRef, 2e-5, 1e-5, context);
            Check.vector("js", Check.toDouble(js), jsRef, 2e-5, 1e-5, context);
            Check.matrix("entropy grad", grad.read(), gRef, Check.atol(dt, 1) + 1e-6, Check.rtol(dt), context);

            // H(p, q) from cross-entropy with probability targets softmax(p) (stored in dt, so 16-bit
            // targets are rounded probabilities: the identity holds to their precision)
            Tensor probs = Tensor.allocate(dt, s.shape(), 0, Tensor.Memory.HEAP, arena);
            Tensor pd = Tensor.allocate(dt, s.shape(), 0, Tensor.Memory.HEAP, arena);
            pd.write(zp);
            xent.softmax(pd.logits, probs.logits);
            Tensor qd = Tensor.allocate(dt, s.shape(), 0, Tensor.Memory.HEAP, arena);
            qd.write(zq);
            Loss cross = xent.crossEntropy().withReduction(Reduction.NONE)
                    .forward(qd.logits, Targets.probabilities(probs.seg, dt));
            DistillLoss dl = xent.distillation().withReduction(Reduction.NONE).forward(q.logits, p.logits);
            double tol = dt == DType.F32 ? 3e-5 : 4 * Reference.ulp(dt);
            for (int r = 0; r < n; r++) {
                double sum = (double) h[r] + kl[r];
                Check.scalar("H(p, q) = H(p) + KL row " + r, cross.perRow()[r], sum, tol * (1 + Math.abs(sum)), 0, context);
                Check.scalar("soft ce = H(p) + KL row " + r, dl.perRowSoftCe()[r], (double) dl.perRowTeacherEntropy()[r] + dl.perRowKl()[r],
                        1e-5 * (1 + Math.abs(sum)), 0, context);
                Check.scalar("teacher entropy = entropy row " + r, dl.perRowTeacherEntropy()[r], h[r], 2e-5 * (1 + Math.abs(h[r])), 0, context);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @ArgumentsSource(EngineSource.class)
    void klGradientIsQMinusP(EngineCase e) {
        float[] zp = {1f, -2f, 0.5f, 3f, 0f, 0f, Float.NEGATIVE_INFINITY, 1f};
        float[] zq = {0.3f, 0.1f, -1f, 2f, 1f, -1f, 0f, 2f};
        float[] g = new float[8];
        Arrays.fill(g, Float.NaN);
        e.xent().kl(Logits.of(zp, 2, 4), Logits.of(zq, 2, 4), Logits.of(g, 2, 4));
        for (int r = 0; r < 2; r++) {
            double[] p = Reference.softmax(Check.toDouble(Arrays.copyOfRange(zp, 4 * r, 4 * r + 4)));
            double[] q = Reference.softmax(Check.toDouble(Arrays.copyOfRange(zq, 4 * r, 4 * r + 4)));
            for (int k = 0; k < 4; k++) Check.scalar("grad[" + r + "," + k + "]", g[4 * r + k], q[k] - p[k], 1e-6, 1e-5, e);
        }
    }

    /** forwardBackwardInPlace leaves in the student what forwardBackward writes into a separate buffer. */
    @ParameterizedTest(name = "{0}")
    @ArgumentsSource(EngineSource.class)
    void inPlaceGradientEqualsSeparateBuffer(EngineCase e) {
        float[] zs = new float[3 * 6], zt = new float[3 * 6];
        for (int i = 0; i < zs.length; i++) {
            zs[i] = (float) Math.sin(i);
            zt[i] = (float) Math.cos(0.7 * i);
        }
        Targets.ClassIndices y = Targets.classes(new int[] {5, -100, 0});
        Distillation weighted = e.xent().distillation().withAlpha(0.25).withWeight(new float[] {0.5f, 2, 1, 0, 3, 1.5f});
        for (Distillation d : List.of(e.xent().distillation().withTemperature(2), e.xent().distillation().withAlpha(0.25), weighted)) {
            float[] apart = new float[zs.length], student = zs.clone();
            Logits teacher = Logits.of(zt, 3, 6);
            DistillLoss separate = d.forwardBackward(Logits.of(zs, 3, 6), teacher, y, Logits.of(apart, 3, 6));
            DistillLoss inPlace = d.alpha() == 1 ? d.forwardBackwardInPlace(Logits.of(student, 3, 6), teacher)
                    : d.forwardBackwardInPlace(Logits.of(student, 3, 6), teacher, y);
            assertEquals(separate.value(), inPlace.value(), "alpha " + d.alpha());
            assertArrayEquals(apart, student, "alpha " + d.alpha());
        }
    }

    /**
     * MEAN over a hard term whose weights sum to 0 over the rows not ignored is 0 / 0 = NaN, loss and
     * the gradient of those rows (PyTorch's F.cross_entropy(weight=w) likewise); ignored rows keep
     * gradient 0. SUM gives 0 and no gradient.
     */
    @ParameterizedTest(name = "{0}")
    @ArgumentsSource(EngineSource.class)
    void zeroWeightSumUnderMeanIsNaN(EngineCase e) {
        float[] z = new float[3 * 4];
        for (int i = 0; i < z.length; i++) z[i] = 0.3f * i;
        Logits student = Logits.of(z, 3, 4);
        Targets.ClassIndices y = Targets.classes(new int[] {0, -100, 0});
        Distillation d = e.xent().distillation().withAlpha(0).withWeight(new float[] {0, 2, 1, 0.5f});
        float[] g = new float[z.length];
        DistillLoss mean = d.forwardBackward(student, student, y, Logits.of(g, 3, 4));
        assertTrue(Float.isNaN(mean.value()), e + ": MEAN with weight sum 0 gives NaN, got " + mean.value());
        assertEquals(0.0, mean.hardDenominator(), e.toString());
        for (int k = 0; k < 4; k++) {
            assertTrue(Float.isNaN(g[k]) && Float.isNaN(g[8 + k]), e + ": grad of rows 0 and 2 NaN, got " + Arrays.toString(g));
            assertEquals(0f, g[4 + k], e + ": the ignored row's grad is 0");
        }
        DistillLoss sum = d.withReduction(Reduction.SUM).forwardBackward(student, student, y, Logits.of(g, 3, 4));
        assertEquals(0f, sum.value(), e.toString());
        assertArrayEquals(new float[z.length], g, e + ": weights 0 give no gradient");
    }

    // ---- errors ------------------------------------------------------------------------------

    @ParameterizedTest(name = "{0}")
    @ArgumentsSource(EngineSource.class)
    void badArgumentsAreRefusedWithTheirValue(EngineCase e) {
        Distillation d = e.xent().distillation();
        for (double tau : new double[] {0, -1, Double.NaN, Double.POSITIVE_INFINITY}) {
            IllegalArgumentException t = assertThrows(IllegalArgumentException.class, () -> d.withTemperature(tau));
            assertTrue(t.getMessage().contains("temperature") && t.getMessage().contains(String.valueOf(tau)), t.getMessage());
        }
        for (double alpha : new double[] {-0.1, 1.5, Double.NaN}) {
            IllegalArgumentException t = assertThrows(IllegalArgumentException.class, () -> d.withAlpha(alpha));
            assertTrue(t.getMessage().contains("alpha") && t.getMessage().contains(String.valueOf(alpha)), t.getMessage());
        }
        Logits t43 = Logits.of(new float[12], 4, 3);
        assertThrows(IllegalArgumentException.class, () -> d.forward(t43, Logits.of(new float[12], 3, 4)), "shape mismatch");
        assertThrows(IllegalArgumentException.class, () -> d.forward(t43, Logits.ofBf16(new short[12], 4, 3)), "dtype mismatch");
        assertThrows(IllegalArgumentException.class, () -> d.forward(Logits.of(new float[16], 4, 3).withRowStride(4), t43), "stride mismatch");
        assertThrows(IllegalArgumentException.class, () -> d.withAlpha(0.5).forward(t43, t43), "alpha < 1 needs targets");
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                () -> d.withAlpha(0.5).forward(t43, t43, Targets.classes(new int[] {0, 1, 3, 2})));
        assertTrue(bad.getMessage().contains("row 2") && bad.getMessage().contains("3"), bad.getMessage());
        assertThrows(IllegalArgumentException.class, () -> e.xent().jensenShannon(t43, Logits.of(new float[12], 2, 6)));

        IllegalArgumentException nan = assertThrows(IllegalArgumentException.class, () -> d.withWeight(new float[] {1, Float.NaN, 1}));
        assertTrue(nan.getMessage().contains("weight[1]") && nan.getMessage().contains("NaN"), nan.getMessage());
        IllegalArgumentException inf = assertThrows(IllegalArgumentException.class,
                () -> d.withWeight(new float[] {Float.NEGATIVE_INFINITY, 1, 1}));
        assertTrue(inf.getMessage().contains("weight[0]") && inf.getMessage().contains("Infinity"), inf.getMessage());
        Targets.ClassIndices y4 = Targets.classes(new int[] {0, 1, 2, 0});
        for (Distillation short2 : List.of(d.withWeight(new float[2]), d.withAlpha(0.5).withWeight(new float[2]))) {
            IllegalArgumentException len = assertThrows(IllegalArgumentException.class, () -> short2.forward(t43, t43, y4));
            assertTrue(len.getMessage().contains("weight has 2") && len.getMessage().contains("C = 3"), len.getMessage());
        }
    }

    @ParameterizedTest(name = "{0}")
    @ArgumentsSource(EngineSource.class)
    void weightsAreCopiedInAndOut(EngineCase e) {
        float[] w = {1, 2, 3};
        Distillation d = e.xent().distillation().withWeight(w);
        w[0] = 7;
        float[] out = d.weight();
        assertArrayEquals(new float[] {1, 2, 3}, out);
        out[1] = 9;
        assertArrayEquals(new float[] {1, 2, 3}, d.weight());
        assertArrayEquals(new float[] {1, 2, 3}, d.withTemperature(2).withAlpha(0.5).withIgnoreIndex(-1)
                .withReduction(Reduction.SUM).withEngine(e.engine()).weight(), "every withX keeps the weights");
        assertEquals(null, d.withWeight(null).weight());
        assertEquals(null, e.xent().distillation().weight());
    }

    /** The engine's own check of the hard labels (the device error word for the native engines). */
    @ParameterizedTest(name = "{0}")
    @ArgumentsSource(EngineSource.class)
    void engineReportsBadLabelByRow(EngineCase e) {
        Engine engine = e.engine();
        MemorySegment z = MemorySegment.ofArray(new float[12]);
        DistillCall call = new DistillCall(Pass.FORWARD_BACKWARD, Layout.rows(4, 3), DType.F32, z, z, 1f, 0.5f,
                Targets.classes(new long[] {0, 1, 2, -7}), null, -100, Reduction.MEAN, null, MemorySegment.ofArray(new float[12]),
                null, null, null, null, MemorySegment.ofArray(new float[3]));
        IllegalArgumentException t = assertThrows(IllegalArgumentException.class, () -> engine.distill(call));
        assertTrue(t.getMessage().contains("row 3") && t.getMessage().contains("-7"), t.getMessage());
    }
}
