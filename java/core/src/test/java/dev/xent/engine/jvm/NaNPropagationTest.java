package dev.xent.engine.jvm;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.xent.Logits;
import dev.xent.Loss;
import dev.xent.Reduction;
import dev.xent.Targets;
import dev.xent.Xent;
import java.util.Arrays;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The vector kernels' max skips NaN lanes and their exp builds 2^k in the exponent bits; a NaN
 * logit must still make its row's loss and gradient NaN, whatever its payload and wherever it
 * sits (a tile that is otherwise all -inf, a finite tile, the scalar tail), and leave other rows alone.
 */
class NaNPropagationTest {
    private static final int C = 2 * Kernels.TILE + 37;

    @ParameterizedTest
    @ValueSource(ints = {0x7fc00000, 0xffc00000, 0x7fc00001, 0x7f8001ff, 0xff80abcd, 0x7fffffff})
    void nanOfAnyPayloadPoisonsItsRowOnly(int nanBits) {
        float nan = Float.intBitsToFloat(nanBits);
        int[] where = {5, Kernels.TILE + 100, C - 3};   // first tile (all -inf around it), a finite tile, the tail
        for (JavaEngine engine : new JavaEngine[] {JavaEngine.create(), JavaEngine.scalar()}) {
            for (int w : where) {
                int rows = 3;
                float[] z = new float[rows * C];
                java.util.Random rnd = new java.util.Random(7);
                for (int i = 0; i < z.length; i++) z[i] = (float) rnd.nextGaussian();
                Arrays.fill(z, C, C + Kernels.TILE, Float.NEGATIVE_INFINITY);   // row 1, tile 0: masked
                z[C + w] = nan;
                float[] g = new float[z.length];
                Loss loss = Xent.of(engine).crossEntropy().withReduction(Reduction.NONE)
                        .forwardBackward(Logits.of(z, rows, C), Targets.classes(new int[] {1, C - 1, 2}), Logits.of(g, rows, C));
                String what = engine.mode() + ", NaN " + Integer.toHexString(nanBits) + " at class " + w;
                assertTrue(Float.isNaN(loss.perRow()[1]), what + ": loss " + loss.perRow()[1]);
                assertTrue(Float.isNaN(loss.lse()[1]), what + ": lse");
                assertTrue(Float.isNaN(g[C + 4000 % C]) && Float.isNaN(g[C + C - 1]), what + ": gradient");
                assertFalse(Float.isNaN(loss.perRow()[0]) || Float.isNaN(loss.perRow()[2]), what + ": other rows");
                float[] lse = Xent.of(engine).crossEntropy().forward(Logits.of(z, rows, C), Targets.classes(new int[] {1, C - 1, 2})).lse();
                assertTrue(Float.isNaN(lse[1]), what + ": forward lse");
            }
        }
    }
}
