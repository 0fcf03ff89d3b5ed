package dev.xent.engine.jvm;

import dev.xent.DType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Scalar element access by storage type: widen to fp32 on load, round to nearest even on store.
 * Public only for {@code dev.xent.engine.jvm.vector}; internal, not API.
 */
public final class Elem {
    private Elem() {}

    public static float get(DType dt, MemorySegment s, long byteOffset) {
        return switch (dt) {
            case F32 -> s.get(ValueLayout.JAVA_FLOAT_UNALIGNED, byteOffset);
            case BF16 -> Float.intBitsToFloat(s.get(ValueLayout.JAVA_SHORT_UNALIGNED, byteOffset) << 16);
            case F16 -> Float.float16ToFloat(s.get(ValueLayout.JAVA_SHORT_UNALIGNED, byteOffset));
        };
    }

    public static void set(DType dt, MemorySegment s, long byteOffset, float v) {
        switch (dt) {
            case F32 -> s.set(ValueLayout.JAVA_FLOAT_UNALIGNED, byteOffset, v);
            case BF16 -> s.set(ValueLayout.JAVA_SHORT_UNALIGNED, byteOffset, toBf16(v));
            case F16 -> s.set(ValueLayout.JAVA_SHORT_UNALIGNED, byteOffset, Float.floatToFloat16(v));
        }
    }

    /** fp32 to bf16 bits, round to nearest even; NaN stays NaN (quieted). */
    public static short toBf16(float v) {
        int b = Float.floatToRawIntBits(v);
        if ((b & 0x7fffffff) > 0x7f800000) return (short) ((b >>> 16) | 0x40);
        return (short) ((b + 0x7fff + ((b >>> 16) & 1)) >>> 16);
    }

    public static float getF32(MemorySegment s, long index) {
        return s.getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, index);
    }

    static void setF32(MemorySegment s, long index, float v) {
        s.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, index, v);
    }
}
