package dev.xent;

import dev.xent.internal.Checks;
import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * What a cross-entropy is measured against: one class index per row, or a probability
 * distribution over the classes per row.
 */
public sealed interface Targets {

    /**
     * One class index per row, in row order (shape (N) or (N, d1..dk)): values in [0, C), or the
     * option's {@code ignoreIndex}. The segment holds a whole number of indices: as many as the
     * logits have rows, which each op checks.
     */
    record ClassIndices(MemorySegment data, IndexType type) implements Targets {
        public ClassIndices {
            Objects.requireNonNull(data, "data");
            Objects.requireNonNull(type, "type");
            Checks.wholeElements(data, type.byteSize(), type.name(), "class-index targets");
        }

        /** Number of indices the buffer holds. */
        public long count() {
            return data.byteSize() / type.byteSize();
        }
    }

    /**
     * Class probabilities of the logits' shape, stored densely (no row stride), in the logits'
     * storage type. Used as given, as PyTorch does.
     */
    record Probabilities(MemorySegment data, DType dtype) implements Targets {
        public Probabilities {
            Objects.requireNonNull(data, "data");
            Objects.requireNonNull(dtype, "dtype");
            Checks.wholeElements(data, dtype.byteSize(), dtype.name(), "probability targets");
        }
    }

    static ClassIndices classes(int[] labels) {
        return new ClassIndices(MemorySegment.ofArray(Objects.requireNonNull(labels, "labels")), IndexType.I32);
    }

    static ClassIndices classes(long[] labels) {
        return new ClassIndices(MemorySegment.ofArray(Objects.requireNonNull(labels, "labels")), IndexType.I64);
    }

    static ClassIndices classes(MemorySegment labels, IndexType type) {
        return new ClassIndices(labels, type);
    }

    static Probabilities probabilities(float[] probabilities) {
        return new Probabilities(MemorySegment.ofArray(Objects.requireNonNull(probabilities, "probabilities")), DType.F32);
    }

    static Probabilities probabilities(MemorySegment probabilities, DType dtype) {
        return new Probabilities(probabilities, dtype);
    }
}
