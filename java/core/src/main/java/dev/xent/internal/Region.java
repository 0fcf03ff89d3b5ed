package dev.xent.internal;

import dev.xent.DenseTensor;
import dev.xent.Logits;
import dev.xent.Targets;
import java.lang.foreign.MemorySegment;

/**
 * The bytes one argument of a call touches, under the name the API gives it: from the start of
 * its segment to the end of its extent (a strided tensor's padding between rows included). What
 * {@link Checks#disjoint} compares: heap regions by array and index range, native ones by address.
 *
 * @param name      the argument's name in messages ("grad", "targets")
 * @param bytes     the touched bytes
 * @param inPlaceOf for an output, the input it may replace exactly (the same bytes); null: none
 */
public record Region(String name, MemorySegment bytes, Region inPlaceOf) {

    /** A logits-shaped tensor's extent; null for null (an argument the call does not have). */
    public static Region of(String name, Logits t) {
        return t == null ? null : new Region(name, t.data().asSlice(0, t.layout().extent() * t.dtype().byteSize()), null);
    }

    /** A dense tensor's elements; null for null. */
    public static Region of(String name, DenseTensor t) {
        return t == null ? null : new Region(name, t.data().asSlice(0, t.count() * t.dtype().byteSize()), null);
    }

    /** Targets: their whole segment (its size was checked against the logits); null for null. */
    public static Region of(String name, Targets t) {
        return switch (t) {
            case null -> null;
            case Targets.ClassIndices idx -> new Region(name, idx.data(), null);
            case Targets.Probabilities prob -> new Region(name, prob.data(), null);
        };
    }

    /** A Java array the call reads or writes whole; null for null. */
    public static Region of(String name, float[] values) {
        return values == null ? null : new Region(name, MemorySegment.ofArray(values), null);
    }

    /** An output tensor allowed to be exactly {@code input} (the same bytes: written in place); null for null. */
    public static Region inPlaceOf(Region input, String name, Logits t) {
        return t == null ? null : new Region(name, of(name, t).bytes, input);
    }

    /** An output dense tensor allowed to be exactly {@code input}; null for null. */
    public static Region inPlaceOf(Region input, String name, DenseTensor t) {
        return t == null ? null : new Region(name, of(name, t).bytes, input);
    }

    /** The bytes this region shares with {@code other}: 0 when disjoint. */
    long sharedBytes(Region other) {
        return bytes.asOverlappingSlice(other.bytes).map(MemorySegment::byteSize).orElse(0L);
    }

    /** Whether {@code other} covers exactly these bytes. */
    boolean sameBytes(Region other) {
        return bytes.byteSize() == other.bytes.byteSize() && sharedBytes(other) == bytes.byteSize();
    }
}
