package dev.xent;

/**
 * The result of an element-wise loss ({@link BinaryCrossEntropy}, {@link GaussianNll},
 * {@link LaplaceNll}, {@link PoissonNll}). Here each element is a row: {@link #rowShape()} is the
 * input's shape, {@link #perRow()} holds one fp32 loss per element (weights applied) under
 * reduction NONE and is null under SUM and MEAN (the engines then only reduce), and
 * {@link #denominator()} is the element count (MEAN of no elements is NaN, as in PyTorch).
 */
public final class ElementwiseLoss extends LossResult {
    ElementwiseLoss(Reduction reduction, float value, long count, float[] perRow, long[] shape) {
        super(reduction, value, count, perRow, shape);
    }
}
