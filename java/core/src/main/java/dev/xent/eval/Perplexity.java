package dev.xent.eval;

import java.util.Objects;

/**
 * Perplexity from per-token losses (nats, e.g. {@link RowStats#losses()} or losses computed
 * elsewhere), in two aggregations:
 * <ul>
 *   <li>{@link #pooled}: over all tokens, exp(sum of losses / tokens);</li>
 *   <li>{@link #perSequence}: the mean of per-sequence means, exp(mean over sequences of the
 *       sequence's mean loss), sequences given by lengths (summing to the token count) or by the
 *       rows of a (B, T) mask.</li>
 * </ul>
 * A mask excludes its 0 tokens from both; a sequence with no token counted is left out of the
 * per-sequence mean. Perplexity is the same number in nats or bits (2^(bits per token) =
 * e^(nats per token)); only its logarithm, the mean loss per token, has a unit: {@link #log(LogUnit)}.
 *
 * @param nats      log-perplexity in nats (the mean loss of the aggregation)
 * @param tokens    tokens counted
 * @param sequences sequences averaged (1 for pooled)
 */
public record Perplexity(double nats, long tokens, long sequences) {

    /** exp(nats): the perplexity itself. */
    public double value() {
        return Math.exp(nats);
    }

    /** Log-perplexity (mean loss per token) in {@code unit}: nats, or bits per token. */
    public double log(LogUnit unit) {
        return unit.fromNats(nats);
    }

    /** Pooled over every token. */
    public static Perplexity pooled(float[] losses) {
        Objects.requireNonNull(losses, "losses");
        double sum = 0;
        for (float l : losses) sum += l;
        return new Perplexity(sum / losses.length, losses.length, 1);
    }

    /** Pooled over the tokens whose mask is not 0; {@code mask} has one entry per token. */
    public static Perplexity pooled(float[] losses, boolean[] mask) {
        checkMask(losses, mask, 1);
        double sum = 0;
        long n = 0;
        for (int i = 0; i < losses.length; i++) {
            if (mask[i]) {
                sum += losses[i];
                n++;
            }
        }
        return new Perplexity(sum / n, n, 1);
    }

    /** Mean of per-sequence means; sequence j is the next {@code lengths[j]} tokens. */
    public static Perplexity perSequence(float[] losses, int[] lengths) {
        return perSequence(losses, lengths, null);
    }

    /**
     * Mean of per-sequence means; sequence j is the next {@code lengths[j]} tokens, of which those
     * whose {@code mask} entry is false are excluded ({@code mask} null: none).
     */
    public static Perplexity perSequence(float[] losses, int[] lengths, boolean[] mask) {
        Objects.requireNonNull(losses, "losses");
        Objects.requireNonNull(lengths, "lengths");
        if (mask != null && mask.length != losses.length) {
            throw new IllegalArgumentException("mask has " + mask.length + " entries but there are " + losses.length + " token losses");
        }
        long total = 0;
        for (int j = 0; j < lengths.length; j++) {
            if (lengths[j] < 0) throw new IllegalArgumentException("lengths[" + j + "] is negative: " + lengths[j]);
            total += lengths[j];
        }
        if (total != losses.length) {
            throw new IllegalArgumentException("lengths sum to " + total + " but there are " + losses.length + " token losses");
        }
        double means = 0;
        long sequences = 0, tokens = 0;
        int at = 0;
        for (int len : lengths) {
            double sum = 0;
            long n = 0;
            for (int i = at; i < at + len; i++) {
                if (mask == null || mask[i]) {
                    sum += losses[i];
                    n++;
                }
            }
            if (n > 0) {
                means += sum / n;
                sequences++;
                tokens += n;
            }
            at += len;
        }
        return new Perplexity(means / sequences, tokens, sequences);
    }

    /** Mean of per-sequence means over the rows of a (B, T) mask (row-major, B * T = tokens); 0 entries are excluded. */
    public static Perplexity perSequence(float[] losses, boolean[] mask, int batch) {
        checkMask(losses, mask, batch);
        int[] lengths = new int[batch];
        java.util.Arrays.fill(lengths, losses.length / batch);
        return perSequence(losses, lengths, mask);
    }

    private static void checkMask(float[] losses, boolean[] mask, int batch) {
        Objects.requireNonNull(losses, "losses");
        Objects.requireNonNull(mask, "mask");
        if (batch < 1) throw new IllegalArgumentException("mask batch B must be >= 1, got " + batch);
        if (mask.length != losses.length || losses.length % batch != 0) {
            throw new IllegalArgumentException("mask of " + mask.length + " entries in " + batch
                    + " sequences does not match " + losses.length + " token losses (need B * T = tokens)");
        }
    }
}
