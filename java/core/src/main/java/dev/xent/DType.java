package dev.xent;

/**
 * Storage type of logits, probabilities and gradients. Arithmetic is always fp32; bf16 and fp16
 * are storage formats only (passed as the raw 16 bits in a {@code short}).
 */
public enum DType {
    F32(4),
    BF16(2),
    F16(2);

    private final int byteSize;

    DType(int byteSize) {
        this.byteSize = byteSize;
    }

    /** Bytes one element occupies. */
    public int byteSize() {
        return byteSize;
    }
}
