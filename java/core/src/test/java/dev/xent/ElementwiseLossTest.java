package dev.xent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.xent.ElementwiseRunner.Config;
import dev.xent.ElementwiseRunner.Inputs;
import dev.xent.EngineSource.EngineCase;
import dev.xent.engine.Engine;
import dev.xent.engine.jvm.JavaEngine;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.ArgumentsSource;
import org.junit.jupiter.params.provider.MethodSource;

/** BCE with logits, Gaussian, Laplace and Poisson NLL on every engine against the float64 reference. */
class ElementwiseLossTest {

    /** Awkward shapes: multi-label, 3-D, one element, a scalar, 1-D not a multiple of any vector width. */
    private static final List<long[]> SHAPES = List.of(
            new long[] {3, 37}, new long[] {2, 5, 13}, new long[] {1}, new long[0], new long[] {4099}, new long[] {17, 1});

    static Stream<Arguments> cases() {
        return EngineSource.crossed(List.of(Config.values()), List.of(DType.values()), List.of(Reduction.values()));
    }

    @ParameterizedTest(name = "{0} {1} {2} {3}")
    @MethodSource("cases")
    void matchesReference(EngineCase ec, Config c, DType dt, Reduction red) {
        Engine e = ec.engine();
        long seed = 41L * c.ordinal() + 7L * dt.ordinal() + red.ordinal();
        for (long[] shape : SHAPES) ElementwiseRunner.check(e, c, dt, red, shape, seed);
    }

    static Stream<Arguments> configs() {
        return EngineSource.crossed(List.of(Config.values()));
    }

    /** Above the Java engine's parallel threshold and many GPU blocks: chunked sums stay accurate. */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("configs")
    void largeInput(EngineCase ec, Config c) {
        ElementwiseRunner.check(ec.engine(), c, DType.F32, Reduction.MEAN, new long[] {300, 301}, 99);
    }

    static Stream<Arguments> spreadConfigs() {
        return EngineSource.crossed(List.of(Config.GAUSSIAN_PER_ROW_FULL, Config.GAUSSIAN_FIXED_SIGMA,
                Config.LAPLACE_PER_ROW_FULL, Config.LAPLACE_FIXED_SCALE), List.of(Reduction.values()));
    }

    /**
     * A broadcast variance or scale below eps is clamped; its gradient, the sum over its elements,
     * is taken at eps and passed through the clamp (PyTorch clamps a clone of var under no_grad).
     */
    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("spreadConfigs")
    void broadcastSpreadBelowEpsGetsTheGradientAtEps(EngineCase ec, Config c, Reduction red) {
        long[] shape = {6, 45};
        Inputs in = ElementwiseRunner.draw(c, DType.F32, shape, 13);
        in.spread()[0] = 3e-7f;
        if (in.spread().length > 1) in.spread()[4] = 0f;
        ElementwiseRunner.check(ec.engine(), c, DType.F32, red, in, 13);
    }

    /** The broadcast sums run in a fixed order: two runs give the same bits (and, on the Java engine, any thread count). */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("spreadConfigs")
    void broadcastSpreadGradientIsReproducible(EngineCase ec, Config c, Reduction red) {
        long[] shape = {700, 129}; // several Java chunks and GPU blocks, rows across chunk ends
        Inputs in = ElementwiseRunner.draw(c, DType.F32, shape, 21);
        DenseTensor x = ElementwiseRunner.tensor(DType.F32, in.x(), shape), t = ElementwiseRunner.tensor(DType.F32, in.t(), shape);
        Object upstream = red == Reduction.NONE ? toFloats(in.t()) : (Object) 0.5f; // per element: any varied values
        List<Engine> engines = ec.engine() instanceof JavaEngine j ? List.of(j.withThreads(1), j.withThreads(7), j) : List.of(ec.engine(), ec.engine());
        float[] first = null;
        for (Engine e : engines) {
            float[] spreadGrad = new float[in.spread().length];
            DenseTensor g = DenseTensor.of(new float[in.n()], shape);
            ElementwiseRunner.call(e, c, red, in, x, t, g, spreadGrad, upstream);
            if (first == null) first = spreadGrad;
            else assertArrayEquals(first, spreadGrad, c + " " + red + " on " + e.name());
        }
    }

