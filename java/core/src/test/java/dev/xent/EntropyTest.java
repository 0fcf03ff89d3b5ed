package dev.xent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.xent.EngineSource.EngineCase;
import dev.xent.engine.Engine;
import dev.xent.engine.jvm.JavaEngine;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.ArgumentsSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Entropy H(softmax(z)) and its gradient on every engine against {@link PairReference} of the
 * inputs as stored (rounded to the dtype). The pom's vector-256 and vector-128 executions run this
 * class too, so the Java engine's vector path is checked at every vector width.
 */
class EntropyTest {
    /** fp32 arithmetic on every dtype (the reference takes the rounded inputs): H to this relative error. */
    private static final double H_RTOL = 1e-5;
    /**
     * An entropy near 0 is log S with S = 1 + tiny, so H is off by the rounding of S. The Java
     * engine's S is a double, each addition to it rounding by up to 2^-53: up to C 2^-53 (the scalar
     * path adds every class; the vector path each tile's fp32 sum). The CUDA kernels keep S as the
     * count of terms at the max and the fp32 sum of the others (ExpSum, cuda/common.cuh), so H keeps
     * fp32's relative precision and the 1e-7 absolute of a confident cross-entropy row.
     */
    private static double hAtol(EngineCase e, long classes) {
        return e.label().startsWith(JavaEngine.NAME) ? classes * 0x1p-53 : 1e-7;
    }

    record Shape(long[] shape, long rowStride, Tensor.Memory memory) {
        @Override
        public String toString() {
            return Arrays.toString(shape) + (rowStride > 0 ? " stride=" + rowStride : "") + " " + memory;
        }
    }

    /**
     * z_k = offset + spread N(0,1), plus {@code hot} at one class per row (a confident row when hot
     * is large: H near 0), and -inf at a fraction {@code masked} of the other classes.
     */
    record Values(String name, double spread, double hot, double offset, double masked) {
        @Override
        public String toString() {
            return name;
        }
    }

    // C = 1; C below, at, and not a multiple of the vector widths; C = TILE; C over one and two tiles
    // (4098, 8003 with a padded row stride); strided (N, C, d) layouts, which take the scalar path
    private static final List<Shape> SHAPES = List.of(
            new Shape(new long[] {5, 1}, 0, Tensor.Memory.HEAP),
            new Shape(new long[] {5, 7}, 0, Tensor.Memory.HEAP),
            new Shape(new long[] {4, 41}, 60, Tensor.Memory.HEAP),
            new Shape(new long[] {2, 2048}, 0, Tensor.Memory.NATIVE_CONFINED),
            new Shape(new long[] {3, 4098}, 0, Tensor.Memory.NATIVE_SHARED),
            new Shape(new long[] {2, 8003}, 8010, Tensor.Memory.HEAP),
            new Shape(new long[] {3, 13, 2, 3}, 0, Tensor.Memory.HEAP));

    private static final List<Values> VALUES = List.of(
            new Values("plain", 3, 0, 0, 0),
            new Values("masked", 3, 0, 0, 0.3),
            new Values("confident x20", 2, 20, 0, 0),
            new Values("confident x50", 5, 50, 0, 0),
            new Values("confident x100", 10, 100, 0, 0.1),
            new Values("offset +1000", 3, 0, 1000, 0),
            new Values("offset -1000", 3, 0, -1000, 0),
            new Values("confident x20 offset -1000", 2, 20, -1000, 0));

    static Stream<Arguments> cases() {
        return EngineSource.crossed(List.of(DType.values()), SHAPES, VALUES);
    }

    /** Rows drawn as v describes, already rounded to dt. */
    private static double[][] draw(DType dt, int rows, int classes, Values v, long seed) {
        Random rnd = new Random(seed);
        double[][] z = new double[rows][classes];
        for (int r = 0; r < rows; r++) {
            int hot = rnd.nextInt(classes);
            for (int k = 0; k < classes; k++) {
                double x = v.offset() + v.spread() * rnd.nextGaussian() + (k == hot ? v.hot() : 0);
                if (k != hot && rnd.nextDouble() < v.masked()) x = Double.NEGATIVE_INFINITY;
                z[r][k] = Reference.round(dt, (float) x);
            }
        }
        return z;
    }

    @ParameterizedTest(name = "{0} {1} {2} {3}")
    @MethodSource("cases")
    void matchesReference(EngineCase e, DType dt, Shape s, Values v) {
        Xent xent = e.xent();
        long seed = 31L * s.shape()[1] + v.name().hashCode();
        String context = e + " " + dt + " " + s + " " + v + " seed " + seed;
        try (Arena arena = Arena.ofShared()) {
            Tensor z = Tensor.allocate(dt, s.shape(), s.rowStride(), s.memory(), arena);
            Tensor grad = Tensor.allocate(dt, s.shape(), s.rowStride(), s.memory(), arena);
            double[][] zd = draw(dt, (int) z.rows, (int) z.classes, v, seed);
            z.fillAll(Float.NaN);  // padding: a kernel reading past its row sees NaN
            z.write(zd);
            grad.fill(Float.NaN);
            float[] hOnly = xent.entropy(z.logits);
            float[] h = xent.entropy(z.logits, grad.logits);
            double[] hRef = new double[zd.length];
            double[][] gRef = new double[zd.length][];
            for (int r = 0; r < zd.length; r++) {
                hRef[r] = PairReference.entropy(zd[r]);
                gRef[r] = PairReference.entropyGrad(zd[r]);
            }
            for (int r = 0; r < h.length; r++) assertTrue(h[r] >= 0, "entropy[" + r + "] = " + h[r] + " < 0 in " + context);
            Check.vector("entropy", Check.toDouble(h), hRef, hAtol(e, z.classes), H_RTOL, context);
            assertArrayEquals(hOnly, h, "forward alone and forward + gradient differ in " + context);
            Check.matrix("entropy grad", grad.read(), gRef, Check.atol(dt, Check.maxAbs(gRef)), Check.rtol(dt), context);
        }
    }

