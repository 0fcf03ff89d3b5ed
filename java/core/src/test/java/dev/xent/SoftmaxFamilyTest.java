package dev.xent;

import dev.xent.EngineSource.EngineCase;
import java.lang.foreign.Arena;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** log_softmax, softmax and logsumexp on every engine, against the float64 reference. */
class SoftmaxFamilyTest {
    enum Op {
        LOG_SOFTMAX,
        SOFTMAX,
        LOG_SUM_EXP
    }

    record Shape(long[] shape, long rowStride, Tensor.Memory memory, boolean inPlace) {
        @Override
        public String toString() {
            return java.util.Arrays.toString(shape) + (rowStride > 0 ? " stride=" + rowStride : "") + " " + memory
                    + (inPlace ? " in-place" : "");
        }
    }

    private static final List<Shape> SHAPES = List.of(
            new Shape(new long[] {9, 1}, 0, Tensor.Memory.HEAP, false),
            new Shape(new long[] {9, 7}, 0, Tensor.Memory.HEAP, true),
            new Shape(new long[] {5, 41}, 60, Tensor.Memory.HEAP, false),
            new Shape(new long[] {3, 4098}, 0, Tensor.Memory.NATIVE_SHARED, false),
            new Shape(new long[] {2, 8003}, 8010, Tensor.Memory.HEAP, true),
            new Shape(new long[] {2, 50257}, 0, Tensor.Memory.HEAP, false),
            new Shape(new long[] {3, 13, 2, 3}, 0, Tensor.Memory.HEAP, false),
            new Shape(new long[] {2, 2049, 3}, 0, Tensor.Memory.NATIVE_CONFINED, true),
            new Shape(new long[] {0, 5}, 0, Tensor.Memory.HEAP, false),
            new Shape(new long[] {100, 1000}, 0, Tensor.Memory.NATIVE_SHARED, true));

    static Stream<Arguments> cases() {
        return EngineSource.crossed(List.of(Op.values()), List.of(DType.values()), SHAPES);
    }

    @ParameterizedTest(name = "{0} {1} {2} {3}")
    @MethodSource("cases")
    void matchesReference(EngineCase e, Op op, DType dt, Shape shape) {
        check(e, op, dt, shape, 3, 0, false);
    }

    static Stream<Arguments> valueCases() {
        return EngineSource.crossed(List.of(Op.values()), List.of(DType.values()));
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("valueCases")
    void scaledOffsetMaskedAndNan(EngineCase e, Op op, DType dt) {
        Shape shape = new Shape(new long[] {6, 3001}, 0, Tensor.Memory.HEAP, false);
        check(e, op, dt, shape, 60, 0, false);
        check(e, op, dt, shape, 3, 1000, false);
        check(e, op, dt, shape, 3, -1000, false);
        check(e, op, dt, shape, 3, 0, true);
    }

    static void check(EngineCase e, Op op, DType dt, Shape s, double scale, double offset, boolean specials) {
        Xent xent = e.xent();
        CeSpec spec = CeSpec.of(dt, s.shape()).withValues(scale, offset).withSpecials(specials ? 0.3 : 0, specials, specials);
        String context = e + " " + op + " " + dt + " " + s + " z=" + offset + "+" + scale + "N" + (specials ? " specials" : "");
        try (Arena arena = s.memory() == Tensor.Memory.NATIVE_CONFINED ? Arena.ofConfined() : Arena.ofShared()) {
            double[][] z = CeRunner.logits(spec, new Random(17), null);
            Tensor in = Tensor.allocate(dt, s.shape(), s.rowStride(), s.memory(), arena);
            in.fillAll(-7.5f);
            in.write(z);
            Function<double[], double[]> ref = op == Op.LOG_SOFTMAX ? Reference::logSoftmax : Reference::softmax;
            if (op == Op.LOG_SUM_EXP) {
                float[] lse = xent.logSumExp(in.logits);
                double[] expected = new double[z.length];
                for (int r = 0; r < z.length; r++) expected[r] = Reference.logSumExp(z[r]);
                Check.vector("lse", Check.toDouble(lse), expected, 1e-6, 1e-6, context);
                return;
            }
            Tensor out = s.inPlace() ? in : Tensor.allocate(dt, s.shape(), s.rowStride(), s.memory(), arena);
            if (!s.inPlace()) {
                out.fillAll(-7.5f);
                out.fill(Float.NaN);
            }
            if (op == Op.SOFTMAX) xent.softmax(in.logits, out.logits);
            else xent.logSoftmax(in.logits, out.logits);
            double[][] expected = new double[z.length][];
            for (int r = 0; r < z.length; r++) expected[r] = ref.apply(z[r]);
            double scaleOut = Math.max(1, Check.maxAbs(expected));
            // log-softmax values are differences of numbers of size |z|: their fp32 error scales with |z|
            double atol = op == Op.LOG_SOFTMAX ? Check.atol(dt, scaleOut) + 2 * Math.ulp((float) (Math.abs(offset) + 10 * scale))
                    : Check.atol(dt, scaleOut);
            Check.matrix(op.toString(), out.read(), expected, atol, Check.rtol(dt), context);
            for (long p : in.padding()) {
                if (in.get(p) != -7.5f || out.get(p) != -7.5f) throw new AssertionError("padding written at " + p + " in " + context);
            }
        }
    }
}
