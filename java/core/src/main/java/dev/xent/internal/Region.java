package dev.xent.internal;

import dev.xent.DenseTensor;
import dev.xent.DeviceMemory;
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
 * @param device    the device memory the bytes are in; null for host memory
 * @param inPlaceOf for an output, the input it may replace exactly (the same bytes); null: none
 */
public record Region(String name, MemorySegment bytes, DeviceMemory device, Region inPlaceOf) {

    /** A logits-shaped tensor's extent; null for null (an argument the call does not have). */
    public static Region of(String name, Logits t) {
        return t == null ? null
                : new Region(name, t.data().asSlice(0, t.layout().extent() * t.dtype().byteSize()), t.deviceMemory().orElse(null), null);
    }

    /** A dense tensor's elements; null for null. */
    public static Region of(String name, DenseTensor t) {
        return t == null ? null
                : new Region(name, t.data().asSlice(0, t.count() * t.dtype().byteSize()), t.deviceMemory().orElse(null), null);
    }

    /** Targets: their whole segment (its size was checked against the logits); null for null. */
    public static Region of(String name, Targets t) {
        return switch (t) {
            case null -> null;
            case Targets.ClassIndices idx -> new Region(name, idx.data(), idx.device(), null);
            case Targets.Probabilities prob -> new Region(name, prob.data(), prob.device(), null);
        };
    }

    /** A Java array the call reads or writes whole; null for null. */
    public static Region of(String name, float[] values) {
        return values == null ? null : new Region(name, MemorySegment.ofArray(values), null, null);
    }

    /** Device memory the call reads or writes whole; null for null. */
    public static Region of(String name, DeviceMemory memory, MemorySegment range) {
        return memory == null ? null : new Region(name, range, memory, null);
    }

    /** An output tensor allowed to be exactly {@code input} (the same bytes: written in place); null for null. */
    public static Region inPlaceOf(Region input, String name, Logits t) {
        return t == null ? null : new Region(name, of(name, t).bytes, t.deviceMemory().orElse(null), input);
    }

    /** An output dense tensor allowed to be exactly {@code input}; null for null. */
    public static Region inPlaceOf(Region input, String name, DenseTensor t) {
        return t == null ? null : new Region(name, of(name, t).bytes, t.deviceMemory().orElse(null), input);
    }

    /** Where the bytes are, for messages: "host memory" or "device memory of cuda-emu:0". */
    String where() {
        return device == null ? "host memory" : "device memory of " + device.engineName() + ":" + device.device();
    }

    /** Whether both are host memory, or both memory of one device of one engine. */
    boolean sameMemoryAs(Region other) {
        if (device == null || other.device == null) return device == other.device;
        return device.engineName().equals(other.device.engineName()) && device.device() == other.device.device();
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
