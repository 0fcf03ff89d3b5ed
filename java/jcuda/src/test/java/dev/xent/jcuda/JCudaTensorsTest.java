package dev.xent.jcuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.xent.CrossEntropy;
import dev.xent.DType;
import dev.xent.DeviceLoss;
import dev.xent.DeviceMemory;
import dev.xent.IndexType;
import dev.xent.Logits;
import dev.xent.Loss;
import dev.xent.Stream;
import dev.xent.Targets;
import dev.xent.Xent;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUstream;
import jcuda.driver.StreamHandles;
import jcuda.runtime.cudaStream_t;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * JCuda pointers and streams over memory and streams cuda-emu made (JCuda's natives are not on
 * the class path: nothing here may need them). Surefire runs the emulator with two devices
 * (XENT_EMU_DEVICE_COUNT=2), so that a wrapped stream's device can differ from the Xent's.
 */
class JCudaTensorsTest {
    private static Xent emu;

    @BeforeAll
    static void emulator() {
        emu = Emulator.xent();
    }

    @Test
    void crossEntropyOnAnOffsetPointerIsTheHostCallAndTheReference() {
        int n = 6, c = 38;
        long seed = 17;
        Random rnd = new Random(seed);
        float[] z = new float[n * c];
        for (int i = 0; i < z.length; i++) z[i] = (float) (3 * rnd.nextGaussian());
        long[] labels = new long[n];
        for (int r = 0; r < n; r++) labels[r] = rnd.nextInt(c);
        labels[0] = 0;
        labels[n - 1] = c - 1;
        long logitBytes = 4L * n * c, offset = 64;

        CrossEntropy ce = emu.crossEntropy();
        float[] hostGrad = new float[n * c];
        Loss host = ce.forwardBackward(Logits.of(z.clone(), n, c), Targets.classes(labels), Logits.of(hostGrad, n, c));

        try (Arena arena = Arena.ofConfined()) {
            // one allocation as a framework would hold it: logits at a byte offset, then labels, then the gradient
            DeviceMemory block = emu.allocate(offset + 2 * logitBytes + 8L * n, arena);
            Pointer base = new DevicePointer(block.address());
            DeviceMemory logitMemory = JCudaTensors.wrap(emu, base.withByteOffset(offset), logitBytes);
            DeviceMemory labelMemory = JCudaTensors.wrap(emu, base.withByteOffset(offset + logitBytes), 8L * n);
            DeviceMemory gradMemory = JCudaTensors.wrap(emu, base.withByteOffset(offset + logitBytes + 8L * n), logitBytes);
            assertEquals(block.address() + offset, logitMemory.address(), "the address is the pointer's plus its byte offset");
            logitMemory.copyFrom(z);
            labelMemory.copyFrom(MemorySegment.ofArray(labels));

            Logits logits = Logits.onDevice(logitMemory, DType.F32, n, c);
            DeviceLoss out = ce.deviceOutputs(logits, arena);
            ce.forwardBackward(logits, Targets.classes(labelMemory, IndexType.I64), logits.sameLayoutOn(gradMemory), out);
            float[] rowLoss = out.readPerRow();
            float[] grad = new float[n * c];
            gradMemory.copyTo(grad);
            assertArrayEquals(host.perRow(), rowLoss, "per-row losses, seed " + seed);
            assertEquals(host.value(), out.readValue(), "mean loss, seed " + seed);
            assertArrayEquals(hostGrad, grad, "gradient, seed " + seed);

            // plain cross-entropy in float64: loss_r = lse_r - z_{r,y_r}, mean over the rows, gradient (p - onehot) / n
            double mean = 0;
            for (int r = 0; r < n; r++) {
                double max = Double.NEGATIVE_INFINITY, sum = 0;
                for (int k = 0; k < c; k++) max = Math.max(max, z[r * c + k]);
                for (int k = 0; k < c; k++) sum += Math.exp(z[r * c + k] - max);
                double lse = max + Math.log(sum);
                double loss = lse - z[r * c + (int) labels[r]];
                mean += loss / n;
                assertEquals(loss, rowLoss[r], 1e-6 + 1e-6 * loss, "row " + r + ", seed " + seed);
                for (int k = 0; k < c; k++) {
                    double p = Math.exp(z[r * c + k] - lse);
                    double g = (p - (k == labels[r] ? 1 : 0)) / n;
                    assertEquals(g, grad[r * c + k], 1e-8 + 1e-6 * Math.abs(g), "gradient " + r + "," + k + ", seed " + seed);
                }
            }
            assertEquals(mean, out.readValue(), 1e-6 * mean, "mean loss, seed " + seed);
        }
    }

