package dev.xent.cli;

import dev.xent.Logits;
import dev.xent.Loss;
import dev.xent.Reduction;
import dev.xent.Targets;
import dev.xent.Xent;
import java.io.PrintWriter;
import java.util.List;

/**
 * Worked example 1: one next-word prediction, "the cat sat on the ___", over a six-word
 * vocabulary. xent gives p = softmax(z), the loss -log p[target] and the gradient p - onehot.
 */
final class NextWordExample {
    static final List<String> VOCABULARY = List.of("the", "cat", "sat", "on", "mat", "dog");
    /** Scores a model might give the next word: "mat" first, "dog" a plausible second. */
    static final float[] LOGITS = {0.2f, 0.9f, -1.1f, -0.7f, 2.6f, 1.7f};
    static final int TARGET = VOCABULARY.indexOf("mat");

    /** What xent computed. */
    record Result(float[] probabilities, float loss, float[] gradient) {}

    private NextWordExample() {}

    static Result compute(Xent xent) {
        int c = LOGITS.length;
        float[] p = new float[c];
        xent.softmax(Logits.of(LOGITS.clone(), 1, c), Logits.of(p, 1, c));
        float[] grad = new float[c];
        Loss loss = xent.crossEntropy().withReduction(Reduction.SUM)
                .forwardBackward(Logits.of(LOGITS.clone(), 1, c), Targets.classes(new int[] {TARGET}), Logits.of(grad, 1, c));
        return new Result(p, loss.value(), grad);
    }

    static Result print(Xent xent, PrintWriter out) {
        Result r = compute(xent);
        out.println("Worked example 1: the next word after \"the cat sat on the ___\" (target: \"mat\")");
        out.println();
        out.println(DemoText.f("  %-5s %8s %14s %8s %18s", "word", "logit z", "p = softmax(z)", "onehot", "grad = p - onehot"));
        double gradSum = 0;
        for (int k = 0; k < LOGITS.length; k++) {
            int onehot = k == TARGET ? 1 : 0;
            out.println(DemoText.f("  %-5s %8.3f %14.6f %8d %+18.6f", VOCABULARY.get(k), LOGITS[k], r.probabilities()[k], onehot,
                    r.gradient()[k]));
            gradSum += r.gradient()[k];
        }
        out.println();
        out.println(DemoText.f("  loss = -log p[mat] = -log %.6f = %.6f nats (%.4f bits); xent's fused loss: %.6f",
                r.probabilities()[TARGET], -Math.log(r.probabilities()[TARGET]),
                -Math.log(r.probabilities()[TARGET]) / DemoText.LN2, r.loss()));
        out.println(DemoText.f("  the gradient sums to %.1e: a step against it raises \"mat\" and lowers every other word,", gradSum));
        out.println("  most of all the words the model wrongly liked (\"dog\").");
        return r;
    }
}
