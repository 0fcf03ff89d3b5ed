package dev.xent.cli;

import dev.xent.Logits;
import dev.xent.Reduction;
import dev.xent.Targets;
import dev.xent.Xent;
import java.io.PrintWriter;

/**
 * Worked example 2: H(p, q) = H(p) + KL(p || q). xent's cross-entropy with probability targets p
 * on logits log q is H(p, q); on logits log p it is H(p); the difference is KL(p || q).
 */
final class CrossEntropyIdentityExample {
    static final double[] P = {0.7, 0.2, 0.1};
    static final double[] Q = {0.5, 0.3, 0.2};

    /** xent's H(p,q) and H(p), their difference, and KL summed directly in double. */
    record Result(double crossEntropy, double entropy, double kl, double klDirect) {}

    private CrossEntropyIdentityExample() {}

    static Result compute(Xent xent) {
        double hpq = crossEntropy(xent, P, Q);
        double hp = crossEntropy(xent, P, P);
        double direct = 0;
        for (int k = 0; k < P.length; k++) direct += P[k] * Math.log(P[k] / Q[k]);
        return new Result(hpq, hp, hpq - hp, direct);
    }

    /** -sum_k t_k log softmax(log q)_k = -sum_k t_k log q_k, by xent with probability targets. */
    private static double crossEntropy(Xent xent, double[] target, double[] q) {
        float[] logits = new float[q.length];
        float[] t = new float[target.length];
        for (int k = 0; k < q.length; k++) {
            logits[k] = (float) Math.log(q[k]);
            t[k] = (float) target[k];
        }
        return xent.crossEntropy().withReduction(Reduction.SUM)
                .forward(Logits.of(logits, 1, q.length), Targets.probabilities(t)).value();
    }

    static Result print(Xent xent, PrintWriter out) {
        Result r = compute(xent);
        out.println("Worked example 2: cross-entropy = entropy + KL divergence, H(p,q) = H(p) + KL(p||q)");
        out.println("  p = (0.7, 0.2, 0.1), q = (0.5, 0.3, 0.2); xent's cross-entropy with probability targets p:");
        out.println(DemoText.f("  H(p,q) = -sum p log q      (logits log q) = %.6f nats", r.crossEntropy()));
        out.println(DemoText.f("  H(p)   = -sum p log p      (logits log p) = %.6f nats", r.entropy()));
        out.println(DemoText.f("  KL(p||q) = H(p,q) - H(p)                  = %.6f nats", r.kl()));
        out.println(DemoText.f("  check: sum p log(p/q) in double            = %.6f nats (difference %.1e)", r.klDirect(),
                Math.abs(r.kl() - r.klDirect())));
        out.println("  Training a model q on data p can only remove the KL part: H(p) is the floor.");
        return r;
    }
}
