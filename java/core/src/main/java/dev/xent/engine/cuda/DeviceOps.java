package dev.xent.engine.cuda;

import dev.xent.DType;
import dev.xent.IndexType;
import dev.xent.Layout;
import dev.xent.Reduction;
import dev.xent.engine.ElementwiseLossCall;
import dev.xent.ffi.XentLibrary;
import dev.xent.ffi.xent_h;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Objects;
import java.util.Optional;

/**
 * The xent ops on device memory the caller already owns: raw device addresses (as {@code long},
 * 0 for NULL) and a stream ({@code cudaStream_t} as a {@code long}, 0 for the default stream).
 * Nothing is copied and nothing synchronises: every compute method only enqueues work on the
 * stream, exactly as the C functions of native/include/xent.h it mirrors, so a training stack
 * whose logits already live on the GPU pays no copy and keeps its own synchronisation points.
 *
 * <p>Class-index calls take {@code errorInfo}, the address of 2 device int64 (or 0 for none): set
 * it with {@link #resetErrorInfo(long, long)} before the call, and read it with {@link
 * #readErrorInfo(long, long)} at a synchronisation point of your choosing; a label outside
 * [0, C) that is not {@code ignoreIndex} makes its row contribute nothing and is recorded there.
 *
 * <p>Argument errors the library detects (null pointers, bad sizes) throw {@link
 * IllegalArgumentException}; CUDA errors throw {@link XentException}. Obtain an instance from
 * {@link CudaEngine#device()}. Thread-safe, as the C library is.
 */
public final class DeviceOps {
    private final XentLibrary lib;

    DeviceOps(XentLibrary lib) {
        this.lib = Objects.requireNonNull(lib, "lib");
    }

    /** The bound library, for calls this class does not wrap. */
    public XentLibrary library() {
        return lib;
    }

    // ---- devices and memory ------------------------------------------------------------------

    /** Whether the library is the host emulator (device addresses are then host addresses). */
    public boolean isEmulator() {
        return lib.xent_is_emulator() != 0;
    }

