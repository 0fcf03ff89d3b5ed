package dev.xent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.fail;

import dev.xent.engine.Engine;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;

/**
 * Runs one {@link CeSpec} on an engine through the public API and compares losses, lse, the
 * reduced loss and the gradient with {@link Reference}. Outputs are poisoned with NaN first and
 * the padding of strided tensors must come back untouched.
 */
final class CeRunner {
    private static final float PAD = -7.5f;

    private CeRunner() {}

    /** Logical rows of logits drawn for the spec, rounded to its dtype. */
    static double[][] logits(CeSpec spec, Random rnd, long[] labels) {
        int n = (int) spec.rows();
        int c = (int) spec.classes();
        double[][] z = new double[n][c];
        for (int r = 0; r < n; r++) {
            for (int k = 0; k < c; k++) {
                double v = spec.offset() + spec.scale() * rnd.nextGaussian();
                if (spec.maskFraction() > 0 && rnd.nextDouble() < spec.maskFraction() && (labels == null || labels[r] != k)) {
                    v = Double.NEGATIVE_INFINITY;
                }
                z[r][k] = Reference.round(spec.dtype(), (float) v);
            }
        }
        if (spec.nanRow() && n > 1) z[1][c / 2] = Double.NaN;
        if (spec.allMaskedRow() && n > 2) java.util.Arrays.fill(z[2], Double.NEGATIVE_INFINITY);
        return z;
    }

    /** A random distribution per row (some exact zeros), rounded to dt. */
    static double[][] probabilities(DType dt, int n, int c, Random rnd) {
        double[][] t = new double[n][c];
        for (int r = 0; r < n; r++) {
            double sum = 0;
            for (int k = 0; k < c; k++) {
                double v = rnd.nextDouble() < 0.2 ? 0 : Math.exp(2 * rnd.nextGaussian());
                t[r][k] = v;
                sum += v;
            }
            for (int k = 0; k < c; k++) t[r][k] = Reference.round(dt, (float) (sum == 0 ? 1.0 / c : t[r][k] / sum));
        }
        return t;
    }

    static void run(Engine engine, CeSpec spec) {
        run(engine, spec, Reference.Extras.NONE);
    }

