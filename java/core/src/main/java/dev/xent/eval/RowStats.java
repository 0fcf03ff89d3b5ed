package dev.xent.eval;

import dev.xent.engine.RowStatsCall;

/**
 * Per-row statistics of logits against class-index targets at a logit scale s (the inverse
 * temperature), from one fused pass per row ({@link Evaluation#rowStats}). With p = softmax(s z):
 * the loss s (m - z_y) + log sum exp(s (z - m)) (cross-entropy's way, m the row max), the
 * log-sum-exp of s z, the confidence max_k p_k, the predicted class (first maximum), the rank of
 * the target (#{k : z_k > z_y} + #{k < y : z_k = z_y}, so top-k is correct iff rank < k), and
 * E_p[z], Var_p[z] (NLL'(s) and NLL''(s) of a temperature fit). Rows labelled ignoreIndex are
 * {@linkplain #counted(int) not counted}: loss 0 and rank -1. Rows are in the targets' order.
 */
public final class RowStats {
    private final float[] stats;
    private final long[] indices;
    private final int rows;
    private final float scale;

    RowStats(float[] stats, long[] indices, int rows, float scale) {
        this.stats = stats;
        this.indices = indices;
        this.rows = rows;
        this.scale = scale;
    }

    public int rows() {
        return rows;
    }

    /** The logit scale s the statistics were taken at. */
    public float scale() {
        return scale;
    }

    /** False for a row labelled ignoreIndex: metrics skip it. */
    public boolean counted(int row) {
        return rank(row) >= 0;
    }

    /** Rows that count. */
    public int countedRows() {
        int n = 0;
        for (int r = 0; r < rows; r++) if (counted(r)) n++;
        return n;
    }

    public float loss(int row) {
        return stat(RowStatsCall.LOSS, row);
    }

    public float logSumExp(int row) {
        return stat(RowStatsCall.LSE, row);
    }

    public float confidence(int row) {
        return stat(RowStatsCall.CONFIDENCE, row);
    }

    /** E_p[z] with p = softmax(s z). */
    public float mean(int row) {
        return stat(RowStatsCall.MEAN, row);
    }

    /** Var_p[z] with p = softmax(s z). */
    public float variance(int row) {
        return stat(RowStatsCall.VARIANCE, row);
    }

    /** Classes ranked above the target; -1 for a row not counted. */
    public long rank(int row) {
        return indices[checkRow(row)];
    }

    /** The first class of largest logit. */
    public long predicted(int row) {
        return indices[rows + checkRow(row)];
    }

    /** Per-row losses (0 where not counted), a copy: token losses for {@link Perplexity}. */
    public float[] losses() {
        float[] out = new float[rows];
        System.arraycopy(stats, RowStatsCall.LOSS * rows, out, 0, rows);
        return out;
    }

    private float stat(int which, int row) {
        return stats[which * rows + checkRow(row)];
    }

    private int checkRow(int row) {
        if (row < 0 || row >= rows) throw new IndexOutOfBoundsException("row " + row + " of " + rows);
        return row;
    }
}
