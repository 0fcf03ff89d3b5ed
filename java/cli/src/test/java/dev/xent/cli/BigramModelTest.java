package dev.xent.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.xent.Xent;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The bigram model's gather/scatter gradient, and training on a tiny text. */
class BigramModelTest {
    private final Xent xent = Xent.auto();

    @Test
    void corpusNormalisesAndEncodes() {
        TextCorpus c = TextCorpus.of("t", "# header\n  ab\tba \n\nab");
        assertEquals("ab ba ab", c.text());
        assertEquals(" ab", c.vocabulary());
        assertEquals(7, c.bigrams(0, c.length()).size());
        assertEquals(-1, c.id('z'));
        assertTrue(TextCorpus.builtIn().length() > 5000, "the built-in text is a few KB");
    }

    @Test
    void gradientIsSoftmaxMinusOnehotScatteredIntoW() {
        TextCorpus c = TextCorpus.of("t", "abcab");
        Bigrams data = c.bigrams(0, c.length()); // ab bc ca ab
        BigramModel model = new BigramModel(xent, 3);
        Random random = new Random(7);
        float[] w = model.weights();
        for (int i = 0; i < w.length; i++) w[i] = (float) random.nextGaussian();
        int[] order = {0, 1, 2, 3};
        float[] gradW = new float[9];
        float loss = model.lossAndGradient(data, order, 0, 4, new float[12], new float[12], new int[4], gradW);

        double[] expected = new double[9];
        double sum = 0;
        for (int i = 0; i < 4; i++) {
            int a = data.context()[i];
            int b = data.next()[i];
            double lse = 0;
            for (int k = 0; k < 3; k++) lse += Math.exp(w[a * 3 + k]);
            lse = Math.log(lse);
            sum += lse - w[a * 3 + b];
            for (int k = 0; k < 3; k++) expected[a * 3 + k] += (Math.exp(w[a * 3 + k] - lse) - (k == b ? 1 : 0)) / 4;
        }
        assertEquals(sum / 4, loss, 1e-5);
        for (int i = 0; i < 9; i++) assertEquals(expected[i], gradW[i], 1e-6, "dL/dW[" + i + "]");
        assertEquals(sum / 4, model.meanLoss(data), 1e-5, "forward-only evaluation agrees");
    }

    @Test
    void trainingApproachesTheCountBasedOptimum() {
        TextCorpus c = TextCorpus.of("t", "the cat sat on the mat and the dog sat on the log ".repeat(20));
        Bigrams data = c.bigrams(0, c.length());
        BigramModel model = new BigramModel(xent, c.vocabularySize());
        double before = model.meanLoss(data);
        assertEquals(Math.log(c.vocabularySize()), before, 1e-5, "all-zero logits: uniform");
        StringWriter sink = new StringWriter();
        TrainingHistory h;
        try (ProgressDisplay p = new ProgressDisplay("t", 1, new PrintWriter(sink), new PrintWriter(sink), true)) {
            h = new BigramTrainer(new TrainingConfig(30, 32, 0.1f, 1)).train(model, data, data, p);
        }
        double floor = data.conditionalEntropy(c.vocabularySize());
        double after = h.epochs().getLast().heldOutLoss();
        assertTrue(after < before - 1, "loss fell from " + before + " to " + after);
        assertTrue(after < floor + 0.05, "close to the optimum " + floor + ": " + after);
        String sample = model.sample(c, "the ", 40, new Random(3));
        assertEquals(44, sample.length());
        assertTrue(sample.startsWith("the "));
    }
}
