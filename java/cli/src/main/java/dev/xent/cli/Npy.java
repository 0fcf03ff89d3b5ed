package dev.xent.cli;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Reads and writes numpy's .npy format (versions 1.0, 2.0 and 3.0), strictly: C order only,
 * the dtypes of {@link NpyDType}, byte order '<', '>' or '|' (one-byte types), and a data section
 * of exactly the size the header announces. Every failure is a {@link NpyFormatException} naming
 * the file. Arrays are written as numpy writes them: version 1.0 (2.0 for very long headers),
 * little endian, the header padded to a multiple of 64 bytes.
 */
public final class Npy {
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final int ALIGN = 64;
    private static final int GROWTH_AXIS_MAX_DIGITS = 21;

    private Npy() {}

    /** Reads a whole .npy file into native memory in native byte order. */
    public static NpyArray read(Path path) throws NpyFormatException {
        String file = path.toString();
        try (Arena arena = Arena.ofConfined(); FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            MemorySegment bytes = size == 0 ? MemorySegment.NULL : ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            return parse(bytes, size, file);
        } catch (NoSuchFileException e) {
            throw new NpyFormatException(file + ": no such file");
        } catch (IOException e) {
            throw new NpyFormatException(file + ": cannot read: " + e.getMessage());
        }
    }

    /** Parses the bytes of a .npy file ({@code file} names it in messages). */
    public static NpyArray parse(byte[] content, String file) throws NpyFormatException {
        return parse(MemorySegment.ofArray(content), content.length, file);
    }

    private static NpyArray parse(MemorySegment bytes, long size, String file) throws NpyFormatException {
        if (size < MAGIC.length + 2 || MemorySegment.ofArray(MAGIC).mismatch(bytes.asSlice(0, MAGIC.length)) != -1) {
            throw new NpyFormatException(file + ": not a .npy file (it does not start with \\x93NUMPY)");
        }
        int major = bytes.get(ValueLayout.JAVA_BYTE, 6) & 0xff;
        int minor = bytes.get(ValueLayout.JAVA_BYTE, 7) & 0xff;
        if (major < 1 || major > 3 || minor != 0) {
            throw new NpyFormatException(file + ": unsupported .npy format version " + major + "." + minor + " (1.0, 2.0 and 3.0 are)");
        }
        int lengthBytes = major == 1 ? 2 : 4;
        long prefix = 8 + lengthBytes;
        if (size < prefix) {
            throw new NpyFormatException(file + ": truncated: the file ends inside the header length field");
        }
        long headerLength = major == 1
                ? bytes.get(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 8) & 0xffff
                : bytes.get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 8) & 0xffffffffL;
        long dataStart = prefix + headerLength;
        if (size < dataStart) {
            throw new NpyFormatException(file + ": truncated: header length says " + headerLength + " bytes, file holds "
                    + (size - prefix) + " after the length field");
        }
        byte[] headerBytes = bytes.asSlice(prefix, headerLength).toArray(ValueLayout.JAVA_BYTE);
        String text = new String(headerBytes, major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        NpyHeader header = NpyHeader.parse(text, file);

        NpyDType dtype = header.dtype();
        long count;
        long expected;
        try {
            count = NpyArray.count(header.shape());
            expected = Math.multiplyExact(count, (long) dtype.byteSize());
        } catch (ArithmeticException e) {
            throw new NpyFormatException(file + ": shape " + NpyArray.shapeString(header.shape()) + " is too large");
        }
        long actual = size - dataStart;
        if (actual < expected) {
            throw new NpyFormatException(file + ": truncated: header says " + count + " " + dtype.numpyName()
                    + " values of shape " + NpyArray.shapeString(header.shape()) + " (" + expected + " bytes), file holds "
                    + actual + " bytes of data");
        }
        if (actual > expected) {
            throw new NpyFormatException(file + ": " + (actual - expected) + " unexpected bytes after the data: header says "
                    + count + " " + dtype.numpyName() + " values of shape " + NpyArray.shapeString(header.shape()) + " ("
                    + expected + " bytes), file holds " + actual + " bytes of data");
        }
        MemorySegment data = Arena.ofAuto().allocate(Math.max(expected, 1), Math.max(dtype.byteSize(), 8))
                .asSlice(0, expected);
        if (dtype.byteSize() == 1) {
            MemorySegment.copy(bytes, dataStart, data, 0, expected);
        } else {
            ValueLayout from = dtype.layout().withByteAlignment(1).withOrder(header.order());
            MemorySegment.copy(bytes, from, dataStart, data, dtype.layout().withByteAlignment(1), 0, count);
        }
        return new NpyArray(dtype, header.shape(), data);
    }

    /** Writes an array as a .npy file (version 1.0, or 2.0 for very long headers), little endian. */
    public static void write(Path path, NpyArray array) throws IOException {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING); Arena arena = Arena.ofConfined()) {
            ByteBuffer header = ByteBuffer.wrap(encodeHeader(array.dtype(), array.shape()));
            while (header.hasRemaining()) ch.write(header);
            long bytes = array.data().byteSize();
            if (bytes == 0) return;
            MemorySegment out = arena.allocate(bytes, 8);
            if (array.dtype().byteSize() == 1) {
                MemorySegment.copy(array.data(), 0, out, 0, bytes);
            } else {
                ValueLayout element = array.dtype().layout().withByteAlignment(1);
                MemorySegment.copy(array.data(), element, 0, out, element.withOrder(ByteOrder.LITTLE_ENDIAN), 0, array.count());
            }
            ByteBuffer buffer = out.asByteBuffer();
            while (buffer.hasRemaining()) ch.write(buffer);
        }
    }

    /**
     * Magic, version, length and the header dictionary, padded exactly as numpy's {@code np.save}
     * pads it (room for the first axis to grow to 21 digits, then spaces and '\n' up to a multiple of
     * 64 bytes), so small arrays come out byte for byte as numpy writes them.
     */
    static byte[] encodeHeader(NpyDType dtype, long[] shape) {
        String dict = NpyHeader.format(dtype, shape);
        if (shape.length > 0) dict += " ".repeat(Math.max(0, GROWTH_AXIS_MAX_DIGITS - Long.toString(shape[0]).length()));
        byte[] text = dict.getBytes(StandardCharsets.ISO_8859_1);
        int major = text.length + 1 + ALIGN <= 65535 ? 1 : 2;
        int prefix = major == 1 ? 10 : 12;
        int padding = ALIGN - ((prefix + text.length + 1) % ALIGN);
        int headerLength = text.length + padding + 1;
        byte[] out = new byte[prefix + headerLength];
        System.arraycopy(MAGIC, 0, out, 0, MAGIC.length);
        out[6] = (byte) major;
        out[7] = 0;
        out[8] = (byte) headerLength;
        out[9] = (byte) (headerLength >>> 8);
        if (major == 2) {
            out[10] = (byte) (headerLength >>> 16);
            out[11] = (byte) (headerLength >>> 24);
        }
        System.arraycopy(text, 0, out, prefix, text.length);
        for (int i = prefix + text.length; i < out.length - 1; i++) out[i] = ' ';
        out[out.length - 1] = '\n';
        return out;
    }
}
