package dev.xent.bench;

import dev.xent.DType;
import dev.xent.engine.jvm.JavaEngine;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * Random inputs with fixed seeds, filled in parallel (a 512 MiB logits buffer must not take the
 * fork's whole time budget). Logits are N(0, 2^2)-ish (never zeros, never constant), labels
 * uniform in [0, C).
 */
public final class Inputs {
    public static final long SEED = 0x5eed_c0ffeeL;

    private Inputs() {}

    /** fp32 logits, N*C of them. */
    public static float[] logitsF32(Shape s) {
        float[] z = new float[Math.toIntExact(s.elements())];
        IntStream.range(0, s.n()).parallel().forEach(r -> {
            SplittableRandom rnd = new SplittableRandom(SEED + r);
            int base = r * s.c();
            for (int k = 0; k < s.c(); k++) z[base + k] = (float) (4 * rnd.nextDouble() - 2 + rnd.nextDouble() - 0.5);
        });
        return z;
    }

    /** The same values rounded to bf16 (raw bits). */
    public static short[] logitsBf16(Shape s) {
        float[] f = logitsF32(s);
        short[] b = new short[f.length];
        IntStream.range(0, s.n()).parallel().forEach(r -> {
            int base = r * s.c();
            for (int k = 0; k < s.c(); k++) b[base + k] = toBf16(f[base + k]);
        });
        return b;
    }

    public static int[] labels(Shape s) {
        SplittableRandom rnd = new SplittableRandom(SEED ^ 0xabcdef);
        int[] y = new int[s.n()];
        for (int i = 0; i < y.length; i++) y[i] = rnd.nextInt(s.c());
        return y;
    }

    public static short toBf16(float v) {
        int b = Float.floatToRawIntBits(v);
        return (short) ((b + 0x7fff + ((b >>> 16) & 1)) >>> 16);
    }

    public static DType dtype(String name) {
        return switch (name) {
            case "f32", "fp32", "float32" -> DType.F32;
            case "bf16", "bfloat16" -> DType.BF16;
            default -> throw new IllegalArgumentException("dtype must be f32 or bf16, got " + name);
        };
    }

    /** Threads to use: 0 means every core. */
    public static int threads(int requested) {
        return requested > 0 ? requested : Runtime.getRuntime().availableProcessors();
    }

    /**
     * The Java engine a benchmark's {@code engine} parameter names, on {@code threads} (0: every
     * core): {@code java} (the Vector API, which must be there: a scalar run would be mislabelled)
     * or {@code java-scalar}.
     */
    public static JavaEngine javaEngine(String engine, int threads) {
        JavaEngine e = switch (engine) {
            case "java" -> JavaEngine.create();
            case "java-scalar" -> JavaEngine.scalar();
            default -> throw new IllegalArgumentException("engine must be java or java-scalar, got " + engine);
        };
        if (engine.equals("java") && e.mode() != JavaEngine.Mode.VECTOR) {
            throw new IllegalStateException("the Vector API is not available: " + e.description());
        }
        return e.withThreads(threads(threads));
    }
}
