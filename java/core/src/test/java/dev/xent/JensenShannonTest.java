package dev.xent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.xent.EngineSource.EngineCase;
import java.lang.foreign.Arena;
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
 * Jensen-Shannon and its gradients w.r.t. both logits on every engine against
 * {@link PairReference#jensenShannonWithGrad} (itself checked by finite differences): both
 * gradients, each alone, in place; large scales, +-1000 offsets, masks, p = q, V = 1, strided and
 * (N, C, d) layouts. Outputs are poisoned first, so every element must be written.
 */
class JensenShannonTest {
    private static final float PAD = -7.5f;

    record Shape(long[] shape, long rowStride, Tensor.Memory memory) {
        @Override
        public String toString() {
            return Arrays.toString(shape) + (rowStride > 0 ? " stride=" + rowStride : "") + " " + memory;
        }
    }

    /** How the rows are drawn. */
    enum Values {
        /** z_p = 2 N(0,1), z_q = z_p + N(0,1). */
        PLAIN,
        /** scale x20 (even rows) and x50 (odd), z_q = z_p + scale / 10 N(0,1). */
        SCALED,
        /** rows offset by +1000 (even) and -1000 (odd), q shifted by a further 5. */
        OFFSET,
        /** a class masked (-inf) in p only, q only, both, or each a different one, by row. */
        MASKED
    }

    /** Which gradients a call asks for, and where. */
    enum Grads {
        BOTH,
        P_ONLY,
        Q_ONLY,
        IN_PLACE
    }

    private static final List<Shape> SHAPES = List.of(
            new Shape(new long[] {6, 1}, 0, Tensor.Memory.HEAP),
            new Shape(new long[] {6, 45}, 50, Tensor.Memory.HEAP),
            new Shape(new long[] {3, 5000}, 0, Tensor.Memory.NATIVE_SHARED),
            new Shape(new long[] {2, 11, 3}, 0, Tensor.Memory.HEAP),
            new Shape(new long[] {4, 300}, 310, Tensor.Memory.NATIVE_CONFINED));

    static Stream<Arguments> cases() {
        return EngineSource.crossed(List.of(DType.values()), SHAPES, List.of(Values.values()));
    }

    /** fp32 losses: well under 1e-5 relative; the inputs are exact in every dtype (rounded first). */
    private static final double JS_ATOL = 4e-6, JS_RTOL = 1e-5;

    private static double gradAtol(DType dt) {
        return Check.atol(dt, 1) + 1e-6;
    }

    @ParameterizedTest(name = "{0} {1} {2} {3}")
    @MethodSource("cases")
    void matchesReference(EngineCase e, DType dt, Shape s, Values v) {
        Xent xent = e.xent();
        int n = (int) (s.shape()[0] * inner(s.shape())), c = (int) s.shape()[1];
        double[][] zp = new double[n][c], zq = new double[n][c];
        draw(dt, v, zp, zq, new Random(17 + v.ordinal()));
        double[] jsRef = new double[n];
        double[][] gpRef = new double[n][], gqRef = new double[n][];
        for (int r = 0; r < n; r++) {
            PairReference.Js ref = PairReference.jensenShannonWithGrad(zp[r], zq[r]);
            jsRef[r] = ref.value();
            gpRef[r] = ref.gradP();
            gqRef[r] = ref.gradQ();
        }
        for (Grads g : Grads.values()) {
            String context = e + " " + dt + " " + s + " " + v + " " + g;
            try (Arena arena = Arena.ofShared()) {
                Tensor p = tensor(dt, s, arena, zp), q = tensor(dt, s, arena, zq);
                Tensor gp = g == Grads.IN_PLACE ? p : poisoned(dt, s, arena);
                Tensor gq = g == Grads.IN_PLACE ? q : poisoned(dt, s, arena);
                boolean wantP = g != Grads.Q_ONLY, wantQ = g != Grads.P_ONLY;
                float[] js = xent.jensenShannon(p.logits, q.logits, wantP ? gp.logits : null, wantQ ? gq.logits : null);
                Check.vector("js", Check.toDouble(js), jsRef, JS_ATOL, JS_RTOL, context);
                for (float x : js) assertTrue(!(x < 0), "JS " + x + " < 0 in " + context);
                if (wantP) checkGradient("gradP", gp, gpRef, context);
                if (wantQ) checkGradient("gradQ", gq, gqRef, context);
                if (!wantP) checkUntouched("gradP", gp, context);
                if (!wantQ) checkUntouched("gradQ", gq, context);
            }
        }
        // the forward alone agrees
        try (Arena arena = Arena.ofShared()) {
            float[] js = xent.jensenShannon(tensor(dt, s, arena, zp).logits, tensor(dt, s, arena, zq).logits);
            Check.vector("forward js", Check.toDouble(js), jsRef, JS_ATOL, JS_RTOL, e + " " + dt + " " + s + " " + v);
        }
    }

    /** p = q: JS exactly 0 (never negative) and both gradients exactly 0, whatever the scale. */
    @ParameterizedTest(name = "{0}")
    @ArgumentsSource(EngineSource.class)
    void equalDistributionsGiveZero(EngineCase e) {
        for (DType dt : DType.values()) {
            for (Values v : List.of(Values.PLAIN, Values.SCALED, Values.OFFSET, Values.MASKED)) {
                Shape s = new Shape(new long[] {8, 37}, 40, Tensor.Memory.HEAP);
                double[][] zp = new double[8][37], unused = new double[8][37];
                draw(dt, v, zp, unused, new Random(5));
                String context = e + " " + dt + " " + v;
                try (Arena arena = Arena.ofShared()) {
                    Tensor p = tensor(dt, s, arena, zp), q = tensor(dt, s, arena, zp);
                    Tensor gp = poisoned(dt, s, arena), gq = poisoned(dt, s, arena);
                    float[] js = e.xent().jensenShannon(p.logits, q.logits, gp.logits, gq.logits);
                    double[][] zero = new double[8][37];
                    Check.vector("js", Check.toDouble(js), new double[8], 0, 0, context);
                    Check.matrix("gradP", gp.read(), zero, 0, 0, context);
                    Check.matrix("gradQ", gq.read(), zero, 0, 0, context);
                }
            }
        }
    }

    /** The reference's gradient against central differences of the reference's JS. */
    @Test
    void referenceGradientMatchesFiniteDifferences() {
        Random rnd = new Random(9);
        double inf = Double.NEGATIVE_INFINITY;
        double[][][] rows = {
            {{1.5, -0.3, 0.2, 2.0, -1.0}, {0.1, 0.4, -2.0, 1.2, 0.0}},
            {{0.5, inf, 1.0, -0.5, 0.0}, {-1.0, 0.3, inf, 0.7, 2.0}},
            {gaussian(rnd, 12, 3), gaussian(rnd, 12, 3)},
        };
        double h = 1e-6;
        for (double[][] pair : rows) {
            PairReference.Js ref = PairReference.jensenShannonWithGrad(pair[0], pair[1]);
            Check.scalar("js", ref.value(), PairReference.jensenShannon(pair[0], pair[1]), 1e-15, 1e-12, "js vs KL form");
            for (int side = 0; side < 2; side++) {
                double[] grad = side == 0 ? ref.gradP() : ref.gradQ();
                for (int k = 0; k < pair[side].length; k++) {
                    double[] plus = pair[side].clone(), minus = pair[side].clone();
                    plus[k] += h;
                    minus[k] -= h;
                    double fd = side == 0
                            ? (PairReference.jensenShannon(plus, pair[1]) - PairReference.jensenShannon(minus, pair[1])) / (2 * h)
                            : (PairReference.jensenShannon(pair[0], plus) - PairReference.jensenShannon(pair[0], minus)) / (2 * h);
                    Check.scalar((side == 0 ? "dJS/dzp" : "dJS/dzq") + "[" + k + "]", grad[k], fd, 1e-8, 1e-6,
                            Arrays.toString(pair[side]));
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @ArgumentsSource(EngineSource.class)
    void badGradientsAreRefused(EngineCase e) {
        Xent xent = e.xent();
        float[] both = new float[24];
        Logits p = Logits.of(both, 2, 6), q = Logits.of(new float[12], 2, 6);
        IllegalArgumentException none = assertThrows(IllegalArgumentException.class, () -> xent.jensenShannon(p, q, null, null));
        assertTrue(none.getMessage().contains("gradP and gradQ are both null"), none.getMessage());
        IllegalArgumentException shape = assertThrows(IllegalArgumentException.class,
                () -> xent.jensenShannon(p, q, Logits.of(new float[12], 3, 4), null));
        assertTrue(shape.getMessage().contains("gradient buffer"), shape.getMessage());
        assertThrows(IllegalArgumentException.class, () -> xent.jensenShannon(p, q, null, Logits.ofBf16(new short[12], 2, 6)),
                "dtype mismatch");
        IllegalArgumentException intoQ = assertThrows(IllegalArgumentException.class, () -> xent.jensenShannon(p, q, q, null));
        assertTrue(intoQ.getMessage().contains("gradP overlaps q"), intoQ.getMessage());
        IllegalArgumentException intoP = assertThrows(IllegalArgumentException.class, () -> xent.jensenShannon(p, q, null, p));
        assertTrue(intoP.getMessage().contains("gradQ overlaps p"), intoP.getMessage());
        Logits g = Logits.of(new float[12], 2, 6);
        IllegalArgumentException shared = assertThrows(IllegalArgumentException.class, () -> xent.jensenShannon(p, q, g, g));
        assertTrue(shared.getMessage().contains("gradP overlaps gradQ"), shared.getMessage());
        // a gradient sharing half of its bytes with another argument (p's second row starts q's storage)
        Logits qInP = Logits.of(java.lang.foreign.MemorySegment.ofArray(both).asSlice(6 * Float.BYTES, 12 * Float.BYTES),
                DType.F32, new long[] {2, 6});
        IllegalArgumentException partial = assertThrows(IllegalArgumentException.class,
                () -> xent.jensenShannon(p, Logits.of(new float[12], 2, 6), qInP, null));
        assertTrue(partial.getMessage().contains("gradP overlaps p"), partial.getMessage());
        assertEquals(2, xent.jensenShannon(p, q, p, q).length, "in place is allowed");
    }

    // ---- data --------------------------------------------------------------------------------

    private static long inner(long[] shape) {
        long in = 1;
        for (int i = 2; i < shape.length; i++) in *= shape[i];
        return in;
    }

    private static double[] gaussian(Random rnd, int c, double scale) {
        double[] z = new double[c];
        for (int k = 0; k < c; k++) z[k] = scale * rnd.nextGaussian();
        return z;
    }

    /** Rows by {@code v}, rounded to dt (the reference sees exactly what the engines see). */
    private static void draw(DType dt, Values v, double[][] zp, double[][] zq, Random rnd) {
        double inf = Double.NEGATIVE_INFINITY;
        for (int r = 0; r < zp.length; r++) {
            int c = zp[r].length;
            double scale = v == Values.SCALED ? (r % 2 == 0 ? 20 : 50) : 2;
            double noise = v == Values.SCALED ? scale / 10 : 1;
            double offset = v == Values.OFFSET ? (r % 2 == 0 ? 1000 : -1000) : 0;
            for (int k = 0; k < c; k++) {
                double z = scale * rnd.nextGaussian();
                zp[r][k] = offset + z;
                zq[r][k] = offset + (v == Values.OFFSET ? 5 : 0) + z + noise * rnd.nextGaussian();
            }
            if (v == Values.MASKED && c >= 3) {
                int k = (r * 7) % c, other = (k + 1) % c;
                switch (r % 4) {
                    case 0 -> zp[r][k] = inf;
                    case 1 -> zq[r][k] = inf;
                    case 2 -> zp[r][k] = zq[r][k] = inf;
                    default -> {
                        zp[r][k] = inf;
                        zq[r][other] = inf;
                    }
                }
            }
            for (int k = 0; k < c; k++) {
                zp[r][k] = Reference.round(dt, (float) zp[r][k]);
                zq[r][k] = Reference.round(dt, (float) zq[r][k]);
            }
        }
    }

    private static Tensor tensor(DType dt, Shape s, Arena arena, double[][] z) {
        Tensor t = Tensor.allocate(dt, s.shape(), s.rowStride(), s.memory(), arena);
        t.fillAll(PAD);
        t.write(z);
        return t;
    }

    private static Tensor poisoned(DType dt, Shape s, Arena arena) {
        Tensor t = Tensor.allocate(dt, s.shape(), s.rowStride(), s.memory(), arena);
        t.fillAll(PAD);
        t.fill(Float.NaN);
        return t;
    }

    private static void checkGradient(String what, Tensor g, double[][] ref, String context) {
        Check.matrix(what, g.read(), ref, gradAtol(g.dt), Check.rtol(g.dt), context);
        for (long o : g.padding()) {
            if (g.get(o) != PAD) throw new AssertionError(what + " padding written at " + o + " in " + context);
        }
    }

    /** A gradient not asked for: still all NaN, its padding PAD. */
    private static void checkUntouched(String what, Tensor g, String context) {
        for (double[] row : g.read()) {
            for (double x : row) {
                if (!Double.isNaN(x)) throw new AssertionError(what + " not asked for but written (" + x + ") in " + context);
            }
        }
        for (long o : g.padding()) {
            if (g.get(o) != PAD) throw new AssertionError(what + " padding written at " + o + " in " + context);
        }
    }
}
