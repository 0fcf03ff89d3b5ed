package dev.xent.eval;

import dev.xent.CrossEntropy;
import dev.xent.Logits;
import dev.xent.Targets;
import dev.xent.Xent;
import dev.xent.engine.Engine;
import dev.xent.engine.RowStatsCall;
import dev.xent.internal.Checks;
import dev.xent.internal.Region;
import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * Evaluation of logits against class-index targets: per-row statistics in one fused pass per row
 * ({@link #rowStats}), and from them mean NLL, accuracy, top-k accuracy and the expected
 * calibration error ({@link #evaluate}). Immutable; options by {@code withX}.
 *
 * <p>Logits are (N, C) or (N, C, d1..dk) with classes on axis 1, as for {@link dev.xent.CrossEntropy}.
 * Defaults: ignoreIndex -100, top-5, 15 confidence bins. Ties: the predicted class is the first
 * maximum and a target tied with an earlier class ranks below it, so accuracy counts a tied row
 * only when the target is the first of the tied classes. Masked (-inf) logits weigh nothing; a
 * masked target gives loss +inf. A NaN logit makes its row's loss, confidence and moments NaN (its
 * predicted class is then unspecified), and a NaN target logit ranks the row last (rank C).
 */
public final class Evaluation {
    private final Engine engine;
    private final long ignoreIndex;
    private final int topK;
    private final int bins;

    private Evaluation(Engine engine, long ignoreIndex, int topK, int bins) {
        this.engine = engine;
        this.ignoreIndex = ignoreIndex;
        this.topK = topK;
        this.bins = bins;
    }

    /** Evaluation on {@code xent}'s engine with the defaults. */
    public static Evaluation of(Xent xent) {
        return new Evaluation(Objects.requireNonNull(xent, "xent").engine(), CrossEntropy.DEFAULT_IGNORE_INDEX, 5, 15);
    }

    public Evaluation withIgnoreIndex(long ignoreIndex) {
        return new Evaluation(engine, ignoreIndex, topK, bins);
    }

    /** k of top-k accuracy, >= 1. */
    public Evaluation withTopK(int k) {
        if (k < 1) throw new IllegalArgumentException("top-k: k must be >= 1, got " + k);
        return new Evaluation(engine, ignoreIndex, k, bins);
    }

    /** Equal-width confidence bins of ECE, >= 1. */
    public Evaluation withBins(int bins) {
        if (bins < 1) throw new IllegalArgumentException("bins must be >= 1, got " + bins);
        return new Evaluation(engine, ignoreIndex, topK, bins);
    }

    public Engine engine() {
        return engine;
    }

    public long ignoreIndex() {
        return ignoreIndex;
    }

    public int topK() {
        return topK;
    }

    public int bins() {
        return bins;
    }

    /** Row statistics of the model as it is (scale 1). */
    public RowStats rowStats(Logits logits, Targets.ClassIndices targets) {
        return rowStats(logits, targets, 1f);
    }

    /**
     * Row statistics of softmax(scale * z): {@code scale} is the inverse temperature, finite and > 0.
     * Labels must be in [0, C) or equal ignoreIndex.
     */
    public RowStats rowStats(Logits logits, Targets.ClassIndices targets, float scale) {
        Objects.requireNonNull(logits, "logits");
        Objects.requireNonNull(targets, "targets");
        if (!(scale > 0) || Float.isInfinite(scale)) {
            throw new IllegalArgumentException("scale must be finite and > 0, got " + scale);
        }
        Checks.alive(logits.data(), "logits");
        Checks.onHost("rowStats", Region.of("logits", logits), Region.of("targets", targets));
        int n = Checks.rowsForArray(logits.rows(), RowStatsCall.FLOATS, "row statistics");
        Checks.classIndices(targets, logits, ignoreIndex);
        float[] stats = new float[RowStatsCall.FLOATS * n];
        long[] indices = new long[2 * n];
        engine.rowStats(new RowStatsCall(logits.layout(), logits.dtype(), logits.data(), targets, ignoreIndex, scale,
                MemorySegment.ofArray(stats), MemorySegment.ofArray(indices)));
        return new RowStats(stats, indices, n, scale);
    }

    /** Mean NLL, accuracy, top-k accuracy and ECE of the model as it is. */
    public Metrics evaluate(Logits logits, Targets.ClassIndices targets) {
        return Metrics.of(rowStats(logits, targets), topK, bins);
    }
}
