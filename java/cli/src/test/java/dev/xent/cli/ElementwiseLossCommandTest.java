package dev.xent.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.IntFunction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code xent loss --op bce | gaussian-nll | laplace-nll | poisson-nll} end to end, against float64
 * expectations written here from PyTorch's formulas (and the Laplace density for laplace-nll).
 */
class ElementwiseLossCommandTest extends CliTest {
    private static final long SEED = 77L;
    private static final long[] SHAPE = {2, 3, 5};
    private static final int N = 30;

    private Path save(String name, double[] values, long... shape) throws IOException {
        float[] f = new float[values.length];
        for (int i = 0; i < f.length; i++) f[i] = (float) values[i];
        return save(name, NpyArray.ofFloats(f, shape));
    }

    private static double[] draw(Random rnd, IntFunction<Double> f) {
        double[] v = new double[N];
        for (int i = 0; i < N; i++) v[i] = (float) (double) f.apply(i);
        return v;
    }

    private CliRun run(String op, Path input, Path target, String reduction, String... more) {
        List<String> a = new ArrayList<>(List.of("loss", "--op", op, "--logits", input.toString(), "--target", target.toString(),
                "--reduction", reduction, "--out-loss", dir.resolve("loss.npy").toString(),
                "--out-grad", dir.resolve("grad.npy").toString()));
        a.addAll(List.of(more));
        return CliRun.of(a.toArray(String[]::new));
    }

    /** Compares loss.npy and grad.npy with the per-element losses and derivatives under the reduction. */
    private void check(CliRun r, String reduction, double[] loss, double[] dx) throws Exception {
        assertEquals(0, r.code(), r.describe());
        NpyArray got = output("loss.npy");
        NpyArray grad = output("grad.npy");
        double sum = 0, mag = 0;
        for (double l : loss) {
            sum += l;
            mag += Math.abs(l);
        }
        double scale = reduction.equals("mean") ? 1.0 / N : 1.0;
        switch (reduction) {
            case "none" -> {
                assertEquals(N, got.count());
                for (int i = 0; i < N; i++) close("loss[" + i + "]", got.getDouble(i), loss[i], 1e-5 * (1 + Math.abs(loss[i])));
            }
            case "sum" -> close("sum", got.getDouble(0), sum, 1e-5 * (1 + mag));
            default -> close("mean", got.getDouble(0), sum / N, 1e-5 * (1 + mag / N));
        }
        assertEquals(N, grad.count());
        for (int i = 0; i < N; i++) close("grad[" + i + "]", grad.getDouble(i), scale * dx[i], 1e-5 * scale * (1 + Math.abs(dx[i])));
    }

    private static void close(String what, double got, double expected, double tol) {
        assertTrue(Math.abs(got - expected) <= tol, what + ": expected " + expected + ", got " + got + " (seed " + SEED + ")");
    }

    @ParameterizedTest
    @ValueSource(strings = {"none", "sum", "mean"})
    void bceWithWeightAndPosWeight(String reduction) throws Exception {
        Random rnd = new Random(SEED);
        double[] x = draw(rnd, i -> 4 * rnd.nextGaussian());
        double[] y = draw(rnd, i -> i % 3 == 0 ? rnd.nextDouble() : i % 2);
        double[] w = {0.5, 1, 1.5, 2, 0.25};
        double[] pw = {3, 1, 0.5, 2, 1};
        double[] loss = new double[N], dx = new double[N];
        for (int i = 0; i < N; i++) {
            // PyTorch: loss = w [(1 - y) x + lw (log(1 + exp(-|x|)) + max(-x, 0))], lw = 1 + (pw - 1) y
            double wi = w[i % 5], p = pw[i % 5], lw = 1 + (p - 1) * y[i];
            loss[i] = wi * ((1 - y[i]) * x[i] + lw * (Math.log1p(Math.exp(-Math.abs(x[i]))) + Math.max(-x[i], 0)));
            double sig = 1 / (1 + Math.exp(-x[i]));
            dx[i] = wi * (sig * lw - p * y[i]);
        }
        CliRun r = run("bce", save("x.npy", x, SHAPE), save("y.npy", y, SHAPE), reduction,
                "--weight", save("w.npy", w, 5).toString(), "--pos-weight", save("pw.npy", pw, 5).toString());
        check(r, reduction, loss, dx);
    }

    @ParameterizedTest
    @ValueSource(strings = {"none", "sum", "mean"})
    void gaussianNllWithPerRowVarAndFull(String reduction) throws Exception {
        Random rnd = new Random(SEED + 1);
        double[] x = draw(rnd, i -> rnd.nextGaussian());
        double[] t = draw(rnd, i -> rnd.nextGaussian());
        double[] var = new double[6];
        for (int i = 0; i < 6; i++) var[i] = (float) (0.1 + rnd.nextDouble());
        double[] loss = new double[N], dx = new double[N];
        for (int i = 0; i < N; i++) {
            // PyTorch: 0.5 (log(max(var, eps)) + (x - t)^2 / max(var, eps)) + 0.5 log(2 pi) with full
            double v = Math.max(var[i / 5], 1e-6), d = x[i] - t[i];
            loss[i] = 0.5 * (Math.log(v) + d * d / v) + 0.5 * Math.log(2 * Math.PI);
            dx[i] = d / v;
        }
        CliRun r = run("gaussian-nll", save("x.npy", x, SHAPE), save("t.npy", t, SHAPE), reduction,
                "--var", save("v.npy", var, 2, 3, 1).toString(), "--full");
        check(r, reduction, loss, dx);
    }

