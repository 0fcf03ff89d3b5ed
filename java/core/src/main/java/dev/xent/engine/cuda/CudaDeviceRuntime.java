package dev.xent.engine.cuda;

import dev.xent.DType;
import dev.xent.Layout;
import dev.xent.Targets;
import dev.xent.engine.CrossEntropyCall;
import dev.xent.engine.DeviceRuntime;
import dev.xent.engine.DistillCall;
import dev.xent.engine.ElementwiseLossCall;
import dev.xent.engine.NllCall;
import dev.xent.engine.Pass;
import dev.xent.ffi.XentLibrary;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Objects;

/**
 * {@link DeviceRuntime} over one loaded xent library: each method is its C call (through {@link
 * DeviceOps} for the compute calls), after making the named device current for the thread.
 */
final class CudaDeviceRuntime implements DeviceRuntime {
    private final String engineName;
    private final XentLibrary lib;
    private final DeviceOps ops;

    CudaDeviceRuntime(String engineName, XentLibrary lib, DeviceOps ops) {
        this.engineName = Objects.requireNonNull(engineName, "engineName");
        this.lib = Objects.requireNonNull(lib, "lib");
        this.ops = Objects.requireNonNull(ops, "ops");
    }

    @Override
    public String engineName() {
        return engineName;
    }

    @Override
    public int deviceCount() {
        return ops.deviceCount();
    }

