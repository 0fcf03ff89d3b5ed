package dev.xent.engine.cuda;

import dev.xent.DType;
import dev.xent.Layout;
import dev.xent.Targets;
import dev.xent.engine.CrossEntropyCall;
import dev.xent.engine.DistillCall;
import dev.xent.engine.ElementwiseLossCall;
import dev.xent.engine.Engine;
import dev.xent.engine.NllCall;
import dev.xent.engine.Pass;
import dev.xent.engine.RowStatsCall;
import dev.xent.ffi.XentLibrary;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * The engine over one loaded xent library: {@code libxent_cuda.so} ("cuda") or the host emulator
 * {@code libxent_emu.so} ("cuda-emu").
 *
 * <p>The {@link Engine} methods take host segments: each call copies its inputs to device memory
 * of its own, runs the kernel on the default stream, copies the outputs back (which waits for the
 * kernel), and checks the kernel's error word, throwing {@link IllegalArgumentException} naming
 * the row and value of a bad label. Per call: one device allocation for the logits (the gradient is
 * computed in place there) and one for everything else, one upload of the logits and one of the
 * small inputs, one download of the small outputs and one of the gradient.
 *
 * <p>{@link #device()} gives the ops on device memory the caller already owns, with no copy and
 * no hidden synchronisation.
 */
public final class CudaEngine implements Engine {
    /** Sub-buffers of the scratch allocation start at multiples of this (cudaMalloc's own alignment). */
    private static final long ALIGN = 256;

    private final String name;
    private final XentLibrary lib;
    private final DeviceOps ops;
    private final Path path;
    private final String description;

    CudaEngine(String name, XentLibrary lib, Path path, String deviceName) {
        this.name = Objects.requireNonNull(name, "name");
        this.lib = Objects.requireNonNull(lib, "lib");
        this.ops = new DeviceOps(lib);
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

    /** The ops on caller-owned device memory: raw addresses and a stream, no copy, no hidden sync. */
    public DeviceOps device() {
        return ops;
    }

    // ---- cross-entropy -------------------------------------------------------------------------

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

        // Scratch layout. The head [0, headEnd) is what comes back: error word, lse, row losses,
        // per-row z-losses, and the four leading workspace floats (reduced loss, denominator, sum of
        // weights, reduced z-loss). Then the inputs.
        Slots s = new Slots();
        Targets targets = call.targets();
        Targets.ClassIndices indices = targets instanceof Targets.ClassIndices c ? c : null;
        Targets.Probabilities probabilities = targets instanceof Targets.Probabilities p ? p : null;
        long rowBytes = Math.multiplyExact(rows, (long) Float.BYTES);
        long oError = indices != null ? s.add(2 * Long.BYTES) : -1;
        long oLse = s.add(rowBytes);
        long oLoss = forward ? s.add(rowBytes) : -1;
        long oZLoss = forward && call.zLoss() > 0 ? s.add(rowBytes) : -1;
        long oWorkspace = s.add(Math.multiplyExact(ops.workspaceFloats(rows, classes), (long) Float.BYTES));
        long headEnd = oWorkspace + 4 * Float.BYTES;
        long oWeight = call.weight() != null ? s.add(classes * Float.BYTES) : -1;
        long oUpstream = backward && call.upstream() != null ? s.add(call.upstream().byteSize()) : -1;
        long labelBytes = indices != null ? Math.multiplyExact(rows, (long) indices.type().byteSize()) : 0;
        long oLabels = indices != null ? s.add(labelBytes) : -1;
        long stagedEnd = s.size();
        long targetBytes = probabilities != null ? Math.multiplyExact(Math.multiplyExact(rows, classes), (long) dtype.byteSize()) : 0;
        long oTargets = probabilities != null ? s.add(targetBytes) : -1;

        try (Arena arena = Arena.ofConfined()) {
            DeviceBuffer logits = DeviceBuffer.allocate(lib, logitsBytes, arena);
            DeviceBuffer scratch = DeviceBuffer.allocate(lib, s.size(), arena);
            MemorySegment stage = arena.allocate(stagedEnd, ALIGN);
            if (indices != null) stageLabels(stage, oError, indices, oLabels, labelBytes);
            if (pass == Pass.BACKWARD) MemorySegment.copy(call.lse(), 0, stage, oLse, rowBytes);
            if (oWeight >= 0) MemorySegment.copy(call.weight(), 0, stage, oWeight, classes * Float.BYTES);
            if (oUpstream >= 0) MemorySegment.copy(call.upstream(), 0, stage, oUpstream, call.upstream().byteSize());
            scratch.copyFrom(stage, 0);
            if (probabilities != null) scratch.copyFrom(probabilities.data().asSlice(0, targetBytes), oTargets);
            logits.copyFrom(call.logits().asSlice(0, logitsBytes));

            long base = scratch.address();
            long z = logits.address();
            long grad = backward ? z : 0; // in place on our own device copy
            long weight = at(base, oWeight);
            long upstream = at(base, oUpstream);
            long rowLoss = at(base, oLoss);
            long rowZLoss = at(base, oZLoss);
            DeviceOps.CeExtras extras = new DeviceOps.CeExtras(call.logitScale(), call.softcap(), call.zLoss());
            long lse = base + oLse;
            long workspace = base + oWorkspace;
            if (indices != null) {
                long labels = base + oLabels;
                long error = base + oError;
                switch (pass) {
                    case FORWARD -> ops.crossEntropyForward(dtype, z, layout, indices.type(), labels, weight,
                            call.ignoreIndex(), call.labelSmoothing(), extras, call.reduction(), rowLoss, rowZLoss, lse,
                            workspace, error, 0);
                    case BACKWARD -> ops.crossEntropyBackward(dtype, z, grad, layout, indices.type(), labels, weight,
                            call.ignoreIndex(), call.labelSmoothing(), extras, call.reduction(), upstream, lse, workspace,
                            error, 0);
                    case FORWARD_BACKWARD -> ops.crossEntropyForwardBackward(dtype, z, grad, layout, indices.type(), labels,
                            weight, call.ignoreIndex(), call.labelSmoothing(), extras, call.reduction(), upstream, rowLoss,
                            rowZLoss, lse, workspace, error, 0);
                }
            } else {
                long t = base + oTargets;
                switch (pass) {
                    case FORWARD -> ops.softCrossEntropyForward(dtype, z, layout, t, weight, call.labelSmoothing(),
                            extras, call.reduction(), rowLoss, rowZLoss, lse, workspace, 0);
                    case BACKWARD -> ops.softCrossEntropyBackward(dtype, z, grad, layout, t, weight, call.labelSmoothing(),
                            extras, call.reduction(), upstream, lse, workspace, 0);
                    case FORWARD_BACKWARD -> ops.softCrossEntropyForwardBackward(dtype, z, grad, layout, t, weight,
                            call.labelSmoothing(), extras, call.reduction(), upstream, rowLoss, rowZLoss, lse, workspace, 0);
                }
            }

            // Back to the host: the copy waits for the kernel. Check the error word before any output is written.
            MemorySegment head = stage.asSlice(0, headEnd);
            scratch.copyTo(0, head);
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
            if (backward) copyBack(logits, call.grad(), layout, dtype, call.grad().equals(call.logits()), arena);
        }
    }

    // ---- element-wise losses -------------------------------------------------------------------

    /**
     * Stages the call as {@link #crossEntropy} does: the input in a device buffer of its own (the
     * gradient computed in place there), everything else in one scratch allocation whose head
     * (error word, per-element losses and aux gradient, reduced loss and count) comes back in one copy.
     */
    @Override
    public void elementwiseLoss(ElementwiseLossCall call) {
        long n = call.count();
        long bytes = Math.multiplyExact(n, (long) call.dtype().byteSize());
        long floats = Math.multiplyExact(n, (long) Float.BYTES);
        Slots s = new Slots();
        long oError = s.add(2 * Long.BYTES);
        long oLoss = call.loss() != null ? s.add(floats) : -1;
        long oAuxGrad = call.auxGrad() != null ? s.add(floats) : -1;
        long oWorkspace = s.add(Math.multiplyExact(ops.elementwiseWorkspaceFloats(n), (long) Float.BYTES));
        long headEnd = oWorkspace + 2 * Float.BYTES;
        long oWeight = stageSlot(s, call.weight());
        long oPosWeight = stageSlot(s, call.posWeight());
        long oAux = stageSlot(s, call.aux());
        long oUpstream = stageSlot(s, call.grad() != null ? call.upstream() : null);
        long stagedEnd = s.size();
        long oTarget = s.add(bytes);

        try (Arena arena = Arena.ofConfined()) {
            DeviceBuffer input = DeviceBuffer.allocate(lib, bytes, arena);
            DeviceBuffer scratch = DeviceBuffer.allocate(lib, s.size(), arena);
            MemorySegment stage = arena.allocate(stagedEnd, ALIGN);
            stage.set(ValueLayout.JAVA_LONG, oError, -1L);
            stage.set(ValueLayout.JAVA_LONG, oError + Long.BYTES, -1L);
            stageCopy(call.weight(), stage, oWeight);
            stageCopy(call.posWeight(), stage, oPosWeight);
            stageCopy(call.aux(), stage, oAux);
            if (oUpstream >= 0) stageCopy(call.upstream(), stage, oUpstream);
            scratch.copyFrom(stage, 0);
            if (bytes > 0) {
                scratch.copyFrom(call.target().asSlice(0, bytes), oTarget);
                input.copyFrom(call.input().asSlice(0, bytes));
            }

            long base = scratch.address();
            long x = input.address();
            ElementwiseLossCall device = new ElementwiseLossCall(call.op(), call.dtype(), n, call.lastDim(),
                    address(x), address(base + oTarget), address(at(base, oWeight)), call.weightBroadcast(),
                    address(at(base, oPosWeight)), address(at(base, oAux)), call.auxBroadcast(), call.full(),
                    call.logInput(), call.eps(), call.reduction(), address(at(base, oUpstream)),
                    call.grad() != null ? address(x) : null, address(at(base, oAuxGrad)), address(at(base, oLoss)), null);
            ops.elementwiseLoss(device, base + oWorkspace, base + oError, 0);

            // Back to the host: the copy waits for the kernel. Check the error word before any output is written.
            MemorySegment head = stage.asSlice(0, headEnd);
            scratch.copyTo(0, head);
            Optional<IllegalArgumentException> bad = DeviceOps.elementwiseError(call, head, oError);
            if (bad.isPresent()) throw bad.get();
            if (call.loss() != null) MemorySegment.copy(head, oLoss, call.loss(), 0, floats);
            if (call.auxGrad() != null) MemorySegment.copy(head, oAuxGrad, call.auxGrad(), 0, floats);
            MemorySegment.copy(head, oWorkspace, call.reduced(), 0, 2 * Float.BYTES);
            if (call.grad() != null && bytes > 0) input.copyTo(0, call.grad().asSlice(0, bytes));
        }
    }

    private static long stageSlot(Slots s, MemorySegment host) {
        return host == null ? -1 : s.add(host.byteSize());
    }

    private static void stageCopy(MemorySegment host, MemorySegment stage, long offset) {
        if (host != null) MemorySegment.copy(host, 0, stage, offset, host.byteSize());
    }

    private static MemorySegment address(long address) {
        return address == 0 ? null : MemorySegment.ofAddress(address);
    }

    // ---- softmax family ------------------------------------------------------------------------

    @Override
    public void logSoftmax(Layout layout, DType dtype, MemorySegment in, MemorySegment out) {
        softmaxLike(layout, dtype, in, out, true);
    }

    @Override
    public void softmax(Layout layout, DType dtype, MemorySegment in, MemorySegment out) {
        softmaxLike(layout, dtype, in, out, false);
    }

    private void softmaxLike(Layout layout, DType dtype, MemorySegment in, MemorySegment out, boolean log) {
        long bytes = Math.multiplyExact(layout.extent(), (long) dtype.byteSize());
        try (Arena arena = Arena.ofConfined()) {
            DeviceBuffer data = DeviceBuffer.allocate(lib, bytes, arena);
            data.copyFrom(in.asSlice(0, bytes));
            long z = data.address();
            if (log) {
                ops.logSoftmax(dtype, z, z, layout, 0);
            } else {
                ops.softmax(dtype, z, z, layout, 0);
            }
            copyBack(data, out, layout, dtype, out.equals(in), arena);
        }
    }

    @Override
    public void logSumExp(Layout layout, DType dtype, MemorySegment in, MemorySegment out) {
        long bytes = Math.multiplyExact(layout.extent(), (long) dtype.byteSize());
        long outBytes = Math.multiplyExact(layout.rows(), (long) Float.BYTES);
        try (Arena arena = Arena.ofConfined()) {
            DeviceBuffer data = DeviceBuffer.allocate(lib, bytes, arena);
            DeviceBuffer result = DeviceBuffer.allocate(lib, outBytes, arena);
            data.copyFrom(in.asSlice(0, bytes));
            ops.logSumExp(dtype, data.address(), result.address(), layout, 0);
            result.copyTo(0, out.asSlice(0, outBytes));
        }
    }

    // ---- NLL loss, distillation, entropy, Jensen-Shannon ----------------------------------------

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
        long rowBytes = Math.multiplyExact(rows, (long) Float.BYTES);
        long labelBytes = Math.multiplyExact(rows, (long) indices.type().byteSize());
        // the head [0, headEnd) comes back: error word, row losses, reduced loss and denominator
        Slots s = new Slots();
        long oError = s.add(2 * Long.BYTES);
        long oLoss = s.add(rowBytes);
        long oWorkspace = s.add(Math.multiplyExact(ops.workspaceFloats(rows, classes), (long) Float.BYTES));
        long headEnd = oWorkspace + 2 * Float.BYTES;
        long oWeight = call.weight() != null ? s.add(classes * Float.BYTES) : -1;
        long oUpstream = backward && call.upstream() != null ? s.add(call.upstream().byteSize()) : -1;
        long oLabels = s.add(labelBytes);
        try (Arena arena = Arena.ofConfined()) {
            DeviceBuffer input = DeviceBuffer.allocate(lib, inputBytes, arena);
            DeviceBuffer scratch = DeviceBuffer.allocate(lib, s.size(), arena);
            MemorySegment stage = arena.allocate(s.size(), ALIGN);
            stageLabels(stage, oError, indices, oLabels, labelBytes);
            if (oWeight >= 0) MemorySegment.copy(call.weight(), 0, stage, oWeight, classes * Float.BYTES);
            if (oUpstream >= 0) MemorySegment.copy(call.upstream(), 0, stage, oUpstream, call.upstream().byteSize());
            scratch.copyFrom(stage, 0);
            input.copyFrom(call.input().asSlice(0, inputBytes));
            long base = scratch.address();
            long x = input.address();
            if (backward) {
                ops.nllForwardBackward(dtype, x, x, layout, indices.type(), base + oLabels, at(base, oWeight),
                        call.ignoreIndex(), call.reduction(), at(base, oUpstream), base + oLoss, base + oWorkspace,
                        base + oError, 0);
            } else {
                ops.nllForward(dtype, x, layout, indices.type(), base + oLabels, at(base, oWeight), call.ignoreIndex(),
                        call.reduction(), base + oLoss, base + oWorkspace, base + oError, 0);
            }
            MemorySegment head = stage.asSlice(0, headEnd);
            scratch.copyTo(0, head);
            checkLabels(head, oError, classes, call.ignoreIndex());
            if (call.rowLoss() != null) MemorySegment.copy(head, oLoss, call.rowLoss(), 0, rowBytes);
            if (call.reduced() != null) MemorySegment.copy(head, oWorkspace, call.reduced(), 0, 2 * Float.BYTES);
            if (backward) copyBack(input, call.grad(), layout, dtype, call.grad().equals(call.input()), arena);
        }
    }

    @Override
    public void distill(DistillCall call) {
        Layout layout = call.layout();
        DType dtype = call.dtype();
        long rows = layout.rows();
        long classes = layout.classes();
        boolean backward = call.pass() != Pass.FORWARD;
        if (backward && call.grad() == null) throw new IllegalArgumentException(call.pass() + " needs a gradient buffer");
        Targets.ClassIndices indices = call.alpha() < 1 ? call.targets() : null;
        long bytes = Math.multiplyExact(layout.extent(), (long) dtype.byteSize());
        long rowBytes = Math.multiplyExact(rows, (long) Float.BYTES);
        long labelBytes = indices != null ? Math.multiplyExact(rows, (long) indices.type().byteSize()) : 0;
        MemorySegment[] rowOuts = {call.rowLoss(), call.rowKl(), call.rowSoftCe(), call.rowEntropy()};
        Slots s = new Slots();
        long oError = s.add(2 * Long.BYTES);
        long[] oRows = new long[rowOuts.length];
        for (int i = 0; i < rowOuts.length; i++) oRows[i] = rowOuts[i] != null ? s.add(rowBytes) : -1;
        long oWorkspace = s.add(Math.multiplyExact(ops.distillWorkspaceFloats(rows), (long) Float.BYTES));
        long headEnd = oWorkspace + 3 * Float.BYTES;
        long oUpstream = backward && call.upstream() != null ? s.add(call.upstream().byteSize()) : -1;
        long oLabels = indices != null ? s.add(labelBytes) : -1;
        try (Arena arena = Arena.ofConfined()) {
            DeviceBuffer teacher = DeviceBuffer.allocate(lib, bytes, arena);
            DeviceBuffer student = DeviceBuffer.allocate(lib, bytes, arena);
            DeviceBuffer scratch = DeviceBuffer.allocate(lib, s.size(), arena);
            MemorySegment stage = arena.allocate(s.size(), ALIGN);
            if (indices != null) {
                stageLabels(stage, oError, indices, oLabels, labelBytes);
            } else {
                stage.asSlice(oError, 2 * Long.BYTES).fill((byte) 0xFF);
            }
            if (oUpstream >= 0) MemorySegment.copy(call.upstream(), 0, stage, oUpstream, call.upstream().byteSize());
            scratch.copyFrom(stage, 0);
            teacher.copyFrom(call.teacher().asSlice(0, bytes));
            student.copyFrom(call.student().asSlice(0, bytes));
            long base = scratch.address();
            long zs = student.address();
            ops.distill(dtype, teacher.address(), zs, backward ? zs : 0, layout, call.temperature(), call.alpha(),
                    indices == null ? null : indices.type(), at(base, oLabels), call.ignoreIndex(), call.reduction(),
                    at(base, oUpstream), at(base, oRows[0]), at(base, oRows[1]), at(base, oRows[2]), at(base, oRows[3]),
                    base + oWorkspace, base + oError, 0);
            MemorySegment head = stage.asSlice(0, headEnd);
            scratch.copyTo(0, head);
            checkLabels(head, oError, classes, call.ignoreIndex());
            for (int i = 0; i < rowOuts.length; i++) {
                if (rowOuts[i] != null) MemorySegment.copy(head, oRows[i], rowOuts[i], 0, rowBytes);
            }
            if (call.reduced() != null) MemorySegment.copy(head, oWorkspace, call.reduced(), 0, 3 * Float.BYTES);
            if (backward) copyBack(student, call.grad(), layout, dtype, call.grad().equals(call.student()), arena);
        }
    }

    @Override
    public void entropy(Layout layout, DType dtype, MemorySegment logits, MemorySegment upstream, MemorySegment grad,
            MemorySegment out) {
        long bytes = Math.multiplyExact(layout.extent(), (long) dtype.byteSize());
        long outBytes = Math.multiplyExact(layout.rows(), (long) Float.BYTES);
        try (Arena arena = Arena.ofConfined()) {
            DeviceBuffer data = DeviceBuffer.allocate(lib, bytes, arena);
            DeviceBuffer result = DeviceBuffer.allocate(lib, 2 * outBytes, arena);
            data.copyFrom(logits.asSlice(0, bytes));
            if (upstream != null) result.copyFrom(upstream.asSlice(0, outBytes), outBytes);
            long z = data.address();
            ops.entropy(dtype, z, grad != null ? z : 0, layout, upstream != null ? result.address() + outBytes : 0,
                    result.address(), 0);
            result.copyTo(0, out.asSlice(0, outBytes));
            if (grad != null) copyBack(data, grad, layout, dtype, grad.equals(logits), arena);
        }
    }

    @Override
    public void jensenShannon(Layout layout, DType dtype, MemorySegment p, MemorySegment q, MemorySegment out) {
        long bytes = Math.multiplyExact(layout.extent(), (long) dtype.byteSize());
        long outBytes = Math.multiplyExact(layout.rows(), (long) Float.BYTES);
        try (Arena arena = Arena.ofConfined()) {
            DeviceBuffer dp = DeviceBuffer.allocate(lib, bytes, arena);
            DeviceBuffer dq = DeviceBuffer.allocate(lib, bytes, arena);
            DeviceBuffer result = DeviceBuffer.allocate(lib, outBytes, arena);
            dp.copyFrom(p.asSlice(0, bytes));
            dq.copyFrom(q.asSlice(0, bytes));
            ops.jensenShannon(dtype, dp.address(), dq.address(), layout, result.address(), 0);
            result.copyTo(0, out.asSlice(0, outBytes));
        }
    }

    // ---- evaluation ----------------------------------------------------------------------------

    @Override
    public void rowStats(RowStatsCall call) {
        Layout layout = call.layout();
        DType dtype = call.dtype();
        Targets.ClassIndices indices = call.targets();
        long rows = layout.rows();
        long logitsBytes = Math.multiplyExact(layout.extent(), (long) dtype.byteSize());
        long statsBytes = Math.multiplyExact(rows, (long) RowStatsCall.FLOATS * Float.BYTES);
        long indexBytes = Math.multiplyExact(rows, 2L * Long.BYTES);
        long labelBytes = Math.multiplyExact(rows, (long) indices.type().byteSize());

        // Scratch: the head [0, headEnd) comes back (error word, statistics, indices); then the labels.
        Slots s = new Slots();
        long oError = s.add(2 * Long.BYTES);
        long oStats = s.add(statsBytes);
        long oIndices = s.add(indexBytes);
        long headEnd = s.size();
        long oLabels = s.add(labelBytes);

        try (Arena arena = Arena.ofConfined()) {
            DeviceBuffer logits = DeviceBuffer.allocate(lib, logitsBytes, arena);
            DeviceBuffer scratch = DeviceBuffer.allocate(lib, s.size(), arena);
            MemorySegment stage = arena.allocate(s.size(), ALIGN);
            stageLabels(stage, oError, indices, oLabels, labelBytes);
            scratch.copyFrom(stage, 0);
            logits.copyFrom(call.logits().asSlice(0, logitsBytes));

            long base = scratch.address();
            ops.rowStats(dtype, logits.address(), layout, indices.type(), base + oLabels, call.ignoreIndex(), call.scale(),
                    base + oStats, base + oIndices, base + oError, 0);

            MemorySegment head = stage.asSlice(0, headEnd);
            scratch.copyTo(0, head);
            checkLabels(head, oError, layout.classes(), call.ignoreIndex());
            MemorySegment.copy(head, oStats, call.stats(), 0, statsBytes);
            MemorySegment.copy(head, oIndices, call.indices(), 0, indexBytes);
        }
    }

    // ---- helpers -------------------------------------------------------------------------------

    /**
     * Copies a logits-shaped result from the device into {@code host}. Row padding (row stride
     * larger than C * inner) of {@code host} is left as it was: the device copy's padding holds the
     * input's bytes, so a padded layout goes through a host staging copy and only the rows' elements
     * are written, unless {@code host} is the input itself (in place), whose padding it already is.
     */
    private static void copyBack(DeviceBuffer device, MemorySegment host, Layout layout, DType dtype, boolean inPlace, Arena arena) {
        long esize = dtype.byteSize();
        long bytes = layout.extent() * esize;
        if (bytes == 0) return;
        boolean dense = layout.outerStride() == layout.classes() * layout.inner();
        if (dense || inPlace) {
            device.copyTo(0, host.asSlice(0, bytes));
            return;
        }
        MemorySegment stage = arena.allocate(bytes, ALIGN);
        device.copyTo(0, stage);
        long block = layout.classes() * layout.inner() * esize;
        long stride = layout.outerStride() * esize;
        for (long o = 0; o < layout.outer(); o++) {
            MemorySegment.copy(stage, o * stride, host, o * stride, block);
        }
    }

    /** Stages the error word (-1, -1) and the class indices at their offsets. */
    private static void stageLabels(MemorySegment stage, long oError, Targets.ClassIndices indices, long oLabels, long labelBytes) {
        stage.set(ValueLayout.JAVA_LONG, oError, -1L);
        stage.set(ValueLayout.JAVA_LONG, oError + Long.BYTES, -1L);
        MemorySegment.copy(indices.data(), 0, stage, oLabels, labelBytes);
    }

    /** Throws naming the row and value when the kernel recorded a bad label in the error word copied back. */
    private static void checkLabels(MemorySegment head, long oError, long classes, long ignoreIndex) {
        Optional<DeviceOps.LabelError> bad = DeviceOps.labelError(head, oError);
        if (bad.isPresent()) throw bad.get().toException(classes, ignoreIndex);
    }

    private static long at(long base, long offset) {
        return offset < 0 ? 0 : base + offset;
    }

    /** Offsets of aligned sub-buffers in one allocation. */
    private static final class Slots {
        private long size;

        long add(long bytes) {
            long offset = (size + ALIGN - 1) / ALIGN * ALIGN;
            size = Math.addExact(offset, bytes);
            return offset;
        }

        long size() {
            return size;
        }
    }

    @Override
    public String toString() {
        return description;
    }
}