    private static float[] toFloats(double[] v) {
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) f[i] = (float) v[i];
        return f;
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("configs")
    void noElements(EngineCase ec, Config c) {
        Engine e = ec.engine();
        long[] shape = {0, 7};
        Inputs in = ElementwiseRunner.draw(c, DType.F32, shape, 1);
        DenseTensor x = DenseTensor.of(new float[0], shape), t = DenseTensor.of(new float[0], shape);
        DenseTensor g = DenseTensor.of(new float[0], shape);
        assertEquals(0f, ElementwiseRunner.call(e, c, Reduction.SUM, in, x, t, g, null, null).value());
        assertTrue(Float.isNaN(ElementwiseRunner.call(e, c, Reduction.MEAN, in, x, t, null, null, null).value()), "mean of nothing is NaN");
        assertEquals(0, ElementwiseRunner.call(e, c, Reduction.NONE, in, x, t, g, null, null).perRow().length);
    }

    @ParameterizedTest
    @ArgumentsSource(EngineSource.class)
    void bceExtremeLogitsAreStable(EngineCase ec) {
        Engine e = ec.engine();
        float[] x = {100, -100, 100, -100, 100, -100, 30, -30, 88, -88};
        float[] y = {1, 0, 0, 1, 0.25f, 0.75f, 1, 0, 0.5f, 0.5f};
        long[] shape = {x.length};
        float[] grad = new float[x.length];
        Arrays.fill(grad, Float.NaN);
        ElementwiseLoss l = Xent.of(e).binaryCrossEntropy().withReduction(Reduction.NONE)
                .forwardBackward(DenseTensor.of(x.clone(), shape), DenseTensor.of(y, shape), DenseTensor.of(grad, shape));
        for (int i = 0; i < x.length; i++) {
            double[] r = ElementwiseReference.bce(x[i], y[i], 1, 1);
            assertTrue(Float.isFinite(l.perRow()[i]), "loss at x = " + x[i]);
            Check.scalar("loss at x = " + x[i] + ", y = " + y[i], l.perRow()[i], r[0], 1e-38, 1e-6, e.name());
            Check.scalar("grad at x = " + x[i] + ", y = " + y[i], grad[i], r[1], 1e-38, 1e-6, e.name());
        }
        assertEquals(100f, l.perRow()[2], "x = 100, y = 0: 100 (+ 3.7e-44, below fp32's resolution at 100)");
        assertEquals(100f, l.perRow()[3], "x = -100, y = 1: 100");
    }

