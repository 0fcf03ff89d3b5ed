package dev.xent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.xent.engine.DeviceRuntime;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Tensors in device memory through the public API, on cuda-emu (the same kernels on host threads)
 * and, on a GPU, cuda:
 * every result is the host call's, bit for bit, and the float64 reference's within the kernels'
 * tolerance; the calls only enqueue (the emulator counts synchronising runtime calls); bad
 * arguments are refused by name. Surefire runs the emulator with two devices
 * (XENT_EMU_DEVICE_COUNT=2) so that memory and streams of different devices can meet.
 */
class DeviceTensorTest {
    /** The engines with device memory: cuda-emu here, and cuda on a GPU (skipped with the reason elsewhere). */
    static List<EngineSource.EngineCase> deviceEngines() {
        return List.of(EngineSource.named("cuda-emu"), EngineSource.named("cuda"));
    }

    static List<Arguments> casesOnDeviceEngines() {
        List<Arguments> out = new ArrayList<>();
        for (EngineSource.EngineCase e : deviceEngines()) for (Case k : cases()) out.add(Arguments.of(e, k));
        return out;
    }

    private static DeviceRuntime runtime(Xent gpu) {
        return gpu.engine().device().orElseThrow();
    }

    /** One cross-entropy configuration: its options and its logits. */
    record Case(String name, DType dtype, int n, int c, Reduction reduction, boolean probabilities, boolean weights,
            double smoothing, double scale, double softcap, double zLoss, boolean awkward) {
        CrossEntropy loss(Xent xent) {
            CrossEntropy ce = xent.crossEntropy().withReduction(reduction).withLabelSmoothing(smoothing)
                    .withLogitScale(scale).withZLoss(zLoss);
            if (softcap > 0) ce = ce.withSoftcap(softcap);
            if (weights) {
                float[] w = new float[c];
                for (int k = 0; k < c; k++) w[k] = 0.25f + (k % 7) * 0.25f;
                ce = ce.withWeight(w);
            }
            return ce;
        }

        @Override
        public String toString() {
            return name + " " + dtype + " " + n + "x" + c + " " + reduction;
        }
    }

    static List<Case> cases() {
        List<Case> cases = new ArrayList<>();
        for (Reduction r : Reduction.values()) {
            cases.add(new Case("plain", DType.F32, 7, 300, r, false, false, 0, 1, 0, 0, false));
            cases.add(new Case("weights+smoothing+ignore", DType.F32, 9, 50, r, false, true, 0.1, 1, 0, 0, false));
            cases.add(new Case("scale+softcap+z-loss", DType.F32, 6, 120, r, false, true, 0, 0.7, 30, 1e-3, false));
            cases.add(new Case("probabilities", DType.F32, 5, 64, r, true, true, 0.05, 1, 0, 1e-4, false));
        }
        // x20..x50 scales, rows offset by +-1000, -inf masks, confident rows
        cases.add(new Case("awkward", DType.F32, 8, 257, Reduction.MEAN, false, false, 0, 1, 0, 0, true));
        cases.add(new Case("awkward bf16", DType.BF16, 8, 257, Reduction.SUM, false, false, 0.1, 1, 0, 0, true));
        cases.add(new Case("V = 1", DType.F32, 4, 1, Reduction.MEAN, false, false, 0, 1, 0, 0, false));
        cases.add(new Case("split rows", DType.F32, 3, 9000, Reduction.MEAN, false, false, 0, 1, 0, 1e-4, false));
        return cases;
    }

    /** Logits as the engine stores them (already rounded to the dtype), and labels with one ignored row. */
    private record Inputs(double[][] z, long[] labels, double[][] probabilities) {
        static Inputs of(Case k, long seed) {
            Random rnd = new Random(seed);
            double[][] z = new double[k.n][k.c];
            long[] y = new long[k.n];
            double[][] t = new double[k.n][k.c];
            for (int r = 0; r < k.n; r++) {
                double scale = k.awkward ? 20 + 30.0 * r / k.n : 2;
                double offset = k.awkward ? (r % 3 - 1) * 1000.0 : 0;
                y[r] = rnd.nextInt(k.c);
                double sum = 0;
                for (int j = 0; j < k.c; j++) {
                    z[r][j] = Reference.round(k.dtype, (float) (offset + scale * rnd.nextGaussian()));
                    t[r][j] = Reference.round(k.dtype, (float) rnd.nextDouble());
                    sum += t[r][j];
                }
                for (int j = 0; j < k.c; j++) t[r][j] = Reference.round(k.dtype, (float) (t[r][j] / sum));
                // confident and correct (loss near 0, never below), and a masked class
                if (k.awkward && r % 4 == 1) z[r][(int) y[r]] = Reference.round(k.dtype, (float) (offset + 8 * scale));
                if (k.awkward && r % 4 == 2 && k.c > 1) z[r][(int) ((y[r] + 1) % k.c)] = Double.NEGATIVE_INFINITY;
            }
            if (k.n > 2 && !k.probabilities) y[2] = CrossEntropy.DEFAULT_IGNORE_INDEX;
            return new Inputs(z, y, t);
        }

