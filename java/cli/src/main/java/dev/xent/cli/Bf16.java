package dev.xent.cli;

/** bfloat16 conversions: the high 16 bits of an IEEE float32. */
final class Bf16 {
    private Bf16() {}

    /** Rounds to the nearest bf16, ties to even, as PyTorch's {@code tensor.bfloat16()}; NaN stays NaN. */
    static short fromFloat(float f) {
        int bits = Float.floatToRawIntBits(f);
        if (Float.isNaN(f)) return (short) ((bits >>> 16) | 0x0040);
        bits += 0x7fff + ((bits >>> 16) & 1);
        return (short) (bits >>> 16);
    }

    /** The float a bf16 value stands for (exact). */
    static float toFloat(short bf16) {
        return Float.intBitsToFloat((bf16 & 0xffff) << 16);
    }
}
