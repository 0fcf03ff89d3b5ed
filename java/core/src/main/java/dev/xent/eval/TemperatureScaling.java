package dev.xent.eval;

import dev.xent.Logits;
import dev.xent.Targets;
import java.util.Objects;

/**
 * Temperature scaling (Guo et al. 2017): the temperature T that minimises the mean NLL of
 * softmax(z / T) on validation logits and labels. The fit works in s = 1 / T, where
 * NLL(s) = mean_i [lse(s z_i) - s z_iy] is convex (NLL''(s) = mean Var_p[z] >= 0) with
 * NLL'(s) = mean (E_p[z] - z_y): Newton's method on NLL'(s) = 0 from s = 1, each step one fused
 * row-statistics pass, safeguarded by a bisection bracket (a step that leaves the bracket, or a
 * zero curvature, bisects; before the sign of NLL' has changed the bracket is open and s doubles
 * or halves). It stops when |step| <= 1e-7 s, or after {@link #MAX_ITERATIONS} passes
 * ({@link Fit#converged()} false), or when s leaves [1e-6, 1e6] (NLL keeps falling: the data is
 * separable, or anti-correlated with the logits).
 */
public final class TemperatureScaling {
    public static final int MAX_ITERATIONS = 50;
    static final double RELATIVE_TOLERANCE = 1e-7;
    private static final double S_MIN = 1e-6;
    private static final double S_MAX = 1e6;

    private final Evaluation evaluation;

    private TemperatureScaling(Evaluation evaluation) {
        this.evaluation = evaluation;
    }

    /** A fit that takes its engine, ignoreIndex and ECE bins from {@code evaluation}. */
    public static TemperatureScaling of(Evaluation evaluation) {
        return new TemperatureScaling(Objects.requireNonNull(evaluation, "evaluation"));
    }

    /**
     * The fit and the metrics before (T = 1) and after.
     *
     * @param temperature T = 1 / scale
     * @param scale       s, the fitted inverse temperature
     * @param iterations  Newton or bisection steps taken
     * @param converged   whether the step fell under the tolerance
     * @param before      metrics of softmax(z)
     * @param after       metrics of softmax(z / T)
     */
    public record Fit(double temperature, double scale, int iterations, boolean converged, Metrics before, Metrics after) {}

    public Fit fit(Logits logits, Targets.ClassIndices targets) {
        RowStats first = evaluation.rowStats(logits, targets, 1f);
        int rows = first.rows();
        if (first.countedRows() == 0) throw new IllegalArgumentException("temperature fit: every row is ignored, nothing to fit");
        // z_y = lse(z) - loss at s = 1, once: NLL'(s) needs it at every s.
        double[] target = new double[rows];
        for (int r = 0; r < rows; r++) {
            if (first.counted(r)) target[r] = (double) first.logSumExp(r) - first.loss(r);
        }
        double s = 1, lo = 0, hi = Double.POSITIVE_INFINITY;
        RowStats at = first;
        int iterations = 0;
        boolean converged = false;
        while (iterations < MAX_ITERATIONS) {
            double g = 0, h = 0;
            long n = 0;
            for (int r = 0; r < rows; r++) {
                if (!at.counted(r)) continue;
                g += at.mean(r) - target[r];
                h += at.variance(r);
                n++;
            }
            g /= n;
            h /= n;
            if (g < 0) lo = s;
            else if (g > 0) hi = s;
            else {
                converged = true;
                break;
            }
            double next = s - g / h;
            if (!(h > 0) || !(next > lo && next < hi)) {
                next = Double.isInfinite(hi) ? 2 * s : lo == 0 ? s / 2 : (lo + hi) / 2;
            }
            iterations++;
            double step = next - s;
            s = next;
            if (Math.abs(step) <= RELATIVE_TOLERANCE * s) {
                converged = true;
                break;
            }
            if (s < S_MIN || s > S_MAX) break;
            at = evaluation.rowStats(logits, targets, (float) s);
        }
        RowStats after = at.scale() == (float) s ? at : evaluation.rowStats(logits, targets, (float) s);
        return new Fit(1 / s, s, iterations, converged, Metrics.of(first, evaluation.topK(), evaluation.bins()),
                Metrics.of(after, evaluation.topK(), evaluation.bins()));
    }
}
