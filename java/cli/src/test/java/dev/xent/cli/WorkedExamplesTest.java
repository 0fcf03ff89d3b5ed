package dev.xent.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.xent.Xent;
import org.junit.jupiter.api.Test;

/** The demo's worked examples give the textbook numbers, computed here independently in double. */
class WorkedExamplesTest {
    private final Xent xent = Xent.auto();

    @Test
    void nextWordSoftmaxLossAndGradient() {
        NextWordExample.Result r = NextWordExample.compute(xent);
        float[] z = NextWordExample.LOGITS;
        double max = Double.NEGATIVE_INFINITY;
        for (float v : z) max = Math.max(max, v);
        double sum = 0;
        for (float v : z) sum += Math.exp(v - max);
        int target = NextWordExample.TARGET;
        assertEquals(4, target, "\"mat\" is word 4");
        for (int k = 0; k < z.length; k++) {
            double p = Math.exp(z[k] - max) / sum;
            assertEquals(p, r.probabilities()[k], 1e-6, "p[" + k + "]");
            assertEquals(p - (k == target ? 1 : 0), r.gradient()[k], 1e-6, "grad[" + k + "]");
        }
        assertEquals(-Math.log(Math.exp(z[target] - max) / sum), r.loss(), 1e-6, "loss = -log p[mat]");
        assertEquals(0.554792, r.loss(), 1e-6);
    }

    @Test
    void crossEntropyIsEntropyPlusKl() {
        CrossEntropyIdentityExample.Result r = CrossEntropyIdentityExample.compute(xent);
        double hpq = -(0.7 * Math.log(0.5) + 0.2 * Math.log(0.3) + 0.1 * Math.log(0.2));
        double hp = -(0.7 * Math.log(0.7) + 0.2 * Math.log(0.2) + 0.1 * Math.log(0.1));
        assertEquals(hpq, r.crossEntropy(), 1e-6);
        assertEquals(hp, r.entropy(), 1e-6);
        assertEquals(hpq - hp, r.kl(), 2e-6);
        assertEquals(0.0851225, r.klDirect(), 1e-6);
        assertEquals(r.klDirect(), r.kl(), 2e-6);
    }
}
