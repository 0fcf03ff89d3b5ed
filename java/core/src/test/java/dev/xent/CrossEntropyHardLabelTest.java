package dev.xent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.xent.CeSpec.Run;
import dev.xent.CeSpec.Upstream;
import dev.xent.EngineSource.EngineCase;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.ArgumentsSource;
import org.junit.jupiter.params.provider.MethodSource;

/** Cross-entropy with class-index targets on every engine, against the float64 reference. */
class CrossEntropyHardLabelTest {
    private static final List<DType> DTYPES = List.of(DType.F32, DType.BF16, DType.F16);
    private static final List<Long> CLASSES = List.of(1L, 7L, 41L, 4098L, 8003L, 50257L);

    private static long rowsFor(long c) {
        return c >= 4098 ? 3 : 19;
    }

    static Stream<Arguments> classesAndDtypes() {
        return EngineSource.crossed(CLASSES, DTYPES);
    }

    @ParameterizedTest(name = "{0} C={1} {2}")
    @MethodSource("classesAndDtypes")
    void fusedMatchesReference(EngineCase e, long c, DType dt) {
        CeRunner.run(e.engine(), CeSpec.of(dt, rowsFor(c), c).withSeed(c));
    }

    @ParameterizedTest(name = "{0} C={1} {2}")
    @MethodSource("classesAndDtypes")
    void withEverythingOn(EngineCase e, long c, DType dt) {
        CeRunner.run(e.engine(), CeSpec.of(dt, rowsFor(c), c).withWeights(true).withSmoothing(0.1).withIgnored(-100, 1)
                .withSeed(7 * c));
    }

    static Stream<Arguments> runsAndReductions() {
        return EngineSource.crossed(List.of(Run.values()), List.of(Reduction.values()), List.of(Upstream.values()));
    }

    @ParameterizedTest(name = "{0} {1} {2} upstream={3}")
    @MethodSource("runsAndReductions")
    void passesReductionsAndUpstream(EngineCase e, Run run, Reduction reduction, Upstream upstream) {
        if ((upstream == Upstream.PER_ROW) != (reduction == Reduction.NONE) && upstream != Upstream.DEFAULT) return;
        CeRunner.run(e.engine(), CeSpec.of(DType.F32, 23, 300).withRun(run).withReduction(reduction).withUpstream(upstream)
                .withWeights(true).withIgnored(-100, 3));
    }

