package dev.xent.engine;

/** Which part of a loss an engine call computes. */
public enum Pass {
    /** Per-row loss and log-sum-exp, and the reduction. */
    FORWARD,
    /** Gradient from the log-sum-exp a forward pass saved. */
    BACKWARD,
    /** Loss, log-sum-exp and gradient in one pass over the logits. */
    FORWARD_BACKWARD
}
