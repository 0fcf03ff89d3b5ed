package dev.xent.jcuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.xent.CrossEntropy;
import dev.xent.DType;
import dev.xent.DeviceLoss;
import dev.xent.DeviceMemory;
import dev.xent.IndexType;
import dev.xent.Logits;
import dev.xent.Stream;
import dev.xent.Targets;
import dev.xent.Xent;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import jcuda.Pointer;
import jcuda.driver.StreamHandles;
import jcuda.runtime.cudaStream_t;
import org.junit.jupiter.api.Test;

/** The README's JCuda snippet, run on cuda-emu: zero logits give log C and the gradient (1/C - [k = y]) / N. */
class JCudaSnippetTest {

    @Test
    void theReadmeSnippetRuns() {
        Xent gpu = Emulator.xent();
        int n = 4, c = 5;
        long[] labels = {0, 4, 2, 2};
        try (Arena arena = Arena.ofConfined(); Stream own = gpu.newStream()) {
            DeviceMemory zMemory = gpu.allocate(4L * n * c, arena);
            DeviceMemory yMemory = gpu.allocate(8L * n, arena);
            zMemory.copyFrom(new float[n * c]);
            yMemory.copyFrom(MemorySegment.ofArray(labels));
            Pointer z = new DevicePointer(zMemory.address());
            Pointer y = new DevicePointer(yMemory.address());
            cudaStream_t s = new cudaStream_t(StreamHandles.of(own.handle()));

            assertEquals((float) Math.log(c), step(gpu, z, y, s, n, c), 1e-6);
            float[] grad = new float[n * c], expected = new float[n * c];
            zMemory.copyTo(grad);
            for (int r = 0; r < n; r++) {
                for (int k = 0; k < c; k++) expected[r * c + k] = (float) ((1.0 / c - (k == labels[r] ? 1 : 0)) / n);
            }
            assertArrayEquals(expected, grad, 1e-8f);
        }
    }

    private static float step(Xent gpu, Pointer z, Pointer y, cudaStream_t s, int n, int c) {
        // readme:begin jcuda
        // z: fp32 logits (N, C) and y: int64 labels, from cudaMalloc (a Pointer) or cuMemAlloc (a CUdeviceptr)
        Logits logits = Logits.onDevice(JCudaTensors.wrap(gpu, z, 4L * n * c), DType.F32, n, c);
        Targets targets = Targets.classes(JCudaTensors.wrap(gpu, y, 8L * n), IndexType.I64);
        CrossEntropy ce = gpu.withStream(JCudaTensors.wrapStream(gpu, s)).crossEntropy();
        float loss;
        try (DeviceLoss out = ce.deviceOutputs(logits)) {
            ce.forwardBackward(logits, targets, logits, out); // enqueued on s: the gradient replaces z
            loss = out.readValue();                           // a synchronisation
        }
        // readme:end
        return loss;
    }
}
