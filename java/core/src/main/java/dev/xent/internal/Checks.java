package dev.xent.internal;

import dev.xent.DenseTensor;
import dev.xent.DeviceMemory;
import dev.xent.IndexType;
import dev.xent.Logits;
import dev.xent.Reduction;
import dev.xent.Targets;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The argument checks every op of dev.xent and dev.xent.eval shares: each throws naming what is
 * wrong before an engine sees the call. Not API: public only because two packages use it; the
 * module does not export this package.
 */
public final class Checks {
    private Checks() {}

    /** Throws when {@code segment}'s arena was closed; {@code what} names the buffer. */
    public static void alive(MemorySegment segment, String what) {
        if (!segment.scope().isAlive()) {
            throw new IllegalStateException(what + " memory is no longer accessible: its arena was closed");
        }
    }

    /**
     * {@code a * b} for non-negative {@code a} and {@code b}, or an IllegalArgumentException saying
     * that {@code what} (the product's name, e.g. "C * inner") does not fit in 64 bits.
     */
    public static long product(String what, long a, long b) {
        if (a != 0 && b > Long.MAX_VALUE / a) {
            throw new IllegalArgumentException(what + " = " + a + " * " + b + " overflows a 64-bit size");
        }
        return a * b;
    }

    /** Throws unless {@code data} holds a whole number of {@code elementName} elements; {@code what} names it. */
    public static void wholeElements(MemorySegment data, int elementBytes, String elementName, String what) {
        if (data.byteSize() % elementBytes != 0) {
            throw new IllegalArgumentException(what + " holds " + data.byteSize() + " bytes, not a whole number of "
                    + elementName + " elements (" + elementBytes + " bytes each)");
        }
    }

    /**
     * Throws unless {@code data} holds a whole number of elements of {@code elementBytes} each and at
     * least {@code count} of them. {@code what} names the argument; {@code shape} says what needs them.
     */
    public static void holds(MemorySegment data, long count, int elementBytes, String elementName, String what, String shape) {
        wholeElements(data, elementBytes, elementName, what);
        long needed = product("the byte size of " + what + " " + shape, count, elementBytes);
        if (data.byteSize() < needed) {
            throw new IllegalArgumentException(what + " " + shape + " needs " + needed + " bytes (" + count + " " + elementName
                    + " elements) but its buffer holds " + data.byteSize());
        }
    }

    /** Throws unless {@code data}'s address is a multiple of {@code elementBytes}, as the kernels need. */
    public static void aligned(MemorySegment data, int elementBytes, String what) {
        if (data.address() % elementBytes != 0) {
            throw new IllegalArgumentException(what + " starts at 0x" + Long.toHexString(data.address())
                    + ", not aligned to its " + elementBytes + "-byte elements");
        }
    }

    /** A device tensor's range: {@code device}'s own (its whole memory), alive and aligned. */
    public static void deviceRange(MemorySegment data, DeviceMemory device, int elementBytes, String what) {
        if (data.address() != device.address() || data.byteSize() != device.byteSize()) {
            throw new IllegalArgumentException(what + ": data must be the address range of its device memory " + device);
        }
        aligned(data, elementBytes, what);
    }

    /**
     * The device memory every argument of a call is in, or null when all are in host memory:
     * a call takes one kind of memory, so a host/device mix (or memory of two devices) is refused
     * naming both arguments. Null entries are skipped.
     */
    public static DeviceMemory oneMemory(List<Region> arguments) {
        Region first = null;
        for (Region r : arguments) {
            if (r == null) continue;
            if (first == null) {
                first = r;
            } else if (!r.sameMemoryAs(first)) {
                throw new IllegalArgumentException(first.name() + " is " + first.where() + " but " + r.name() + " is " + r.where()
                        + "; one call takes all its tensors from one kind of memory (copy with DeviceMemory.copyFrom/copyTo)");
            }
        }
        return first == null ? null : first.device();
    }

    /**
     * Refuses device memory in {@code op}, which computes on host memory only: every argument is
     * checked, so a host/device mix is refused as well.
     */
    public static void onHost(String op, Region... arguments) {
        DeviceMemory device = oneMemory(Arrays.asList(arguments));
        if (device == null) return;
        Region first = Arrays.stream(arguments).filter(r -> r != null).findFirst().orElseThrow();
        throw new IllegalArgumentException(op + " takes host memory, but " + first.name() + " is " + first.where()
                + ": the forms with device outputs take device tensors");
    }

    /** {@code rows} as an int, or a clear exception when a Java array of per-row results cannot hold them. */
    public static int rowsForArray(long rows, long perRow, String what) {
        if (rows > (Integer.MAX_VALUE - 8) / perRow) {
            throw new IllegalArgumentException("more rows (" + rows + ") than a Java array of " + what + " can hold");
        }
        return (int) rows;
    }

    /** Whether two views share shape, dtype and layout (what an output buffer and a paired input need). */
    public static boolean sameLayout(Logits a, Logits b) {
        return a.dtype() == b.dtype() && Arrays.equals(a.shape(), b.shape()) && a.layout().equals(b.layout());
    }

    /** A gradient (or any output) buffer: alive, writable, and laid out as {@code input}. */
    public static void gradient(Logits grad, Logits input, String inputName) {
        alive(grad.data(), "gradient");
        if (!sameLayout(grad, input)) {
            throw new IllegalArgumentException("gradient buffer " + grad + " must match the " + inputName + " " + input
                    + " in shape, dtype and row stride");
        }
        writable(grad.data(), "gradient");
    }