        MemorySegment logitsHost(DType dtype) {
            return encode(dtype, z);
        }

        MemorySegment probabilitiesHost(DType dtype) {
            return encode(dtype, probabilities);
        }

        private static MemorySegment encode(DType dtype, double[][] a) {
            int n = a.length, c = a[0].length;
            if (dtype == DType.F32) {
                float[] f = new float[n * c];
                for (int r = 0; r < n; r++) for (int j = 0; j < c; j++) f[r * c + j] = (float) a[r][j];
                return MemorySegment.ofArray(f);
            }
            short[] s = new short[n * c];
            for (int r = 0; r < n; r++) for (int j = 0; j < c; j++) s[r * c + j] = Reference.bits(dtype, (float) a[r][j]);
            return MemorySegment.ofArray(s);
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("casesOnDeviceEngines")
    void crossEntropyOnDeviceIsTheHostCallAndTheReference(EngineSource.EngineCase engine, Case k) {
        Xent gpu = engine.xent();
        Inputs in = Inputs.of(k, 31 + k.c);
        CrossEntropy ce = k.loss(gpu);
        MemorySegment zHost = in.logitsHost(k.dtype);
        long bytes = zHost.byteSize();
        Targets hostTargets = k.probabilities ? Targets.probabilities(in.probabilitiesHost(k.dtype), k.dtype)
                : Targets.classes(in.labels);

        // the host call on the same engine
        MemorySegment hostLogits = copy(zHost);
        MemorySegment hostGrad = Arena.ofAuto().allocate(bytes, 8);
        Loss host = ce.forwardBackward(Logits.of(hostLogits, k.dtype, k.n, k.c), hostTargets,
                Logits.of(hostGrad, k.dtype, k.n, k.c));

        try (Arena arena = Arena.ofConfined(); Stream stream = gpu.newStream()) {
            DeviceMemory z = gpu.allocate(bytes, arena);
            DeviceMemory g = gpu.allocate(bytes, arena);
            z.copyFrom(zHost);
            Targets targets;
            if (k.probabilities) {
                DeviceMemory t = gpu.allocate(bytes, arena);
                t.copyFrom(in.probabilitiesHost(k.dtype));
                targets = Targets.probabilities(t, k.dtype);
            } else {
                DeviceMemory y = gpu.allocate(8L * k.n, arena);
                y.copyFrom(MemorySegment.ofArray(in.labels));
                targets = Targets.classes(y, IndexType.I64);
            }
            Logits logits = Logits.onDevice(z, k.dtype, k.n, k.c);
            CrossEntropy onStream = ce.withStream(stream);
            DeviceLoss out = onStream.deviceOutputs(logits, arena);
            assertEquals(out, onStream.forwardBackward(logits, targets, logits.sameLayoutOn(g), out));

            float[] rowLoss = out.readPerRow();
            assertArrayEquals(host.perRow(), rowLoss, k + ": per-row losses");
            assertArrayEquals(host.lse(), out.readLse(), k + ": lse");
            assertEquals(host.denominator(), out.readDenominator(), k + ": denominator");
            assertEquals(host.zLoss(), out.readZLoss(), k + ": z-loss part");
            if (k.reduction != Reduction.NONE) assertEquals(host.value(), out.readValue(), k + ": reduced loss");
            MemorySegment grad = Arena.ofAuto().allocate(bytes, 8);
            g.copyTo(grad, stream);
            assertEquals(-1, grad.mismatch(hostGrad), k + ": gradient");
            MemorySegment unchanged = Arena.ofAuto().allocate(bytes, 8);
            z.copyTo(unchanged, stream);
            assertEquals(-1, unchanged.mismatch(zHost), k + ": logits must stay as they were");
            out.checkInputs();

            // and the float64 reference, independently
            double[] w = null;
            if (k.weights) {
                w = new double[k.c];
                for (int j = 0; j < k.c; j++) w[j] = 0.25 + (j % 7) * 0.25;
            }
            Reference.Extras x = new Reference.Extras(k.scale, k.softcap, k.zLoss);
            Reference.Result ref = k.probabilities
                    ? Reference.soft(in.z, in.probabilities, w, k.smoothing, k.reduction, null, null, x)
                    : Reference.hard(in.z, in.labels, w, CrossEntropy.DEFAULT_IGNORE_INDEX, k.smoothing, k.reduction, null, null, x);
            double wmax = k.weights ? 1.75 : 1;
            for (int r = 0; r < k.n; r++) {
                assertTrue(rowLoss[r] >= 0, k + ": row " + r + " loss " + rowLoss[r] + " < 0");
                Check.scalar("row loss " + r, rowLoss[r], ref.rowLoss()[r], 2e-6 * wmax * (1 + 10 * k.smoothing) + 1e-7, 4e-6, k);
            }
            if (k.reduction != Reduction.NONE) {
                Check.scalar("reduced loss", out.readValue(), ref.reduced(), 1e-5 * wmax, 1e-5, k);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("deviceEngines")
    void backwardFromTheSavedLseWithAnUpstreamPerRow(EngineSource.EngineCase engine) {
        Xent gpu = engine.xent();
        int n = 6, c = 40;
        Case k = new Case("backward", DType.F32, n, c, Reduction.NONE, false, false, 0, 1, 0, 0, false);
        Inputs in = Inputs.of(k, 7);
        CrossEntropy ce = gpu.crossEntropy().withReduction(Reduction.NONE);
        float[] up = {0.5f, 1, 2, -1, 0, 3};
        MemorySegment zHost = in.logitsHost(DType.F32);
        float[] hostGrad = new float[n * c];
        Logits hostLogits = Logits.of(copy(zHost), DType.F32, n, c);
        Loss forward = ce.forward(hostLogits, Targets.classes(in.labels));
        ce.backward(hostLogits, Targets.classes(in.labels), forward.lse(), up, Logits.of(hostGrad, n, c));
        try (Arena arena = Arena.ofConfined()) {
            DeviceMemory z = gpu.allocate(zHost.byteSize(), arena);
            DeviceMemory y = gpu.allocate(8L * n, arena);
            DeviceMemory u = gpu.allocate(4L * n, arena);
            z.copyFrom(zHost);
            y.copyFrom(MemorySegment.ofArray(in.labels));
            u.copyFrom(up);
            Logits logits = Logits.onDevice(z, DType.F32, n, c);
            Targets targets = Targets.classes(y, IndexType.I64);
            DeviceLoss saved = ce.deviceOutputs(logits, arena);
            ce.forward(logits, targets, saved);
            ce.backward(logits, targets, saved, u, logits); // in place, from the saved lse
            float[] grad = new float[n * c];
            z.copyTo(grad);
            assertArrayEquals(hostGrad, grad);
            DeviceMemory scalar = gpu.allocate(4, arena);
            assertThrows(IllegalArgumentException.class, () -> ce.backward(logits, targets, saved, scalar, logits),
                    "NONE needs one upstream value per row");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("deviceEngines")
    void softmaxFamilyOnDeviceIsTheHostCall(EngineSource.EngineCase engine) {
        Xent gpu = engine.xent();
        int n = 5, c = 77;
        Inputs in = Inputs.of(new Case("softmax", DType.F32, n, c, Reduction.MEAN, false, false, 0, 1, 0, 0, true), 3);
        MemorySegment zHost = in.logitsHost(DType.F32);
        float[] logSoftmax = new float[n * c], softmax = new float[n * c];
        gpu.logSoftmax(Logits.of(zHost, DType.F32, n, c), Logits.of(logSoftmax, n, c));
        gpu.softmax(Logits.of(zHost, DType.F32, n, c), Logits.of(softmax, n, c));
        float[] lse = gpu.logSumExp(Logits.of(zHost, DType.F32, n, c));
        try (Arena arena = Arena.ofConfined(); Stream stream = gpu.newStream()) {
            Xent onStream = gpu.withStream(stream);
            DeviceMemory z = gpu.allocate(zHost.byteSize(), arena);
            DeviceMemory out = gpu.allocate(zHost.byteSize(), arena);
            DeviceMemory rows = gpu.allocate(4L * n, arena);
            z.copyFrom(zHost);
            Logits logits = Logits.onDevice(z, DType.F32, n, c);
            onStream.logSoftmax(logits, logits.sameLayoutOn(out));
            onStream.logSumExp(logits, rows);
            float[] got = new float[n * c];
            out.copyTo(MemorySegment.ofArray(got), stream);
            assertArrayEquals(logSoftmax, got, "log-softmax");
            float[] gotLse = new float[n];
            rows.copyTo(MemorySegment.ofArray(gotLse), stream);
            assertArrayEquals(lse, gotLse, "log-sum-exp");
            onStream.softmax(logits, logits); // in place
            z.copyTo(MemorySegment.ofArray(got), stream);
            assertArrayEquals(softmax, got, "softmax in place");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("deviceEngines")
    void nllOnDeviceIsTheHostCallAndTheReference(EngineSource.EngineCase engine) {
        Xent gpu = engine.xent();
        int n = 9, c = 33;
        Case k = new Case("nll", DType.F32, n, c, Reduction.NONE, false, false, 0, 1, 0, 0, true);
        Inputs in = Inputs.of(k, 5);
        float[] w = new float[c];
        for (int j = 0; j < c; j++) w[j] = 0.5f + j % 3;
        float[] up = new float[n];
        for (int r = 0; r < n; r++) up[r] = r - 3;
        NllLoss nll = gpu.nllLoss().withWeight(w).withReduction(Reduction.NONE);
        MemorySegment x = in.logitsHost(DType.F32);
        float[] hostGrad = new float[n * c];
        Loss host = nll.forwardBackward(Logits.of(x, DType.F32, n, c), Targets.classes(in.labels), up, Logits.of(hostGrad, n, c));
        try (Arena arena = Arena.ofConfined(); Stream stream = gpu.newStream()) {
            DeviceMemory xd = gpu.allocate(x.byteSize(), arena);
            DeviceMemory y = gpu.allocate(8L * n, arena);
            DeviceMemory u = gpu.allocate(4L * n, arena);
            xd.copyFrom(x);
            y.copyFrom(MemorySegment.ofArray(in.labels));
            u.copyFrom(up);
            Logits input = Logits.onDevice(xd, DType.F32, n, c);
            NllLoss onStream = nll.withStream(stream);
            DeviceLoss out = onStream.deviceOutputs(input, arena);
            onStream.forwardBackward(input, Targets.classes(y, IndexType.I64), u, input, out);
            float[] rows = out.readPerRow();
            assertArrayEquals(host.perRow(), rows);
            float[] grad = new float[n * c];
            xd.copyTo(MemorySegment.ofArray(grad), stream);
            assertArrayEquals(hostGrad, grad);
            assertThrows(IllegalStateException.class, out::lse, "NLL keeps no lse");
            double[] wd = new double[c];
            for (int j = 0; j < c; j++) wd[j] = w[j];
            PairReference.Nll ref = PairReference.nll(in.z, in.labels, wd, CrossEntropy.DEFAULT_IGNORE_INDEX, Reduction.NONE, null);
            Check.vector("nll rows", Check.toDouble(rows), ref.rowLoss(), 0, 1e-7, k);
            refused(() -> onStream.forward(input, Targets.classes(y, IndexType.I64), gpu.crossEntropy()
                    .withReduction(Reduction.NONE).deviceOutputs(input, arena)), "other options");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("deviceEngines")
    void distillationOnDeviceIsTheHostCallAndTheReference(EngineSource.EngineCase engine) {
        Xent gpu = engine.xent();
        int n = 7, c = 150;
        Case k = new Case("distill", DType.F32, n, c, Reduction.MEAN, false, false, 0, 1, 0, 0, false);
        Inputs student = Inputs.of(k, 11), teacher = Inputs.of(k, 12);
        float[] w = new float[c];
        for (int j = 0; j < c; j++) w[j] = 1 + (j % 5) * 0.5f;
        Distillation distill = gpu.distillation().withTemperature(2).withAlpha(0.6).withWeight(w);
        MemorySegment zs = student.logitsHost(DType.F32), zt = teacher.logitsHost(DType.F32);
        float[] hostGrad = new float[n * c];
        DistillLoss host = distill.forwardBackward(Logits.of(zs, DType.F32, n, c), Logits.of(zt, DType.F32, n, c),
                Targets.classes(student.labels), Logits.of(hostGrad, n, c));
        try (Arena arena = Arena.ofConfined(); Stream stream = gpu.newStream()) {
            DeviceMemory s = gpu.allocate(zs.byteSize(), arena), t = gpu.allocate(zt.byteSize(), arena);
            DeviceMemory g = gpu.allocate(zs.byteSize(), arena), y = gpu.allocate(8L * n, arena);
            s.copyFrom(zs);
            t.copyFrom(zt);
            y.copyFrom(MemorySegment.ofArray(student.labels));
            Logits sd = Logits.onDevice(s, DType.F32, n, c), td = Logits.onDevice(t, DType.F32, n, c);
            Distillation onStream = distill.withStream(stream);
            DeviceDistillLoss out = onStream.deviceOutputs(sd, arena);
            onStream.forwardBackward(sd, td, Targets.classes(y, IndexType.I64), null, sd.sameLayoutOn(g), out);
            assertArrayEquals(host.perRow(), out.readPerRow());
            assertArrayEquals(host.perRowKl(), out.readPerRowKl());
            assertEquals(host.value(), out.readValue());
            assertEquals(host.denominator(), out.readDenominator());
            assertEquals(host.hardDenominator(), out.readHardDenominator());
            float[] grad = new float[n * c];
            g.copyTo(MemorySegment.ofArray(grad), stream);
            assertArrayEquals(hostGrad, grad);
            out.checkInputs();
            double[] wd = new double[c];
            for (int j = 0; j < c; j++) wd[j] = w[j];
            PairReference.Distill ref = PairReference.distill(teacher.z, student.z, n, 2, 0.6, student.labels, wd,
                    CrossEntropy.DEFAULT_IGNORE_INDEX, Reduction.MEAN, 1);
            Check.scalar("distillation loss", out.readValue(), ref.reduced(), 1e-6, 1e-5, k);
            refused(() -> onStream.withAlpha(1).forward(sd, td, null, out), "other options");
            refused(() -> onStream.forward(sd, td, null, out), "pass the targets");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("deviceEngines")
    void entropyAndJensenShannonOnDeviceAreTheHostCalls(EngineSource.EngineCase engine) {
        Xent gpu = engine.xent();
        int n = 6, c = 90;
        Case k = new Case("pair", DType.F32, n, c, Reduction.MEAN, false, false, 0, 1, 0, 0, true);
        MemorySegment zp = Inputs.of(k, 21).logitsHost(DType.F32), zq = Inputs.of(k, 22).logitsHost(DType.F32);
        float[] hostEntropyGrad = new float[n * c], hostGradQ = new float[n * c];
        float[] hostEntropy = gpu.entropy(Logits.of(zp, DType.F32, n, c), Logits.of(hostEntropyGrad, n, c));
        float[] hostJs = gpu.jensenShannon(Logits.of(zp, DType.F32, n, c), Logits.of(zq, DType.F32, n, c), null,
                Logits.of(hostGradQ, n, c));
        try (Arena arena = Arena.ofConfined(); Stream stream = gpu.newStream()) {
            Xent onStream = gpu.withStream(stream);
            DeviceMemory p = gpu.allocate(zp.byteSize(), arena), q = gpu.allocate(zq.byteSize(), arena);
            DeviceMemory g = gpu.allocate(zp.byteSize(), arena), rows = gpu.allocate(4L * n, arena);
            p.copyFrom(zp);
            q.copyFrom(zq);
            Logits pd = Logits.onDevice(p, DType.F32, n, c), qd = Logits.onDevice(q, DType.F32, n, c);
            onStream.entropy(pd, pd.sameLayoutOn(g), rows);
            float[] values = new float[n], grad = new float[n * c];
            rows.copyTo(MemorySegment.ofArray(values), stream);
            g.copyTo(MemorySegment.ofArray(grad), stream);
            assertArrayEquals(hostEntropy, values, "entropy");
            assertArrayEquals(hostEntropyGrad, grad, "entropy gradient");
            onStream.jensenShannon(pd, qd, null, qd, rows); // gradient w.r.t. q, in place
            rows.copyTo(MemorySegment.ofArray(values), stream);
            q.copyTo(MemorySegment.ofArray(grad), stream);
            assertArrayEquals(hostJs, values, "Jensen-Shannon");
            assertArrayEquals(hostGradQ, grad, "Jensen-Shannon gradient");
            refused(() -> gpu.entropy(pd), "give them a DeviceMemory out");
            refused(() -> gpu.kl(pd, qd), "distillation takes host memory");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("deviceEngines")
    void elementwiseLossesOnDeviceAreTheHostCalls(EngineSource.EngineCase engine) {
        Xent gpu = engine.xent();
        int rows = 5, last = 12, n = rows * last;
        Random rnd = new Random(99);
        float[] x = new float[n], t = new float[n], counts = new float[n], w = new float[last], pw = new float[last];
        float[] var = new float[rows], up = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (3 * rnd.nextGaussian());
            t[i] = rnd.nextFloat();
            counts[i] = rnd.nextInt(5);
            up[i] = 1 + i % 3;
        }
        for (int j = 0; j < last; j++) {
            w[j] = 0.5f + j % 4;
            pw[j] = 2 - j % 2;
        }
        for (int r = 0; r < rows; r++) var[r] = 0.25f + r;
        BinaryCrossEntropy bce = gpu.binaryCrossEntropy().withWeight(w).withPosWeight(pw).withReduction(Reduction.NONE);
        float[] bceGrad = new float[n];
        ElementwiseLoss bceHost = bce.forwardBackward(DenseTensor.of(x.clone(), rows, last), DenseTensor.of(t, rows, last), up,
                DenseTensor.of(bceGrad, rows, last));
        GaussianNll gauss = gpu.gaussianNll().withReduction(Reduction.SUM).withFull(true);
        float[] gaussGrad = new float[n], varGrad = new float[rows];
        ElementwiseLoss gaussHost = gauss.forwardBackward(DenseTensor.of(x.clone(), rows, last), DenseTensor.of(t, rows, last),
                var, 2f, DenseTensor.of(gaussGrad, rows, last), varGrad);
        PoissonNll poisson = gpu.poissonNll().withLogInput(true);
        ElementwiseLoss poissonHost = poisson.forward(DenseTensor.of(x.clone(), rows, last), DenseTensor.of(counts, rows, last));
        try (Arena arena = Arena.ofConfined(); Stream stream = gpu.newStream()) {
            DeviceMemory xd = gpu.allocate(4L * n, arena), td = gpu.allocate(4L * n, arena), cd = gpu.allocate(4L * n, arena);
            DeviceMemory g = gpu.allocate(4L * n, arena), ud = gpu.allocate(4L * n, arena), two = gpu.allocate(4, arena);
            DeviceMemory vd = gpu.allocate(4L * rows, arena), vg = gpu.allocate(4L * rows, arena);
            xd.copyFrom(x);
            td.copyFrom(t);
            cd.copyFrom(counts);
            ud.copyFrom(up);
            two.copyFrom(new float[] {2f});
            vd.copyFrom(var);
            DenseTensor input = DenseTensor.onDevice(xd, DType.F32, rows, last);
            DenseTensor target = DenseTensor.onDevice(td, DType.F32, rows, last);
            BinaryCrossEntropy bceOn = bce.withStream(stream);
            DeviceElementwiseLoss bceOut = bceOn.deviceOutputs(input, arena);
            bceOn.forwardBackward(input, target, ud, input.sameShapeOn(g), bceOut);
            assertArrayEquals(bceHost.perRow(), bceOut.readPerRow(), "BCE per element");
            float[] got = new float[n];
            g.copyTo(MemorySegment.ofArray(got), stream);
            assertArrayEquals(bceGrad, got, "BCE gradient");
            assertEquals(n, bceOut.readDenominator());
            double z = x[7], y = t[7], ref = w[7 % last] * (pw[7 % last] * y * Math.log1p(Math.exp(-z)) + (1 - y) * Math.log1p(Math.exp(z)));
            Check.scalar("BCE element 7", bceOut.readPerRow()[7], ref, 1e-6, 1e-5, "bce");

            GaussianNll gaussOn = gauss.withStream(stream);
            DeviceElementwiseLoss gaussOut = gaussOn.deviceOutputs(input, arena);
            gaussOn.forwardBackward(input, target, vd, two, input.sameShapeOn(g), vg, gaussOut);
            assertEquals(gaussHost.value(), gaussOut.readValue(), "Gaussian NLL");
            g.copyTo(MemorySegment.ofArray(got), stream);
            assertArrayEquals(gaussGrad, got, "Gaussian gradient");
            float[] gotVarGrad = new float[rows];
            vg.copyTo(MemorySegment.ofArray(gotVarGrad), stream);
            assertArrayEquals(varGrad, gotVarGrad, "var gradient");
            assertThrows(IllegalStateException.class, gaussOut::perRow, "SUM keeps no per-element losses");

            DeviceElementwiseLoss poissonOut = poisson.deviceOutputs(input, arena);
            poisson.forward(input, DenseTensor.onDevice(cd, DType.F32, rows, last), poissonOut);
            assertEquals(poissonHost.value(), poissonOut.readValue(), "Poisson NLL");

            // a bad BCE target is reported at the check, naming the element and value
            td.slice(4L * 9, 4).copyFrom(new float[] {1.5f});
            bceOn.forward(input, target, bceOut);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, bceOut::checkInputs);
            assertTrue(e.getMessage().contains("target[9] = 1.5"), e.getMessage());
            refused(() -> gpu.binaryCrossEntropy().forward(input, target), "device memory");
            refused(() -> gauss.forward(input, target, gpu.allocate(8, arena), gaussOut), "var has 2 values");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("deviceEngines")
    void deviceCallsOnlyEnqueue(EngineSource.EngineCase engine) {
        Xent gpu = engine.xent();
        int n = 16, c = 500;
        assumeTrue(runtime(gpu).synchronizingCalls() >= 0, "only the emulator counts synchronising calls");
        try (Arena arena = Arena.ofConfined(); Stream stream = gpu.newStream()) {
            Xent onStream = gpu.withStream(stream);
            DeviceMemory z = onStream.allocate(4L * n * c, arena);
            DeviceMemory y = onStream.allocate(4L * n, arena);
            z.fill(0, stream);
            y.fill(0, stream);
            Logits logits = Logits.onDevice(z, DType.F32, n, c);
            CrossEntropy ce = onStream.crossEntropy().withLabelSmoothing(0.1).withZLoss(1e-4);
            DeviceLoss out = ce.deviceOutputs(logits, arena);
            Targets targets = Targets.classes(y, IndexType.I32);
            long before = runtime(gpu).synchronizingCalls();
            for (int step = 0; step < 10; step++) {
                ce.forwardBackward(logits, targets, logits, out);
                onStream.logSoftmax(logits, logits);
                out.perRow();
                out.valueOnDevice();
            }
            assertEquals(before, runtime(gpu).synchronizingCalls(), "ten steps of device calls synchronised the host");
            assertTrue(Float.isFinite(out.readValue()));
            assertTrue(runtime(gpu).synchronizingCalls() > before, "a read is a synchronisation, and counted as one");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("deviceEngines")
    void badLabelsAreReportedAtTheCheckTheCallerChooses(EngineSource.EngineCase engine) {
        Xent gpu = engine.xent();
        int n = 4, c = 10;
        try (Arena arena = Arena.ofConfined()) {
            DeviceMemory z = gpu.allocate(4L * n * c, arena);
            DeviceMemory y = gpu.allocate(8L * n, arena);
            z.fill(0, null);
            y.copyFrom(MemorySegment.ofArray(new long[] {1, 2, 17, 3}));
            Logits logits = Logits.onDevice(z, DType.F32, n, c);
            CrossEntropy ce = gpu.crossEntropy().withReduction(Reduction.SUM);
            DeviceLoss out = ce.deviceOutputs(logits, arena);
            ce.forward(logits, Targets.classes(y, IndexType.I64), out); // no exception: the call only enqueued
            float[] rows = out.readPerRow();
            assertEquals(0f, rows[2], "a bad row contributes nothing");
            assertEquals((float) Math.log(c), rows[0], 1e-6);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, out::checkInputs);
            assertTrue(e.getMessage().contains("target 17 at row 2"), e.getMessage());
            out.checkInputs(); // the record was cleared
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("deviceEngines")
    void wrappedMemoryIsAViewThatFreesNothing(EngineSource.EngineCase engine) {
        Xent gpu = engine.xent();
        try (DeviceMemory owner = gpu.allocate(64)) {
            owner.copyFrom(new float[] {1, 2, 3, 4});
            DeviceMemory view = gpu.wrap(owner.address() + 4, 12);
            float[] back = new float[3];
            view.copyTo(back);
            assertArrayEquals(new float[] {2, 3, 4}, back);
            view.close();
            assertFalse(view.isAlive());
            assertThrows(IllegalStateException.class, () -> view.copyTo(back));
            assertTrue(owner.isAlive(), "closing a view frees nothing");
            owner.copyTo(new float[4]);
        }
        long hostAddress = Arena.ofAuto().allocate(16).address();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> gpu.wrap(hostAddress, 16));
        assertTrue(e.getMessage().contains("is not device memory"), e.getMessage());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("deviceEngines")
    void badCallsAreRefusedByName(EngineSource.EngineCase engine) {
        Xent gpu = engine.xent();
        int n = 3, c = 8;
        try (Arena arena = Arena.ofConfined()) {
            DeviceMemory z = gpu.allocate(4L * n * c, arena);
            DeviceMemory y = gpu.allocate(8L * n, arena);
            z.fill(0, null);
            y.fill(0, null);
            Logits logits = Logits.onDevice(z, DType.F32, n, c);
            Targets.ClassIndices labels = Targets.classes(y, IndexType.I64);
            CrossEntropy ce = gpu.crossEntropy();
            DeviceLoss out = ce.deviceOutputs(logits, arena);

            // a host/device mix, each way round
            refused(() -> ce.forward(logits, Targets.classes(new long[n]), out), "host memory");
            refused(() -> ce.forward(Logits.of(new float[n * c], n, c), labels, out), "host memory");
            refused(() -> ce.forwardBackward(logits, labels, Logits.of(new float[n * c], n, c), out), "host memory");
            refused(() -> ce.forwardBackward(logits, labels, Logits.of(new float[n * c], n, c)), "device memory");
            refused(() -> gpu.softmax(logits, Logits.of(new float[n * c], n, c)), "host memory");
            // device memory on a host-only op, and on the java engine
            refused(() -> gpu.nllLoss().forward(logits, labels), "nll_loss takes host memory");
            refused(() -> Xent.engine("java").crossEntropy().deviceOutputs(logits), "the java engine computes on host memory");
            refused(() -> Xent.engine("java").crossEntropy().forward(logits, labels), "device memory");
            assertThrows(UnsupportedOperationException.class, () -> Xent.engine("java").allocate(16));
            // a view larger than its allocation, and a misaligned one
            refused(() -> Logits.onDevice(z, DType.F32, n + 1, c), "needs " + 4 * (n + 1) * c + " bytes");
            refused(() -> Logits.onDevice(z.slice(2, 64), DType.F32, 2, 8), "not aligned");
            // outputs for another shape, or for other options
            refused(() -> ce.forward(Logits.onDevice(z, DType.F32, n - 1, c), labels, out), "outputs are for 3 rows");
            refused(() -> ce.withReduction(Reduction.SUM).forward(logits, labels, out), "other options");
            refused(() -> ce.withWeight(new float[c]).forward(logits, labels, out), "other options");
            // a gradient that overlaps the logits without being them
            DeviceMemory both = gpu.allocate(4L * (n * c + 1), arena);
            both.fill(0, null);
            Logits first = Logits.onDevice(both.slice(0, 4L * n * c), DType.F32, n, c);
            Logits shifted = Logits.onDevice(both.slice(4, 4L * n * c), DType.F32, n, c);
            refused(() -> ce.forwardBackward(first, labels, shifted, ce.deviceOutputs(first, arena)), "grad overlaps logits");
        }
        // a closed allocation
        DeviceMemory freed = gpu.allocate(4L * n * c);
        Logits stale = Logits.onDevice(freed, DType.F32, n, c);
        DeviceLoss out = gpu.crossEntropy().deviceOutputs(stale);
        freed.close();
        assertFalse(freed.isAlive());
        assertThrows(IllegalStateException.class, () -> Logits.onDevice(freed, DType.F32, n, c));
        assertThrows(IllegalStateException.class, () -> gpu.crossEntropy().forward(stale, Targets.classes(new long[n]), out));
        out.close();
        assertThrows(IllegalStateException.class, out::readPerRow);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("deviceEngines")
    void streamsAndMemoryOfAnotherDeviceAreRefused(EngineSource.EngineCase engine) {
        Xent gpu = engine.xent();
        assumeTrue(runtime(gpu).deviceCount() >= 2, "one device: surefire sets XENT_EMU_DEVICE_COUNT=2 for this test");
        Xent second = gpu.onDevice(1);
        int n = 2, c = 4;
        try (Arena arena = Arena.ofConfined(); Stream other = second.newStream(); Stream mine = gpu.newStream()) {
            assertEquals(1, other.device());
            assertEquals(0, mine.device());
            DeviceMemory z = gpu.allocate(4L * n * c, arena);
            DeviceMemory y = gpu.allocate(8L * n, arena);
            DeviceMemory y1 = second.allocate(8L * n, arena);
            assertEquals(1, y1.device());
            z.fill(0, mine);
            y.fill(0, mine);
            Logits logits = Logits.onDevice(z, DType.F32, n, c);
            CrossEntropy ce = gpu.crossEntropy();
            DeviceLoss out = ce.deviceOutputs(logits, arena);
            refused(() -> ce.withStream(other).forward(logits, Targets.classes(y, IndexType.I64), out),
                    "the stream is on device 1 but the memory is on device 0");
            refused(() -> ce.forward(logits, Targets.classes(y1, IndexType.I64), out), gpu.engine().name() + ":1");
            refused(() -> z.fill(0, other), "device 1");
            assertEquals(1, second.wrapStream(other.handle()).device(), "a wrapped stream's device is asked of the runtime");
            refused(() -> gpu.wrap(y1.address(), 8), "memory of device 1");
            ce.withStream(mine).forward(logits, Targets.classes(y, IndexType.I64), out);
            assertEquals((float) Math.log(c), out.readValue(), 1e-6);
        }
        refused(() -> gpu.onDevice(runtime(gpu).deviceCount()), "does not exist");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("deviceEngines")
    void closedStreamsAreRefused(EngineSource.EngineCase engine) {
        Xent gpu = engine.xent();
        Stream s = gpu.newStream();
        s.close();
        s.close(); // idempotent
        assertThrows(IllegalStateException.class, () -> gpu.withStream(s));
        assertThrows(IllegalStateException.class, s::synchronize);
    }

    private static void refused(Runnable call, String message) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call::run);
        assertTrue(e.getMessage().contains(message), "expected '" + message + "' in: " + e.getMessage());
    }

    private static MemorySegment copy(MemorySegment from) {
        MemorySegment to = Arena.ofAuto().allocate(from.byteSize(), 8);
        to.copyFrom(from);
        return to;
    }
}