    @Test
    void runtimeAndDriverStreamsAreWrappedWithTheirDevice() {
        assumeTrue(emu.engine().device().orElseThrow().deviceCount() >= 2,
                "one device: surefire sets XENT_EMU_DEVICE_COUNT=2 for this test");
        Xent second = emu.onDevice(1);
        int n = 3, c = 10;
        try (Arena arena = Arena.ofConfined(); Stream own0 = emu.newStream(); Stream own1 = second.newStream()) {
            CUstream driver = StreamHandles.of(own0.handle());
            cudaStream_t runtime = new cudaStream_t(StreamHandles.of(own1.handle()));
            Stream s0 = JCudaTensors.wrapStream(emu, driver);
            Stream s1 = JCudaTensors.wrapStream(emu, runtime); // the Xent is on device 0, the stream on 1
            assertEquals(own0.handle(), s0.handle());
            assertEquals(own1.handle(), s1.handle());
            assertEquals(0, s0.device());
            assertEquals(1, s1.device(), "a wrapped stream's device is asked of the runtime");
            assertEquals(1, JCudaTensors.wrapStream(second, new cudaStream_t()).device(), "NULL: the Xent's default stream");

            assertEquals((float) Math.log(c), uniformLoss(emu, s0, arena, n, c), 1e-6);
            assertEquals((float) Math.log(c), uniformLoss(second, s1, arena, n, c), 1e-6);
            s1.close();
            own1.synchronize(); // closing the view destroyed nothing
        }
    }

    @Test
    void aNullHandleIsTheDefaultStream() {
        Stream runtime = JCudaTensors.wrapStream(emu, new cudaStream_t());
        Stream driver = JCudaTensors.wrapStream(emu, new CUstream());
        assertEquals(0, runtime.handle());
        assertEquals(0, driver.handle());
        assertEquals(0, runtime.device());
        runtime.synchronize();
        refused(() -> JCudaTensors.wrapStream(emu, (cudaStream_t) null), "null cudaStream_t");
        refused(() -> JCudaTensors.wrapStream(emu, (CUstream) null), "null CUstream");
    }

    @Test
    void pointersThatAreNotDeviceMemoryAreRefused() {
        refused(() -> JCudaTensors.wrap(emu, null, 16), "null jcuda.Pointer");
        refused(() -> JCudaTensors.wrap(emu, new Pointer(), 16), "NULL");
        refused(() -> JCudaTensors.wrap(emu, new CUdeviceptr().withByteOffset(64), 16), "NULL");
        refused(() -> JCudaTensors.wrap(emu, Pointer.to(new float[4]), 16), "Java array or buffer");
        long host = Arena.ofAuto().allocate(64).address();
        refused(() -> JCudaTensors.wrap(emu, new DevicePointer(host), 64),
                "address 0x" + Long.toHexString(host) + " is not device memory of cuda-emu");
    }

    @Test
    void aViewUsedAsLargerLogitsThanItsSizeIsRefused() {
        int n = 4, c = 8;
        try (DeviceMemory block = emu.allocate(4L * (n + 1) * c)) {
            DeviceMemory view = JCudaTensors.wrap(emu, new DevicePointer(block.address()), 4L * n * c);
            assertEquals(4L * n * c, view.byteSize(), "the view is the size asked for, not its allocation's");
            refused(() -> Logits.onDevice(view, DType.F32, n + 1, c), "needs " + 4 * (n + 1) * c + " bytes");
        }
    }

    /** The mean cross-entropy of zero logits on {@code stream}: log c. */
    private static float uniformLoss(Xent xent, Stream stream, Arena arena, int n, int c) {
        DeviceMemory z = xent.allocate(4L * n * c, arena);
        DeviceMemory y = xent.allocate(4L * n, arena);
        z.fill(0, stream);
        y.fill(0, stream);
        Logits logits = Logits.onDevice(z, DType.F32, n, c);
        CrossEntropy ce = xent.crossEntropy().withStream(stream);
        DeviceLoss out = ce.deviceOutputs(logits, arena);
        ce.forward(logits, Targets.classes(y, IndexType.I32), out);
        return out.readValue();
    }

    private static void refused(Runnable call, String message) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call::run);
        assertTrue(e.getMessage().contains(message), "expected '" + message + "' in: " + e.getMessage());
    }
}
