package dev.xent.engine.jvm;

import dev.xent.IndexType;
import dev.xent.Targets;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** Class-index targets as the row files read them: one label per row, checked against C and ignoreIndex. */
final class Labels {
    private Labels() {}

    static long label(Targets.ClassIndices idx, long r) {
        return idx.type() == IndexType.I32
                ? idx.data().getAtIndex(ValueLayout.JAVA_INT_UNALIGNED, r)
                : idx.data().getAtIndex(ValueLayout.JAVA_LONG_UNALIGNED, r);
    }

    static void checkLabel(long y, long r, long classes, long ignoreIndex) {
        if (y < 0 || y >= classes) {
            throw new IllegalArgumentException("target " + y + " at row " + r + " is out of range [0, " + classes
                    + ") and is not ignoreIndex (" + ignoreIndex + ")");
        }
    }

    /** Class weights (or null) hold at least C fp32 values. */
    static void checkWeights(MemorySegment weight, long classes) {
        if (weight != null && weight.byteSize() < (long) Float.BYTES * classes) {
            throw new IllegalArgumentException("weight holds " + weight.byteSize() / Float.BYTES + " values, C = " + classes);
        }
    }

    /**
     * The MEAN denominator: sum of w[y_i] over the rows that are not ignored (with a null weight, their
     * count), in double in row order; every such label is checked.
     */
    static double meanDenominator(Targets.ClassIndices idx, long rows, long classes, long ignoreIndex, MemorySegment weight) {
        double d = 0;
        for (long r = 0; r < rows; r++) {
            long y = label(idx, r);
            if (y == ignoreIndex) continue;
            checkLabel(y, r, classes, ignoreIndex);
            d += weight == null ? 1 : Elem.getF32(weight, y);
        }
        return d;
    }
}
