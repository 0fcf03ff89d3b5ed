package dev.xent.readme;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.xent.CrossEntropy;
import dev.xent.DType;
import dev.xent.DeviceLoss;
import dev.xent.DeviceMemory;
import dev.xent.EngineSource;
import dev.xent.IndexType;
import dev.xent.Logits;
import dev.xent.Stream;
import dev.xent.Targets;
import dev.xent.Xent;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

/** The README's device-memory snippet, run on cuda-emu: uniform logits give log C whatever the smoothing. */
class DeviceSnippetTest {

    @Test
    void theReadmeTrainingStepRuns() {
        Xent gpu = EngineSource.named("cuda-emu").xent();
        int n = 64, c = 1000;
        long[] labels = new long[n];
        for (int i = 0; i < n; i++) labels[i] = (i * 37L) % c;
        assertEquals(Math.log(c), trainingLoop(gpu, labels, n, c, 300), 1e-5);
    }

    private static float trainingLoop(Xent gpu, long[] labels, int n, int c, int steps) {
        // readme:begin device
        float loss = Float.NaN;
        try (Arena arena = Arena.ofConfined(); Stream stream = gpu.newStream()) {
            DeviceMemory z = gpu.allocate(4L * n * c, arena); // fp32 logits (N, C)
            DeviceMemory y = gpu.allocate(8L * n, arena);     // int64 labels
            y.copyFrom(MemorySegment.ofArray(labels));
            Logits logits = Logits.onDevice(z, DType.F32, n, c);
            Targets targets = Targets.classes(y, IndexType.I64);
            CrossEntropy ce = gpu.withStream(stream).crossEntropy().withLabelSmoothing(0.1);
            DeviceLoss out = ce.deviceOutputs(logits, arena);   // allocated once, reused every step
            for (int step = 0; step < steps; step++) {
                z.fill(0, stream);                               // stands in for the model's forward pass
                ce.forwardBackward(logits, targets, logits, out); // enqueued: the gradient replaces z
                if (step % 100 == 99) loss = out.readValue();     // a synchronisation, when you choose
            }
            out.checkInputs(); // throws naming the row and value of a bad label, if a step saw one
        }
        // readme:end
        return loss;
    }
}