    /** An element-wise gradient buffer: alive, writable, with the input's shape and dtype. */
    public static void gradient(DenseTensor grad, DenseTensor input) {
        alive(grad.data(), "gradient");
        if (grad.dtype() != input.dtype() || !Arrays.equals(grad.shape(), input.shape())) {
            throw new IllegalArgumentException("gradient buffer " + grad + " must have the input's shape and dtype " + input);
        }
        writable(grad.data(), "gradient");
    }

    public static void writable(MemorySegment segment, String what) {
        if (segment.isReadOnly()) throw new IllegalArgumentException(what + " buffer is read-only");
    }

    /**
     * Refuses a call whose arguments are not all in one kind of memory ({@link #oneMemory}), or
     * whose outputs overlap anything else it touches: each output must share no byte with any
     * input or any other output, except that it may be exactly the input it names as its {@code
     * inPlaceOf} (the same bytes, a gradient written in place). Inputs may overlap each other:
     * they are only read. Null entries (arguments a call lacks) are skipped.
     * Throws naming both arguments, before an engine writes anything.
     */
    public static void disjoint(List<Region> inputs, Region... outputs) {
        List<Region> all = new ArrayList<>(inputs);
        all.addAll(Arrays.asList(outputs));
        oneMemory(all);
        for (int o = 0; o < outputs.length; o++) {
            Region out = outputs[o];
            if (out == null) continue;
            for (Region in : inputs) {
                if (in == null || (out.inPlaceOf() == in && out.sameBytes(in))) continue;
                refuseOverlap(out, in);
            }
            for (int p = o + 1; p < outputs.length; p++) {
                if (outputs[p] != null) refuseOverlap(out, outputs[p]);
            }
        }
    }

    private static void refuseOverlap(Region out, Region other) {
        long shared = out.sharedBytes(other);
        if (shared == 0) return;
        String exception = out.inPlaceOf() == other
                ? "; in place it must be exactly " + other.name() + " (the same first byte and layout)"
                : "; an output may only be the very input it replaces (in place)";
        throw new IllegalArgumentException(out.name() + " overlaps " + other.name() + " (" + shared + " bytes in common)"
                + exception);
    }

    /** One index per row of {@code logits}, each in [0, C) or equal to {@code ignoreIndex}; throws naming the position. */
    public static void classIndices(Targets.ClassIndices idx, Logits logits, long ignoreIndex) {
        alive(idx.data(), "targets");
        if (idx.count() != logits.rows()) {
            throw new IllegalArgumentException("targets hold " + idx.count() + " class indices but logits "
                    + logits + " have " + logits.rows() + " rows of shape " + Arrays.toString(logits.rowShape()));
        }
        long classes = logits.classes();
        MemorySegment data = idx.data();
        for (long r = 0; r < idx.count(); r++) {
            long y = idx.type() == IndexType.I32
                    ? data.getAtIndex(ValueLayout.JAVA_INT_UNALIGNED, r)
                    : data.getAtIndex(ValueLayout.JAVA_LONG_UNALIGNED, r);
            if ((y < 0 || y >= classes) && y != ignoreIndex) {
                throw new IllegalArgumentException("target " + y + " at " + position(r, logits.rowShape())
                        + " is out of range [0, " + classes + ") and is not ignoreIndex (" + ignoreIndex + ")");
            }
        }
    }

    /** "row 5" for (N) targets, "position [1, 2, 0]" for (N, d1..dk) ones. */
    private static String position(long row, long[] rowShape) {
        if (rowShape.length == 1) return "row " + row;
        long[] index = new long[rowShape.length];
        long rest = row;
        for (int i = rowShape.length - 1; i >= 0; i--) {
            index[i] = rest % rowShape[i];
            rest /= rowShape[i];
        }
        return "position " + Arrays.toString(index);
    }

    /** A copy of {@code values} (null stays null), each finite; {@code name} names them in the message. */
    public static float[] finite(String name, float[] values) {
        if (values == null) return null;
        float[] v = values.clone();
        for (int i = 0; i < v.length; i++) {
            if (!Float.isFinite(v[i])) throw new IllegalArgumentException(name + "[" + i + "] is " + v[i] + "; it must be finite");
        }
        return v;
    }

    /** Class weights (or null) of a loss over {@code logits}: one per class. */
    public static void classWeights(float[] weight, Logits logits) {
        if (weight != null && weight.length != logits.classes()) {
            throw new IllegalArgumentException("weight has " + weight.length + " entries but logits have C = " + logits.classes() + " classes");
        }
    }

    /** A scalar upstream gradient, which reductions SUM and MEAN take. */
    public static float[] scalarUpstream(float upstream, Reduction reduction, long rows) {
        if (reduction == Reduction.NONE) {
            throw new IllegalArgumentException("reduction NONE needs one upstream gradient per row (" + rows + "), got a scalar");
        }
        return new float[] {upstream};
    }

    /** One upstream gradient per row, which reduction NONE takes. */
    public static float[] rowUpstream(float[] upstream, Reduction reduction, long rows) {
        if (upstream == null) throw new NullPointerException("upstreamPerRow");
        if (reduction != Reduction.NONE) {
            throw new IllegalArgumentException("reduction " + reduction + " needs a scalar upstream gradient, got one per row");
        }
        if (upstream.length != rows) {
            throw new IllegalArgumentException("upstream has " + upstream.length + " values but the input has " + rows + " rows");
        }
        return upstream;
    }
}
