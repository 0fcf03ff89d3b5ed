package dev.xent.cli;

import dev.xent.IndexType;
import dev.xent.Targets;
import java.util.Arrays;

/** Class-index targets from a .npy file: int64 or int32 of the logits' row shape (N) or (N, d1..dk). */
final class ClassTargets {
    private ClassTargets() {}

    static boolean isIndexFile(NpyArray t) {
        return t.dtype() == NpyDType.INT64 || t.dtype() == NpyDType.INT32;
    }

    static Targets.ClassIndices read(InputFile file, LogitsInput in) {
        NpyArray t = file.array();
        if (!isIndexFile(t)) {
            throw new UserError(file.name() + ": targets must be int64 or int32 class indices, got " + t.dtype().numpyName());
        }
        long[] rowShape = in.logits().rowShape();
        if (!Arrays.equals(t.shape(), rowShape)) {
            throw new UserError(file.name() + ": class-index targets of shape " + t.shapeString()
                    + " do not match logits of shape " + in.shapeString() + ": expected " + NpyArray.shapeString(rowShape));
        }
        return Targets.classes(t.data(), t.dtype() == NpyDType.INT64 ? IndexType.I64 : IndexType.I32);
    }
}