    @Override
    public long allocate(int device, long bytes) {
        ops.setDevice(device);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
            XentStatus.check(lib, lib.xent_malloc(out, Math.max(bytes, 1)), "xent_malloc(" + bytes + " bytes)");
            return out.get(ValueLayout.ADDRESS, 0).address();
        }
    }

    @Override
    public void free(long address) {
        XentStatus.check(lib, lib.xent_free(DeviceOps.ptr(address)), "xent_free");
    }

    @Override
    public int deviceOf(long address) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment device = arena.allocate(ValueLayout.JAVA_INT);
            XentStatus.check(lib, lib.xent_pointer_device(DeviceOps.ptr(address), device), "xent_pointer_device");
            return device.get(ValueLayout.JAVA_INT, 0);
        }
    }

    @Override
    public void copyToDevice(int device, long dst, MemorySegment host, long stream) {
        ops.setDevice(device);
        ops.copyToDevice(dst, host, stream);
    }

    @Override
    public void copyToHost(int device, MemorySegment host, long src, long stream) {
        ops.setDevice(device);
        ops.copyToHost(host, src, stream);
    }

    @Override
    public void memset(int device, long dst, int value, long bytes, long stream) {
        ops.setDevice(device);
        ops.memset(dst, value, bytes, stream);
    }

    @Override
    public long createStream(int device) {
        ops.setDevice(device);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
            XentStatus.check(lib, lib.xent_stream_create(out), "xent_stream_create");
            return out.get(ValueLayout.ADDRESS, 0).address();
        }
    }

    @Override
    public void destroyStream(long stream) {
        XentStatus.check(lib, lib.xent_stream_destroy(DeviceOps.ptr(stream)), "xent_stream_destroy");
    }

    @Override
    public int streamDevice(int device, long stream) {
        ops.setDevice(device);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ValueLayout.JAVA_INT);
            XentStatus.check(lib, lib.xent_stream_device(DeviceOps.ptr(stream), out), "xent_stream_device");
            return out.get(ValueLayout.JAVA_INT, 0);
        }
    }

    @Override
    public void synchronize(int device, long stream) {
        ops.setDevice(device);
        ops.synchronize(stream);
    }

    @Override
    public long synchronizingCalls() {
        return lib.xent_synchronizing_calls();
    }

    @Override
    public long workspaceFloats(long rows, long classes) {
        return ops.workspaceFloats(rows, classes);
    }

    @Override
    public void crossEntropy(int device, CrossEntropyCall c, MemorySegment workspace, MemorySegment errorInfo, long stream) {
        ops.setDevice(device);
        DeviceOps.Target target = switch (c.targets()) {
            case Targets.ClassIndices idx -> DeviceOps.Target.classes(idx.type(), idx.data().address());
            case Targets.Probabilities prob -> DeviceOps.Target.probabilities(prob.data().address());
        };
        ops.crossEntropy(c.pass(), new DeviceOps.Tensor(c.dtype(), c.logits().address(), c.layout()), target,
                new DeviceOps.CeOptions(address(c.weight()), c.ignoreIndex(), c.labelSmoothing(), c.logitScale(), c.softcap(),
                        c.zLoss(), c.reduction()),
                address(c.upstream()),
                new DeviceOps.CeOutputs(address(c.grad()), address(c.rowLoss()), address(c.rowZLoss()), address(c.lse()),
                        workspace.address(), address(errorInfo)),
                stream);
    }

    @Override
    public long distillWorkspaceFloats(long rows) {
        return ops.distillWorkspaceFloats(rows);
    }

    @Override
    public void nll(int device, NllCall c, MemorySegment workspace, MemorySegment errorInfo, long stream) {
        ops.setDevice(device);
        ops.nll(c.pass(), new DeviceOps.Tensor(c.dtype(), c.input().address(), c.layout()),
                DeviceOps.Target.classes(c.targets().type(), c.targets().data().address()),
                new DeviceOps.NllOptions(address(c.weight()), c.ignoreIndex(), c.reduction()), address(c.upstream()),
                new DeviceOps.NllOutputs(address(c.grad()), address(c.rowLoss()), workspace.address(), address(errorInfo)),
                stream);
    }

    @Override
    public void distill(int device, DistillCall c, MemorySegment workspace, MemorySegment errorInfo, long stream) {
        ops.setDevice(device);
        ops.distill(c.pass(), new DeviceOps.Tensor(c.dtype(), c.teacher().address(), c.layout()),
                new DeviceOps.Tensor(c.dtype(), c.student().address(), c.layout()),
                c.targets() == null ? null : DeviceOps.Target.classes(c.targets().type(), c.targets().data().address()),
                new DeviceOps.DistillOptions(c.temperature(), c.alpha(), address(c.weight()), c.ignoreIndex(), c.reduction()),
                address(c.upstream()),
                new DeviceOps.DistillOutputs(address(c.grad()), address(c.rowLoss()), address(c.rowKl()), address(c.rowSoftCe()),
                        address(c.rowEntropy()), workspace.address(), address(errorInfo)),
                stream);
    }

    @Override
    public long elementwiseWorkspaceFloats(long count) {
        return ops.elementwiseWorkspaceFloats(count);
    }

    @Override
    public void elementwiseLoss(int device, ElementwiseLossCall call, MemorySegment workspace, MemorySegment errorInfo,
            long stream) {
        ops.setDevice(device);
        ops.elementwiseLoss(call, workspace.address(), address(errorInfo), stream);
    }

    @Override
    public void entropy(int device, Layout layout, DType dtype, MemorySegment logits, MemorySegment upstream,
            MemorySegment grad, MemorySegment out, long stream) {
        ops.setDevice(device);
        ops.entropy(grad == null ? Pass.FORWARD : Pass.FORWARD_BACKWARD, new DeviceOps.Tensor(dtype, logits.address(), layout),
                address(upstream), out.address(), address(grad), stream);
    }

    @Override
    public void jensenShannon(int device, Layout layout, DType dtype, MemorySegment p, MemorySegment q, MemorySegment upstream,
            MemorySegment gradP, MemorySegment gradQ, MemorySegment out, long stream) {
        ops.setDevice(device);
        ops.jensenShannon(gradP == null && gradQ == null ? Pass.FORWARD : Pass.FORWARD_BACKWARD,
                new DeviceOps.Tensor(dtype, p.address(), layout), new DeviceOps.Tensor(dtype, q.address(), layout),
                address(upstream), out.address(), address(gradP), address(gradQ), stream);
    }

    @Override
    public void logSoftmax(int device, Layout layout, DType dtype, MemorySegment in, MemorySegment out, long stream) {
        softmaxFamily(DeviceOps.SoftmaxOp.LOG_SOFTMAX, device, layout, dtype, in, out, stream);
    }

    @Override
    public void softmax(int device, Layout layout, DType dtype, MemorySegment in, MemorySegment out, long stream) {
        softmaxFamily(DeviceOps.SoftmaxOp.SOFTMAX, device, layout, dtype, in, out, stream);
    }

    @Override
    public void logSumExp(int device, Layout layout, DType dtype, MemorySegment in, MemorySegment out, long stream) {
        softmaxFamily(DeviceOps.SoftmaxOp.LOGSUMEXP, device, layout, dtype, in, out, stream);
    }

    private void softmaxFamily(DeviceOps.SoftmaxOp op, int device, Layout layout, DType dtype, MemorySegment in,
            MemorySegment out, long stream) {
        ops.setDevice(device);
        ops.softmax(op, new DeviceOps.Tensor(dtype, in.address(), layout), out.address(), stream);
    }

    private static long address(MemorySegment segment) {
        return segment == null ? 0 : segment.address();
    }
}
