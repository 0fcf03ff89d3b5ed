package dev.xent.cli;

import dev.xent.CrossEntropy;
import dev.xent.IndexType;
import dev.xent.Logits;
import dev.xent.Loss;
import dev.xent.Reduction;
import dev.xent.Targets;
import dev.xent.Xent;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Random;

/**
 * A character bigram language model: a V x V table of logits W, row a giving the scores of the
 * next character after a. Training gathers one row of W per bigram of a mini-batch, lets xent
 * compute the mean cross-entropy and its gradient in one fused pass, and scatters the gradient
 * rows back into dL/dW.
 */
final class BigramModel {
    private final Xent xent;
    private final int vocabularySize;
    private final float[] weights;

    /** All logits zero: every next character equally likely, loss ln V. */
    BigramModel(Xent xent, int vocabularySize) {
        this.xent = xent;
        this.vocabularySize = vocabularySize;
        this.weights = new float[vocabularySize * vocabularySize];
    }

    int vocabularySize() {
        return vocabularySize;
    }

    /** The parameters, updated in place by the optimiser. */
    float[] weights() {
        return weights;
    }

    /**
     * Mean cross-entropy over bigrams {@code order[from .. from+count)} and its gradient, written
     * (not added) into {@code gradW}. {@code batchLogits} and {@code batchGrad} are scratch space of
     * at least {@code count * V} floats, {@code batchTargets} of at least {@code count} ints.
     */
    float lossAndGradient(Bigrams data, int[] order, int from, int count, float[] batchLogits, float[] batchGrad,
            int[] batchTargets, float[] gradW) {
        int v = vocabularySize;
        for (int i = 0; i < count; i++) {
            int pair = order[from + i];
            System.arraycopy(weights, data.context()[pair] * v, batchLogits, i * v, v);
            batchTargets[i] = data.next()[pair];
        }
        Loss loss = xent.crossEntropy().withReduction(Reduction.MEAN).forwardBackward(
                Logits.of(batchLogits, count, v), targets(batchTargets, count), Logits.of(batchGrad, count, v));
        Arrays.fill(gradW, 0f);
        for (int i = 0; i < count; i++) {
            int row = data.context()[order[from + i]] * v;
            for (int k = 0; k < v; k++) gradW[row + k] += batchGrad[i * v + k];
        }
        return loss.value();
    }

    /** Mean cross-entropy (nats per character) over all pairs, forward only, in chunks. */
    double meanLoss(Bigrams data) {
        int v = vocabularySize;
        int chunk = 1024;
        float[] logits = new float[chunk * v];
        int[] targets = new int[chunk];
        CrossEntropy ce = xent.crossEntropy().withReduction(Reduction.SUM);
        double sum = 0;
        for (int from = 0; from < data.size(); from += chunk) {
            int count = Math.min(chunk, data.size() - from);
            for (int i = 0; i < count; i++) {
                System.arraycopy(weights, data.context()[from + i] * v, logits, i * v, v);
                targets[i] = data.next()[from + i];
            }
            sum += ce.forward(Logits.of(logits, count, v), targets(targets, count)).value();
        }
        return sum / data.size();
    }

    /** The next-character distribution after {@code context}, softmax of row W[context]. */
    float[] nextDistribution(int context) {
        float[] p = new float[vocabularySize];
        float[] row = Arrays.copyOfRange(weights, context * vocabularySize, (context + 1) * vocabularySize);
        xent.softmax(Logits.of(row, 1, vocabularySize), Logits.of(p, 1, vocabularySize));
        return p;
    }

    /** Samples {@code length} characters after {@code prompt} (whose last character must be in the vocabulary). */
    String sample(TextCorpus corpus, String prompt, int length, Random random) {
        StringBuilder out = new StringBuilder(prompt);
        int current = corpus.id(prompt.charAt(prompt.length() - 1));
        if (current < 0) throw new IllegalArgumentException("prompt ends in a character the text never uses");
        for (int i = 0; i < length; i++) {
            float[] p = nextDistribution(current);
            double u = random.nextDouble();
            int next = p.length - 1;
            double cumulative = 0;
            for (int k = 0; k < p.length; k++) {
                cumulative += p[k];
                if (u < cumulative) {
                    next = k;
                    break;
                }
            }
            out.append(corpus.symbol(next));
            current = next;
        }
        return out.toString();
    }

    private static Targets targets(int[] ids, int count) {
        return Targets.classes(MemorySegment.ofArray(ids).asSlice(0, (long) count * Integer.BYTES), IndexType.I32);
    }
}
