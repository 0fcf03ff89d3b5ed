package dev.xent.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** bf16 rounding is round-to-nearest-even on the dropped 16 bits, as PyTorch's. */
class Bf16Test {

    @Test
    void roundsToNearestTiesToEven() {
        assertEquals((short) 0x3f80, Bf16.fromFloat(1.0f));
        // 1 + 2^-8 is halfway between bf16 1.0 (0x3f80) and 1.0078125 (0x3f81): ties go to even 0x3f80
        assertEquals((short) 0x3f80, Bf16.fromFloat(Float.intBitsToFloat(0x3f808000)));
        // halfway above an odd mantissa rounds up to even
        assertEquals((short) 0x3f82, Bf16.fromFloat(Float.intBitsToFloat(0x3f818000)));
        // just above halfway rounds up
        assertEquals((short) 0x3f81, Bf16.fromFloat(Float.intBitsToFloat(0x3f808001)));
        assertEquals((short) 0xbf80, Bf16.fromFloat(-1.0f));
        assertEquals((short) 0x7f80, Bf16.fromFloat(Float.POSITIVE_INFINITY));
        assertEquals((short) 0x7f80, Bf16.fromFloat(Float.MAX_VALUE), "overflows to infinity, as torch does");
        assertTrue(Float.isNaN(Bf16.toFloat(Bf16.fromFloat(Float.NaN))));
        assertTrue(Float.isNaN(Bf16.toFloat(Bf16.fromFloat(Float.intBitsToFloat(0x7f800001)))), "a NaN with low payload stays NaN");
        assertEquals(3.140625f, Bf16.toFloat(Bf16.fromFloat(3.14159f)));
    }
}
