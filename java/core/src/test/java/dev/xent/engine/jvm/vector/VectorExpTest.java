package dev.xent.engine.jvm.vector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The error bound of {@link VectorKernels#exp}, the polynomial exp the vector kernels use instead
 * of the Vector API's EXP. Every float in [EXP_LO, EXP_HI] with |x| >= 2^-24 is checked against
 * Math.exp (double): about 5.2e8 values, each binade in its own task. For |x| < 2^-24 exp(x)
 * rounds to 1 or its neighbour and the values are checked with a stride. Outside the range: 0
 * and +inf as documented, and the special values.
 */
class VectorExpTest {
    /** The proven bound: relative error below 2^-22 (two float ulps of a value in [1, 2)). */
    static final double BOUND = 0x1p-22;

    @BeforeAll
    static void vectorApi() {
        assumeTrue(ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent(),
                "jdk.incubator.vector is not present; pass --add-modules jdk.incubator.vector");
    }

    /** Largest relative error over the floats with bits in [fromBits, toBits) (same sign), and where. */
    private static double[] scan(int fromBits, int toBits, int stride) {
        int chunk = 1 << 16;
        float[] in = new float[chunk];
        float[] out = new float[chunk];
        double worst = 0;
        double worstX = Double.NaN;
        for (long b = fromBits; b < toBits; ) {
            int n = 0;
            for (; n < chunk && b < toBits; n++, b += stride) in[n] = Float.intBitsToFloat((int) b);
            VectorKernels.exp(in, out, n);
            for (int i = 0; i < n; i++) {
                double exact = Math.exp(in[i]);
                double err = Math.abs(out[i] - exact) / exact;
                if (!(err <= worst)) {
                    worst = err;
                    worstX = in[i];
                }
            }
        }
        return new double[] {worst, worstX};
    }

    @Test
    void everyFloatInRangeIsWithinTwoUlps() {
        int lo = Float.floatToRawIntBits(VectorKernels.EXP_LO);   // negative: bits grow with magnitude
        int hi = Float.floatToRawIntBits(VectorKernels.EXP_HI);
        int tiny = Float.floatToRawIntBits(0x1p-24f);
        int neg = 0x80000000;
        // Tasks: one binade (2^23 floats) each, negative then positive side.
        int negTasks = (lo - (neg | tiny) + (1 << 23)) >> 23;
        int posTasks = (hi - tiny + (1 << 23)) >> 23;
        AtomicReference<double[]> worst = new AtomicReference<>(new double[] {0, 0});
        IntStream.range(0, negTasks + posTasks).parallel().forEach(t -> {
            double[] r;
            if (t < negTasks) {
                int a = (neg | tiny) + (t << 23);
                r = scan(a, (int) Math.min((long) a + (1 << 23), (long) lo + 1), 1);
            } else {
                int a = tiny + ((t - negTasks) << 23);
                r = scan(a, (int) Math.min((long) a + (1 << 23), (long) hi + 1), 1);
            }
            worst.accumulateAndGet(r, (x, y) -> y[0] > x[0] ? y : x);
        });
        double[] w = worst.get();
        System.out.printf("VectorKernels.exp, %d lanes: max relative error %.3g (%.2f x 2^-24) at x = %s%n", VectorKernels.L, w[0], w[0] / 0x1p-24, (float) w[1]);
        assertTrue(w[0] < BOUND, "max relative error " + w[0] + " at x = " + (float) w[1] + " exceeds 2^-22");
    }

    /**
     * The pom's narrower-width executions set xent.test.vectorBits and cap the JVM's vectors at
     * that width: the cap must have taken (a machine whose widest vectors are narrower still
     * runs at its own width).
     */
    @Test
    void runsNoWiderThanTheBuildAskedFor() {
        String bits = System.getProperty("xent.test.vectorBits");
        assumeTrue(bits != null, "no width requested (the default execution runs at the preferred width)");
        assertTrue(VectorKernels.bitSize() <= Integer.parseInt(bits),
                VectorKernels.bitSize() + "-bit vectors in an execution capped at " + bits);
    }

    @Test
    void tinyArgumentsRoundToOne() {
        double[] neg = scan(0x80000000, Float.floatToRawIntBits(-0x1p-24f), 257);
        double[] pos = scan(0, Float.floatToRawIntBits(0x1p-24f), 257);
        assertTrue(neg[0] < BOUND, "max relative error " + neg[0] + " at " + neg[1]);
        assertTrue(pos[0] < BOUND, "max relative error " + pos[0] + " at " + pos[1]);
    }

    @Test
    void outsideTheRangeAndSpecialValues() {
        float[] in = {Float.NEGATIVE_INFINITY, -1e30f, -100f, Math.nextDown(VectorKernels.EXP_LO), Float.NaN,
            Math.nextUp(VectorKernels.EXP_HI), 1e30f, Float.POSITIVE_INFINITY, 0f, -0f, VectorKernels.EXP_LO};
        float[] out = new float[in.length];
        VectorKernels.exp(in, out, in.length);
        for (int i = 0; i < 4; i++) assertEquals(0f, out[i], "exp(" + in[i] + ")");
        assertTrue(Float.isNaN(out[4]), "exp(NaN)");
        for (int i = 5; i < 8; i++) assertEquals(Float.POSITIVE_INFINITY, out[i], "exp(" + in[i] + ")");
        assertEquals(1f, out[8]);
        assertEquals(1f, out[9]);
        assertTrue(out[10] >= 0x1p-126f, "exp(EXP_LO) is normal, got " + out[10]);
    }
}
