package dev.xent.cli;

import dev.xent.BinaryCrossEntropy;
import dev.xent.DenseTensor;
import java.util.Set;

/**
 * {@code --op bce}: PyTorch's {@code F.binary_cross_entropy_with_logits(input, target, weight,
 * pos_weight, reduction)} through xent's {@link BinaryCrossEntropy}. {@code --logits} has any
 * shape; {@code --target} (probabilities in [0, 1]) its shape; {@code --weight} the input's shape
 * or one per entry of the last axis; {@code --pos-weight} one per entry of the last axis.
 */
final class BceOp implements LossOp {

    @Override
    public String name() {
        return "bce";
    }

    @Override
    public String description() {
        return "binary cross-entropy with logits, as torch.nn.functional.binary_cross_entropy_with_logits";
    }

    @Override
    public Set<String> options() {
        return Set.of("--target", "--weight", "--pos-weight");
    }

    @Override
    public LossResult compute(LossRequest r) {
        DenseInput in = DenseInput.of(r.logits().array(), r.bf16(), r.logits().name());
        DenseTensor target = in.sameShape(r.requireTarget(name()));
        long[] perClass = {in.lastDim()};
        float[] weight = r.weight() == null ? null
                : in.aux(r.weight(), "the input's shape or " + NpyArray.shapeString(perClass), in.shape(), perClass);
        float[] posWeight = r.posWeight() == null ? null : in.aux(r.posWeight(), NpyArray.shapeString(perClass), perClass);
        BinaryCrossEntropy bce = DenseInput.userErrors(() ->
                r.xent().binaryCrossEntropy().withReduction(r.reduction()).withWeight(weight).withPosWeight(posWeight));
        DenseTensor grad = r.wantGrad() ? in.newBuffer() : null;
        return in.result(DenseInput.userErrors(() -> grad == null ? bce.forward(in.tensor(), target)
                : bce.forwardBackward(in.tensor(), target, grad)), grad);
    }
}
