package dev.xent.bench.peers;

import dev.xent.bench.ComparedBenchmark;
import dev.xent.bench.Shape;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * libtorch as a training loop calls it: {@code loss = cross_entropy(z, y); loss.backward()} on a
 * leaf that requires grad, the gradient reset to undefined before each step (PyTorch's
 * {@code zero_grad(set_to_none=True)}), so autograd allocates it, and log_softmax's saved output,
 * every step. forward: the same call building the graph, no backward.
 */
@State(Scope.Benchmark)
public class TorchAutogradBench extends ComparedBenchmark {
    @Param({"4096x32768", "1024x131072", "65536x1024", "16x262144"})
    public String shape;

    @Param({"f32", "bf16"})
    public String dtype;

    @Param({"0"})
    public int threads;

    private Tensor z;
    private Tensor y;

    @Setup(Level.Trial)
    public void setUp() {
        Tensor[] in = Torch.inputs(Shape.parse(shape), dtype, threads);
        z = in[0];
        y = in[1];
        z.set_requires_grad(true);
    }

    @Benchmark
    public float forward() {
        try (PointerScope scope = new PointerScope()) {
            return torch.cross_entropy_loss(z, y).item_float();
        }
    }

    @Benchmark
    public float forwardBackward() {
        try (PointerScope scope = new PointerScope()) {
            z.mutable_grad().reset();
            Tensor loss = torch.cross_entropy_loss(z, y);
            loss.backward();
            return loss.item_float();
        }
    }
}
