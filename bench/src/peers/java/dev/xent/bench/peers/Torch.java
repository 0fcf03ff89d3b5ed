package dev.xent.bench.peers;

import dev.xent.bench.Inputs;
import dev.xent.bench.Shape;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/** libtorch (CPU, through JavaCPP) set-up shared by the two torch benchmarks. */
final class Torch {
    private Torch() {}

    /** Random N(0, 1) logits of the shape in fp32 or bf16, labels in [0, C), with torch's own generator and a fixed seed. */
    static Tensor[] inputs(Shape s, String dtype, int threads) {
        torch.set_num_threads(Inputs.threads(threads));
        torch.manual_seed(Inputs.SEED);
        Tensor z = torch.randn(new long[] {s.n(), s.c()}).mul_(new org.bytedeco.pytorch.Scalar(1.2f));
        z = as(z, dtype);
        Tensor y = torch.randint(s.c(), new long[] {s.n()});
        return new Tensor[] {z, y};
    }

    /** t in the benchmark's dtype. */
    static Tensor as(Tensor t, String dtype) {
        return Inputs.dtype(dtype) == dev.xent.DType.F32 ? t
                : t.to(torch.ScalarType.BFloat16, false, false, new org.bytedeco.pytorch.MemoryFormatOptional());
    }
}
