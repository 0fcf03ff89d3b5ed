package dev.xent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.xent.engine.Engine;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Random;

/**
 * Runs one configuration of an element-wise loss on an engine through the public API, forward
 * and fused, and compares the reduced loss, the per-element losses, the gradient and the spread
 * gradient with {@link ElementwiseReference}. Outputs are poisoned with NaN first.
 */
final class ElementwiseRunner {
    private ElementwiseRunner() {}

    /** What is computed: the op and its options. */
    enum Config {
        BCE(Kind.BCE, Spread.NONE, false, false),
        BCE_WEIGHT_PER_CLASS_POS_WEIGHT(Kind.BCE, Spread.PER_LAST, false, false),
        BCE_WEIGHT_PER_ELEMENT(Kind.BCE, Spread.PER_ELEMENT, false, false),
        GAUSSIAN_LEARNED_VAR(Kind.GAUSSIAN, Spread.PER_ELEMENT, false, false),
        GAUSSIAN_PER_ROW_FULL(Kind.GAUSSIAN, Spread.PER_ROW, true, false),
        GAUSSIAN_FIXED_SIGMA(Kind.GAUSSIAN, Spread.SCALAR, false, false),
        LAPLACE_LEARNED_SCALE(Kind.LAPLACE, Spread.PER_ELEMENT, false, false),
        LAPLACE_PER_ROW_FULL(Kind.LAPLACE, Spread.PER_ROW, true, false),
        LAPLACE_FIXED_SCALE(Kind.LAPLACE, Spread.SCALAR, false, false),
        POISSON_LOG(Kind.POISSON, Spread.NONE, false, true),
        POISSON_LOG_FULL(Kind.POISSON, Spread.NONE, true, true),
        POISSON_RATE(Kind.POISSON, Spread.NONE, false, false),
        POISSON_RATE_FULL(Kind.POISSON, Spread.NONE, true, false);

        final Kind kind;
        final Spread spread;
        final boolean full;
        final boolean logInput;

        Config(Kind kind, Spread spread, boolean full, boolean logInput) {
            this.kind = kind;
            this.spread = spread;
            this.full = full;
            this.logInput = logInput;
        }
    }

    enum Kind { BCE, GAUSSIAN, LAPLACE, POISSON }

    /** BCE: how the weight is given; NLLs: how the variance / scale is. */
    enum Spread { NONE, PER_ELEMENT, PER_LAST, PER_ROW, SCALAR }

    static final double GAUSSIAN_EPS = 1e-6;
    static final double POISSON_EPS = 1e-8;

    /** Inputs in double, already rounded to what the library sees. */
    record Inputs(long[] shape, double[] x, double[] t, float[] spread, float[] weight, float[] posWeight) {
        int n() {
            return x.length;
        }

        int last() {
            return shape.length == 0 ? 1 : (int) Math.max(1, shape[shape.length - 1]);
        }
    }

    static Inputs draw(Config c, DType dt, long[] shape, long seed) {
        Random rnd = new Random(seed);
        long count = 1;
        for (long d : shape) count *= d;
        int n = (int) count;
        int last = shape.length == 0 ? 1 : (int) Math.max(1, shape[shape.length - 1]);
        double[] x = new double[n], t = new double[n];
        for (int i = 0; i < n; i++) {
            switch (c.kind) {
                case BCE -> {
                    x[i] = 3 * rnd.nextGaussian();
                    t[i] = switch (rnd.nextInt(3)) {
                        case 0 -> 0;
                        case 1 -> 1;
                        default -> rnd.nextDouble();
                    };
                }
                case GAUSSIAN, LAPLACE -> {
                    x[i] = rnd.nextGaussian();
                    t[i] = i % 7 == 3 ? x[i] : x[i] + rnd.nextGaussian(); // some exact hits: sign(0) = 0
                }
                case POISSON -> {
                    x[i] = c.logInput ? rnd.nextDouble() * 6 - 3 : (i % 11 == 5 ? 0 : rnd.nextDouble() * 5);
                    t[i] = i % 5 == 2 ? rnd.nextDouble() * 3 : rnd.nextInt(8);
                }
            }
            x[i] = Reference.round(dt, (float) x[i]);
            t[i] = Reference.round(dt, (float) t[i]);
        }
        float[] spread = null, weight = null, posWeight = null;
        if (c.kind == Kind.BCE) {
            if (c.spread == Spread.PER_LAST) {
                weight = positive(rnd, last, 0.2, 2);
                posWeight = positive(rnd, last, 0.3, 4);
            } else if (c.spread == Spread.PER_ELEMENT) {
                weight = positive(rnd, n, 0, 2);
            }
        } else if (c.kind != Kind.POISSON) {
            int m = switch (c.spread) {
                case PER_ELEMENT -> n;
                case PER_ROW -> n / last;
                default -> 1;
            };
            spread = positive(rnd, m, 0.05, 3);
            if (m > 4) spread[m / 2] = 0; // clamped to eps
        }
        return new Inputs(shape.clone(), x, t, spread, weight, posWeight);
    }