    /** As {@link #run(Engine, CeSpec)} with the logit scale, soft-cap and z-loss of {@code x}. */
    static void run(Engine engine, CeSpec spec, Reference.Extras x) {
        Random rnd = new Random(spec.seed());
        DType dt = spec.dtype();
        int n = (int) spec.rows();
        int c = (int) spec.classes();
        String context = engine.name() + " / " + spec + (x.equals(Reference.Extras.NONE) ? "" : " " + x);
        try (Arena arena = spec.memory() == Tensor.Memory.NATIVE_CONFINED ? Arena.ofConfined() : Arena.ofShared()) {
            long[] labels = spec.soft() ? null : spec.labels(rnd);
            double[][] z = logits(spec, rnd, labels);
            double[][] t = spec.soft() ? probabilities(dt, n, c, rnd) : null;
            float[] weightF = null;
            double[] weight = null;
            if (spec.weighted()) {
                weightF = new float[c];
                weight = new double[c];
                for (int k = 0; k < c; k++) weight[k] = weightF[k] = (float) (0.25 + 2 * rnd.nextDouble());
            }
            float upstreamScalar = 0.75f;
            float[] upstreamRows = new float[n];
            for (int r = 0; r < n; r++) upstreamRows[r] = (float) (4 * rnd.nextDouble() - 2);
            double[] upstream = switch (spec.upstream()) {
                case DEFAULT -> null;
                case SCALAR -> new double[] {upstreamScalar};
                case PER_ROW -> Check.toDouble(upstreamRows);
            };

            Tensor logits = Tensor.allocate(dt, spec.shape(), spec.rowStride(), spec.memory(), arena);
            logits.fillAll(PAD);
            logits.write(z);
            Tensor grad = spec.inPlace() ? logits : Tensor.allocate(dt, spec.shape(), spec.rowStride(), spec.memory(), arena);
            if (!spec.inPlace()) {
                grad.fillAll(PAD);
                grad.fill(Float.NaN);
            }

            Targets targets;
            if (spec.soft()) {
                Tensor tt = Tensor.allocate(dt, spec.shape(), 0, spec.memory(), arena);
                tt.write(t);
                targets = Targets.probabilities(tt.seg, dt);
            } else if (spec.memory() == Tensor.Memory.HEAP) {
                targets = spec.int64Labels() ? Targets.classes(labels) : Targets.classes(toInt(labels));
            } else {
                MemorySegment ls = spec.int64Labels() ? arena.allocateFrom(ValueLayout.JAVA_LONG, labels)
                        : arena.allocateFrom(ValueLayout.JAVA_INT, toInt(labels));
                targets = Targets.classes(ls, spec.int64Labels() ? IndexType.I64 : IndexType.I32);
            }

            CrossEntropy ce = Xent.of(engine).crossEntropy().withWeight(weightF).withIgnoreIndex(spec.ignoreIndex())
                    .withLabelSmoothing(spec.smoothing()).withReduction(spec.reduction())
                    .withLogitScale(x.logitScale()).withZLoss(x.zLoss());
            if (x.softcap() != 0) ce = ce.withSoftcap(x.softcap());

            Loss loss;
            float[] lseForBackward = null;
            switch (spec.run()) {
                case FORWARD -> loss = ce.forward(logits.logits, targets);
                case FORWARD_BACKWARD -> loss = switch (spec.upstream()) {
                    case DEFAULT -> ce.forwardBackward(logits.logits, targets, grad.logits);
                    case SCALAR -> ce.forwardBackward(logits.logits, targets, upstreamScalar, grad.logits);
                    case PER_ROW -> ce.forwardBackward(logits.logits, targets, upstreamRows, grad.logits);
                };
                case BACKWARD -> {
                    loss = ce.forward(logits.logits, targets);
                    lseForBackward = loss.lse().clone();
                    if (spec.upstream() == CeSpec.Upstream.PER_ROW || (spec.upstream() == CeSpec.Upstream.DEFAULT && spec.reduction() == Reduction.NONE)) {
                        float[] u = spec.upstream() == CeSpec.Upstream.PER_ROW ? upstreamRows : ones(n);
                        ce.backward(logits.logits, targets, lseForBackward, u, grad.logits);
                    } else {
                        ce.backward(logits.logits, targets, lseForBackward, spec.upstream() == CeSpec.Upstream.SCALAR ? upstreamScalar : 1f, grad.logits);
                    }
                }
                default -> throw new AssertionError();
            }

            double[] lseGiven = lseForBackward == null ? null : Check.toDouble(lseForBackward);
            Reference.Result ref = spec.soft()
                    ? Reference.soft(z, t, weight, spec.smoothing(), spec.reduction(), upstream, lseGiven, x)
                    : Reference.hard(z, labels, weight, spec.ignoreIndex(), spec.smoothing(), spec.reduction(), upstream, lseGiven, x);

            double wmax = weight == null ? 1 : Check.maxAbs(weight);
            double lossAtol = 2e-6 * wmax * (1 + spec.smoothing() * 10);
            Check.vector("lse", Check.toDouble(loss.lse()), ref.lse(), 1e-6, 1e-6, context);
            Check.vector("row loss", Check.toDouble(loss.perRow()), ref.rowLoss(), lossAtol, 4e-6, context);
            double absSum = 0;
            for (double l : ref.rowLoss()) absSum += Math.abs(l);
            double denomForAtol = spec.reduction() == Reduction.MEAN ? Math.max(ref.denominator(), 1e-30) : 1;
            Check.scalar("denominator", loss.denominator(), ref.denominator(), 0, 1e-6, context);
            double reducedAtol = 2e-6 * absSum / denomForAtol + lossAtol;
            if (spec.reduction() == Reduction.NONE) {
                assertThrows(IllegalStateException.class, loss::value);
                Check.scalar("sum", loss.sum(), ref.reduced(), reducedAtol, 4e-6, context);
            } else {
                Check.scalar("reduced loss", loss.value(), ref.reduced(), reducedAtol, 4e-6, context);
            }
            assertEquals(n, loss.perRow().length, context);
            if (x.zLoss() == 0) {
                assertEquals(null, loss.perRowZLoss(), context);
                assertEquals(0f, loss.zLoss(), context);
            } else {
                Check.vector("row z-loss", Check.toDouble(loss.perRowZLoss()), ref.rowZLoss(), lossAtol, 4e-6, context);
                double zAbsSum = 0;
                for (double l : ref.rowZLoss()) zAbsSum += Math.abs(l);
                Check.scalar("reduced z-loss", loss.zLoss(), ref.reducedZLoss(), 2e-6 * zAbsSum / denomForAtol + lossAtol, 4e-6, context);
            }

            if (spec.run() != CeSpec.Run.FORWARD) {
                double[][] g = grad.read();
                double uMax = upstream == null ? 1 : Check.maxAbs(upstream);
                if (spec.reduction() == Reduction.MEAN && ref.denominator() > 0) uMax /= ref.denominator();
                double scale = Math.max(Check.maxAbs(ref.grad()), uMax * wmax);
                double atol = Check.atol(dt, scale);
                if (spec.run() == CeSpec.Run.BACKWARD && x.logitScale() != 1) {
                    // p = exp(s z - lse) with lse given: the engine's fp32 product s z carries 2^-24 |s z| of
                    // absolute error into the exponent (in a fused pass its own lse shares it and it cancels)
                    atol += uMax * wmax * 0x1p-23 * Math.abs(x.logitScale()) * Check.maxAbs(z);
                }
                Check.matrix("gradient", g, ref.grad(), atol, Check.rtol(dt), context);
            }
            for (long p : logits.padding()) {
                if (logits.get(p) != PAD) fail("logits padding at " + p + " changed to " + logits.get(p) + " in " + context);
                if (grad.get(p) != PAD) fail("gradient padding at " + p + " changed to " + grad.get(p) + " in " + context);
            }
            if (!spec.inPlace()) Check.matrix("logits (unchanged)", logits.read(), z, 0, 0, context);
        }
    }

    static int[] toInt(long[] a) {
        int[] out = new int[a.length];
        for (int i = 0; i < a.length; i++) out[i] = Math.toIntExact(a[i]);
        return out;
    }

    static float[] ones(int n) {
        float[] o = new float[n];
        java.util.Arrays.fill(o, 1f);
        return o;
    }
}
