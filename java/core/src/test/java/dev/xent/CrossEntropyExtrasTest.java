package dev.xent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.xent.CeSpec.Run;
import dev.xent.CeSpec.Upstream;
import dev.xent.EngineSource.EngineCase;
import dev.xent.Reference.Extras;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.ArgumentsSource;
import org.junit.jupiter.params.provider.MethodSource;

/** The LLM-training extras of cross-entropy (logit scale, soft-cap, z-loss) on every engine, against the float64 reference. */
class CrossEntropyExtrasTest {
    private static final List<DType> DTYPES = List.of(DType.F32, DType.BF16, DType.F16);
    private static final Extras SCALE = new Extras(0.7, 0, 0);
    private static final Extras CAP = new Extras(1, 2.5, 0);
    private static final Extras Z = new Extras(1, 0, 1e-2);
    private static final Extras ALL = new Extras(1.3, 4, 5e-3);
    private static final List<Extras> EXTRAS = List.of(SCALE, CAP, Z, ALL);

    static Stream<Arguments> extrasClassesAndDtypes() {
        return EngineSource.crossed(EXTRAS, List.of(1L, 7L, 41L, 300L, 4098L, 50257L), DTYPES);
    }

    @ParameterizedTest(name = "{0} {1} C={2} {3}")
    @MethodSource("extrasClassesAndDtypes")
    void hardLabels(EngineCase e, Extras x, long c, DType dt) {
        CeSpec spec = CeSpec.of(dt, c >= 4098 ? 3 : 19, c).withWeights(true).withSmoothing(0.1).withIgnored(-100, 1)
                .withSeed(3 * c);
        CeRunner.run(e.engine(), spec, x);
        CeRunner.run(e.engine(), spec.withRun(Run.BACKWARD).withWeights(false).withSmoothing(0), x);
    }

    @ParameterizedTest(name = "{0} {1} C={2} {3}")
    @MethodSource("extrasClassesAndDtypes")
    void probabilityTargets(EngineCase e, Extras x, long c, DType dt) {
        CeSpec spec = CeSpec.of(dt, c >= 4098 ? 3 : 19, c).withSoft(true).withWeights(true).withSmoothing(0.1).withSeed(5 * c);
        CeRunner.run(e.engine(), spec, x);
        CeRunner.run(e.engine(), spec.withRun(Run.BACKWARD).withWeights(false).withSmoothing(0), x);
    }

    static Stream<Arguments> runsAndReductions() {
        return EngineSource.crossed(List.of(false, true), List.of(Run.values()), List.of(Reduction.values()));
    }

    @ParameterizedTest(name = "{0} soft={1} {2} {3}")
    @MethodSource("runsAndReductions")
    void passesAndReductions(EngineCase e, boolean soft, Run run, Reduction reduction) {
        Upstream upstream = reduction == Reduction.NONE ? Upstream.PER_ROW : Upstream.SCALAR;
        CeSpec spec = CeSpec.of(DType.F32, 23, 300).withSoft(soft).withRun(run).withReduction(reduction).withUpstream(upstream)
                .withWeights(true).withIgnored(-100, 3);
        CeRunner.run(e.engine(), spec, ALL);
        CeRunner.run(e.engine(), spec.withInPlace(run != Run.FORWARD), Z);
    }