    /** Infinite logits give the limits: loss +inf, or 0 where the term's coefficient is 0; gradient sigmoid(x) - y. */
    @ParameterizedTest
    @ArgumentsSource(EngineSource.class)
    void bceInfiniteLogitsGiveLimits(EngineCase ec) {
        Engine e = ec.engine();
        float inf = Float.POSITIVE_INFINITY;
        float[] x0 = {inf, -inf, inf, -inf, inf, -inf, Float.NaN, 1};
        float[] y0 = {0, 0, 1, 1, 0.5f, 0.5f, 0.5f, 1};
        double[] loss0 = {inf, 0, 0, inf, inf, inf, Double.NaN, Math.log1p(Math.exp(-1))};
        double[] dx0 = {1, 0, 0, -1, 0.5, -0.5, Double.NaN, -1 / (1 + Math.E)};
        // repeated to fill whole vectors of any width (the Java engine's vector loop takes SUM and MEAN)
        int n = 8 * x0.length;
        float[] x = new float[n], y = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = x0[i % x0.length];
            y[i] = y0[i % y0.length];
        }
        long[] shape = {n};
        for (Reduction red : new Reduction[] {Reduction.NONE, Reduction.SUM}) {
            float[] grad = new float[n];
            ElementwiseLoss l = Xent.of(e).binaryCrossEntropy().withReduction(red)
                    .forwardBackward(DenseTensor.of(x.clone(), shape), DenseTensor.of(y, shape), DenseTensor.of(grad, shape));
            for (int i = 0; i < n; i++) {
                int k = i % x0.length;
                String at = red + " at x = " + x[i] + ", y = " + y[i];
                if (red == Reduction.NONE) Check.scalar("loss " + at, l.perRow()[i], loss0[k], 0, 1e-6, e.name());
                Check.scalar("grad " + at, grad[i], dx0[k], 0, 1e-6, e.name());
            }
            if (red == Reduction.SUM) assertTrue(Float.isNaN(l.value()), "a NaN logit makes the sum NaN");
        }
    }

    @ParameterizedTest
    @ArgumentsSource(EngineSource.class)
    void inPlaceGradientEqualsSeparateBuffer(EngineCase ec) {
        Engine e = ec.engine();
        long[] shape = {5, 33};
        Inputs in = ElementwiseRunner.draw(Config.BCE_WEIGHT_PER_CLASS_POS_WEIGHT, DType.BF16, shape, 5);
        DenseTensor t = ElementwiseRunner.tensor(DType.BF16, in.t(), shape);
        DenseTensor x = ElementwiseRunner.tensor(DType.BF16, in.x(), shape);
        DenseTensor g = ElementwiseRunner.poisoned(DType.BF16, shape, in.n());
        BinaryCrossEntropy bce = Xent.of(e).binaryCrossEntropy().withWeight(in.weight()).withPosWeight(in.posWeight());
        float separate = bce.forwardBackward(x, t, g).value();
        float inPlace = bce.forwardBackwardInPlace(x, t).value();
        assertEquals(separate, inPlace);
        assertArrayEquals(ElementwiseRunner.values(g), ElementwiseRunner.values(x));
        DenseTensor p = ElementwiseRunner.tensor(DType.F16, new double[] {0.5, 1, 2}, new long[] {3});
        DenseTensor c = ElementwiseRunner.tensor(DType.F16, new double[] {0, 1, 3}, new long[] {3});
        PoissonNll poisson = Xent.of(e).poissonNll().withLogInput(false);
        DenseTensor pg = ElementwiseRunner.poisoned(DType.F16, new long[] {3}, 3);
        poisson.forwardBackward(p, c, pg);
        poisson.forwardBackwardInPlace(p, c);
        assertArrayEquals(ElementwiseRunner.values(pg), ElementwiseRunner.values(p));
        float[] spread = {0.5f, 2f, 1e-3f};
        for (SpreadNll<?> nll : List.of(Xent.of(e).gaussianNll(), Xent.of(e).laplaceNll())) {
            DenseTensor mu = ElementwiseRunner.tensor(DType.F32, new double[] {0.25, -1, 3}, new long[] {3});
            DenseTensor target = ElementwiseRunner.tensor(DType.F32, new double[] {0, 1, 2.5}, new long[] {3});
            DenseTensor sg = ElementwiseRunner.poisoned(DType.F32, new long[] {3}, 3);
            float apart = nll.forwardBackward(mu, target, spread, sg).value();
            assertEquals(apart, nll.forwardBackwardInPlace(mu, target, spread).value(), nll.getClass().getSimpleName());
            assertArrayEquals(ElementwiseRunner.values(sg), ElementwiseRunner.values(mu), nll.getClass().getSimpleName());
        }
    }

    @Test
    void javaEngineResultsDoNotDependOnThreads() {
        long[] shape = {400, 333};
        Inputs in = ElementwiseRunner.draw(Config.GAUSSIAN_PER_ROW_FULL, DType.F32, shape, 3);
        DenseTensor x = ElementwiseRunner.tensor(DType.F32, in.x(), shape), t = ElementwiseRunner.tensor(DType.F32, in.t(), shape);
        float one = Xent.of(JavaEngine.create().withThreads(1)).gaussianNll().forward(x, t, in.spread()).value();
        float many = Xent.of(JavaEngine.create().withThreads(8)).gaussianNll().forward(x, t, in.spread()).value();
        assertEquals(one, many);
    }

    // ---- bad input ---------------------------------------------------------------------------------

    private static IllegalArgumentException rejects(Runnable r, String... parts) {
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, r::run);
        for (String p : parts) assertTrue(ex.getMessage().contains(p), "message '" + ex.getMessage() + "' lacks '" + p + "'");
        return ex;
    }

    @ParameterizedTest
    @ArgumentsSource(EngineSource.class)
    void badValuesNameElementAndValue(EngineCase ec) {
        Engine e = ec.engine();
        long[] s = {2, 3};
        DenseTensor x = DenseTensor.of(new float[] {0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f}, s);
        DenseTensor grad = DenseTensor.of(new float[6], s);
        rejects(() -> Xent.of(e).binaryCrossEntropy().forward(x, DenseTensor.of(new float[] {0, 1, 0, 1.5f, 0, 1}, s)), "target[3]", "1.5", "[0, 1]");
        rejects(() -> Xent.of(e).binaryCrossEntropy().forwardBackward(x, DenseTensor.of(new float[] {0, 1, 0, 1, Float.NaN, 1}, s), grad),
                "target[4]", "NaN");
        rejects(() -> Xent.of(e).binaryCrossEntropy().forward(x, DenseTensor.of(new float[] {0, -0.25f, 0, 1, 0, 1}, s)), "target[1]", "-0.25");
        DenseTensor t = DenseTensor.of(new float[] {1, 2, 3, 4, 5, 6}, s);
        rejects(() -> Xent.of(e).gaussianNll().forward(x, t, new float[] {1, 1, 1, 1, -0.5f, 1}), "var[4]", "-0.5", "negative");
        rejects(() -> Xent.of(e).gaussianNll().forwardBackward(x, t, new float[] {1, -2}, grad), "var[1]", "-2.0", "negative");
        rejects(() -> Xent.of(e).laplaceNll().forward(x, t, new float[] {-1}), "scale[0]", "-1.0", "negative");
        rejects(() -> Xent.of(e).poissonNll().forward(x, DenseTensor.of(new float[] {1, 2, -3, 4, 5, 6}, s)), "target[2]", "-3.0", "counts");
        rejects(() -> Xent.of(e).poissonNll().withLogInput(false).forwardBackward(
                DenseTensor.of(new float[] {1, 2, 3, 4, 5, -0.5f}, s), t, grad), "input[5]", "-0.5", "rate");
    }

    @Test
    void badArgumentsAreNamed() {
        Engine e = JavaEngine.create();
        long[] s = {2, 3};
        DenseTensor x = DenseTensor.of(new float[6], s);
        DenseTensor t = DenseTensor.of(new float[6], s);
        rejects(() -> Xent.of(e).binaryCrossEntropy().forward(x, DenseTensor.of(new float[6], 3, 2)), "target", "shape");
        rejects(() -> Xent.of(e).binaryCrossEntropy().forward(x, DenseTensor.ofBf16(new short[6], s)), "target", "dtype");
        rejects(() -> Xent.of(e).binaryCrossEntropy().forwardBackward(x, t, DenseTensor.of(new float[6], 6)), "gradient");
        rejects(() -> Xent.of(e).binaryCrossEntropy().withWeight(new float[4]).forward(x, t), "weight has 4 values");
        rejects(() -> Xent.of(e).binaryCrossEntropy().withPosWeight(new float[2]).forward(x, t), "pos_weight has 2 values");
        rejects(() -> Xent.of(e).binaryCrossEntropy().withWeight(new float[] {1, Float.NaN, 1}), "weight[1]");
        rejects(() -> Xent.of(e).binaryCrossEntropy().withReduction(Reduction.NONE).forwardBackward(x, t, 1f, x), "NONE", "per row");
        rejects(() -> Xent.of(e).binaryCrossEntropy().forwardBackward(x, t, new float[6], x), "MEAN", "scalar");
        rejects(() -> Xent.of(e).gaussianNll().forward(x, t, new float[4]), "var has 4 values");
        rejects(() -> Xent.of(e).gaussianNll().forwardBackward(x, t, new float[] {1, 1}, 1f, x, new float[6]),
                "spreadGrad has 6 values", "var", "2 values");
        rejects(() -> Xent.of(e).laplaceNll().forwardBackward(x, t, new float[] {1}, 1f, x, new float[2]),
                "spreadGrad has 2 values", "scale", "1 values");
        float[] spread = {1, 1};
        rejects(() -> Xent.of(e).gaussianNll().forwardBackward(x, t, spread, 1f, x, spread), "var gradient", "overlap");
        rejects(() -> Xent.of(e).gaussianNll().withEps(0), "eps");
        rejects(() -> Xent.of(e).poissonNll().withEps(-1), "eps");
        rejects(() -> DenseTensor.of(new float[5], 2, 3), "needs 24 bytes");
    }
}
