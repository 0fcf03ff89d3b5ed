package dev.xent.bench.peers;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.xent.bench.ComparedBenchmark;
import dev.xent.bench.Inputs;
import dev.xent.bench.Shape;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.Map;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * ONNX Runtime's fused SoftmaxCrossEntropyLoss (opset 13, mean), forward only (ORT's CPU
 * inference build has no gradient op), fp32 only (the CPU kernel takes float). The model is built
 * in code ({@link OnnxModel}); inputs are direct buffers wrapped once, not copied per call.
 */
@State(Scope.Benchmark)
public class OrtBench extends ComparedBenchmark {
    @Param({"4096x32768", "1024x131072", "65536x1024", "16x262144"})
    public String shape;

    @Param({"f32"})
    public String dtype;

    @Param({"0"})
    public int threads;

    private OrtEnvironment env;
    private OrtSession session;
    private OnnxTensor z;
    private OnnxTensor y;
    private Map<String, OnnxTensor> inputs;

    @Setup(Level.Trial)
    public void setUp() throws OrtException {
        Shape s = Shape.parse(shape);
        if (Inputs.dtype(dtype) != dev.xent.DType.F32) throw new IllegalArgumentException("ORT's CPU SoftmaxCrossEntropyLoss takes fp32 only");
        env = OrtEnvironment.getEnvironment();
        OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        options.setIntraOpNumThreads(Inputs.threads(threads));
        options.setInterOpNumThreads(1);
        options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
        session = env.createSession(OnnxModel.softmaxCrossEntropy(), options);
        float[] logits = Inputs.logitsF32(s);
        FloatBuffer zb = ByteBuffer.allocateDirect(logits.length * 4).order(ByteOrder.nativeOrder()).asFloatBuffer();
        zb.put(logits).flip();
        int[] labels = Inputs.labels(s);
        LongBuffer yb = ByteBuffer.allocateDirect(labels.length * 8).order(ByteOrder.nativeOrder()).asLongBuffer();
        for (int l : labels) yb.put(l);
        yb.flip();
        z = OnnxTensor.createTensor(env, zb, new long[] {s.n(), s.c()});
        y = OnnxTensor.createTensor(env, yb, new long[] {s.n()});
        inputs = Map.of("z", z, "y", y);
    }

    @Benchmark
    public float forward() throws OrtException {
        try (OrtSession.Result r = session.run(inputs)) {
            return ((OnnxTensor) r.get(0)).getFloatBuffer().get(0);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws OrtException {
        z.close();
        y.close();
        session.close();
    }
}
