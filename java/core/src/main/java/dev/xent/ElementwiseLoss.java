package dev.xent;

import java.util.Arrays;

/**
 * The result of an element-wise loss: the reduced value and, when asked for, one loss per element
 * in the input's shape. Arrays are handed over, not copied.
 *
 * @param reduction  the reduction the loss was computed with
 * @param reduced    MEAN: the mean (NaN for no elements, as PyTorch); SUM and NONE: the sum
 * @param count      the number of elements, what MEAN divides by
 * @param perElement fp32 losses in the input's shape (weights applied); null unless asked for or NONE
 * @param shape      the input's shape
 */
public record ElementwiseLoss(Reduction reduction, float reduced, long count, float[] perElement, long[] shape) {

    /**
     * The reduced loss (SUM or MEAN).
     *
     * @throws IllegalStateException under reduction NONE, which has one loss per element
     */
    public float value() {
        if (reduction == Reduction.NONE) {
            throw new IllegalStateException("reduction NONE gives one loss per element; use perElement()");
        }
        return reduced;
    }

    /** The sum of the element losses, whatever the reduction. */
    public double sum() {
        return reduction == Reduction.MEAN ? (double) reduced * count : reduced;
    }

    @Override
    public String toString() {
        return reduction == Reduction.NONE
                ? "ElementwiseLoss[NONE, shape=" + Arrays.toString(shape) + "]"
                : "ElementwiseLoss[" + reduction + " = " + reduced + "]";
    }
}