    /** One class: probability 1, entropy exactly 0 and gradient exactly 0, on and off the vector tail. */
    @ParameterizedTest(name = "{0}")
    @ArgumentsSource(EngineSource.class)
    void oneClassHasZeroEntropyAndGradient(EngineCase e) {
        float[] z = {3.5f, -1000f, 1e30f, 0f, -7f, 88f, -0.25f, 1000f, 42f};
        float[] g = new float[z.length];
        Arrays.fill(g, Float.NaN);
        float[] h = e.xent().entropy(Logits.of(z, z.length, 1), Logits.of(g, z.length, 1));
        for (int r = 0; r < z.length; r++) {
            assertEquals(0.0, h[r], 0.0, "entropy of row " + r + " on " + e);
            assertEquals(0.0, g[r], 0.0, "gradient of row " + r + " on " + e);
        }
    }

    /**
     * A NaN logit makes its row's entropy and gradient NaN, in the first tile, in the second tile
     * and in the vector tail, and leaves the other rows alone.
     */
    @ParameterizedTest(name = "{0}")
    @ArgumentsSource(EngineSource.class)
    void nanPropagatesWithinItsRow(EngineCase e) {
        int rows = 4, c = 2100;
        double[][] zd = draw(DType.F32, rows, c, new Values("plain", 3, 0, 0, 0), 5);
        int[] nanAt = {3, 2090, 2099, -1};
        float[] z = new float[rows * c];
        for (int r = 0; r < rows; r++) {
            for (int k = 0; k < c; k++) z[r * c + k] = k == nanAt[r] ? Float.NaN : (float) zd[r][k];
        }
        float[] g = new float[z.length];
        float[] h = e.xent().entropy(Logits.of(z, rows, c), Logits.of(g, rows, c));
        for (int r = 0; r < rows; r++) {
            if (nanAt[r] < 0) {
                Check.scalar("entropy of the clean row", h[r], PairReference.entropy(zd[r]), hAtol(e, c), H_RTOL, e);
                continue;
            }
            assertTrue(Float.isNaN(h[r]), "entropy of row " + r + " with a NaN at " + nanAt[r] + ": " + h[r] + " on " + e);
            for (int k = 0; k < c; k++) {
                assertTrue(Float.isNaN(g[r * c + k]), "gradient [" + r + ", " + k + "] = " + g[r * c + k] + " on " + e);
            }
        }
    }

    /** The gradient written over the logits equals the one written into a separate buffer. */
    @ParameterizedTest(name = "{0}")
    @ArgumentsSource(EngineSource.class)
    void inPlaceGradientEqualsSeparateBuffer(EngineCase e) {
        for (DType dt : DType.values()) {
            try (Arena arena = Arena.ofConfined()) {
                long[] shape = {3, 4098};
                double[][] zd = draw(dt, 3, 4098, new Values("masked", 3, 0, 0, 0.2), 9);
                Tensor z = Tensor.allocate(dt, shape, Tensor.Memory.NATIVE_CONFINED, arena);
                Tensor g = Tensor.allocate(dt, shape, Tensor.Memory.NATIVE_CONFINED, arena);
                z.write(zd);
                g.fill(Float.NaN);
                float[] h = e.xent().entropy(z.logits, g.logits);
                float[] hInPlace = e.xent().entropy(z.logits, z.logits);
                assertArrayEquals(h, hInPlace, dt + " entropy on " + e);
                double[][] separate = g.read(), inPlace = z.read();
                for (int r = 0; r < 3; r++) assertArrayEquals(separate[r], inPlace[r], dt + " gradient row " + r + " on " + e);
            }
        }
    }

    /** The engine call takes an upstream gradient per row: row r's gradient scales by u_r, its entropy not at all. */
    @ParameterizedTest(name = "{0}")
    @ArgumentsSource(EngineSource.class)
    void upstreamScalesEachRow(EngineCase e) {
        int rows = 4, c = 300;
        float[] u = {0.5f, -2f, 0f, 3f};
        double[][] zd = draw(DType.F32, rows, c, new Values("plain", 3, 0, 0, 0.1), 13);
        float[] z = new float[rows * c], g = new float[rows * c], h = new float[rows];
        for (int r = 0; r < rows; r++) for (int k = 0; k < c; k++) z[r * c + k] = (float) zd[r][k];
        Arrays.fill(g, Float.NaN);
        Logits l = Logits.of(z, rows, c);
        e.engine().entropy(l.layout(), DType.F32, l.data(), MemorySegment.ofArray(u), MemorySegment.ofArray(g), MemorySegment.ofArray(h));
        for (int r = 0; r < rows; r++) {
            Check.scalar("entropy row " + r, h[r], PairReference.entropy(zd[r]), hAtol(e, c), H_RTOL, e);
            double[] gRef = PairReference.entropyGrad(zd[r]);
            for (int k = 0; k < c; k++) gRef[k] *= u[r];
            double[] got = Check.toDouble(Arrays.copyOfRange(g, r * c, (r + 1) * c));
            Check.vector("gradient row " + r, got, gRef, Check.atol(DType.F32, Check.maxAbs(gRef)), Check.rtol(DType.F32), e);
        }
    }

    /** The surefire JVMs get the incubator module: the "java" cases above ran the vector path. */
    @Test
    void theJavaEngineRunsTheVectorApi() {
        Engine java = EngineSource.named(JavaEngine.NAME).engine();
        assertEquals(JavaEngine.Mode.VECTOR, ((JavaEngine) java).mode(), java.description());
    }
}
