package dev.xent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.xent.eval.LogUnit;
import dev.xent.eval.Perplexity;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Perplexity from token losses: pooled and per-sequence, by lengths and by mask, nats and bits. */
class PerplexityTest {
    private static final float[] LOSSES = {1, 2, 3, 4, 5, 6};

    @Test
    void pooledAndPerSequenceByLengths() {
        Perplexity pooled = Perplexity.pooled(LOSSES);
        assertEquals(3.5, pooled.nats(), 1e-15);
        assertEquals(Math.exp(3.5), pooled.value(), 1e-12);
        assertEquals(6, pooled.tokens());
        Perplexity seq = Perplexity.perSequence(LOSSES, new int[] {2, 4}); // means 1.5 and 4.5
        assertEquals(3.0, seq.nats(), 1e-15);
        assertEquals(2, seq.sequences());
        assertEquals(3.0 / Math.log(2), seq.log(LogUnit.BITS), 1e-15);
        assertEquals(3.0, seq.log(LogUnit.NATS), 1e-15);
        // the same perplexity in either unit: 2^(bits per token) = e^(nats per token)
        assertEquals(seq.value(), Math.pow(2, seq.log(LogUnit.BITS)), 1e-12);
        // an empty sequence is left out of the mean
        assertEquals(3.0, Perplexity.perSequence(LOSSES, new int[] {0, 2, 0, 4}).nats(), 1e-15);
    }

    @Test
    void byMask() {
        boolean[] mask = {true, false, false, true, true, true}; // (B, T) = (2, 3)
        assertEquals((1 + 4 + 5 + 6) / 4.0, Perplexity.pooled(LOSSES, mask).nats(), 1e-15);
        Perplexity seq = Perplexity.perSequence(LOSSES, mask, 2); // means 1 and 5
        assertEquals(3.0, seq.nats(), 1e-15);
        assertEquals(4, seq.tokens());
        boolean[] firstEmpty = {false, false, false, true, true, true};
        assertEquals(5.0, Perplexity.perSequence(LOSSES, firstEmpty, 2).nats(), 1e-15);
        assertEquals(1, Perplexity.perSequence(LOSSES, firstEmpty, 2).sequences());
    }

    @Test
    void byLengthsAndMask() {
        boolean[] mask = {true, false, true, true, false, true};
        Perplexity seq = Perplexity.perSequence(LOSSES, new int[] {2, 4}, mask); // means 1 and 13/3
        assertEquals((1 + 13.0 / 3) / 2, seq.nats(), 1e-15);
        assertEquals(4, seq.tokens());
        assertEquals("mask has 5 entries but there are 6 token losses", assertThrows(IllegalArgumentException.class,
                () -> Perplexity.perSequence(LOSSES, new int[] {6}, new boolean[5])).getMessage());
    }

    @Test
    void matchesFloat64Recomputation() {
        SplittableRandom rnd = new SplittableRandom(3);
        int[] lengths = {5, 1, 17, 9, 40};
        float[] losses = new float[72];
        for (int i = 0; i < losses.length; i++) losses[i] = (float) (3 * rnd.nextDouble());
        double total = 0, means = 0;
        int at = 0;
        for (int len : lengths) {
            double s = 0;
            for (int i = at; i < at + len; i++) s += losses[i];
            total += s;
            means += s / len;
            at += len;
        }
        assertEquals(total / 72, Perplexity.pooled(losses).nats(), 1e-12);
        assertEquals(means / lengths.length, Perplexity.perSequence(losses, lengths).nats(), 1e-12);
    }

    @Test
    void refusesMismatchedBoundaries() {
        assertEquals("lengths sum to 5 but there are 6 token losses",
                assertThrows(IllegalArgumentException.class, () -> Perplexity.perSequence(LOSSES, new int[] {2, 3})).getMessage());
        assertEquals("lengths[1] is negative: -1",
                assertThrows(IllegalArgumentException.class, () -> Perplexity.perSequence(LOSSES, new int[] {7, -1})).getMessage());
        assertEquals("mask of 5 entries in 1 sequences does not match 6 token losses (need B * T = tokens)",
                assertThrows(IllegalArgumentException.class, () -> Perplexity.pooled(LOSSES, new boolean[5])).getMessage());
        assertEquals("mask of 6 entries in 4 sequences does not match 6 token losses (need B * T = tokens)",
                assertThrows(IllegalArgumentException.class, () -> Perplexity.perSequence(LOSSES, new boolean[6], 4)).getMessage());
        assertEquals("mask batch B must be >= 1, got 0",
                assertThrows(IllegalArgumentException.class, () -> Perplexity.perSequence(LOSSES, new boolean[6], 0)).getMessage());
    }
}
