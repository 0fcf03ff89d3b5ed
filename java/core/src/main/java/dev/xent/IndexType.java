package dev.xent;

/** Element type of class-index targets. */
public enum IndexType {
    I32(4),
    I64(8);

    private final int byteSize;

    IndexType(int byteSize) {
        this.byteSize = byteSize;
    }

    public int byteSize() {
        return byteSize;
    }
}
