package dev.xent.engine.cuda;

import dev.xent.DType;
import dev.xent.Layout;
import dev.xent.Targets;
import dev.xent.engine.CrossEntropyCall;
import dev.xent.engine.DeviceRuntime;
import dev.xent.engine.DistillCall;
import dev.xent.engine.ElementwiseLossCall;
import dev.xent.engine.Engine;
import dev.xent.engine.NllCall;
import dev.xent.engine.Pass;
import dev.xent.engine.RowStatsCall;
import dev.xent.ffi.XentLibrary;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * The engine over one loaded xent library: {@code libxent_cuda.so} ("cuda") or the host emulator
 * {@code libxent_emu.so} ("cuda-emu").
 *
 * <p>The {@link Engine} methods take host segments: each call copies its inputs to device memory
 * of its own ({@link HostStaging}), runs its family's one C call on the default stream through
 * {@link DeviceOps}, copies the outputs back (which waits for the kernel), and checks the kernel's
 * error word, throwing {@link IllegalArgumentException} naming the row and value of a bad label.
 * Per call: one device allocation for the logits (the gradient is computed in place there) and one
 * for everything else, one upload of the logits and one of the small inputs, one download of the
 * small outputs and one of the gradient.
 *
 * <p>{@link #device()} gives device memory, streams and the ops on device memory, with no copy and
 * no hidden synchronisation: what the public API's device tensors run on.
 */
public final class CudaEngine implements Engine {
    private final String name;
    private final XentLibrary lib;
    private final DeviceOps ops;
    private final CudaDeviceRuntime runtime;
    private final Path path;
    private final String description;

    CudaEngine(String name, XentLibrary lib, Path path, String deviceName) {
        this.name = Objects.requireNonNull(name, "name");
        this.lib = Objects.requireNonNull(lib, "lib");
        this.ops = new DeviceOps(lib);
        this.runtime = new CudaDeviceRuntime(name, lib, ops);
        this.path = path;
        this.description = name + ": " + deviceName + " via " + path;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String description() {
        return description;
    }

    /** The library file this engine runs. */
    public Path libraryPath() {
        return path;
    }

    /** Device memory, streams and the ops on device memory, for the public API's device tensors. */
    @Override
    public Optional<DeviceRuntime> device() {
        return Optional.of(runtime);
    }

    /** The raw-address calls (tests of the C ABI path). */
    DeviceOps ops() {
        return ops;
    }

    // ---- one private path per op family: stage, fill the family's structs, one downcall, copy back --

    @Override
    public void crossEntropy(CrossEntropyCall call) {
        Layout layout = call.layout();
        DType dtype = call.dtype();
        Pass pass = call.pass();
        long rows = layout.rows();
        long classes = layout.classes();
        long logitsBytes = Math.multiplyExact(layout.extent(), (long) dtype.byteSize());
        boolean forward = pass != Pass.BACKWARD;
        boolean backward = pass != Pass.FORWARD;
        if (backward && call.grad() == null) throw new IllegalArgumentException(pass + " needs a gradient buffer");
        if (call.lse() == null && pass == Pass.BACKWARD) throw new IllegalArgumentException("BACKWARD needs the saved lse");
        Targets.ClassIndices indices = call.targets() instanceof Targets.ClassIndices c ? c : null;
        Targets.Probabilities probabilities = call.targets() instanceof Targets.Probabilities p ? p : null;
        long rowBytes = Math.multiplyExact(rows, (long) Float.BYTES);

        try (Arena arena = Arena.ofConfined()) {
            HostStaging s = new HostStaging(lib, arena);
            // back to the host: error word, lse (BACKWARD sends the saved one), row losses, per-row
            // z-losses, and the workspace's reduced loss, denominator, weight sum and reduced z-loss
            long oError = indices != null ? s.errorWord() : -1;
            long oLse = s.output(rowBytes, pass == Pass.BACKWARD ? call.lse() : null);
            long oLoss = forward ? s.output(rowBytes) : -1;
            long oZLoss = forward && call.zLoss() > 0 ? s.output(rowBytes) : -1;
            long oWorkspace = s.output(floats(ops.workspaceFloats(rows, classes)), 4 * Float.BYTES);
            long oWeight = s.input(call.weight(), classes * Float.BYTES);
            long oUpstream = backward ? s.input(call.upstream()) : -1;
            long oLabels = indices != null ? s.input(indices.data(), labelBytes(rows, indices)) : -1;
            long oTargets = probabilities != null ? s.largeInput(probabilities.data(),
                    Math.multiplyExact(Math.multiplyExact(rows, classes), (long) dtype.byteSize())) : -1;
            DeviceBuffer logits = s.tensor(call.logits(), logitsBytes);
            s.send();

            long z = logits.address();
            DeviceOps.Target target = indices != null
                    ? DeviceOps.Target.classes(indices.type(), s.device(oLabels))
                    : DeviceOps.Target.probabilities(s.device(oTargets));
            ops.crossEntropy(pass, new DeviceOps.Tensor(dtype, z, layout), target,
                    new DeviceOps.CeOptions(s.device(oWeight), call.ignoreIndex(), call.labelSmoothing(), call.logitScale(),
                            call.softcap(), call.zLoss(), call.reduction()),
                    s.device(oUpstream),
                    new DeviceOps.CeOutputs(backward ? z : 0, s.device(oLoss), s.device(oZLoss), s.device(oLse),
                            s.device(oWorkspace), s.device(oError)),
                    0); // the gradient is computed in place on our own device copy of the logits

            // Check the error word before any output is written.
            MemorySegment head = s.receive();
            if (indices != null) checkLabels(head, oError, classes, call.ignoreIndex());
            if (forward) {
                if (call.lse() != null) MemorySegment.copy(head, oLse, call.lse(), 0, rowBytes);
                if (call.rowLoss() != null) MemorySegment.copy(head, oLoss, call.rowLoss(), 0, rowBytes);
                if (call.rowZLoss() != null && oZLoss >= 0) MemorySegment.copy(head, oZLoss, call.rowZLoss(), 0, rowBytes);
                if (call.reduced() != null) {
                    MemorySegment.copy(head, oWorkspace, call.reduced(), 0, 2 * Float.BYTES);
                    if (call.reduced().byteSize() >= 3 * Float.BYTES) {
                        MemorySegment.copy(head, oWorkspace + 3 * Float.BYTES, call.reduced(), 2 * Float.BYTES, Float.BYTES);
                    }
                }
            }
            if (backward) s.copyBack(logits, call.grad(), layout, dtype, call.grad().equals(call.logits()));
        }
    }

    @Override
    public void elementwiseLoss(ElementwiseLossCall call) {
        long n = call.count();
        long bytes = Math.multiplyExact(n, (long) call.dtype().byteSize());
        long perElement = floats(n);
        try (Arena arena = Arena.ofConfined()) {
            HostStaging s = new HostStaging(lib, arena);
            // back to the host: error word, per-element losses and aux gradient, reduced loss and count
            long oError = s.errorWord();
            long oLoss = call.loss() != null ? s.output(perElement) : -1;
            long auxGradBytes = call.auxGrad() != null ? call.auxGrad().byteSize() : 0;
            long oAuxGrad = call.auxGrad() != null ? s.output(auxGradBytes) : -1;
            long oWorkspace = s.output(floats(ops.elementwiseWorkspaceFloats(n)), 2 * Float.BYTES);
            long oWeight = s.input(call.weight());
            long oPosWeight = s.input(call.posWeight());
            long oAux = s.input(call.aux());
            long oUpstream = s.input(call.grad() != null ? call.upstream() : null);
            long oTarget = s.largeInput(call.target(), bytes);
            DeviceBuffer input = s.tensor(call.input(), bytes);
            s.send();

            long x = input.address();
            ElementwiseLossCall device = new ElementwiseLossCall(call.op(), call.dtype(), n, call.lastDim(),
                    address(x), address(s.device(oTarget)), address(s.device(oWeight)), call.weightBroadcast(),
                    address(s.device(oPosWeight)), address(s.device(oAux)), call.auxBroadcast(), call.full(),
                    call.logInput(), call.eps(), call.reduction(), address(s.device(oUpstream)),
                    call.grad() != null ? address(x) : null, address(s.device(oAuxGrad)), address(s.device(oLoss)), null);
            ops.elementwiseLoss(device, s.device(oWorkspace), s.device(oError), 0);

            MemorySegment head = s.receive();
            Optional<IllegalArgumentException> bad = DeviceOps.elementwiseError(call, head, oError);
            if (bad.isPresent()) throw bad.get();
            if (call.loss() != null) MemorySegment.copy(head, oLoss, call.loss(), 0, perElement);
            if (call.auxGrad() != null) MemorySegment.copy(head, oAuxGrad, call.auxGrad(), 0, auxGradBytes);
            MemorySegment.copy(head, oWorkspace, call.reduced(), 0, 2 * Float.BYTES);
            if (call.grad() != null && bytes > 0) input.copyTo(0, call.grad().asSlice(0, bytes));
        }
    }

    private static MemorySegment address(long address) {
        return address == 0 ? null : MemorySegment.ofAddress(address);
    }

    @Override
    public void logSoftmax(Layout layout, DType dtype, MemorySegment in, MemorySegment out) {
        softmaxFamily(DeviceOps.SoftmaxOp.LOG_SOFTMAX, layout, dtype, in, out);
    }

    @Override
    public void softmax(Layout layout, DType dtype, MemorySegment in, MemorySegment out) {
        softmaxFamily(DeviceOps.SoftmaxOp.SOFTMAX, layout, dtype, in, out);
    }

    @Override
    public void logSumExp(Layout layout, DType dtype, MemorySegment in, MemorySegment out) {
        softmaxFamily(DeviceOps.SoftmaxOp.LOGSUMEXP, layout, dtype, in, out);
    }

    /** Softmax and log-softmax in place on the device copy of the input; log-sum-exp into one fp32 per row. */
    private void softmaxFamily(DeviceOps.SoftmaxOp op, Layout layout, DType dtype, MemorySegment in, MemorySegment out) {
        long bytes = Math.multiplyExact(layout.extent(), (long) dtype.byteSize());
        long rowBytes = floats(layout.rows());
        boolean perRow = op == DeviceOps.SoftmaxOp.LOGSUMEXP;
        try (Arena arena = Arena.ofConfined()) {
            HostStaging s = new HostStaging(lib, arena);
            long oOut = perRow ? s.output(rowBytes) : -1;
            DeviceBuffer data = s.tensor(in, bytes);
            s.send();
            ops.softmax(op, new DeviceOps.Tensor(dtype, data.address(), layout), perRow ? s.device(oOut) : data.address(), 0);
            if (perRow) {
                MemorySegment.copy(s.receive(), oOut, out, 0, rowBytes);
            } else {
                s.copyBack(data, out, layout, dtype, out.equals(in));
            }
        }
    }

    @Override
    public void nll(NllCall call) {
        Layout layout = call.layout();
        DType dtype = call.dtype();
        long rows = layout.rows();
        long classes = layout.classes();
        boolean backward = call.pass() != Pass.FORWARD;
        if (backward && call.grad() == null) throw new IllegalArgumentException(call.pass() + " needs a gradient buffer");
        Targets.ClassIndices indices = call.targets();
        long inputBytes = Math.multiplyExact(layout.extent(), (long) dtype.byteSize());
        long rowBytes = floats(rows);
        try (Arena arena = Arena.ofConfined()) {
            HostStaging s = new HostStaging(lib, arena);
            // back to the host: error word, row losses, reduced loss and denominator
            long oError = s.errorWord();
            long oLoss = s.output(rowBytes);
            long oWorkspace = s.output(floats(ops.workspaceFloats(rows, classes)), 2 * Float.BYTES);
            long oWeight = s.input(call.weight(), classes * Float.BYTES);
            long oUpstream = backward ? s.input(call.upstream()) : -1;
            long oLabels = s.input(indices.data(), labelBytes(rows, indices));
            DeviceBuffer input = s.tensor(call.input(), inputBytes);
            s.send();

            long x = input.address();
            ops.nll(call.pass(), new DeviceOps.Tensor(dtype, x, layout),
                    DeviceOps.Target.classes(indices.type(), s.device(oLabels)),
                    new DeviceOps.NllOptions(s.device(oWeight), call.ignoreIndex(), call.reduction()), s.device(oUpstream),
                    new DeviceOps.NllOutputs(backward ? x : 0, s.device(oLoss), s.device(oWorkspace), s.device(oError)), 0);

            MemorySegment head = s.receive();
            checkLabels(head, oError, classes, call.ignoreIndex());
            if (call.rowLoss() != null) MemorySegment.copy(head, oLoss, call.rowLoss(), 0, rowBytes);
            if (call.reduced() != null) MemorySegment.copy(head, oWorkspace, call.reduced(), 0, 2 * Float.BYTES);
            if (backward) s.copyBack(input, call.grad(), layout, dtype, call.grad().equals(call.input()));
        }
    }

    @Override
    public void distill(DistillCall call) {
        Layout layout = call.layout();
        DType dtype = call.dtype();
        long rows = layout.rows();
        boolean backward = call.pass() != Pass.FORWARD;
        if (backward && call.grad() == null) throw new IllegalArgumentException(call.pass() + " needs a gradient buffer");
        Targets.ClassIndices indices = call.alpha() < 1 ? call.targets() : null;
        long bytes = Math.multiplyExact(layout.extent(), (long) dtype.byteSize());
        long rowBytes = floats(rows);
        MemorySegment[] rowOuts = {call.rowLoss(), call.rowKl(), call.rowSoftCe(), call.rowEntropy()};
        try (Arena arena = Arena.ofConfined()) {
            HostStaging s = new HostStaging(lib, arena);
            // back to the host: error word, the per-row outputs asked for, reduced loss and both denominators
            long oError = s.errorWord();
            long[] oRows = new long[rowOuts.length];
            for (int i = 0; i < rowOuts.length; i++) oRows[i] = rowOuts[i] != null ? s.output(rowBytes) : -1;
            long oWorkspace = s.output(floats(ops.distillWorkspaceFloats(rows)), 3 * Float.BYTES);
            long oWeight = indices != null ? s.input(call.weight(), layout.classes() * Float.BYTES) : -1;
            long oUpstream = backward ? s.input(call.upstream()) : -1;
            long oLabels = indices != null ? s.input(indices.data(), labelBytes(rows, indices)) : -1;
            DeviceBuffer teacher = s.tensor(call.teacher(), bytes);
            DeviceBuffer student = s.tensor(call.student(), bytes);
            s.send();

            long zs = student.address();
            ops.distill(call.pass(), new DeviceOps.Tensor(dtype, teacher.address(), layout),
                    new DeviceOps.Tensor(dtype, zs, layout),
                    indices == null ? null : DeviceOps.Target.classes(indices.type(), s.device(oLabels)),
                    new DeviceOps.DistillOptions(call.temperature(), call.alpha(), s.device(oWeight), call.ignoreIndex(),
                            call.reduction()),
                    s.device(oUpstream),
                    new DeviceOps.DistillOutputs(backward ? zs : 0, s.device(oRows[0]), s.device(oRows[1]),
                            s.device(oRows[2]), s.device(oRows[3]), s.device(oWorkspace), s.device(oError)),
                    0);

            MemorySegment head = s.receive();
            checkLabels(head, oError, layout.classes(), call.ignoreIndex());
            for (int i = 0; i < rowOuts.length; i++) {
                if (rowOuts[i] != null) MemorySegment.copy(head, oRows[i], rowOuts[i], 0, rowBytes);
            }
            if (call.reduced() != null) MemorySegment.copy(head, oWorkspace, call.reduced(), 0, 3 * Float.BYTES);
            if (backward) s.copyBack(student, call.grad(), layout, dtype, call.grad().equals(call.student()));
        }
    }

    @Override
    public void entropy(Layout layout, DType dtype, MemorySegment logits, MemorySegment upstream, MemorySegment grad,
            MemorySegment out) {
        long bytes = Math.multiplyExact(layout.extent(), (long) dtype.byteSize());
        long rowBytes = floats(layout.rows());
        try (Arena arena = Arena.ofConfined()) {
            HostStaging s = new HostStaging(lib, arena);
            long oOut = s.output(rowBytes);
            long oUpstream = s.input(upstream, rowBytes);
            DeviceBuffer data = s.tensor(logits, bytes);
            s.send();
            long z = data.address();
            ops.entropy(grad != null ? Pass.FORWARD_BACKWARD : Pass.FORWARD, new DeviceOps.Tensor(dtype, z, layout),
                    s.device(oUpstream), s.device(oOut), grad != null ? z : 0, 0);
            MemorySegment.copy(s.receive(), oOut, out, 0, rowBytes);
            if (grad != null) s.copyBack(data, grad, layout, dtype, grad.equals(logits));
        }
    }

    @Override
    public void jensenShannon(Layout layout, DType dtype, MemorySegment p, MemorySegment q, MemorySegment upstream,
            MemorySegment gradP, MemorySegment gradQ, MemorySegment out) {
        long bytes = Math.multiplyExact(layout.extent(), (long) dtype.byteSize());
        long rowBytes = floats(layout.rows());
        boolean backward = gradP != null || gradQ != null;
        try (Arena arena = Arena.ofConfined()) {
            HostStaging s = new HostStaging(lib, arena);
            long oOut = s.output(rowBytes);
            long oUpstream = s.input(upstream, rowBytes);
            DeviceBuffer dp = s.tensor(p, bytes);
            DeviceBuffer dq = s.tensor(q, bytes);
            s.send();
            // the gradients are written in place over the device copies of their logits
            long zp = dp.address(), zq = dq.address();
            ops.jensenShannon(backward ? Pass.FORWARD_BACKWARD : Pass.FORWARD, new DeviceOps.Tensor(dtype, zp, layout),
                    new DeviceOps.Tensor(dtype, zq, layout), s.device(oUpstream), s.device(oOut), gradP != null ? zp : 0,
                    gradQ != null ? zq : 0, 0);
            MemorySegment.copy(s.receive(), oOut, out, 0, rowBytes);
            if (gradP != null) s.copyBack(dp, gradP, layout, dtype, gradP.equals(p));
            if (gradQ != null) s.copyBack(dq, gradQ, layout, dtype, gradQ.equals(q));
        }
    }

    @Override
    public void rowStats(RowStatsCall call) {
        Layout layout = call.layout();
        DType dtype = call.dtype();
        Targets.ClassIndices indices = call.targets();
        long rows = layout.rows();
        long logitsBytes = Math.multiplyExact(layout.extent(), (long) dtype.byteSize());
        long statsBytes = Math.multiplyExact(rows, (long) RowStatsCall.FLOATS * Float.BYTES);
        long indexBytes = Math.multiplyExact(rows, 2L * Long.BYTES);
        try (Arena arena = Arena.ofConfined()) {
            HostStaging s = new HostStaging(lib, arena);
            long oError = s.errorWord();
            long oStats = s.output(statsBytes);
            long oIndices = s.output(indexBytes);
            long oLabels = s.input(indices.data(), labelBytes(rows, indices));
            DeviceBuffer logits = s.tensor(call.logits(), logitsBytes);
            s.send();

            ops.rowStats(new DeviceOps.Tensor(dtype, logits.address(), layout),
                    DeviceOps.Target.classes(indices.type(), s.device(oLabels)), call.ignoreIndex(), call.scale(),
                    new DeviceOps.RowStatsOutputs(s.device(oStats), s.device(oIndices), s.device(oError)), 0);

            MemorySegment head = s.receive();
            checkLabels(head, oError, layout.classes(), call.ignoreIndex());
            MemorySegment.copy(head, oStats, call.stats(), 0, statsBytes);
            MemorySegment.copy(head, oIndices, call.indices(), 0, indexBytes);
        }
    }

    // ---- helpers -------------------------------------------------------------------------------

    /** Throws naming the row and value when the kernel recorded a bad label in the error word copied back. */
    private static void checkLabels(MemorySegment head, long oError, long classes, long ignoreIndex) {
        Optional<DeviceOps.LabelError> bad = DeviceOps.labelError(head, oError);
        if (bad.isPresent()) throw bad.get().toException(classes, ignoreIndex);
    }

    private static long floats(long count) {
        return Math.multiplyExact(count, (long) Float.BYTES);
    }

    private static long labelBytes(long rows, Targets.ClassIndices indices) {
        return Math.multiplyExact(rows, (long) indices.type().byteSize());
    }

    @Override
    public String toString() {
        return description;
    }
}
