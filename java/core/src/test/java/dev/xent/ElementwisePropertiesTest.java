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

    private static double loss(Config c, Inputs in, double x) {
        Inputs moved = new Inputs(in.shape(), new double[] {x}, in.t(), in.spread(), in.weight(), in.posWeight());
        return ElementwiseRunner.expected(c, moved, 0)[0];
    }
}