    private static float[] positive(Random rnd, int n, double lo, double hi) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (lo + (hi - lo) * rnd.nextDouble());
        return a;
    }

    static DenseTensor tensor(DType dt, double[] v, long[] shape) {
        if (dt == DType.F32) {
            float[] a = new float[v.length];
            for (int i = 0; i < v.length; i++) a[i] = (float) v[i];
            return DenseTensor.of(a, shape);
        }
        short[] a = new short[v.length];
        for (int i = 0; i < v.length; i++) a[i] = Reference.bits(dt, (float) v[i]);
        return dt == DType.BF16 ? DenseTensor.ofBf16(a, shape) : DenseTensor.ofF16(a, shape);
    }

    static DenseTensor poisoned(DType dt, long[] shape, int n) {
        double[] nan = new double[n];
        Arrays.fill(nan, Double.NaN);
        return tensor(dt, nan, shape);
    }

    static double[] values(DenseTensor t) {
        double[] out = new double[(int) t.count()];
        MemorySegment s = t.data();
        for (int i = 0; i < out.length; i++) {
            out[i] = t.dtype() == DType.F32
                    ? s.getAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, i)
                    : Reference.fromBits(t.dtype(), s.getAtIndex(java.lang.foreign.ValueLayout.JAVA_SHORT, i));
        }
        return out;
    }

    /** The reference of element i: {loss, dx, dspread, loss magnitude, dx magnitude, dspread magnitude}. */
    static double[] expected(Config c, Inputs in, int i) {
        int last = in.last();
        return switch (c.kind) {
            case BCE -> ElementwiseReference.bce(in.x[i], in.t[i],
                    in.weight == null ? 1 : in.weight[in.weight.length == in.n() ? i : i % last],
                    in.posWeight == null ? 1 : in.posWeight[i % last]);
            case GAUSSIAN -> ElementwiseReference.gaussian(in.x[i], in.t[i], spreadAt(c, in, i), GAUSSIAN_EPS, c.full);
            case LAPLACE -> ElementwiseReference.laplace(in.x[i], in.t[i], spreadAt(c, in, i), GAUSSIAN_EPS, c.full);
            case POISSON -> ElementwiseReference.poisson(in.x[i], in.t[i], c.logInput, POISSON_EPS, c.full);
        };
    }

    private static double spreadAt(Config c, Inputs in, int i) {
        return switch (c.spread) {
            case PER_ELEMENT -> in.spread[i];
            case PER_ROW -> in.spread[i / in.last()];
            default -> in.spread[0];
        };
    }

    /**
     * Calls the op: forward when grad is null, else fused with {@code upstream} (null, a Float or a
     * float[] per element) and, for learned spreads, {@code spreadGrad}.
     */
    static ElementwiseLoss call(Engine e, Config c, Reduction red, Inputs in, DenseTensor x, DenseTensor t,
            DenseTensor grad, float[] spreadGrad, Object upstream) {
        switch (c.kind) {
            case BCE -> {
                BinaryCrossEntropy op = Xent.of(e).binaryCrossEntropy().withWeight(in.weight).withPosWeight(in.posWeight).withReduction(red);
                if (grad == null) return op.forward(x, t);
                if (upstream == null) return op.forwardBackward(x, t, grad);
                return upstream instanceof Float f ? op.forwardBackward(x, t, f, grad) : op.forwardBackward(x, t, (float[]) upstream, grad);
            }
            case GAUSSIAN -> {
                GaussianNll op = Xent.of(e).gaussianNll().withFull(c.full).withReduction(red);
                if (grad == null) return op.forward(x, t, in.spread);
                if (upstream == null && spreadGrad == null) return op.forwardBackward(x, t, in.spread, grad);
                return upstream instanceof float[] u ? op.forwardBackward(x, t, in.spread, u, grad, spreadGrad)
                        : op.forwardBackward(x, t, in.spread, upstream == null ? 1f : (Float) upstream, grad, spreadGrad);
            }
            case LAPLACE -> {
                LaplaceNll op = Xent.of(e).laplaceNll().withFull(c.full).withReduction(red);
                if (grad == null) return op.forward(x, t, in.spread);
                if (upstream == null && spreadGrad == null) return op.forwardBackward(x, t, in.spread, grad);
                return upstream instanceof float[] u ? op.forwardBackward(x, t, in.spread, u, grad, spreadGrad)
                        : op.forwardBackward(x, t, in.spread, upstream == null ? 1f : (Float) upstream, grad, spreadGrad);
            }
            default -> {
                PoissonNll op = Xent.of(e).poissonNll().withLogInput(c.logInput).withFull(c.full).withReduction(red);
                if (grad == null) return op.forward(x, t);
                if (upstream == null) return op.forwardBackward(x, t, grad);
                return upstream instanceof Float f ? op.forwardBackward(x, t, f, grad) : op.forwardBackward(x, t, (float[]) upstream, grad);
            }
        }
    }

    /** Forward, then fused with a non-trivial upstream gradient; every output checked. */
    static void check(Engine e, Config c, DType dt, Reduction red, long[] shape, long seed) {
        check(e, c, dt, red, draw(c, dt, shape, seed), seed);
    }

    /**
     * As above on given inputs. A learned variance or scale (any shape) gets its gradient checked:
     * entry k against the sum of the reference gradients of the elements sharing it.
     */
    static void check(Engine e, Config c, DType dt, Reduction red, Inputs in, long seed) {
        long[] shape = in.shape();
        int n = in.n();
        String ctx = c + " " + dt + " " + red + " shape " + Arrays.toString(shape) + " seed " + seed + " on " + e.name();
        DenseTensor x = tensor(dt, in.x, shape), t = tensor(dt, in.t, shape);
        Random rnd = new Random(seed + 1);
        float[] upPerElement = null;
        float upScalar = 0.75f;
        Object upstream;
        if (red == Reduction.NONE) {
            upPerElement = new float[n];
            for (int i = 0; i < n; i++) upPerElement[i] = (float) rnd.nextGaussian();
            upstream = upPerElement;
        } else {
            upstream = upScalar;
        }
        boolean learned = c.kind == Kind.GAUSSIAN || c.kind == Kind.LAPLACE;
        float[] spreadGrad = null;
        double[] spreadGradRef = null, spreadGradMag = null;
        if (learned) {
            spreadGrad = new float[in.spread.length];
            Arrays.fill(spreadGrad, Float.NaN);
            spreadGradRef = new double[spreadGrad.length];
            spreadGradMag = new double[spreadGrad.length];
        }
        DenseTensor grad = poisoned(dt, shape, n);

        ElementwiseLoss fwd = call(e, c, red, in, x, t, null, null, null);
        ElementwiseLoss fused = call(e, c, red, in, x, t, grad, spreadGrad, upstream);

        double sum = 0, mag = 0;
        double[] gotGrad = values(grad);
        for (int i = 0; i < n; i++) {
            double[] r = expected(c, in, i);
            sum += r[0];
            mag += r[3];
            double s = red == Reduction.NONE ? upPerElement[i] : red == Reduction.MEAN ? upScalar / n : upScalar;
            double tolL = 1e-5 * r[3] + 1e-38;
            if (red == Reduction.NONE) {
                Check.scalar("loss[" + i + "]", fwd.perRow()[i], r[0], tolL, 0, ctx);
                Check.scalar("fused loss[" + i + "]", fused.perRow()[i], r[0], tolL, 0, ctx);
            }
            double g = s * r[1];
            float stored = Reference.round(dt, (float) g);
            if (Float.isInfinite(stored)) g = stored; // beyond the dtype's range (fp16: 65504)
            double subnormal = dt == DType.F16 ? 0x1p-24 : 0;
            Check.scalar("grad[" + i + "]", gotGrad[i], g, 2e-5 * Math.abs(s) * r[4] + subnormal + 1e-37, Check.rtol(dt), ctx);
            if (learned) {
                int k = spreadGrad.length == n ? i : spreadGrad.length == 1 ? 0 : i / in.last();
                spreadGradRef[k] += s * r[2];
                spreadGradMag[k] += Math.abs(s) * r[5];
            }
        }
        // fp32 terms (each accurate to a few ulp of its parts' magnitudes, r[5]) summed in double or
        // in short fp32 runs: 2e-5 of the summed magnitudes, as for one element
        for (int k = 0; learned && k < spreadGrad.length; k++) {
            Check.scalar("spread grad[" + k + "] of " + spreadGrad.length, spreadGrad[k], spreadGradRef[k],
                    2e-5 * spreadGradMag[k] + 1e-37, 2e-5, ctx);
        }
        double expected = red == Reduction.MEAN ? sum / n : sum;
        double tol = 1e-5 * (red == Reduction.MEAN ? mag / n : mag) + 1e-30;
        for (ElementwiseLoss l : new ElementwiseLoss[] {fwd, fused}) {
            assertEquals(red, l.reduction());
            assertEquals(n, l.denominator(), ctx);
            if (red == Reduction.NONE) {
                assertEquals(n, l.perRow().length, ctx);
            } else {
                assertNull(l.perRow(), ctx);
                Check.scalar("reduced", l.value(), expected, tol, 0, ctx);
            }
            Check.scalar("sum", l.sum(), sum, 1e-5 * mag + 1e-30, 0, ctx);
        }
    }
}
