package dev.xent.jcuda;

import static jcuda.runtime.JCuda.cudaFree;
import static jcuda.runtime.JCuda.cudaMalloc;
import static jcuda.runtime.JCuda.cudaMemcpy;
import static jcuda.runtime.JCuda.cudaStreamCreate;
import static jcuda.runtime.JCuda.cudaStreamDestroy;
import static jcuda.runtime.cudaMemcpyKind.cudaMemcpyDeviceToHost;
import static jcuda.runtime.cudaMemcpyKind.cudaMemcpyHostToDevice;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.xent.CrossEntropy;
import dev.xent.DType;
import dev.xent.DeviceLoss;
import dev.xent.Engines;
import dev.xent.IndexType;
import dev.xent.Logits;
import dev.xent.Loss;
import dev.xent.Stream;
import dev.xent.Targets;
import dev.xent.Xent;
import java.util.Random;
import jcuda.Pointer;
import jcuda.runtime.JCuda;
import jcuda.runtime.cudaStream_t;
import org.junit.jupiter.api.Test;

/**
 * Memory and a stream JCuda made on a real GPU, used by the cuda engine. Runs only where the cuda
 * engine is available and JCuda's natives are on the class path ({@code mvn -Pjcuda-gpu}); skipped,
 * saying which is missing, everywhere else.
 */
class JCudaGpuTest {

    @Test
    void memoryAndAStreamFromJCudaRunOnTheCudaEngine() {
        Engines.Status cuda = Engines.report().stream().filter(s -> s.name().equals("cuda")).findFirst().orElseThrow();
        assumeTrue(cuda.available(), "engine cuda unavailable (no GPU or driver): " + cuda.detail());
        String jcuda = jcudaProblem();
        assumeTrue(jcuda == null, jcuda);
        JCuda.setExceptionsEnabled(true);

        Xent gpu = Xent.engine("cuda");
        int n = 8, c = 1000;
        Random rnd = new Random(5);
        float[] z = new float[n * c];
        for (int i = 0; i < z.length; i++) z[i] = (float) (4 * rnd.nextGaussian());
        long[] labels = new long[n];
        for (int r = 0; r < n; r++) labels[r] = rnd.nextInt(c);
        float[] hostGrad = new float[n * c];
        CrossEntropy ce = gpu.crossEntropy().withLabelSmoothing(0.1);
        Loss host = ce.forwardBackward(Logits.of(z.clone(), n, c), Targets.classes(labels), Logits.of(hostGrad, n, c));

        Pointer zDevice = new Pointer(), yDevice = new Pointer();
        cudaStream_t stream = new cudaStream_t();
        cudaMalloc(zDevice, 4L * n * c);
        cudaMalloc(yDevice, 8L * n);
        cudaStreamCreate(stream);
        try {
            cudaMemcpy(zDevice, Pointer.to(z), 4L * n * c, cudaMemcpyHostToDevice);
            cudaMemcpy(yDevice, Pointer.to(labels), 8L * n, cudaMemcpyHostToDevice);
            Stream s = JCudaTensors.wrapStream(gpu, stream);
            Logits logits = Logits.onDevice(JCudaTensors.wrap(gpu, zDevice, 4L * n * c), DType.F32, n, c);
            Targets targets = Targets.classes(JCudaTensors.wrap(gpu, yDevice, 8L * n), IndexType.I64);
            CrossEntropy onStream = ce.withStream(s);
            try (DeviceLoss out = onStream.deviceOutputs(logits)) {
                onStream.forwardBackward(logits, targets, logits, out);
                assertEquals(host.value(), out.readValue(), "the device call is the host call on the same engine");
            }
            float[] grad = new float[n * c];
            cudaMemcpy(Pointer.to(grad), zDevice, 4L * n * c, cudaMemcpyDeviceToHost);
            assertArrayEquals(hostGrad, grad, "gradient");
        } finally {
            cudaStreamDestroy(stream);
            cudaFree(zDevice);
            cudaFree(yDevice);
        }
    }

    /** Why JCuda cannot run here, or null. JCuda's class initialiser loads its natives, and throws without them. */
    private static String jcudaProblem() {
        int[] count = new int[1];
        int status;
        try {
            status = JCuda.cudaGetDeviceCount(count);
        } catch (LinkageError e) {
            return "JCuda's native libraries do not load (run with -Pjcuda-gpu to put them on the class path): " + e;
        }
        return status == 0 && count[0] > 0 ? null : "JCuda sees no device: " + JCuda.cudaGetErrorString(status);
    }
}
