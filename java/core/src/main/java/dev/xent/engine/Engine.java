package dev.xent.engine;

import dev.xent.DType;
import dev.xent.Layout;
import java.lang.foreign.MemorySegment;
import java.util.Optional;

/**
 * Computes the ops for one kind of memory. Engines receive validated calls on host segments (and,
 * through {@link #device()}, on device memory);
 * they never allocate N x C temporaries and never change their inputs except where a call asks
 * for an in-place gradient. Implementations must be thread-safe.
 */
public interface Engine {

    /** The name users select the engine by: "java", "cuda", "cuda-emu". */
    String name();

    /** One line on how this engine runs (vector width, device name, library path). */
    String description();

    /** Cross-entropy forward, backward, or both fused. See {@link CrossEntropyCall}. */
    void crossEntropy(CrossEntropyCall call);

    /** An element-wise loss (BCE with logits, Gaussian, Laplace, Poisson NLL), forward or fused. See {@link ElementwiseLossCall}. */
    void elementwiseLoss(ElementwiseLossCall call);

    /** {@code out = z - lse(z)} row by row; {@code out} has the input's layout and dtype and may alias it. */
    void logSoftmax(Layout layout, DType dtype, MemorySegment in, MemorySegment out);

    /** {@code out = exp(z - lse(z))} row by row; {@code out} has the input's layout and dtype and may alias it. */
    void softmax(Layout layout, DType dtype, MemorySegment in, MemorySegment out);

    /** {@code out[r] = log sum_k exp z[r, k]} as fp32, one per row. */
    void logSumExp(Layout layout, DType dtype, MemorySegment in, MemorySegment out);

    /** NLL loss on log-probabilities, forward or forward + gradient. See {@link NllCall}. */
    void nll(NllCall call);

    /** Distillation (KL and soft cross-entropy between two logit tensors, optional hard term). See {@link DistillCall}. */
    void distill(DistillCall call);

    /**
     * {@code out[r] = H(softmax(z_r))} as fp32; with {@code grad} non-null also its gradient
     * {@code -u_r p_k (z_k - sum_j p_j z_j)} (u = {@code upstream}, one fp32 per row, null for 1).
     */
    void entropy(Layout layout, DType dtype, MemorySegment logits, MemorySegment upstream, MemorySegment grad, MemorySegment out);

    /**
     * {@code out[r] = JS(softmax(p_r), softmax(q_r)) = (A_r + B_r) / 2} as fp32, one per row, never
     * below 0, with {@code A = KL(p || m)}, {@code B = KL(q || m)}, {@code m = (p + q) / 2}; with
     * {@code gradP} (or {@code gradQ}) non-null also the gradient w.r.t. p's (q's) logits,
     * {@code u_r / 2 p_k (log(p_k / m_k) - A_r)} ({@code u_r / 2 q_k (log(q_k / m_k) - B_r)}), 0 where
     * p_k (q_k) = 0; u = {@code upstream}, one fp32 per row, null for 1. Either gradient may be its
     * own logits (in place).
     */
    void jensenShannon(Layout layout, DType dtype, MemorySegment p, MemorySegment q, MemorySegment upstream,
            MemorySegment gradP, MemorySegment gradQ, MemorySegment out);

    /** Per-row evaluation statistics (loss, rank of the target, confidence, moments) in one pass. See {@link RowStatsCall}. */
    void rowStats(RowStatsCall call);

    /** Device memory, streams and the ops on device memory; empty for an engine that computes on the host. */
    default Optional<DeviceRuntime> device() {
        return Optional.empty();
    }
}
