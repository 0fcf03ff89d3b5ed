package dev.xent;

import dev.xent.ElementwiseRunner.Config;
import dev.xent.ElementwiseRunner.Inputs;
import dev.xent.EngineSource.EngineCase;
import dev.xent.engine.Engine;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;

/** Properties of the element-wise losses on every available engine (fixed seeds, few tries). */
class ElementwisePropertiesTest {

    /** Without weights, BCE with logits is softplus(x) - y x. */
    @Property(tries = 200, seed = "4")
    void bceIsSoftplusMinusTargetTimesLogit(@ForAll @DoubleRange(min = -60, max = 60) double xd,
            @ForAll @DoubleRange(min = 0, max = 1) double yd) {
        float x = (float) xd, y = (float) yd;
        double softplus = Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs((double) x)));
        double expected = softplus - (double) y * x;
        for (EngineCase e : EngineSource.availableEngines()) {
            float got = Xent.of(e.engine()).binaryCrossEntropy().withReduction(Reduction.SUM)
                    .forward(DenseTensor.of(new float[] {x}), DenseTensor.of(new float[] {y})).value();
            // fp32 accuracy relative to the terms, softplus(x) and |y x|
            Check.scalar("bce(" + x + ", " + y + ")", got, expected, 1e-6 * (softplus + Math.abs(y * x)) + 1e-38, 0, e);
        }
    }

    @Provide
    Arbitrary<Config> configs() {
        return Arbitraries.of(Config.class);
    }

    /** The gradient w.r.t. the input is the central difference of the float64 reference loss. */
    @Property(tries = 300, seed = "11")
    void gradientIsTheDerivativeOfTheLoss(@ForAll("configs") Config c, @ForAll @IntRange(min = 0, max = 100000) int seed) {
        Inputs in = ElementwiseRunner.draw(c, DType.F32, new long[] {1}, seed);
        double x = in.x()[0];
        if (c == Config.POISSON_RATE || c == Config.POISSON_RATE_FULL) x = Math.max(x, 0.05); // differentiable inside the domain
        if ((c.kind == ElementwiseRunner.Kind.LAPLACE) && Math.abs(x - in.t()[0]) < 1e-3) return; // the kink of |x - t|
        float xf = (float) x;
        Inputs at = new Inputs(in.shape(), new double[] {xf}, in.t(), in.spread(), in.weight(), in.posWeight());
        double h = 1e-4 * Math.max(1, Math.abs(xf));
        double numeric = (loss(c, at, xf + h) - loss(c, at, xf - h)) / (2 * h);
        for (EngineCase e : EngineSource.availableEngines()) {
            Engine engine = e.engine();
            float[] grad = {Float.NaN};
            DenseTensor xt = DenseTensor.of(new float[] {xf}, 1), tt = DenseTensor.of(new float[] {(float) in.t()[0]}, 1);
            ElementwiseRunner.call(engine, c, Reduction.SUM, at, xt, tt, DenseTensor.of(grad, 1), null, null);
            Check.scalar(c + " d/dx at x = " + xf + ", t = " + in.t()[0], grad[0], numeric, 1e-4 * Math.max(1, Math.abs(numeric)), 1e-4, e);
        }
    }

    @Provide
    Arbitrary<Config> broadcastSpreads() {
        return Arbitraries.of(Config.GAUSSIAN_PER_ROW_FULL, Config.GAUSSIAN_FIXED_SIGMA, Config.LAPLACE_PER_ROW_FULL,
                Config.LAPLACE_FIXED_SCALE);
    }

    /**
     * The gradient w.r.t. a broadcast variance or scale is the central difference of the summed
     * float64 reference loss when that one entry moves (so: the sum over the elements sharing it).
     */
    @Property(tries = 100, seed = "12")
    void broadcastSpreadGradientIsTheDerivativeOfTheSummedLoss(@ForAll("broadcastSpreads") Config c,
            @ForAll @IntRange(min = 0, max = 100000) int seed) {
        long[] shape = {3, 4};
        Inputs in = ElementwiseRunner.draw(c, DType.F32, shape, seed);
        int k = in.spread().length - 1; // the last entry: row 2 of 3, or the single value
        float v = in.spread()[k];
        // the spread is fp32: difference at the fp32 neighbours actually taken
        float up = (float) (v * (1 + 1e-3)), down = (float) (v * (1 - 1e-3));
        double numeric = (summedLoss(c, in, k, up) - summedLoss(c, in, k, down)) / ((double) up - down);
        double mag = 0; // fp32 accuracy scale of the engines' sum: its terms' magnitudes
        for (int i = 0; i < in.n(); i++) {
            if (in.spread().length == 1 || i / in.last() == k) mag += ElementwiseRunner.expected(c, in, i)[5];
        }
        DenseTensor xt = ElementwiseRunner.tensor(DType.F32, in.x(), shape), tt = ElementwiseRunner.tensor(DType.F32, in.t(), shape);
        for (EngineCase e : EngineSource.availableEngines()) {
            float[] spreadGrad = new float[in.spread().length];
            ElementwiseRunner.call(e.engine(), c, Reduction.SUM, in, xt, tt, DenseTensor.of(new float[12], shape), spreadGrad, 1f);
            Check.scalar(c + " d/dspread[" + k + "] at " + v, spreadGrad[k], numeric, 2e-5 * mag + 1e-6 * Math.abs(numeric), 0, e);
        }
    }

    private static double summedLoss(Config c, Inputs in, int k, float spread) {
        float[] moved = in.spread().clone();
        moved[k] = spread;
        Inputs at = new Inputs(in.shape(), in.x(), in.t(), moved, in.weight(), in.posWeight());
        double sum = 0;
        for (int i = 0; i < in.n(); i++) sum += ElementwiseRunner.expected(c, at, i)[0];
        return sum;
    }

    private static double loss(Config c, Inputs in, double x) {
        Inputs moved = new Inputs(in.shape(), new double[] {x}, in.t(), in.spread(), in.weight(), in.posWeight());
        return ElementwiseRunner.expected(c, moved, 0)[0];
    }
}
