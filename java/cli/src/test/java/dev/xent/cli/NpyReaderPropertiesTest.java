package dev.xent.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * The .npy reader on arbitrary bytes: every input gives either the array its header describes or
 * an {@link NpyFormatException} whose message is one line starting with the file's name, never
 * another exception. Headers are drawn from a grammar of valid and invalid pieces; for the
 * headers that are valid by construction, the array read back is checked against the bytes as an
 * independent decoder (java.nio) reads them.
 */
class NpyReaderPropertiesTest {
    private static final String FILE = "drawn.npy";
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};

    /** A header dictionary and whether a correct reader must accept it (with the dtype and shape it names). */
    record Header(String text, boolean valid, String descr, long[] shape) {}

    /** What a correct reader does with a drawn file. */
    enum Expect { READ, REFUSE, EITHER }

    /**
     * A whole file, the header it was built from, and what a correct reader does with it: READ when
     * nothing was broken, REFUSE when exactly one thing was (two faults may cancel out: a header
     * declared a byte short over a byte of data too few is a valid file), else EITHER.
     */
    record File(byte[] bytes, Header header, Expect expect) {}

    private static final List<String> VALID_DESCRS = List.of("<f4", ">f4", "<f8", ">f8", "<f2", "<i8", ">i8", "<i4",
            ">i4", "<u2", ">u2", "|i1", "|u1", "<i1", "|b1");
    private static final List<String> INVALID_DESCRS = List.of("<f16", "<c8", "<U3", "f4", "", "?f4", "|f4", "<", "<M8");

    @Provide
    Arbitrary<Header> headers() {
        Arbitrary<long[]> shapes = Arbitraries.longs().between(0, 5).array(long[].class).ofMaxSize(3);
        Arbitrary<Boolean> validDescr = Arbitraries.of(true, true, true, false);
        Arbitrary<String> spaces = Arbitraries.of("", " ", "  ", "\t");
        Arbitrary<Integer> breakage = Arbitraries.integers().between(0, 9); // 0..3 keep the header valid
        return Combinators.combine(shapes, validDescr, Arbitraries.of(VALID_DESCRS), Arbitraries.of(INVALID_DESCRS), spaces,
                breakage).as((shape, useValid, good, bad, sp, brk) -> {
                    String descr = useValid ? good : bad;
                    String shapeText = tuple(shape, sp);
                    List<String> entries = new ArrayList<>(List.of(
                            "'descr':" + sp + "'" + descr + "'",
                            "'fortran_order':" + sp + "False",
                            "'shape':" + sp + shapeText));
                    boolean valid = useValid;
                    switch (brk) {
                        case 1 -> java.util.Collections.reverse(entries); // key order is free
                        case 2 -> entries.set(2, "'shape':" + sp + "(" + String.join(", ", dims(shape).stream().map(d -> d + "L").toList())
                                + (shape.length == 1 ? ",)" : ")")); // Python 2's long literals, as old numpy wrote
                        case 4 -> { entries.set(1, "'fortran_order': True"); valid = false; }
                        case 5 -> { entries.remove(0); valid = false; }
                        case 6 -> { entries.add("'extra': 1"); valid = false; }
                        case 7 -> { entries.set(2, "'shape': [" + String.join(", ", dims(shape)) + "]"); valid = false; }
                        case 8 -> { entries.set(2, "'shape': (-1," + sp + "3)"); valid = false; }
                        case 9 -> { entries.set(2, "'shape': (" + "(".repeat(5000)); valid = false; }
                        default -> { }
                    }
                    String text = "{" + String.join("," + sp, entries) + (brk == 3 ? ", }" : "}") + sp + "\n";
                    return new Header(text, valid, descr, shape);
                });
    }

    private static List<String> dims(long[] shape) {
        return Arrays.stream(shape).mapToObj(Long::toString).toList();
    }

    private static String tuple(long[] shape, String sp) {
        List<String> d = dims(shape);
        return d.size() == 1 ? "(" + d.get(0) + ",)" : "(" + String.join("," + sp, d) + ")";
    }

    @Provide
    Arbitrary<File> files() {
        Arbitrary<Integer> version = Arbitraries.of(1, 1, 2, 3, 0, 4);
        Arbitrary<Integer> lengthError = Arbitraries.of(0, 0, 0, 0, 1, -1, 1000);
        Arbitrary<Integer> dataError = Arbitraries.of(0, 0, 0, 0, 1, -1, -3);
        return Combinators.combine(headers(), version, lengthError, dataError, Arbitraries.randoms())
                .as((h, major, lenErr, dataErr, random) -> {
                    byte[] text = h.text().getBytes(major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
                    ByteArrayOutputStream out = new ByteArrayOutputStream();
                    out.writeBytes(MAGIC);
                    out.write(major);
                    out.write(0);
                    ByteBuffer len = ByteBuffer.allocate(major == 1 ? 2 : 4).order(ByteOrder.LITTLE_ENDIAN);
                    int declared = Math.max(0, text.length + lenErr);
                    if (major == 1) len.putShort((short) declared); else len.putInt(declared);
                    out.writeBytes(len.array());
                    out.writeBytes(text);
                    long elements = Arrays.stream(h.shape()).reduce(1, (a, b) -> a * b);
                    int elementBytes = h.valid() ? elementBytes(h.descr()) : 4;
                    int dataBytes = (int) Math.max(0, elements * elementBytes + dataErr);
                    byte[] data = new byte[dataBytes];
                    random.nextBytes(data);
                    out.writeBytes(data);
                    long dataFault = dataBytes - elements * elementBytes;
                    int faults = (h.valid() ? 0 : 1) + (major >= 1 && major <= 3 ? 0 : 1) + (lenErr == 0 ? 0 : 1) + (dataFault == 0 ? 0 : 1);
                    Expect expect = faults == 0 ? Expect.READ : faults == 1 ? Expect.REFUSE : Expect.EITHER;
                    return new File(out.toByteArray(), h, expect);
                });
    }

    private static int elementBytes(String descr) {
        return Integer.parseInt(descr.substring(2));
    }

    /** A valid header over data of the right size reads as exactly those values; anything else is a clean error. */
    @Property(tries = 2000)
    void drawnFilesReadCorrectlyOrFailCleanly(@ForAll("files") File f) {
        NpyArray a = parseOrCleanError(f.bytes());
        if (f.expect() == Expect.READ) {
            if (a == null) fail("a valid file was refused: " + new String(f.bytes(), StandardCharsets.ISO_8859_1));
            assertArrayEquals(f.header().shape(), a.shape());
            assertEquals(f.header().descr().substring(1), a.dtype().descr().substring(1));
            int headerEnd = f.bytes().length - (int) a.data().byteSize();
            ByteBuffer raw = ByteBuffer.wrap(f.bytes(), headerEnd, (int) a.data().byteSize())
                    .order(f.header().descr().charAt(0) == '>' ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN);
            for (long i = 0; i < a.count(); i++) {
                double expected = decode(raw, f.header().descr().substring(1));
                double got = a.getDouble(i);
                assertTrue(Double.compare(expected, got) == 0 || (Double.isNaN(expected) && Double.isNaN(got)),
                        "element " + i + ": expected " + expected + ", read " + got);
            }
        } else if (f.expect() == Expect.REFUSE) {
            assertTrue(a == null, "an invalid file was accepted: " + new String(f.bytes(), StandardCharsets.ISO_8859_1));
        }
    }

    /** Every prefix of a valid file but the whole is refused cleanly; so is the file with a byte more. */
    @Property(tries = 200)
    void truncationsAndTrailingBytesFailCleanly(@ForAll("files") File f) {
        if (f.expect() != Expect.READ) return;
        for (int cut = 0; cut < f.bytes().length; cut++) {
            assertTrue(parseOrCleanError(Arrays.copyOf(f.bytes(), cut)) == null, "a file cut at " + cut + " was accepted");
        }
        assertTrue(parseOrCleanError(Arrays.copyOf(f.bytes(), f.bytes().length + 1)) == null, "a trailing byte was accepted");
    }

    /** Bytes of any kind, with and without the magic in front: read or refused cleanly, nothing else. */
    @Property(tries = 2000)
    void arbitraryBytesFailCleanlyOrRead(@ForAll byte[] bytes, @ForAll boolean withMagic) {
        byte[] b = bytes;
        if (withMagic) {
            b = new byte[MAGIC.length + bytes.length];
            System.arraycopy(MAGIC, 0, b, 0, MAGIC.length);
            System.arraycopy(bytes, 0, b, MAGIC.length, bytes.length);
        }
        NpyArray a = parseOrCleanError(b);
        if (a != null) assertTrue(a.data().byteSize() < b.length, "read more data than the file holds");
    }

    /** The array, or null after checking that the only failure is an NpyFormatException of one line naming the file. */
    private static NpyArray parseOrCleanError(byte[] bytes) {
        try {
            return Npy.parse(bytes, FILE);
        } catch (NpyFormatException e) {
            String m = e.getMessage();
            assertTrue(m.startsWith(FILE + ": "), "message does not name the file: " + m);
            assertFalse(m.contains("\n") || m.contains("\r"), "message is more than one line: " + m);
            return null;
        } catch (Throwable t) {
            throw new AssertionError("the reader threw " + t + " instead of an NpyFormatException", t);
        }
    }

    private static double decode(ByteBuffer raw, String code) {
        return switch (code) {
            case "f4" -> raw.getFloat();
            case "f8" -> raw.getDouble();
            case "f2" -> Float.float16ToFloat(raw.getShort());
            case "i8" -> raw.getLong();
            case "i4" -> raw.getInt();
            case "u2" -> raw.getShort() & 0xffff;
            case "i1" -> raw.get();
            case "u1", "b1" -> raw.get() & 0xff;
            default -> throw new AssertionError(code);
        };
    }
}
