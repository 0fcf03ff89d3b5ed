package dev.xent;

import dev.xent.internal.Checks;

/**
 * Where the elements of a logits tensor live, reduced to what a kernel needs.
 *
 * <p>A tensor of shape (N, C) or (N, C, d1..dk) is seen as {@code rows() = outer * inner} rows of
 * {@code classes} elements each, with {@code outer = N} and {@code inner = d1 * ... * dk} (1 for
 * two dimensions). Element k of row r sits, in elements from the base, at
 *
 * <pre>  (r / inner) * outerStride + (r % inner) + k * inner</pre>
 *
 * so a 2-D tensor has class stride 1 and row stride {@code outerStride >= classes}, and an
 * (N, C, d..) tensor has class stride {@code inner} and {@code outerStride = C * inner}. All index
 * arithmetic is 64-bit: the constructor refuses a layout whose row count or extent does not fit
 * in a {@code long}, so no offset inside the extent overflows.
 */
public record Layout(long outer, long classes, long inner, long outerStride) {

    public Layout {
        if (outer < 0) throw new IllegalArgumentException("batch size N must be >= 0, got " + outer);
        if (classes < 1) throw new IllegalArgumentException("class count C must be >= 1, got " + classes);
        if (inner < 1) throw new IllegalArgumentException("inner size d1*..*dk must be >= 1, got " + inner);
        long rowElements = Checks.product("C * inner", classes, inner);
        if (outerStride < rowElements) {
            throw new IllegalArgumentException("row stride " + outerStride + " is smaller than C * inner = " + rowElements);
        }
        Checks.product("the row count N * inner", outer, inner);
        if (outer > 0) {
            long lastRow = Checks.product("the extent's last-row offset (N - 1) * row stride", outer - 1, outerStride);
            if (lastRow > Long.MAX_VALUE - rowElements) {
                throw new IllegalArgumentException("the extent (N - 1) * row stride + C * inner = " + lastRow + " + "
                        + rowElements + " overflows a 64-bit size");
            }
        }
    }

    /** A dense (N, C) layout. */
    public static Layout rows(long n, long classes) {
        return new Layout(n, classes, 1, classes);
    }

    /** Number of rows: one softmax each. */
    public long rows() {
        return outer * inner;
    }

    /** Distance in elements between class k and class k + 1 of one row. */
    public long classStride() {
        return inner;
    }

    /** Offset in elements of class 0 of row {@code row}. */
    public long rowBase(long row) {
        return (row / inner) * outerStride + (row % inner);
    }

    /** Offset in elements of class {@code k} of row {@code row}. */
    public long offset(long row, long k) {
        return rowBase(row) + k * inner;
    }

    /** Elements a buffer must hold to contain every row (its extent, not counting stride padding after the last row). */
    public long extent() {
        if (outer == 0) return 0;
        return (outer - 1) * outerStride + classes * inner;
    }

    /** The same shape laid out densely (row stride = C * inner). */
    public Layout dense() {
        return new Layout(outer, classes, inner, classes * inner);
    }

    /** True when rows are contiguous and classes are adjacent: the fast path of every engine. */
    public boolean isRowContiguous() {
        return inner == 1;
    }
}
