package dev.xent.cli;

import dev.xent.DType;
import dev.xent.Logits;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * Logits read from a .npy file as the library sees them, and the way back: buffers shaped like
 * the logits (gradient, log-probabilities) are written in the file's own dtype.
 *
 * <p>Storage: float32 and float16 files are used as they are. With {@code --bf16}, a float32 file
 * is rounded to bfloat16 (nearest, ties to even, as {@code torch.Tensor.bfloat16()}) and results
 * shaped like it are written back as float32 (the bf16 values, widened exactly); a uint16 file is
 * taken as raw bf16 bits and results are written back as uint16 bf16 bits.
 */
final class LogitsInput {
    /** How the file's values became the library's storage type. */
    enum Storage {
        F32(DType.F32, NpyDType.FLOAT32),
        F16(DType.F16, NpyDType.FLOAT16),
        BF16_ROUNDED_FROM_F32(DType.BF16, NpyDType.FLOAT32),
        BF16_BITS(DType.BF16, NpyDType.UINT16);

        final DType dtype;
        final NpyDType fileType;

        Storage(DType dtype, NpyDType fileType) {
            this.dtype = dtype;
            this.fileType = fileType;
        }
    }

    private final String name;
    private final Storage storage;
    private final long[] shape;
    private final Logits logits;

    private LogitsInput(String name, Storage storage, long[] shape, MemorySegment data) {
        this.name = name;
        this.storage = storage;
        this.shape = shape;
        this.logits = Logits.of(data, storage.dtype, shape);
    }

    /** The logits of a .npy array named {@code name} in messages. */
    static LogitsInput of(NpyArray array, boolean bf16, String name) {
        if (array.ndim() < 2) {
            throw new UserError(name + ": logits must have shape (N, C) or (N, C, d1, ..., dk), got " + array.shapeString());
        }
        if (array.shape()[1] == 0) {
            throw new UserError(name + ": logits have C = 0 classes (shape " + array.shapeString() + ")");
        }
        Storage storage = storageOf(array.dtype(), bf16, name);
        MemorySegment data = array.data();
        if (storage == Storage.BF16_ROUNDED_FROM_F32) {
            data = allocate(array.count(), 2);
            for (long i = 0; i < array.count(); i++) {
                data.setAtIndex(ValueLayout.JAVA_SHORT, i, Bf16.fromFloat(array.data().getAtIndex(ValueLayout.JAVA_FLOAT, i)));
            }
        }
        return new LogitsInput(name, storage, array.shape(), data);
    }

    static Storage storageOf(NpyDType type, boolean bf16, String name) {
        if (bf16) {
            return switch (type) {
                case FLOAT32 -> Storage.BF16_ROUNDED_FROM_F32;
                case UINT16 -> Storage.BF16_BITS;
                default -> throw new UserError(name + ": --bf16 takes float32 logits (rounded to bf16) or uint16 bf16 bits, got "
                        + type.numpyName());
            };
        }
        return switch (type) {
            case FLOAT32 -> Storage.F32;
            case FLOAT16 -> Storage.F16;
            case UINT16 -> throw new UserError(name + ": uint16 logits are read as bf16 bits, and only with --bf16");
            default -> throw new UserError(name + ": logits must be float32 or float16 (with --bf16: float32 or uint16 bf16 bits), got "
                    + type.numpyName());
        };
    }

    Logits logits() {
        return logits;
    }

    Storage storage() {
        return storage;
    }

    String name() {
        return name;
    }

    long[] shape() {
        return shape.clone();
    }

    String shapeString() {
        return NpyArray.shapeString(shape);
    }

    /** Fails with a {@link UserError} naming the first row (in row order) and class holding a NaN. */
    void requireNoNaN() {
        long classes = shape[1];
        long inner = NpyArray.count(shape) / Math.max(1, shape[0] * classes);
        MemorySegment data = logits.data();
        long count = NpyArray.count(shape);
        long firstRow = -1;
        long firstClass = -1;
        for (long i = 0; i < count; i++) {
            if (!Float.isNaN(valueAt(data, i))) continue;
            long row = i / (classes * inner) * inner + i % inner;
            if (firstRow < 0 || row < firstRow) {
                firstRow = row;
                firstClass = i / inner % classes;
            }
            if (inner == 1) break; // elements come in row order
        }
        if (firstRow >= 0) throw new UserError(name + ": NaN in row " + firstRow + " (class " + firstClass + "); logits must be numbers");
    }

    private float valueAt(MemorySegment data, long i) {
        return switch (storage.dtype) {
            case F32 -> data.getAtIndex(ValueLayout.JAVA_FLOAT, i);
            case F16 -> Float.float16ToFloat(data.getAtIndex(ValueLayout.JAVA_SHORT, i));
            case BF16 -> Bf16.toFloat(data.getAtIndex(ValueLayout.JAVA_SHORT, i));
        };
    }

    /** A new buffer of the logits' shape and storage type (for a gradient or log-probabilities). */
    Logits newBuffer() {
        return logits.sameLayoutOver(allocate(NpyArray.count(shape), storage.dtype.byteSize()));
    }

    /** A buffer of the logits' shape as an array of the logits file's dtype. */
    NpyArray toNpy(Logits buffer) {
        return toNpy(storage, shape, buffer.data());
    }

    /** {@code count(shape)} values of the storage type as an array of the file's dtype (bf16 widened back to float32). */
    static NpyArray toNpy(Storage storage, long[] shape, MemorySegment src) {
        long n = NpyArray.count(shape);
        if (storage != Storage.BF16_ROUNDED_FROM_F32) {
            return new NpyArray(storage.fileType, shape, src.asSlice(0, n * storage.dtype.byteSize()));
        }
        MemorySegment widened = allocate(n, Float.BYTES);
        for (long i = 0; i < n; i++) widened.setAtIndex(ValueLayout.JAVA_FLOAT, i, Bf16.toFloat(src.getAtIndex(ValueLayout.JAVA_SHORT, i)));
        return new NpyArray(NpyDType.FLOAT32, shape, widened);
    }

    /**
     * Probability targets (float of the logits' shape) in the logits' storage type: values are
     * rounded to it; uint16 is accepted only as bf16 bits beside uint16 bf16 logits.
     */
    MemorySegment probabilities(NpyArray targets, String targetName) {
        if (!Arrays.equals(targets.shape(), shape)) {
            throw new UserError(targetName + ": probability targets must have the logits' shape " + shapeString() + ", got "
                    + targets.shapeString());
        }
        if (targets.dtype() == NpyDType.UINT16 && storage == Storage.BF16_BITS) return targets.data();
        if (!targets.dtype().isFloat()) {
            throw new UserError(targetName + ": targets must be int64 or int32 class indices or float probabilities, got "
                    + targets.dtype().numpyName());
        }
        long n = targets.count();
        MemorySegment out = allocate(n, storage.dtype.byteSize());
        for (long i = 0; i < n; i++) {
            float v = (float) targets.getDouble(i);
            switch (storage.dtype) {
                case F32 -> out.setAtIndex(ValueLayout.JAVA_FLOAT, i, v);
                case F16 -> out.setAtIndex(ValueLayout.JAVA_SHORT, i, Float.floatToFloat16(v));
                case BF16 -> out.setAtIndex(ValueLayout.JAVA_SHORT, i, Bf16.fromFloat(v));
            }
        }
        return out;
    }

    static MemorySegment allocate(long count, int elementSize) {
        return NativeMemory.allocate(Math.multiplyExact(count, (long) elementSize));
    }
}
