package dev.xent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.xent.EngineSource.EngineCase;
import dev.xent.engine.jvm.JavaEngine;
import dev.xent.eval.Evaluation;
import dev.xent.eval.TemperatureScaling;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ArgumentsSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The temperature fit: recovers a known temperature, and agrees with a float64 golden-section search. */
class TemperatureScalingTest {

    /** True logits u (Gaussian, sd 2), labels drawn from softmax(u), and the model's logits z = t0 * u. */
    private record Synthetic(double[][] u, int[] y, float[] z, int n, int c) {
        static Synthetic of(int n, int c, double t0, long seed) {
            SplittableRandom rnd = new SplittableRandom(seed);
            double[][] u = new double[n][c];
            int[] y = new int[n];
            float[] z = new float[n * c];
            for (int r = 0; r < n; r++) {
                for (int k = 0; k < c; k++) u[r][k] = 2 * rnd.nextGaussian();
                double[] p = Reference.softmax(u[r]);
                double draw = rnd.nextDouble(), cum = 0;
                y[r] = c - 1;
                for (int k = 0; k < c; k++) {
                    cum += p[k];
                    if (draw < cum) {
                        y[r] = k;
                        break;
                    }
                }
                for (int k = 0; k < c; k++) z[r * c + k] = (float) (t0 * u[r][k]);
            }
            return new Synthetic(u, y, z, n, c);
        }

        Logits logits() {
            return Logits.of(z, n, c);
        }

        /** NLL(s) of softmax(s z) in float64, straight from the definition. */
        double nll(double s) {
            double sum = 0;
            double[] row = new double[c];
            for (int r = 0; r < n; r++) {
                for (int k = 0; k < c; k++) row[k] = s * z[r * c + k];
                sum += Reference.logSumExp(row) - row[y[r]];
            }
            return sum / n;
        }
    }

    /** The acceptance test: 200000 rows (the fit's sampling sd is about 0.2%), T0 recovered within 1%. */
    @ParameterizedTest(name = "T0={0}")
    @ValueSource(doubles = {0.5, 2.0})
    void recoversAKnownTemperature(double t0) {
        Synthetic data = Synthetic.of(200_000, 10, t0, 20261123L);
        TemperatureScaling.Fit fit = TemperatureScaling.of(Evaluation.of(Xent.of(JavaEngine.create())))
                .fit(data.logits(), Targets.classes(data.y()));
        assertTrue(fit.converged(), "not converged: " + fit);
        assertTrue(Math.abs(fit.temperature() - t0) < 0.01 * t0, "T = " + fit.temperature() + ", T0 = " + t0);
        assertTrue(fit.iterations() <= TemperatureScaling.MAX_ITERATIONS);
        assertTrue(fit.after().meanNll() < fit.before().meanNll(), fit.toString());
        assertTrue(fit.after().ece() < fit.before().ece(), fit.toString());
    }

    @ParameterizedTest(name = "{0}")
    @ArgumentsSource(EngineSource.class)
    void newtonFindsTheGoldenSectionMinimum(EngineCase e) {
        for (double t0 : new double[] {0.7, 1.6}) {
            Synthetic data = Synthetic.of(1000, 7, t0, 77);
            TemperatureScaling.Fit fit = TemperatureScaling.of(Evaluation.of(Xent.of(e.engine()))).fit(data.logits(), Targets.classes(data.y()));
            double golden = goldenSection(data::nll, 0.01, 20, 1e-12);
            String context = e + " T0=" + t0 + " " + fit;
            assertTrue(fit.converged(), context);
            Check.scalar("scale", fit.scale(), golden, 0, 1e-5, context);
            Check.scalar("NLL after", fit.after().meanNll(), data.nll(golden), 0, 1e-6, context);
            Check.scalar("NLL before", fit.before().meanNll(), data.nll(1), 0, 1e-6, context);
        }
    }

    @Test
    void everyRowIgnoredIsRefused() {
        TemperatureScaling ts = TemperatureScaling.of(Evaluation.of(Xent.of(JavaEngine.create())));
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                () -> ts.fit(Logits.of(new float[] {1, 2, 3, 4}, 2, 2), Targets.classes(new int[] {-100, -100})));
        assertEquals("temperature fit: every row is ignored, nothing to fit", ex.getMessage());
    }

    /** Minimum of a unimodal f on [a, b] by golden-section search, to an interval of width tol. */
    private static double goldenSection(java.util.function.DoubleUnaryOperator f, double a, double b, double tol) {
        double g = (Math.sqrt(5) - 1) / 2;
        double c = b - g * (b - a), d = a + g * (b - a);
        double fc = f.applyAsDouble(c), fd = f.applyAsDouble(d);
        while (b - a > tol) {
            if (fc < fd) {
                b = d;
                d = c;
                fd = fc;
                c = b - g * (b - a);
                fc = f.applyAsDouble(c);
            } else {
                a = c;
                c = d;
                fc = fd;
                d = a + g * (b - a);
                fd = f.applyAsDouble(d);
            }
        }
        return (a + b) / 2;
    }
}
