package dev.xent;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.xent.CeSpec.Run;
import dev.xent.CeSpec.Upstream;
import dev.xent.EngineSource.EngineCase;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.ArgumentsSource;
import org.junit.jupiter.params.provider.MethodSource;

/** Cross-entropy with probability (soft) targets on every engine, against the float64 reference. */
class CrossEntropyProbabilityTest {
    private static final List<DType> DTYPES = List.of(DType.F32, DType.BF16, DType.F16);

    static Stream<Arguments> classesAndDtypes() {
        return EngineSource.crossed(List.of(1L, 7L, 41L, 4098L, 8003L, 50257L), DTYPES);
    }

    @ParameterizedTest(name = "{0} C={1} {2}")
    @MethodSource("classesAndDtypes")
    void fusedMatchesReference(EngineCase e, long c, DType dt) {
        CeRunner.run(e.engine(), CeSpec.of(dt, c >= 4098 ? 2 : 13, c).withSoft(true).withSeed(c + 1));
    }

    static Stream<Arguments> options() {
        CeSpec base = CeSpec.of(DType.F32, 17, 203).withSoft(true);
        return EngineSource.crossed(List.of(
                base.withWeights(true),
                base.withSmoothing(0.15),
                base.withWeights(true).withSmoothing(0.25).withReduction(Reduction.SUM),
                base.withReduction(Reduction.NONE).withUpstream(Upstream.PER_ROW),
                base.withUpstream(Upstream.SCALAR).withRun(Run.BACKWARD),
                base.withReduction(Reduction.NONE).withUpstream(Upstream.PER_ROW).withRun(Run.BACKWARD).withWeights(true),
                base.withRun(Run.FORWARD).withWeights(true),
                base.withInPlace(true).withWeights(true),
                base.withDtype(DType.BF16).withInPlace(true).withSmoothing(0.1),
                base.withRowStride(250).withWeights(true),
                CeSpec.of(DType.F32, 3, 9, 4, 2).withSoft(true).withWeights(true),
                CeSpec.of(DType.F16, 3, 2100, 2).withSoft(true).withInPlace(true),
                CeSpec.of(DType.F32, 0, 9).withSoft(true),
                CeSpec.of(DType.F32, 40, 900).withSoft(true).withMemory(Tensor.Memory.NATIVE_SHARED).withSmoothing(0.1),
                base.withValues(60, 0),
                base.withValues(3, 1000).withSmoothing(0.1),
                base.withValues(3, -1000).withWeights(true),
                base.withSpecials(0.3, true, true).withReduction(Reduction.NONE)));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("options")
    void options(EngineCase e, CeSpec spec) {
        CeRunner.run(e.engine(), spec);
    }

    static Stream<Arguments> identityCases() {
        return EngineSource.crossed(List.of(5L, 41L, 8003L));
    }

    /** With a soft target p and q = softmax(z): the loss is H(p, q) = H(p) + KL(p || q), row by row. */
    @ParameterizedTest(name = "{0} C={1}")
    @MethodSource("identityCases")
    void crossEntropyIsEntropyPlusKl(EngineCase e, long c) {
        int n = 6;
        Random rnd = new Random(c);
        float[] z = new float[(int) (n * c)];
        for (int i = 0; i < z.length; i++) z[i] = (float) (3 * rnd.nextGaussian());
        double[][] p = CeRunner.probabilities(DType.F32, n, (int) c, rnd);
        float[] t = new float[z.length];
        for (int r = 0; r < n; r++) for (int k = 0; k < c; k++) t[(int) (r * c + k)] = (float) p[r][k];
        Loss loss = e.xent().crossEntropy().withReduction(Reduction.NONE).forward(Logits.of(z, n, c), Targets.probabilities(t));
        double total = 0;
        for (int r = 0; r < n; r++) {
            double[] zr = new double[(int) c];
            for (int k = 0; k < c; k++) zr[k] = z[(int) (r * c + k)];
            double[] q = Reference.softmax(zr);
            double expected = Reference.entropy(p[r]) + Reference.kl(p[r], q);
            Check.scalar("H(p,q) row " + r, loss.perRow()[r], expected, 1e-5, 4e-6, e + " C=" + c);
            total += expected;
        }
        assertEquals(total, loss.sum(), 1e-5 * Math.abs(total) + 1e-5);
    }

    /** One-hot probability targets give the class-index loss and gradient. */
    @ParameterizedTest(name = "{0}")
    @ArgumentsSource(EngineSource.class)
    void oneHotTargetsMatchClassIndices(EngineCase e) {
        int n = 8, c = 300;
        Random rnd = new Random(11);
        float[] z = new float[n * c];
        for (int i = 0; i < z.length; i++) z[i] = (float) (2 * rnd.nextGaussian());
        int[] y = new int[n];
        float[] t = new float[n * c];
        for (int r = 0; r < n; r++) {
            y[r] = rnd.nextInt(c);
            t[r * c + y[r]] = 1f;
        }
        CrossEntropy ce = e.xent().crossEntropy().withLabelSmoothing(0.1);
        float[] g1 = new float[n * c];
        float[] g2 = new float[n * c];
        Loss hard = ce.forwardBackward(Logits.of(z, n, c), Targets.classes(y), Logits.of(g1, n, c));
        Loss soft = ce.forwardBackward(Logits.of(z, n, c), Targets.probabilities(t), Logits.of(g2, n, c));
        assertEquals(hard.value(), soft.value(), 1e-5 * Math.abs(hard.value()));
        Check.vector("gradient", Check.toDouble(g2), Check.toDouble(g1), 1e-7, 1e-4, e);
    }
}
