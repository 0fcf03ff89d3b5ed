package dev.xent;

import dev.xent.internal.Checks;
import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * What a cross-entropy is measured against: one class index per row, or a probability
 * distribution over the classes per row, in host memory or in {@link DeviceMemory}.
 */
public sealed interface Targets {

    /** The device memory the targets are in; null for host memory. */
    DeviceMemory device();

    /**
     * One class index per row, in row order (shape (N) or (N, d1..dk)): values in [0, C), or the
     * option's {@code ignoreIndex}. The segment holds a whole number of indices: as many as the
     * logits have rows, which each op checks. Host indices are range-checked before a call; device
     * ones by the kernels, into the error word a {@link DeviceLoss} reports.
     *
     * @param device the device memory {@code data} is the address range of; null for host memory
     */
    record ClassIndices(MemorySegment data, IndexType type, DeviceMemory device) implements Targets {
        public ClassIndices {
            Objects.requireNonNull(data, "data");
            Objects.requireNonNull(type, "type");
            Checks.wholeElements(data, type.byteSize(), type.name(), "class-index targets");
            if (device != null) Checks.deviceRange(data, device, type.byteSize(), "device memory of " + type + " class indices");
        }

        /** Indices in host memory. */
        public ClassIndices(MemorySegment data, IndexType type) {
            this(data, type, null);
        }

        /** Number of indices the buffer holds. */
        public long count() {
            return data.byteSize() / type.byteSize();
        }
    }

    /**
     * Class probabilities of the logits' shape, stored densely (no row stride), in the logits'
     * storage type. Used as given, as PyTorch does.
     *
     * @param device the device memory {@code data} is the address range of; null for host memory
     */
    record Probabilities(MemorySegment data, DType dtype, DeviceMemory device) implements Targets {
        public Probabilities {
            Objects.requireNonNull(data, "data");
            Objects.requireNonNull(dtype, "dtype");
            Checks.wholeElements(data, dtype.byteSize(), dtype.name(), "probability targets");
            if (device != null) Checks.deviceRange(data, device, dtype.byteSize(), "device memory of " + dtype + " probability targets");
        }

        /** Probabilities in host memory. */
        public Probabilities(MemorySegment data, DType dtype) {
            this(data, dtype, null);
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

    /** Class indices filling {@code labels} (device memory), one per row. */
    static ClassIndices classes(DeviceMemory labels, IndexType type) {
        Objects.requireNonNull(labels, "labels");
        Checks.alive(labels.span(), "device");
        return new ClassIndices(labels.span(), type, labels);
    }

    static Probabilities probabilities(float[] probabilities) {
        return new Probabilities(MemorySegment.ofArray(Objects.requireNonNull(probabilities, "probabilities")), DType.F32);
    }

    static Probabilities probabilities(MemorySegment probabilities, DType dtype) {
        return new Probabilities(probabilities, dtype);
    }

    /** Probabilities filling {@code probabilities} (device memory), the logits' shape and dtype. */
    static Probabilities probabilities(DeviceMemory probabilities, DType dtype) {
        Objects.requireNonNull(probabilities, "probabilities");
        Checks.alive(probabilities.span(), "device");
        return new Probabilities(probabilities.span(), dtype, probabilities);
    }
}
