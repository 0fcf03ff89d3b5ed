package dev.xent.bench.peers;

import dev.xent.bench.ComparedBenchmark;
import dev.xent.bench.Shape;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * libtorch's fastest way to the same numbers without autograd, every N x C result in a tensor
 * allocated once: forward {@code logsumexp_out(lse, z, 1)} then {@code mean(lse - z[y])};
 * forward+backward {@code log_softmax_out(g, z, 1)}, {@code nll_loss(g, y)}, {@code g.exp_()},
 * {@code g.scatter_(1, y, -1, "add")}, {@code g.mul_(1/N)}; backward from a saved lse
 * {@code sub_out(g, z, lse)}, {@code exp_}, the scatter and the scale.
 */
@State(Scope.Benchmark)
public class TorchPreallocBench extends ComparedBenchmark {
    @Param({"4096x32768", "1024x131072", "65536x1024", "16x262144"})
    public String shape;

    @Param({"f32", "bf16"})
    public String dtype;

    @Param({"0"})
    public int threads;

    private Tensor z;
    private Tensor y;
    private Tensor y2;
    private Tensor g;
    private Tensor lse;
    private Tensor lse2;
    private Tensor minusOne;
    private Scalar invN;

    @Setup(Level.Trial)
    public void setUp() {
        Shape s = Shape.parse(shape);
        Tensor[] in = Torch.inputs(s, dtype, threads);
        z = in[0];
        y = in[1];
        y2 = y.unsqueeze(1);
        g = torch.empty_like(z);
        lse = torch.logsumexp(z, new long[] {1}, false);
        lse2 = lse.unsqueeze(1);
        minusOne = Torch.as(torch.full(new long[] {s.n(), 1}, new Scalar(-1f)), dtype);
        invN = new Scalar(1.0 / s.n());
    }

    @Benchmark
    public float forward() {
        try (PointerScope scope = new PointerScope()) {
            torch.logsumexp_out(lse, z, new long[] {1}, false);
            return lse.sub(z.gather(1, y2).squeeze(1)).mean().item_float();
        }
    }

    @Benchmark
    public float forwardBackward() {
        try (PointerScope scope = new PointerScope()) {
            torch.log_softmax_out(g, z, 1);
            float loss = torch.nll_loss(g, y).item_float();
            g.exp_();
            g.scatter_(1, y2, minusOne, "add");
            g.mul_(invN);
            return loss;
        }
    }

    @Benchmark
    public Tensor backward() {
        try (PointerScope scope = new PointerScope()) {
            torch.sub_out(g, z, lse2, new Scalar(1));
            g.exp_();
            g.scatter_(1, y2, minusOne, "add");
            g.mul_(invN);
        }
        return g;
    }
}
