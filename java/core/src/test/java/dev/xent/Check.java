package dev.xent;

import static org.junit.jupiter.api.Assertions.fail;

/** Element-wise comparison: |x - ref| <= atol + rtol |ref|, and NaN / infinities must match. */
final class Check {
    private Check() {}

    /** Sees every comparison {@link #scalar}, {@link #vector} and {@link #matrix} make on its thread. */
    interface Observer {
        void compared(String what, double actual, double expected, double atol, double rtol);
    }

    private static final ThreadLocal<Observer> OBSERVER = new ThreadLocal<>();

    /** Installs o for this thread's comparisons (null: none); the limits campaign records its worst errors so. */
    static void observe(Observer o) {
        OBSERVER.set(o);
    }

    private static boolean compare(String what, double actual, double expected, double atol, double rtol) {
        Observer o = OBSERVER.get();
        if (o != null) o.compared(what, actual, expected, atol, rtol);
        return close(actual, expected, atol, rtol);
    }

    static boolean close(double actual, double expected, double atol, double rtol) {
        if (Double.isNaN(expected) || Double.isNaN(actual)) return Double.isNaN(expected) && Double.isNaN(actual);
        if (Double.isInfinite(expected) || Double.isInfinite(actual)) return actual == expected;
        return Math.abs(actual - expected) <= atol + rtol * Math.abs(expected);
    }

    static void scalar(String what, double actual, double expected, double atol, double rtol, Object context) {
        if (!compare(what, actual, expected, atol, rtol)) {
            fail(what + ": got " + actual + ", expected " + expected + " (atol " + atol + ", rtol " + rtol + ") in " + context);
        }
    }

    static void vector(String what, double[] actual, double[] expected, double atol, double rtol, Object context) {
        if (actual.length != expected.length) fail(what + ": length " + actual.length + " != " + expected.length + " in " + context);
        for (int i = 0; i < actual.length; i++) {
            if (!compare(what, actual[i], expected[i], atol, rtol)) {
                fail(what + "[" + i + "]: got " + actual[i] + ", expected " + expected[i] + " (atol " + atol + ", rtol "
                        + rtol + ") in " + context);
            }
        }
    }

    static void matrix(String what, double[][] actual, double[][] expected, double atol, double rtol, Object context) {
        for (int r = 0; r < expected.length; r++) {
            for (int k = 0; k < expected[r].length; k++) {
                if (!compare(what, actual[r][k], expected[r][k], atol, rtol)) {
                    fail(what + "[row " + r + ", class " + k + "]: got " + actual[r][k] + ", expected " + expected[r][k]
                            + " (atol " + atol + ", rtol " + rtol + ") in " + context);
                }
            }
        }
    }

    static double[] toDouble(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) d[i] = a[i];
        return d;
    }

    /** Largest finite |x|, or 0. */
    static double maxAbs(double[][] a) {
        double m = 0;
        for (double[] row : a) for (double v : row) if (Double.isFinite(v)) m = Math.max(m, Math.abs(v));
        return m;
    }

    static double maxAbs(double[] a) {
        double m = 0;
        for (double v : a) if (Double.isFinite(v)) m = Math.max(m, Math.abs(v));
        return m;
    }

    /** Relative tolerance of a tensor stored as dt after fp32 arithmetic. */
    static double rtol(DType dt) {
        return switch (dt) {
            case F32 -> 2e-5;
            case BF16 -> 0x1p-8 + 2e-5;
            case F16 -> 0x1p-11 + 2e-5;
        };
    }

    /** Absolute tolerance of a tensor of dt whose largest element is scale. */
    static double atol(DType dt, double scale) {
        return 2e-6 * scale + (dt == DType.F16 ? 0x1p-24 : 0) + 1e-30;
    }
}