    /** Number of devices. */
    public int deviceCount() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment count = arena.allocate(ValueLayout.JAVA_INT);
            XentStatus.check(lib, lib.xent_device_count(count), "xent_device_count");
            return count.get(ValueLayout.JAVA_INT, 0);
        }
    }

    /** The device's name. */
    public String deviceName(int device) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment name = arena.allocate(256);
            XentStatus.check(lib, lib.xent_device_name(device, name, name.byteSize()), "xent_device_name(" + device + ")");
            return name.getString(0);
        }
    }

    /** Makes {@code device} current for the calling thread (cudaSetDevice). */
    public void setDevice(int device) {
        XentStatus.check(lib, lib.xent_set_device(device), "xent_set_device(" + device + ")");
    }

    /** Device memory owned by the returned buffer: {@link DeviceBuffer#close()} frees it. */
    public DeviceBuffer allocate(long bytes) {
        return DeviceBuffer.allocate(lib, bytes, null);
    }

    /** Device memory freed when {@code arena} closes. */
    public DeviceBuffer allocate(long bytes, Arena arena) {
        return DeviceBuffer.allocate(lib, bytes, Objects.requireNonNull(arena, "arena"));
    }

    /** fp32 elements of workspace a compute call over rows x classes needs (at least 2). */
    public long workspaceFloats(long rows, long classes) {
        return lib.xent_workspace_floats(rows, classes);
    }

    /** Copies {@code src} (host) to device address {@code dst}; synchronous. {@code src} must be native memory. */
    public void copyToDevice(long dst, MemorySegment src, long stream) {
        requireNative(src);
        XentStatus.check(lib, lib.xent_copy_to_device(ptr(dst), src, src.byteSize(), ptr(stream)), "xent_copy_to_device");
    }

    /** Fills {@code dst} (host) from device address {@code src}; synchronous. {@code dst} must be native memory. */
    public void copyToHost(MemorySegment dst, long src, long stream) {
        requireNative(dst);
        XentStatus.check(lib, lib.xent_copy_to_host(dst, ptr(src), dst.byteSize(), ptr(stream)), "xent_copy_to_host");
    }

    /** Sets {@code bytes} bytes at {@code dst} to {@code value}, asynchronously on the stream. */
    public void memset(long dst, int value, long bytes, long stream) {
        XentStatus.check(lib, lib.xent_memset(ptr(dst), value, bytes, ptr(stream)), "xent_memset");
    }

    /** Waits for the stream's work. */
    public void synchronize(long stream) {
        XentStatus.check(lib, lib.xent_stream_synchronize(ptr(stream)), "xent_stream_synchronize");
    }

    // ---- the error word ------------------------------------------------------------------------

    /** A label a kernel found outside [0, C): the first bad row (in row order of discovery) and its value. */
    public record LabelError(long row, long label) {
        /** The exception host-array calls throw for it. */
        public IllegalArgumentException toException(long classes, long ignoreIndex) {
            return new IllegalArgumentException("target " + label + " at row " + row + " is out of range [0, " + classes
                    + ") and is not ignoreIndex (" + ignoreIndex + ")");
        }
    }

    /** Sets the 2 int64 at {@code errorInfo} to -1 (bytes 0xFF), asynchronously on the stream. */
    public void resetErrorInfo(long errorInfo, long stream) {
        memset(errorInfo, 0xFF, 2 * Long.BYTES, stream);
    }

    /**
     * Reads the 2 int64 at {@code errorInfo}. This copy is a synchronisation point: it waits for
     * the stream's earlier work.
     */
    public Optional<LabelError> readErrorInfo(long errorInfo, long stream) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment host = arena.allocate(ValueLayout.JAVA_LONG, 2);
            copyToHost(host, errorInfo, stream);
            return labelError(host, 0);
        }
    }

    /** The error word read from host memory at {@code offset} (2 int64): empty if the first is still -1. */
    static Optional<LabelError> labelError(MemorySegment host, long offset) {
        long row = host.get(ValueLayout.JAVA_LONG_UNALIGNED, offset);
        if (row == -1) return Optional.empty();
        return Optional.of(new LabelError(row, host.get(ValueLayout.JAVA_LONG_UNALIGNED, offset + Long.BYTES)));
    }

    // ---- cross-entropy with class-index targets ------------------------------------------------

    /**
     * The LLM-training options of the cross-entropy calls, as {@code xent.h} takes them (see
     * {@link dev.xent.CrossEntropy}): logit scale s > 0, soft-cap c (0: none), z-loss lambda >= 0.
     */
    public record CeExtras(float logitScale, float softcap, float zLoss) {
        /** No scale, no cap, no z-loss. */
        public static final CeExtras NONE = new CeExtras(1f, 0f, 0f);
    }

    /**
     * {@code xent_ce_forward}: per-row loss, z-loss ({@code rowZLoss} may be 0) and log-sum-exp
     * ({@code lse} may be 0), and the reduction in {@code workspace[0]} with its denominator in
     * {@code workspace[1]} and its z-loss part in {@code workspace[3]}.
     */
    public void crossEntropyForward(DType dtype, long logits, Layout layout, IndexType labelType, long labels,
            long weight, long ignoreIndex, float labelSmoothing, CeExtras extras, Reduction reduction,
            long rowLoss, long rowZLoss, long lse, long workspace, long errorInfo, long stream) {
        XentStatus.check(lib, lib.xent_ce_forward(dtype(dtype), ptr(logits),
                layout.outer(), layout.classes(), layout.inner(), layout.outerStride(),
                indexType(labelType), ptr(labels), ptr(weight), ignoreIndex, labelSmoothing,
                extras.logitScale(), extras.softcap(), extras.zLoss(),
                reduction(reduction), ptr(rowLoss), ptr(rowZLoss), ptr(lse), ptr(workspace), ptr(errorInfo), ptr(stream)),
                "xent_ce_forward");
    }

    /** {@code xent_ce_backward}: the gradient from a saved {@code lse}; {@code grad} may equal {@code logits}. */
    public void crossEntropyBackward(DType dtype, long logits, long grad, Layout layout, IndexType labelType, long labels,
            long weight, long ignoreIndex, float labelSmoothing, CeExtras extras, Reduction reduction,
            long upstream, long lse, long workspace, long errorInfo, long stream) {
        XentStatus.check(lib, lib.xent_ce_backward(dtype(dtype), ptr(logits), ptr(grad),
                layout.outer(), layout.classes(), layout.inner(), layout.outerStride(),
                indexType(labelType), ptr(labels), ptr(weight), ignoreIndex, labelSmoothing,
                extras.logitScale(), extras.softcap(), extras.zLoss(), reduction(reduction), ptr(upstream), ptr(lse), ptr(workspace), ptr(errorInfo), ptr(stream)),
                "xent_ce_backward");
    }

    /** {@code xent_ce_forward_backward}: loss and gradient fused; {@code grad} may equal {@code logits}. */
    public void crossEntropyForwardBackward(DType dtype, long logits, long grad, Layout layout, IndexType labelType,
            long labels, long weight, long ignoreIndex, float labelSmoothing, CeExtras extras, Reduction reduction,
            long upstream, long rowLoss, long rowZLoss, long lse, long workspace, long errorInfo, long stream) {
        XentStatus.check(lib, lib.xent_ce_forward_backward(dtype(dtype), ptr(logits), ptr(grad),
                layout.outer(), layout.classes(), layout.inner(), layout.outerStride(),
                indexType(labelType), ptr(labels), ptr(weight), ignoreIndex, labelSmoothing,
                extras.logitScale(), extras.softcap(), extras.zLoss(),
                reduction(reduction), ptr(upstream), ptr(rowLoss), ptr(rowZLoss), ptr(lse), ptr(workspace), ptr(errorInfo), ptr(stream)),
                "xent_ce_forward_backward");
    }

    // ---- cross-entropy with probability targets ------------------------------------------------

    /** {@code xent_ce_soft_forward}: targets are dense probabilities in {@code dtype}, shape of the logits. */
    public void softCrossEntropyForward(DType dtype, long logits, Layout layout, long targets, long weight,
            float labelSmoothing, CeExtras extras, Reduction reduction, long rowLoss, long rowZLoss, long lse,
            long workspace, long stream) {
        XentStatus.check(lib, lib.xent_ce_soft_forward(dtype(dtype), ptr(logits),
                layout.outer(), layout.classes(), layout.inner(), layout.outerStride(),
                ptr(targets), ptr(weight), labelSmoothing, extras.logitScale(), extras.softcap(), extras.zLoss(),
                reduction(reduction), ptr(rowLoss), ptr(rowZLoss), ptr(lse), ptr(workspace), ptr(stream)),
                "xent_ce_soft_forward");
    }

    /** {@code xent_ce_soft_backward}. */
    public void softCrossEntropyBackward(DType dtype, long logits, long grad, Layout layout, long targets, long weight,
            float labelSmoothing, CeExtras extras, Reduction reduction, long upstream, long lse, long workspace,
            long stream) {
        XentStatus.check(lib, lib.xent_ce_soft_backward(dtype(dtype), ptr(logits), ptr(grad),
                layout.outer(), layout.classes(), layout.inner(), layout.outerStride(),
                ptr(targets), ptr(weight), labelSmoothing, extras.logitScale(), extras.softcap(), extras.zLoss(),
                reduction(reduction),
                ptr(upstream), ptr(lse), ptr(workspace), ptr(stream)),
                "xent_ce_soft_backward");
    }

    /** {@code xent_ce_soft_forward_backward}. */
    public void softCrossEntropyForwardBackward(DType dtype, long logits, long grad, Layout layout, long targets,
            long weight, float labelSmoothing, CeExtras extras, Reduction reduction, long upstream,
            long rowLoss, long rowZLoss, long lse, long workspace, long stream) {
        XentStatus.check(lib, lib.xent_ce_soft_forward_backward(dtype(dtype), ptr(logits), ptr(grad),
                layout.outer(), layout.classes(), layout.inner(), layout.outerStride(),
                ptr(targets), ptr(weight), labelSmoothing, extras.logitScale(), extras.softcap(), extras.zLoss(),
                reduction(reduction), ptr(upstream), ptr(rowLoss), ptr(rowZLoss), ptr(lse), ptr(workspace), ptr(stream)),
                "xent_ce_soft_forward_backward");
    }

    // ---- element-wise losses ---------------------------------------------------------------------

    /** fp32 elements of the workspace an element-wise loss over {@code count} elements needs. */
    public long elementwiseWorkspaceFloats(long count) {
        return lib.xent_elementwise_workspace_floats(count);
    }

    /**
     * Enqueues an element-wise loss ({@code xent_bce_with_logits}, {@code xent_gaussian_nll},
     * {@code xent_laplace_nll} or {@code xent_poisson_nll}). The call's segments are device
     * addresses ({@code MemorySegment.ofAddress}, null for NULL) and its {@code reduced} is not
     * used: the reduced loss and the count land in workspace[0] and [1]. {@code errorInfo} (2
     * int64, or 0) records a bad element as xent.h describes; decode it with
     * {@link #elementwiseError(ElementwiseLossCall, MemorySegment, long)}.
     */
    public void elementwiseLoss(ElementwiseLossCall c, long workspace, long errorInfo, long stream) {
        int dt = dtype(c.dtype());
        int red = reduction(c.reduction());
        MemorySegment ws = ptr(workspace), err = ptr(errorInfo), st = ptr(stream);
        int status = switch (c.op()) {
            case BCE_WITH_LOGITS -> lib.xent_bce_with_logits(dt, seg(c.input()), seg(c.target()), seg(c.grad()), c.count(),
                    c.lastDim(), seg(c.weight()), c.weightBroadcast().ordinal(), seg(c.posWeight()), red, seg(c.upstream()),
                    seg(c.loss()), ws, err, st);
            case GAUSSIAN_NLL -> lib.xent_gaussian_nll(dt, seg(c.input()), seg(c.target()), seg(c.grad()), c.count(),
                    c.lastDim(), seg(c.aux()), c.auxBroadcast().ordinal(), seg(c.auxGrad()), c.full() ? 1 : 0, c.eps(), red,
                    seg(c.upstream()), seg(c.loss()), ws, err, st);
            case LAPLACE_NLL -> lib.xent_laplace_nll(dt, seg(c.input()), seg(c.target()), seg(c.grad()), c.count(),
                    c.lastDim(), seg(c.aux()), c.auxBroadcast().ordinal(), seg(c.auxGrad()), c.full() ? 1 : 0, c.eps(), red,
                    seg(c.upstream()), seg(c.loss()), ws, err, st);
            case POISSON_NLL -> lib.xent_poisson_nll(dt, seg(c.input()), seg(c.target()), seg(c.grad()), c.count(),
                    c.logInput() ? 1 : 0, c.full() ? 1 : 0, c.eps(), red, seg(c.upstream()), seg(c.loss()), ws, err, st);
        };
        XentStatus.check(lib, status, "element-wise loss " + c.op());
    }

    /** The exception for the bad element recorded in a host copy of error_info at {@code offset}, if any. */
    public static Optional<IllegalArgumentException> elementwiseError(ElementwiseLossCall c, MemorySegment host, long offset) {
        long element = host.get(ValueLayout.JAVA_LONG_UNALIGNED, offset);
        if (element == -1) return Optional.empty();
        long word = host.get(ValueLayout.JAVA_LONG_UNALIGNED, offset + Long.BYTES);
        return Optional.of(c.badValue(element, (int) (word >>> 32), Float.intBitsToFloat((int) word)));
    }

    private static MemorySegment seg(MemorySegment deviceAddress) {
        return deviceAddress == null ? MemorySegment.NULL : deviceAddress;
    }

    // ---- softmax family ------------------------------------------------------------------------

    /** {@code xent_log_softmax}: {@code out} has the input's layout and dtype and may equal {@code in}. */
    public void logSoftmax(DType dtype, long in, long out, Layout layout, long stream) {
        XentStatus.check(lib, lib.xent_log_softmax(dtype(dtype), ptr(in), ptr(out),
                layout.outer(), layout.classes(), layout.inner(), layout.outerStride(), ptr(stream)), "xent_log_softmax");
    }

    /** {@code xent_softmax}: {@code out} has the input's layout and dtype and may equal {@code in}. */
    public void softmax(DType dtype, long in, long out, Layout layout, long stream) {
        XentStatus.check(lib, lib.xent_softmax(dtype(dtype), ptr(in), ptr(out),
                layout.outer(), layout.classes(), layout.inner(), layout.outerStride(), ptr(stream)), "xent_softmax");
    }

    /** {@code xent_logsumexp}: {@code out} is one fp32 per row. */
    public void logSumExp(DType dtype, long in, long out, Layout layout, long stream) {
        XentStatus.check(lib, lib.xent_logsumexp(dtype(dtype), ptr(in), ptr(out),
                layout.outer(), layout.classes(), layout.inner(), layout.outerStride(), ptr(stream)), "xent_logsumexp");
    }

    // ---- NLL loss on log-probabilities ---------------------------------------------------------

    /** {@code xent_nll_forward}: per-row losses ({@code rowLoss} may be 0) and the reduction in {@code workspace[0..1]}. */
    public void nllForward(DType dtype, long input, Layout layout, IndexType labelType, long labels, long weight,
            long ignoreIndex, Reduction reduction, long rowLoss, long workspace, long errorInfo, long stream) {
        XentStatus.check(lib, lib.xent_nll_forward(dtype(dtype), ptr(input),
                layout.outer(), layout.classes(), layout.inner(), layout.outerStride(),
                indexType(labelType), ptr(labels), ptr(weight), ignoreIndex, reduction(reduction),
                ptr(rowLoss), ptr(workspace), ptr(errorInfo), ptr(stream)), "xent_nll_forward");
    }

    /** {@code xent_nll_forward_backward}: also the gradient; {@code grad} may equal {@code input}. */
    public void nllForwardBackward(DType dtype, long input, long grad, Layout layout, IndexType labelType, long labels,
            long weight, long ignoreIndex, Reduction reduction, long upstream, long rowLoss, long workspace,
            long errorInfo, long stream) {
        XentStatus.check(lib, lib.xent_nll_forward_backward(dtype(dtype), ptr(input), ptr(grad),
                layout.outer(), layout.classes(), layout.inner(), layout.outerStride(),
                indexType(labelType), ptr(labels), ptr(weight), ignoreIndex, reduction(reduction),
                ptr(upstream), ptr(rowLoss), ptr(workspace), ptr(errorInfo), ptr(stream)), "xent_nll_forward_backward");
    }

    // ---- distillation, entropy, Jensen-Shannon ---------------------------------------------------

    /** fp32 elements of workspace a distillation call over {@code rows} rows needs. */
    public long distillWorkspaceFloats(long rows) {
        return lib.xent_distill_workspace_floats(rows);
    }

    /**
     * {@code xent_distill_forward} ({@code grad} 0) or {@code xent_distill_forward_backward}: the
     * per-row outputs may each be 0; labels 0 when alpha is 1; {@code workspace[0..2]} the reduced
     * loss and both denominators.
     */
    public void distill(DType dtype, long teacher, long student, long grad, Layout layout, float temperature,
            float alpha, IndexType labelType, long labels, long ignoreIndex, Reduction reduction, long upstream,
            long rowLoss, long rowKl, long rowSoftCe, long rowTeacherEntropy, long workspace, long errorInfo,
            long stream) {
        int type = labelType == null ? xent_h.XENT_I32() : indexType(labelType);
        if (grad == 0) {
            XentStatus.check(lib, lib.xent_distill_forward(dtype(dtype), ptr(teacher), ptr(student),
                    layout.outer(), layout.classes(), layout.inner(), layout.outerStride(), temperature, alpha,
                    type, ptr(labels), ignoreIndex, reduction(reduction), ptr(rowLoss), ptr(rowKl),
                    ptr(rowSoftCe), ptr(rowTeacherEntropy), ptr(workspace), ptr(errorInfo), ptr(stream)),
                    "xent_distill_forward");
        } else {
            XentStatus.check(lib, lib.xent_distill_forward_backward(dtype(dtype), ptr(teacher), ptr(student), ptr(grad),
                    layout.outer(), layout.classes(), layout.inner(), layout.outerStride(), temperature, alpha,
                    type, ptr(labels), ignoreIndex, reduction(reduction), ptr(upstream), ptr(rowLoss), ptr(rowKl),
                    ptr(rowSoftCe), ptr(rowTeacherEntropy), ptr(workspace), ptr(errorInfo), ptr(stream)),
                    "xent_distill_forward_backward");
        }
    }

    /** {@code xent_entropy}: per-row entropy; with {@code grad} non-zero also its gradient ({@code upstream} per row or 0). */
    public void entropy(DType dtype, long logits, long grad, Layout layout, long upstream, long out, long stream) {
        XentStatus.check(lib, lib.xent_entropy(dtype(dtype), ptr(logits), ptr(grad),
                layout.outer(), layout.classes(), layout.inner(), layout.outerStride(), ptr(upstream), ptr(out),
                ptr(stream)), "xent_entropy");
    }

    /** {@code xent_js}: per-row Jensen-Shannon divergence of softmax(p) and softmax(q). */
    public void jensenShannon(DType dtype, long p, long q, Layout layout, long out, long stream) {
        XentStatus.check(lib, lib.xent_js(dtype(dtype), ptr(p), ptr(q),
                layout.outer(), layout.classes(), layout.inner(), layout.outerStride(), ptr(out), ptr(stream)), "xent_js");
    }

    // ---- evaluation ----------------------------------------------------------------------------

    /**
     * {@code xent_row_stats}: per-row statistics with logit scale {@code scale} into {@code stats}
     * ({@code RowStatsCall.FLOATS * rows} fp32, statistic j of row r at {@code j * rows + r}) and
     * {@code indices} (2 * rows int64: ranks, then predicted classes). See {@link dev.xent.engine.RowStatsCall}.
     */
    public void rowStats(DType dtype, long logits, Layout layout, IndexType labelType, long labels, long ignoreIndex,
            float scale, long stats, long indices, long errorInfo, long stream) {
        XentStatus.check(lib, lib.xent_row_stats(dtype(dtype), ptr(logits),
                layout.outer(), layout.classes(), layout.inner(), layout.outerStride(),
                indexType(labelType), ptr(labels), ignoreIndex, scale, ptr(stats), ptr(indices), ptr(errorInfo), ptr(stream)),
                "xent_row_stats");
    }

    // ---- codes ---------------------------------------------------------------------------------

    static int dtype(DType dtype) {
        return switch (Objects.requireNonNull(dtype, "dtype")) {
            case F32 -> xent_h.XENT_F32();
            case BF16 -> xent_h.XENT_BF16();
            case F16 -> xent_h.XENT_F16();
        };
    }

    static int indexType(IndexType type) {
        return switch (Objects.requireNonNull(type, "labelType")) {
            case I32 -> xent_h.XENT_I32();
            case I64 -> xent_h.XENT_I64();
        };
    }

    static int reduction(Reduction reduction) {
        return switch (Objects.requireNonNull(reduction, "reduction")) {
            case NONE -> xent_h.XENT_REDUCTION_NONE();
            case SUM -> xent_h.XENT_REDUCTION_SUM();
            case MEAN -> xent_h.XENT_REDUCTION_MEAN();
        };
    }

    static MemorySegment ptr(long address) {
        return address == 0 ? MemorySegment.NULL : MemorySegment.ofAddress(address);
    }

    private static void requireNative(MemorySegment host) {
        Objects.requireNonNull(host, "host segment");
        if (!host.isNative()) {
            throw new IllegalArgumentException("the device API takes native host segments only (no copy is hidden here); "
                    + "use DeviceBuffer.copyFrom/copyTo for heap arrays");
        }
    }
}