    @ParameterizedTest
    @ValueSource(strings = {"none", "sum", "mean"})
    void laplaceNllWithScale(String reduction) throws Exception {
        Random rnd = new Random(SEED + 2);
        double[] x = draw(rnd, i -> rnd.nextGaussian());
        double[] t = draw(rnd, i -> i == 4 ? x[4] : rnd.nextGaussian());
        double b = 0.75;
        double[] loss = new double[N], dx = new double[N];
        for (int i = 0; i < N; i++) {
            // -log of the Laplace density exp(-|x - t| / b) / (2 b), without log 2
            double d = x[i] - t[i];
            loss[i] = Math.log(b) + Math.abs(d) / b;
            dx[i] = Math.signum(d) / b;
        }
        CliRun r = run("laplace-nll", save("x.npy", x, SHAPE), save("t.npy", t, SHAPE), reduction,
                "--var", save("b.npy", new double[] {b}).toString());
        check(r, reduction, loss, dx);
    }

    @ParameterizedTest
    @ValueSource(strings = {"none", "sum", "mean"})
    void poissonNllLogInputFull(String reduction) throws Exception {
        Random rnd = new Random(SEED + 3);
        double[] x = draw(rnd, i -> rnd.nextDouble() * 4 - 2);
        double[] t = draw(rnd, i -> (double) rnd.nextInt(6));
        double[] loss = new double[N], dx = new double[N];
        for (int i = 0; i < N; i++) {
            // PyTorch: exp(x) - t x, + t log t - t + 0.5 log(2 pi t) where t > 1
            loss[i] = Math.exp(x[i]) - t[i] * x[i] + (t[i] > 1 ? t[i] * Math.log(t[i]) - t[i] + 0.5 * Math.log(2 * Math.PI * t[i]) : 0);
            dx[i] = Math.exp(x[i]) - t[i];
        }
        check(run("poisson-nll", save("x.npy", x, SHAPE), save("t.npy", t, SHAPE), reduction, "--full"), reduction, loss, dx);
    }

    @Test
    void poissonNllRate() throws Exception {
        Random rnd = new Random(SEED + 4);
        double[] x = draw(rnd, i -> rnd.nextDouble() * 3);
        double[] t = draw(rnd, i -> (double) rnd.nextInt(4));
        double[] loss = new double[N], dx = new double[N];
        for (int i = 0; i < N; i++) {
            // PyTorch: x - t log(x + eps)
            loss[i] = x[i] - t[i] * Math.log(x[i] + 1e-8);
            dx[i] = 1 - t[i] / (x[i] + 1e-8);
        }
        check(run("poisson-nll", save("x.npy", x, SHAPE), save("t.npy", t, SHAPE), "sum", "--log-input", "false"), "sum", loss, dx);
    }

    // ---- user errors: exit 2, one line ----------------------------------------------------------

    @Test
    void badValuesAreUserErrors() throws Exception {
        double[] x = {0.5, -1, 2, 0.25};
        Path in = save("x.npy", x, 2, 2);
        assertUserError(run("bce", in, save("y.npy", new double[] {0, 1, 1.5, 0}, 2, 2), "mean"), "target[2]", "1.5", "[0, 1]");
        assertUserError(run("gaussian-nll", in, save("t.npy", x, 2, 2), "mean", "--var", save("v.npy", new double[] {1, -0.5}, 2).toString()),
                "var[1]", "-0.5", "negative");
        assertUserError(run("laplace-nll", in, save("t.npy", x, 2, 2), "mean", "--var", save("b.npy", new double[] {-2}).toString()),
                "scale[0]", "-2.0", "negative");
        assertUserError(run("poisson-nll", in, save("c.npy", new double[] {1, 2, -3, 0}, 2, 2), "mean"), "target[2]", "-3.0");
        assertUserError(run("poisson-nll", in, save("c.npy", new double[] {1, 2, 3, 0}, 2, 2), "mean", "--log-input", "false"),
                "input[1]", "-1.0");
    }

    @Test
    void badArgumentsAreUserErrors() throws Exception {
        Path in = save("x.npy", new double[] {0.5, -1, 2, 0.25}, 2, 2);
        Path y = save("y.npy", new double[] {0, 1, 1, 0}, 2, 2);
        assertUserError(run("bce", in, save("y3.npy", new double[] {0, 1, 1}, 3), "mean"), "y3.npy", "input's shape");
        assertUserError(run("bce", in, y, "mean", "--pos-weight", save("pw.npy", new double[] {1, 2, 3}, 3).toString()), "pw.npy", "expected (2,)");
        assertUserError(run("gaussian-nll", in, y, "mean"), "needs --var");
        assertUserError(run("gaussian-nll", in, y, "mean", "--var", save("v.npy", new double[] {1, 1, 1}, 3).toString()), "v.npy", "shape");
        assertUserError(run("bce", in, y, "mean", "--var", save("v.npy", new double[] {1}, 1).toString()), "--var does not apply to --op bce");
        assertUserError(run("poisson-nll", in, y, "mean", "--eps", "-1"), "eps");
    }
}
