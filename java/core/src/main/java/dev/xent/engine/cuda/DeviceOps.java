package dev.xent.engine.cuda;

import dev.xent.DType;
import dev.xent.IndexType;
import dev.xent.Layout;
import dev.xent.Reduction;
import dev.xent.engine.ElementwiseLossCall;
import dev.xent.engine.Pass;
import dev.xent.ffi.XentLibrary;
import dev.xent.ffi.xent_h;
import dev.xent.ffi.xent_h.xent_ce_options;
import dev.xent.ffi.xent_h.xent_ce_outputs;
import dev.xent.ffi.xent_h.xent_distill_options;
import dev.xent.ffi.xent_h.xent_distill_outputs;
import dev.xent.ffi.xent_h.xent_elementwise_options;
import dev.xent.ffi.xent_h.xent_elementwise_outputs;
import dev.xent.ffi.xent_h.xent_nll_options;
import dev.xent.ffi.xent_h.xent_nll_outputs;
import dev.xent.ffi.xent_h.xent_row_stats_options;
import dev.xent.ffi.xent_h.xent_row_stats_outputs;
import dev.xent.ffi.xent_h.xent_targets;
import dev.xent.ffi.xent_h.xent_tensor;
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
 * <p>One method per op family, as the C ABI has one call per family: what it computes is a
 * {@link Pass} (or {@link SoftmaxOp}) argument, and its tensors, targets, options and outputs are
 * records mirroring the header's structs ({@link Tensor} for {@code xent_tensor}, {@link CeOptions}
 * for {@code xent_ce_options}, ...), copied into the generated struct layouts for the one downcall.
 *
 * <p>Class-index calls take {@code errorInfo}, the address of 2 device int64 (or 0 for none): set
 * it with {@link #resetErrorInfo(long, long)} before the call, and read it with {@link
 * #readErrorInfo(long, long)} at a synchronisation point of your choosing; a label outside
 * [0, C) that is not {@code ignoreIndex} makes its row contribute nothing and is recorded there.
 *
 * <p>Argument errors the library detects (null pointers, bad sizes) throw {@link
 * IllegalArgumentException}; CUDA errors throw {@link XentException}. Internal to the engine:
 * users reach device memory through the public API ({@code Xent.allocate}, {@code
 * Logits.onDevice}), which validates every call first. Thread-safe, as the C library is.
 */
final class DeviceOps {
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

    /** fp32 elements of workspace a cross-entropy, NLL or softmax call over rows x classes needs (at least 4). */
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

    // ---- the structs of xent.h, as Java values -------------------------------------------------

    /**
     * {@code xent_tensor}: {@code layout}'s rows of {@code dtype} elements at device address {@code data}.
     */
    public record Tensor(DType dtype, long data, Layout layout) {
        public Tensor {
            Objects.requireNonNull(dtype, "dtype");
            Objects.requireNonNull(layout, "layout");
        }
    }

    /**
     * {@code xent_targets}: what a row is compared with, at device address {@code data}: class
     * indices of {@code indexType}, or (indexType null) dense probabilities in the logits' dtype
     * and shape.
     */
    public record Target(IndexType indexType, long data) {
        /** One class index per row. */
        public static Target classes(IndexType type, long data) {
            return new Target(Objects.requireNonNull(type, "type"), data);
        }

        /** A dense distribution per row, the logits' dtype and layout. */
        public static Target probabilities(long data) {
            return new Target(null, data);
        }

        public boolean isClasses() {
            return indexType != null;
        }
    }

    /**
     * {@code xent_ce_options}: class weights (C fp32, or 0 for ones), ignore_index, label smoothing,
     * and the LLM-training terms (see {@link dev.xent.CrossEntropy}): logit scale s > 0, soft-cap c
     * (0: none), z-loss lambda >= 0.
     */
    public record CeOptions(long weight, long ignoreIndex, float labelSmoothing, float logitScale, float softcap,
            float zLoss, Reduction reduction) {
        /** No weights, no smoothing, no scale, cap or z-loss. */
        public static CeOptions plain(long ignoreIndex, Reduction reduction) {
            return new CeOptions(0, ignoreIndex, 0f, 1f, 0f, 0f, reduction);
        }
    }

    /**
     * {@code xent_ce_outputs}, device addresses (0 for NULL): gradient, per-row loss and z-loss,
     * lse (read by BACKWARD), workspace ({@link #workspaceFloats(long, long)}) and error word.
     */
    public record CeOutputs(long grad, long rowLoss, long rowZLoss, long lse, long workspace, long errorInfo) {}

    /** {@code xent_nll_options}. */
    public record NllOptions(long weight, long ignoreIndex, Reduction reduction) {}

    /** {@code xent_nll_outputs}. */
    public record NllOutputs(long grad, long rowLoss, long workspace, long errorInfo) {}

    /**
     * {@code xent_distill_options}: temperature tau > 0, alpha in [0, 1] (1: no hard-label term),
     * the hard term's class weights (C fp32, or 0 for ones).
     */
    public record DistillOptions(float temperature, float alpha, long weight, long ignoreIndex, Reduction reduction) {}

    /** {@code xent_distill_outputs}: each per-row output may be 0. */
    public record DistillOutputs(long grad, long rowLoss, long rowKl, long rowSoftCe, long rowTeacherEntropy,
            long workspace, long errorInfo) {}

    /**
     * {@code xent_row_stats_outputs}: {@code stats} ({@code RowStatsCall.FLOATS * rows} fp32,
     * statistic j of row r at {@code j * rows + r}), {@code indices} (2 * rows int64: ranks, then
     * predicted classes), error word.
     */
    public record RowStatsOutputs(long stats, long indices, long errorInfo) {}

    /** {@code xent_softmax_op}. */
    public enum SoftmaxOp {
        /** out = z - lse(z), the input's dtype and layout; out may equal in. */
        LOG_SOFTMAX,
        /** out = exp(z - lse(z)), the input's dtype and layout; out may equal in. */
        SOFTMAX,
        /** out[r] = log sum_k exp z_rk, one fp32 per row. */
        LOGSUMEXP
    }

    // ---- one method per op family ---------------------------------------------------------------

    /**
     * {@code xent_ce}: with {@code pass} FORWARD the per-row loss, z-loss and lse (each may be 0)
     * and the reduction in {@code workspace[0]}, its denominator in [1] and its z-loss part in
     * [3]; BACKWARD the gradient from the saved lse; FORWARD_BACKWARD both, fused. {@code grad} may
     * equal {@code logits.data()}; {@code upstream} 0 means 1.
     */
    public void crossEntropy(Pass pass, Tensor logits, Target target, CeOptions options, long upstream, CeOutputs out,
            long stream) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment o = xent_ce_options.allocate(arena);
            xent_ce_options.weight(o, ptr(options.weight()));
            xent_ce_options.ignore_index(o, options.ignoreIndex());
            xent_ce_options.label_smoothing(o, options.labelSmoothing());
            xent_ce_options.logit_scale(o, options.logitScale());
            xent_ce_options.softcap(o, options.softcap());
            xent_ce_options.z_loss(o, options.zLoss());
            xent_ce_options.reduction(o, reduction(options.reduction()));
            MemorySegment r = xent_ce_outputs.allocate(arena);
            xent_ce_outputs.grad(r, ptr(out.grad()));
            xent_ce_outputs.row_loss(r, ptr(out.rowLoss()));
            xent_ce_outputs.row_z_loss(r, ptr(out.rowZLoss()));
            xent_ce_outputs.lse(r, ptr(out.lse()));
            xent_ce_outputs.workspace(r, ptr(out.workspace()));
            xent_ce_outputs.error_info(r, ptr(out.errorInfo()));
            XentStatus.check(lib, lib.xent_ce(pass(pass), tensor(arena, logits), targets(arena, target), o, ptr(upstream), r,
                    ptr(stream)), "xent_ce(" + pass + ")");
        }
    }

    /** {@code xent_softmax}: {@code out} as {@link SoftmaxOp} says. */
    public void softmax(SoftmaxOp op, Tensor in, long out, long stream) {
        try (Arena arena = Arena.ofConfined()) {
            int code = switch (Objects.requireNonNull(op, "op")) {
                case LOG_SOFTMAX -> xent_h.XENT_LOG_SOFTMAX();
                case SOFTMAX -> xent_h.XENT_SOFTMAX();
                case LOGSUMEXP -> xent_h.XENT_LOGSUMEXP();
            };
            XentStatus.check(lib, lib.xent_softmax(code, tensor(arena, in), ptr(out), ptr(stream)), "xent_softmax(" + op + ")");
        }
    }

    /**
     * {@code xent_nll} over log-probabilities, {@code pass} FORWARD or FORWARD_BACKWARD: per-row
     * losses ({@code rowLoss} may be 0), the reduction in {@code workspace[0..1]}, and the gradient
     * ({@code grad} may equal {@code input.data()}).
     */
    public void nll(Pass pass, Tensor input, Target labels, NllOptions options, long upstream, NllOutputs out, long stream) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment o = xent_nll_options.allocate(arena);
            xent_nll_options.weight(o, ptr(options.weight()));
            xent_nll_options.ignore_index(o, options.ignoreIndex());
            xent_nll_options.reduction(o, reduction(options.reduction()));
            MemorySegment r = xent_nll_outputs.allocate(arena);
            xent_nll_outputs.grad(r, ptr(out.grad()));
            xent_nll_outputs.row_loss(r, ptr(out.rowLoss()));
            xent_nll_outputs.workspace(r, ptr(out.workspace()));
            xent_nll_outputs.error_info(r, ptr(out.errorInfo()));
            XentStatus.check(lib, lib.xent_nll(pass(pass), tensor(arena, input), targets(arena, labels), o, ptr(upstream), r,
                    ptr(stream)), "xent_nll(" + pass + ")");
        }
    }

    /** fp32 elements of workspace a distillation call over {@code rows} rows needs. */
    public long distillWorkspaceFloats(long rows) {
        return lib.xent_distill_workspace_floats(rows);
    }

    /**
     * {@code xent_distill}, {@code pass} FORWARD or FORWARD_BACKWARD: {@code student} has the
     * teacher's dtype and layout; {@code labels} null when alpha is 1; {@code workspace[0..2]} the
     * reduced loss and both denominators; {@code grad} may equal {@code student.data()}.
     */
    public void distill(Pass pass, Tensor teacher, Tensor student, Target labels, DistillOptions options, long upstream,
            DistillOutputs out, long stream) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment o = xent_distill_options.allocate(arena);
            xent_distill_options.temperature(o, options.temperature());
            xent_distill_options.alpha(o, options.alpha());
            xent_distill_options.ignore_index(o, options.ignoreIndex());
            xent_distill_options.reduction(o, reduction(options.reduction()));
            xent_distill_options.weight(o, ptr(options.weight()));
            MemorySegment r = xent_distill_outputs.allocate(arena);
            xent_distill_outputs.grad(r, ptr(out.grad()));
            xent_distill_outputs.row_loss(r, ptr(out.rowLoss()));
            xent_distill_outputs.row_kl(r, ptr(out.rowKl()));
            xent_distill_outputs.row_soft_ce(r, ptr(out.rowSoftCe()));
            xent_distill_outputs.row_teacher_entropy(r, ptr(out.rowTeacherEntropy()));
            xent_distill_outputs.workspace(r, ptr(out.workspace()));
            xent_distill_outputs.error_info(r, ptr(out.errorInfo()));
            MemorySegment t = labels == null ? MemorySegment.NULL : targets(arena, labels);
            XentStatus.check(lib, lib.xent_distill(pass(pass), tensor(arena, teacher), tensor(arena, student), t, o,
                    ptr(upstream), r, ptr(stream)), "xent_distill(" + pass + ")");
        }
    }

    /**
     * {@code xent_entropy}: per-row entropy into {@code out}; FORWARD_BACKWARD also its gradient
     * into {@code grad} ({@code upstream} per row, or 0 for ones).
     */
    public void entropy(Pass pass, Tensor logits, long upstream, long out, long grad, long stream) {
        try (Arena arena = Arena.ofConfined()) {
            XentStatus.check(lib, lib.xent_entropy(pass(pass), tensor(arena, logits), ptr(upstream), ptr(out), ptr(grad),
                    ptr(stream)), "xent_entropy(" + pass + ")");
        }
    }

    /**
     * {@code xent_js}: per-row Jensen-Shannon divergence of softmax(p) and softmax(q) into {@code out};
     * FORWARD_BACKWARD also the gradients into {@code gradP} and {@code gradQ} (either 0 for not
     * wanted, not both; each may be its logits' address), {@code upstream} per row, or 0 for ones.
     */
    public void jensenShannon(Pass pass, Tensor p, Tensor q, long upstream, long out, long gradP, long gradQ, long stream) {
        try (Arena arena = Arena.ofConfined()) {
            XentStatus.check(lib, lib.xent_js(pass(pass), tensor(arena, p), tensor(arena, q), ptr(upstream), ptr(out),
                    ptr(gradP), ptr(gradQ), ptr(stream)), "xent_js(" + pass + ")");
        }
    }

    /** {@code xent_row_stats} with logit scale {@code scale}. See {@link dev.xent.engine.RowStatsCall}. */
    public void rowStats(Tensor logits, Target labels, long ignoreIndex, float scale, RowStatsOutputs out, long stream) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment o = xent_row_stats_options.allocate(arena);
            xent_row_stats_options.ignore_index(o, ignoreIndex);
            xent_row_stats_options.logit_scale(o, scale);
            MemorySegment r = xent_row_stats_outputs.allocate(arena);
            xent_row_stats_outputs.stats(r, ptr(out.stats()));
            xent_row_stats_outputs.indices(r, ptr(out.indices()));
            xent_row_stats_outputs.error_info(r, ptr(out.errorInfo()));
            XentStatus.check(lib, lib.xent_row_stats(tensor(arena, logits), targets(arena, labels), o, r, ptr(stream)),
                    "xent_row_stats");
        }
    }

    // ---- element-wise losses ---------------------------------------------------------------------

    /** fp32 elements of the workspace an element-wise loss over {@code count} elements needs. */
    public long elementwiseWorkspaceFloats(long count) {
        return lib.xent_elementwise_workspace_floats(count);
    }

    /**
     * {@code xent_elementwise}: FORWARD_BACKWARD when the call has a gradient, FORWARD otherwise.
     * The call's segments are device addresses ({@code MemorySegment.ofAddress}, null for NULL) and
     * its {@code reduced} is not used: the reduced loss and the count land in workspace[0] and [1].
     * {@code errorInfo} (2 int64, or 0) records a bad element as xent.h describes; decode it with
     * {@link #elementwiseError(ElementwiseLossCall, MemorySegment, long)}.
     */
    public void elementwiseLoss(ElementwiseLossCall c, long workspace, long errorInfo, long stream) {
        Pass pass = c.grad() != null ? Pass.FORWARD_BACKWARD : Pass.FORWARD;
        // a dense tensor of any shape: rows of its last axis (an empty 1-D tensor's is 0: no rows of 1)
        long last = Math.max(1, c.lastDim());
        Layout rows = Layout.rows(c.count() / last, last);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment o = xent_elementwise_options.allocate(arena);
            xent_elementwise_options.op(o, switch (c.op()) {
                case BCE_WITH_LOGITS -> xent_h.XENT_BCE_WITH_LOGITS();
                case GAUSSIAN_NLL -> xent_h.XENT_GAUSSIAN_NLL();
                case LAPLACE_NLL -> xent_h.XENT_LAPLACE_NLL();
                case POISSON_NLL -> xent_h.XENT_POISSON_NLL();
            });
            xent_elementwise_options.reduction(o, reduction(c.reduction()));
            xent_elementwise_options.weight(o, seg(c.weight()));
            xent_elementwise_options.weight_broadcast(o, broadcast(c.weightBroadcast()));
            xent_elementwise_options.pos_weight(o, seg(c.posWeight()));
            xent_elementwise_options.scale(o, seg(c.aux()));
            xent_elementwise_options.scale_broadcast(o, broadcast(c.auxBroadcast()));
            xent_elementwise_options.full(o, c.full() ? 1 : 0);
            xent_elementwise_options.eps(o, c.eps());
            xent_elementwise_options.log_input(o, c.logInput() ? 1 : 0);
            MemorySegment r = xent_elementwise_outputs.allocate(arena);
            xent_elementwise_outputs.grad(r, seg(c.grad()));
            xent_elementwise_outputs.scale_grad(r, seg(c.auxGrad()));
            xent_elementwise_outputs.loss(r, seg(c.loss()));
            xent_elementwise_outputs.workspace(r, ptr(workspace));
            xent_elementwise_outputs.error_info(r, ptr(errorInfo));
            MemorySegment input = tensor(arena, new Tensor(c.dtype(), seg(c.input()).address(), rows));
            XentStatus.check(lib, lib.xent_elementwise(pass(pass), input, seg(c.target()), o, seg(c.upstream()), r, ptr(stream)),
                    "xent_elementwise(" + c.op() + ", " + pass + ")");
        }
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

    // ---- filling the structs -------------------------------------------------------------------

    private static MemorySegment tensor(Arena arena, Tensor t) {
        MemorySegment s = xent_tensor.allocate(arena);
        xent_tensor.data(s, ptr(t.data()));
        xent_tensor.dtype(s, dtype(t.dtype()));
        xent_tensor.outer(s, t.layout().outer());
        xent_tensor.classes(s, t.layout().classes());
        xent_tensor.inner(s, t.layout().inner());
        xent_tensor.outer_stride(s, t.layout().outerStride());
        return s;
    }

    private static MemorySegment targets(Arena arena, Target t) {
        MemorySegment s = xent_targets.allocate(arena);
        xent_targets.kind(s, t.isClasses() ? xent_h.XENT_TARGET_CLASSES() : xent_h.XENT_TARGET_PROBABILITIES());
        xent_targets.index_type(s, t.isClasses() ? indexType(t.indexType()) : xent_h.XENT_I32());
        xent_targets.data(s, ptr(t.data()));
        return s;
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

    static int pass(Pass pass) {
        return switch (Objects.requireNonNull(pass, "pass")) {
            case FORWARD -> xent_h.XENT_FORWARD();
            case BACKWARD -> xent_h.XENT_BACKWARD();
            case FORWARD_BACKWARD -> xent_h.XENT_FORWARD_BACKWARD();
        };
    }

    static int broadcast(ElementwiseLossCall.Broadcast broadcast) {
        return switch (Objects.requireNonNull(broadcast, "broadcast")) {
            case PER_ELEMENT -> xent_h.XENT_PER_ELEMENT();
            case PER_LAST -> xent_h.XENT_PER_LAST();
            case PER_ROW -> xent_h.XENT_PER_ROW();
            case SCALAR -> xent_h.XENT_SCALAR();
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
