package dev.xent;

import java.util.Arrays;
import java.util.Random;

/**
 * One cross-entropy test case: shape, storage, options and how the logits are drawn. Immutable;
 * the {@code withX} methods return a copy. {@link CeRunner} runs it against {@link Reference}.
 */
record CeSpec(
        DType dtype,
        long[] shape,
        long rowStride,
        Tensor.Memory memory,
        boolean soft,
        boolean weighted,
        long ignoreIndex,
        int ignoredRows,
        double smoothing,
        Reduction reduction,
        Upstream upstream,
        Run run,
        boolean inPlace,
        boolean int64Labels,
        double scale,
        double offset,
        double maskFraction,
        boolean nanRow,
        boolean allMaskedRow,
        long seed) {

    /** Which upstream gradient the call passes. */
    enum Upstream {
        DEFAULT,
        SCALAR,
        PER_ROW
    }

    /** Which passes run. */
    enum Run {
        FORWARD,
        FORWARD_BACKWARD,
        /** forward, then backward from the saved lse */
        BACKWARD
    }

    static CeSpec of(DType dtype, long... shape) {
        return new CeSpec(dtype, shape, 0, Tensor.Memory.HEAP, false, false, CrossEntropy.DEFAULT_IGNORE_INDEX, 0, 0,
                Reduction.MEAN, Upstream.DEFAULT, Run.FORWARD_BACKWARD, false, false, 3, 0, 0, false, false, 42);
    }

    CeSpec withDtype(DType d) {
        return new CeSpec(d, shape, rowStride, memory, soft, weighted, ignoreIndex, ignoredRows, smoothing, reduction, upstream, run, inPlace, int64Labels, scale, offset, maskFraction, nanRow, allMaskedRow, seed);
    }

    CeSpec withRowStride(long s) {
        return new CeSpec(dtype, shape, s, memory, soft, weighted, ignoreIndex, ignoredRows, smoothing, reduction, upstream, run, inPlace, int64Labels, scale, offset, maskFraction, nanRow, allMaskedRow, seed);
    }

    CeSpec withMemory(Tensor.Memory m) {
        return new CeSpec(dtype, shape, rowStride, m, soft, weighted, ignoreIndex, ignoredRows, smoothing, reduction, upstream, run, inPlace, int64Labels, scale, offset, maskFraction, nanRow, allMaskedRow, seed);
    }

    CeSpec withSoft(boolean s) {
        return new CeSpec(dtype, shape, rowStride, memory, s, weighted, ignoreIndex, ignoredRows, smoothing, reduction, upstream, run, inPlace, int64Labels, scale, offset, maskFraction, nanRow, allMaskedRow, seed);
    }

    CeSpec withWeights(boolean w) {
        return new CeSpec(dtype, shape, rowStride, memory, soft, w, ignoreIndex, ignoredRows, smoothing, reduction, upstream, run, inPlace, int64Labels, scale, offset, maskFraction, nanRow, allMaskedRow, seed);
    }

    /** ignoreIndex, and how many rows carry it as their label. */
    CeSpec withIgnored(long index, int rows) {
        return new CeSpec(dtype, shape, rowStride, memory, soft, weighted, index, rows, smoothing, reduction, upstream, run, inPlace, int64Labels, scale, offset, maskFraction, nanRow, allMaskedRow, seed);
    }

    CeSpec withSmoothing(double eps) {
        return new CeSpec(dtype, shape, rowStride, memory, soft, weighted, ignoreIndex, ignoredRows, eps, reduction, upstream, run, inPlace, int64Labels, scale, offset, maskFraction, nanRow, allMaskedRow, seed);
    }

    CeSpec withReduction(Reduction r) {
        return new CeSpec(dtype, shape, rowStride, memory, soft, weighted, ignoreIndex, ignoredRows, smoothing, r, upstream, run, inPlace, int64Labels, scale, offset, maskFraction, nanRow, allMaskedRow, seed);
    }

    CeSpec withUpstream(Upstream u) {
        return new CeSpec(dtype, shape, rowStride, memory, soft, weighted, ignoreIndex, ignoredRows, smoothing, reduction, u, run, inPlace, int64Labels, scale, offset, maskFraction, nanRow, allMaskedRow, seed);
    }

    CeSpec withRun(Run r) {
        return new CeSpec(dtype, shape, rowStride, memory, soft, weighted, ignoreIndex, ignoredRows, smoothing, reduction, upstream, r, inPlace, int64Labels, scale, offset, maskFraction, nanRow, allMaskedRow, seed);
    }

    CeSpec withInPlace(boolean p) {
        return new CeSpec(dtype, shape, rowStride, memory, soft, weighted, ignoreIndex, ignoredRows, smoothing, reduction, upstream, run, p, int64Labels, scale, offset, maskFraction, nanRow, allMaskedRow, seed);
    }

    CeSpec withInt64Labels(boolean l) {
        return new CeSpec(dtype, shape, rowStride, memory, soft, weighted, ignoreIndex, ignoredRows, smoothing, reduction, upstream, run, inPlace, l, scale, offset, maskFraction, nanRow, allMaskedRow, seed);
    }

    /** Logits are offset + scale * N(0, 1). */
    CeSpec withValues(double scale, double offset) {
        return new CeSpec(dtype, shape, rowStride, memory, soft, weighted, ignoreIndex, ignoredRows, smoothing, reduction, upstream, run, inPlace, int64Labels, scale, offset, maskFraction, nanRow, allMaskedRow, seed);
    }

    /** A fraction of the logits set to -inf (never a row's label class), a row with a NaN, a row of -inf only. */
    CeSpec withSpecials(double maskFraction, boolean nanRow, boolean allMaskedRow) {
        return new CeSpec(dtype, shape, rowStride, memory, soft, weighted, ignoreIndex, ignoredRows, smoothing, reduction, upstream, run, inPlace, int64Labels, scale, offset, maskFraction, nanRow, allMaskedRow, seed);
    }

    CeSpec withSeed(long s) {
        return new CeSpec(dtype, shape, rowStride, memory, soft, weighted, ignoreIndex, ignoredRows, smoothing, reduction, upstream, run, inPlace, int64Labels, scale, offset, maskFraction, nanRow, allMaskedRow, s);
    }

    long rows() {
        long r = shape[0];
        for (int i = 2; i < shape.length; i++) r *= shape[i];
        return r;
    }

    long classes() {
        return shape[1];
    }

    /** Labels: row 0 gets class 0, the last row C-1, ignoredRows rows (from row 1 on) ignoreIndex. */
    long[] labels(Random rnd) {
        int n = (int) rows();
        long c = classes();
        long[] y = new long[n];
        for (int r = 0; r < n; r++) y[r] = (long) (rnd.nextDouble() * c);
        if (n > 0) y[0] = 0;
        if (n > 1) y[n - 1] = c - 1;
        for (int i = 0; i < ignoredRows && i < n; i++) y[ignoredRows >= n ? i : 1 + i * (n - 1) / Math.max(1, ignoredRows)] = ignoreIndex;
        return y;
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder(dtype + Arrays.toString(shape));
        if (rowStride > 0) b.append(" stride=").append(rowStride);
        if (memory != Tensor.Memory.HEAP) b.append(' ').append(memory);
        b.append(soft ? " soft" : " hard");
        if (weighted) b.append(" weighted");
        if (ignoredRows > 0) b.append(" ignore=").append(ignoreIndex).append('x').append(ignoredRows);
        if (smoothing > 0) b.append(" eps=").append(smoothing);
        b.append(' ').append(reduction).append(' ').append(run);
        if (upstream != Upstream.DEFAULT) b.append(" upstream=").append(upstream);
        if (inPlace) b.append(" in-place");
        if (int64Labels) b.append(" i64");
        b.append(" z=").append(offset).append("+").append(scale).append("N");
        if (maskFraction > 0) b.append(" masked=").append(maskFraction);
        if (nanRow) b.append(" nanRow");
        if (allMaskedRow) b.append(" allMaskedRow");
        return b.append(" seed=").append(seed).toString();
    }
}