    static Stream<Arguments> layouts() {
        return EngineSource.crossed(List.of(
                CeSpec.of(DType.F32, 5, 37).withRowStride(50),
                CeSpec.of(DType.BF16, 4, 4098).withRowStride(4100).withInPlace(true),
                CeSpec.of(DType.F32, 3, 11, 4, 5).withWeights(true).withIgnored(-100, 7),
                CeSpec.of(DType.F16, 3, 9, 6).withSoft(true).withReduction(Reduction.NONE).withUpstream(Upstream.PER_ROW),
                CeSpec.of(DType.F32, 2, 2050, 3).withSmoothing(0.1).withRun(Run.BACKWARD),
                CeSpec.of(DType.F32, 64, 1500).withMemory(Tensor.Memory.NATIVE_SHARED).withWeights(true),
                CeSpec.of(DType.BF16, 7, 300, 3).withMemory(Tensor.Memory.NATIVE_CONFINED).withInPlace(true),
                CeSpec.of(DType.F32, 2, 20000).withWeights(true).withSmoothing(0.05),
                CeSpec.of(DType.F32, 0, 13)), List.of(CAP, ALL));
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("layouts")
    void layoutsAndMemory(EngineCase e, CeSpec spec, Extras x) {
        CeRunner.run(e.engine(), spec, x);
    }

    static Stream<Arguments> dtypesAndRuns() {
        return EngineSource.crossed(DTYPES, List.of(Run.values()));
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("dtypesAndRuns")
    void maskedLogitsStayMaskedUnderSoftcap(EngineCase e, DType dt, Run run) {
        CeRunner.run(e.engine(), CeSpec.of(dt, 6, 3000).withSpecials(0.3, true, true).withRun(run)
                .withReduction(Reduction.NONE), ALL);
        CeRunner.run(e.engine(), CeSpec.of(dt, 6, 37).withSoft(true).withSpecials(0.5, false, false).withRun(run), CAP);
    }

    @ParameterizedTest(name = "{0}")
    @ArgumentsSource(EngineSource.class)
    void maskedLogitHasNoProbabilityAndNoGradient(EngineCase e) {
        float[] z = {Float.NEGATIVE_INFINITY, 1f, 2f, -30f};
        float[] grad = new float[4];
        Loss loss = e.xent().crossEntropy().withSoftcap(1).withReduction(Reduction.SUM)
                .forwardBackward(Logits.of(z, 1, 4), Targets.classes(new int[] {1}), Logits.of(grad, 1, 4));
        // the masked class takes no probability: lse over tanh(1), tanh(2), tanh(-30) only (-1 would add e^-1)
        double lse = Math.log(Math.exp(Math.tanh(1)) + Math.exp(Math.tanh(2)) + Math.exp(Math.tanh(-30)));
        assertEquals(lse, loss.lse()[0], 1e-6);
        assertEquals(lse - Math.tanh(1), loss.value(), 1e-6);
        assertEquals(0f, grad[0]);
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("dtypesOnly")
    void saturatedSoftcapHasVanishingGradient(EngineCase e, DType dt) {
        // |z| up to ~3000 against a cap of 5: tanh saturates and the chain factor underflows to 0
        CeRunner.run(e.engine(), CeSpec.of(dt, 4, 41).withValues(1000, 0).withSmoothing(0.1), new Extras(1, 5, 1e-3));
        CeRunner.run(e.engine(), CeSpec.of(dt, 4, 8003).withValues(1000, 0).withSoft(true), new Extras(0.5, 5, 1e-3));
        float[] z = {4000f, -4000f, 3000f};
        float[] grad = new float[3];
        e.xent().crossEntropy().withSoftcap(5).forwardBackward(Logits.of(z, 1, 3), Targets.classes(new int[] {1}),
                Logits.of(grad, 1, 3));
        for (float g : grad) assertEquals(0f, g, 1e-30);
    }

    static Stream<Arguments> dtypesOnly() {
        return EngineSource.crossed(DTYPES);
    }

    @ParameterizedTest(name = "{0}")
    @ArgumentsSource(EngineSource.class)
    void zLossWithEveryRowIgnored(EngineCase e) {
        CeSpec spec = CeSpec.of(DType.F32, 5, 12).withIgnored(-100, 5);
        CeRunner.run(e.engine(), spec, ALL);
        CeRunner.run(e.engine(), spec.withReduction(Reduction.SUM), Z);
        float[] z = new float[24];
        for (int i = 0; i < z.length; i++) z[i] = i * 0.1f;
        Loss mean = e.xent().crossEntropy().withZLoss(0.1).forward(Logits.of(z, 2, 12), Targets.classes(new int[] {-100, -100}));
        assertTrue(Float.isNaN(mean.value()) && Float.isNaN(mean.zLoss()), "MEAN over no rows is NaN");
        Loss sum = e.xent().crossEntropy().withZLoss(0.1).withReduction(Reduction.SUM)
                .forward(Logits.of(z, 2, 12), Targets.classes(new int[] {-100, -100}));
        assertEquals(0f, sum.value());
        assertEquals(0f, sum.zLoss());
        assertEquals(0f, sum.perRowZLoss()[0]);
    }

    @ParameterizedTest(name = "{0}")
    @ArgumentsSource(EngineSource.class)
    void zLossIsLoggedApart(EngineCase e) {
        Random rnd = new Random(11);
        int n = 6, c = 50;
        float[] z = new float[n * c];
        for (int i = 0; i < z.length; i++) z[i] = (float) (3 + 2 * rnd.nextGaussian());
        int[] y = {0, 4, 49, 7, 7, 30};
        CrossEntropy plain = e.xent().crossEntropy().withSoftcap(6).withTemperature(2);
        Loss ce = plain.forward(Logits.of(z, n, c), Targets.classes(y));
        Loss withZ = plain.withZLoss(1e-3).forward(Logits.of(z, n, c), Targets.classes(y));
        assertEquals(ce.value(), withZ.value() - withZ.zLoss(), 1e-5 * Math.abs(ce.value()));
        double expected = 0;
        for (float l : ce.lse()) expected += 1e-3 * l * l / n;
        assertEquals(expected, withZ.zLoss(), 1e-5 * expected);
        assertEquals(0.5f, plain.logitScale());
    }

    /** The reference's own chain rule: its gradient against central differences of its float64 loss. */
    @Test
    void referenceGradientMatchesFiniteDifferences() {
        Random rnd = new Random(2);
        int n = 3, c = 9;
        double[][] z = new double[n][c];
        double[][] t = new double[n][c];
        for (int r = 0; r < n; r++) {
            double sum = 0;
            for (int k = 0; k < c; k++) {
                z[r][k] = 3 * rnd.nextGaussian();
                t[r][k] = rnd.nextDouble();
                sum += t[r][k];
            }
            for (int k = 0; k < c; k++) t[r][k] /= sum;
        }
        long[] y = {3, -100, 8};
        double[] w = new double[c];
        for (int k = 0; k < c; k++) w[k] = 0.5 + rnd.nextDouble();
        Extras x = new Extras(1.4, 3, 0.02);
        double[] up = {0.7};
        double[][] hard = Reference.hard(z, y, w, -100, 0.1, Reduction.MEAN, up, null, x).grad();
        double[][] soft = Reference.soft(z, t, w, 0.1, Reduction.SUM, up, null, x).grad();
        double h = 1e-5;
        for (int r = 0; r < n; r++) {
            for (int k = 0; k < c; k++) {
                double[][] plus = Reference.copy(z);
                double[][] minus = Reference.copy(z);
                plus[r][k] += h;
                minus[r][k] -= h;
                double dHard = 0.7 * (Reference.hard(plus, y, w, -100, 0.1, Reduction.MEAN, null, null, x).reduced()
                        - Reference.hard(minus, y, w, -100, 0.1, Reduction.MEAN, null, null, x).reduced()) / (2 * h);
                double dSoft = 0.7 * (Reference.soft(plus, t, w, 0.1, Reduction.SUM, null, null, x).reduced()
                        - Reference.soft(minus, t, w, 0.1, Reduction.SUM, null, null, x).reduced()) / (2 * h);
                assertEquals(dHard, hard[r][k], 1e-7, "hard row " + r + " class " + k);
                assertEquals(dSoft, soft[r][k], 1e-7, "soft row " + r + " class " + k);
            }
        }
    }

    @Test
    void badOptionsAreRefused() {
        CrossEntropy ce = Xent.of(dev.xent.engine.jvm.JavaEngine.scalar()).crossEntropy();
        for (double bad : new double[] {0, -1, Double.NaN, Double.POSITIVE_INFINITY, 1e300}) {
            IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> ce.withLogitScale(bad));
            assertTrue(ex.getMessage().contains("logit scale") && ex.getMessage().contains(String.valueOf(bad)), ex.getMessage());
            ex = assertThrows(IllegalArgumentException.class, () -> ce.withTemperature(bad));
            assertTrue(ex.getMessage().contains("temperature") || ex.getMessage().contains("logit scale"), ex.getMessage());
        }
        for (double bad : new double[] {0, -2, Double.NaN, Double.NEGATIVE_INFINITY}) {
            IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> ce.withSoftcap(bad));
            assertTrue(ex.getMessage().contains("softcap") && ex.getMessage().contains(String.valueOf(bad)), ex.getMessage());
        }
        for (double bad : new double[] {-1e-3, Double.NaN, Double.POSITIVE_INFINITY}) {
            IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> ce.withZLoss(bad));
            assertTrue(ex.getMessage().contains("z-loss") && ex.getMessage().contains(String.valueOf(bad)), ex.getMessage());
        }
        assertEquals(Float.POSITIVE_INFINITY, ce.withSoftcap(3).withSoftcap(Double.POSITIVE_INFINITY).softcap());
        assertEquals(0.25f, ce.withTemperature(4).logitScale());
        assertEquals(0f, ce.withZLoss(0).zLoss());
    }
}
