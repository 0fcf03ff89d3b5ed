package dev.xent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.xent.EngineSource.EngineCase;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ArgumentsSource;

/**
 * The element-wise losses over an empty one-dimensional tensor (shape [0], whose last axis is 0),
 * found by the limits campaign: the CUDA engines divided the element count by it. Nothing to sum:
 * SUM gives 0, MEAN 0 / 0.
 */
class EmptyTensorTest {

    @ParameterizedTest(name = "{0}")
    @ArgumentsSource(EngineSource.class)
    void elementwiseLossesOverShapeZero(EngineCase e) {
        Xent xent = e.xent();
        DenseTensor empty = DenseTensor.of(new float[0], 0), grad = DenseTensor.of(new float[0], 0);
        for (Reduction r : Reduction.values()) {
            ElementwiseLoss bce = xent.binaryCrossEntropy().withReduction(r).forwardBackward(empty, empty, grad);
            ElementwiseLoss gaussian = xent.gaussianNll().withReduction(r).forwardBackward(empty, empty, new float[] {1f}, grad);
            ElementwiseLoss poisson = xent.poissonNll().withReduction(r).forward(empty, empty);
            for (ElementwiseLoss l : new ElementwiseLoss[] {bce, gaussian, poisson}) {
                assertEquals(0, l.denominator(), e + " " + r);
                if (r == Reduction.SUM) assertEquals(0f, l.value(), e + " " + r);
                if (r == Reduction.MEAN) assertTrue(Float.isNaN(l.value()), e + " " + r + ": mean of nothing, got " + l.value());
                if (r == Reduction.NONE) assertEquals(0, l.perRow().length, e + " " + r);
            }
        }
    }
}