    static Stream<Arguments> options() {
        CeSpec base = CeSpec.of(DType.F32, 31, 97);
        return EngineSource.crossed(List.of(
                base.withWeights(true),
                base.withSmoothing(0.2),
                base.withSmoothing(1.0),
                base.withWeights(true).withSmoothing(0.3).withReduction(Reduction.SUM),
                base.withIgnored(-100, 5),
                base.withIgnored(-1, 4).withReduction(Reduction.NONE),
                base.withIgnored(0, 0),
                base.withIgnored(96, 6).withWeights(true),
                base.withIgnored(1000, 3).withSmoothing(0.1),
                base.withInt64Labels(true).withWeights(true),
                base.withInPlace(true).withWeights(true).withSmoothing(0.1),
                base.withInPlace(true).withDtype(DType.BF16),
                base.withInPlace(true).withDtype(DType.F16).withRun(Run.BACKWARD)));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("options")
    void options(EngineCase e, CeSpec spec) {
        CeRunner.run(e.engine(), spec);
    }

    static Stream<Arguments> layouts() {
        return EngineSource.crossed(List.of(
                CeSpec.of(DType.F32, 5, 37).withRowStride(50),
                CeSpec.of(DType.BF16, 4, 4098).withRowStride(4100).withInPlace(true),
                CeSpec.of(DType.F16, 6, 33).withRowStride(64).withWeights(true).withSmoothing(0.1),
                CeSpec.of(DType.F32, 3, 11, 4, 5).withWeights(true).withIgnored(-100, 7),
                CeSpec.of(DType.F32, 2, 2050, 3).withSmoothing(0.1),
                CeSpec.of(DType.BF16, 2, 7, 3, 2).withInPlace(true).withRun(Run.BACKWARD),
                CeSpec.of(DType.F16, 3, 9, 6).withReduction(Reduction.NONE).withUpstream(Upstream.PER_ROW),
                CeSpec.of(DType.F32, 1, 5000),
                CeSpec.of(DType.F32, 1, 1),
                CeSpec.of(DType.F32, 0, 13),
                CeSpec.of(DType.F32, 0, 13, 2).withReduction(Reduction.SUM),
                CeSpec.of(DType.F32, 64, 1500).withMemory(Tensor.Memory.NATIVE_SHARED).withWeights(true),
                CeSpec.of(DType.BF16, 64, 1500).withMemory(Tensor.Memory.NATIVE_CONFINED).withInt64Labels(true),
                CeSpec.of(DType.F16, 7, 300, 3).withMemory(Tensor.Memory.NATIVE_SHARED).withRowStride(0).withInPlace(true),
                CeSpec.of(DType.F32, 200, 700).withSmoothing(0.05).withIgnored(-100, 20)));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("layouts")
    void layoutsAndMemory(EngineCase e, CeSpec spec) {
        CeRunner.run(e.engine(), spec);
    }

    static Stream<Arguments> values() {
        return EngineSource.crossed(DTYPES, List.of(
                new double[] {60, 0}, new double[] {3, 1000}, new double[] {3, -1000}, new double[] {1e-3, 0}));
    }

    @ParameterizedTest(name = "{0} {1} scale/offset={2}")
    @MethodSource("values")
    void scaledAndOffsetLogits(EngineCase e, DType dt, double[] scaleOffset) {
        for (long c : List.of(41L, 8003L)) {
            CeRunner.run(e.engine(), CeSpec.of(dt, 4, c).withValues(scaleOffset[0], scaleOffset[1]).withSmoothing(0.1));
        }
    }

    static Stream<Arguments> specials() {
        return EngineSource.crossed(DTYPES, List.of(Run.values()));
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("specials")
    void maskedNanAndAllMaskedRows(EngineCase e, DType dt, Run run) {
        CeRunner.run(e.engine(), CeSpec.of(dt, 6, 3000).withSpecials(0.3, true, true).withRun(run).withReduction(Reduction.NONE));
        CeRunner.run(e.engine(), CeSpec.of(dt, 6, 37).withSpecials(0.5, false, false).withRun(run).withSmoothing(0.1).withWeights(true));
    }

    @ParameterizedTest(name = "{0}")
    @ArgumentsSource(EngineSource.class)
    void maskedTargetGivesInfiniteLoss(EngineCase e) {
        float[] z = {Float.NEGATIVE_INFINITY, 1f, 2f, 3f};
        float[] grad = new float[4];
        Loss loss = e.xent().crossEntropy().withReduction(Reduction.SUM)
                .forwardBackward(Logits.of(z, 1, 4), Targets.classes(new int[] {0}), Logits.of(grad, 1, 4));
        assertEquals(Float.POSITIVE_INFINITY, loss.value());
        assertEquals(-1f, grad[0], 1e-6);
        double[] p = Reference.softmax(new double[] {Double.NEGATIVE_INFINITY, 1, 2, 3});
        for (int k = 1; k < 4; k++) assertEquals(p[k], grad[k], 1e-6);
    }

    @ParameterizedTest(name = "{0}")
    @ArgumentsSource(EngineSource.class)
    void everyRowIgnoredGivesNanMeanAndZeroGradient(EngineCase e) {
        CeSpec spec = CeSpec.of(DType.F32, 5, 12).withIgnored(-100, 5);
        CeRunner.run(e.engine(), spec);
        float[] z = new float[24];
        for (int i = 0; i < z.length; i++) z[i] = i * 0.1f;
        float[] grad = new float[24];
        java.util.Arrays.fill(grad, Float.NaN);
        Loss loss = e.xent().crossEntropy().forwardBackward(Logits.of(z, 2, 12), Targets.classes(new int[] {-100, -100}),
                Logits.of(grad, 2, 12));
        assertTrue(Float.isNaN(loss.value()), "MEAN over no rows is NaN");
        assertEquals(0f, loss.denominator());
        for (float g : grad) assertEquals(0f, g);
    }

    @ParameterizedTest(name = "{0}")
    @ArgumentsSource(EngineSource.class)
    void backwardFromSavedLseMatchesFused(EngineCase e) {
        Random rnd = new Random(5);
        int n = 9, c = 513;
        float[] z = new float[n * c];
        for (int i = 0; i < z.length; i++) z[i] = (float) (2 * rnd.nextGaussian());
        int[] y = new int[n];
        for (int r = 0; r < n; r++) y[r] = rnd.nextInt(c);
        CrossEntropy ce = e.xent().crossEntropy().withLabelSmoothing(0.1);
        float[] fused = new float[z.length];
        Loss loss = ce.forwardBackward(Logits.of(z, n, c), Targets.classes(y), 0.5f, Logits.of(fused, n, c));
        float[] split = new float[z.length];
        ce.backward(Logits.of(z, n, c), Targets.classes(y), loss.lse(), 0.5f, Logits.of(split, n, c));
        double scale = Check.maxAbs(Check.toDouble(fused));
        Check.vector("backward vs fused", Check.toDouble(split), Check.toDouble(fused), 1e-6 * scale, 1e-5, e);
        Loss forward = ce.forward(Logits.of(z, n, c), Targets.classes(y));
        assertEquals(loss.value(), forward.value(), 1e-6 * Math.abs(loss.value()));
    }

    private static final class Random extends java.util.Random {
        Random(long seed) {
            super(seed);
        }
    }
}
