package dev.xent.cli;

import java.io.IOException;
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

    /** Bytes moved per read or write call: the file is streamed through one buffer of this size. */
    static final int CHUNK_BYTES = 1 << 20;

    /** Positional reads of a .npy file's bytes, as {@link FileChannel#read(ByteBuffer, long)}: -1 at the end. */
    private interface Source {
        int read(ByteBuffer into, long position) throws IOException;
    }

    /** Reads a whole .npy file into native memory in native byte order. */
    public static NpyArray read(Path path) throws NpyFormatException {
        return read(path, CHUNK_BYTES);
    }

    /** {@link #read(Path)} through a buffer of {@code chunkBytes} (at least 8), for tests of the streaming. */
    static NpyArray read(Path path, int chunkBytes) throws NpyFormatException {
        String file = path.toString();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            return parse(ch::read, ch.size(), file, chunkBytes);
        } catch (NoSuchFileException e) {
            throw new NpyFormatException(file + ": no such file");
        } catch (IOException e) {
            throw new NpyFormatException(file + ": cannot read: " + e.getMessage());
        }
    }

    /** Parses the bytes of a .npy file ({@code file} names it in messages). */
    public static NpyArray parse(byte[] content, String file) throws NpyFormatException {
        Source source = (into, position) -> {
            if (position >= content.length) return -1;
            int n = (int) Math.min(into.remaining(), content.length - position);
            into.put(content, (int) position, n);
            return n;
        };
        try {
            return parse(source, content.length, file, CHUNK_BYTES);
        } catch (IOException e) {
            throw new IllegalStateException("reading an array cannot fail", e);
        }
    }

    private static NpyArray parse(Source source, long size, String file, int chunkBytes) throws NpyFormatException, IOException {
        if (size < MAGIC.length + 2) throw notNpy(file);
        ByteBuffer prefixBytes = readFully(source, 0, (int) Math.min(size, 12));
        for (int i = 0; i < MAGIC.length; i++) {
            if (prefixBytes.get(i) != MAGIC[i]) throw notNpy(file);
        }
        int major = prefixBytes.get(6) & 0xff;
        int minor = prefixBytes.get(7) & 0xff;
        if (major < 1 || major > 3 || minor != 0) {
            throw new NpyFormatException(file + ": unsupported .npy format version " + major + "." + minor + " (1.0, 2.0 and 3.0 are)");
        }
        int lengthBytes = major == 1 ? 2 : 4;
        long prefix = 8 + lengthBytes;
        if (size < prefix) {
            throw new NpyFormatException(file + ": truncated: the file ends inside the header length field");
        }
        prefixBytes.order(ByteOrder.LITTLE_ENDIAN);
        long headerLength = major == 1 ? prefixBytes.getShort(8) & 0xffff : prefixBytes.getInt(8) & 0xffffffffL;
        long dataStart = prefix + headerLength;
        if (size < dataStart) {
            throw new NpyFormatException(file + ": truncated: header length says " + headerLength + " bytes, file holds "
                    + (size - prefix) + " after the length field");
        }
        byte[] headerBytes = readFully(source, prefix, Math.toIntExact(headerLength)).array();
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
        MemorySegment data = NativeMemory.allocate(expected);
        ValueLayout element = dtype.layout().withByteAlignment(1);
        ValueLayout inFile = element.withOrder(dtype.byteSize() == 1 ? ByteOrder.nativeOrder() : header.order());
        readData(source, dataStart, data, inFile, element, chunkBytes, file);
        return new NpyArray(dtype, header.shape(), data);
    }

    private static NpyFormatException notNpy(String file) {
        return new NpyFormatException(file + ": not a .npy file (it does not start with \\x93NUMPY)");
    }

    /** {@code length} bytes from {@code position}; the caller has checked that the file holds them. */
    private static ByteBuffer readFully(Source source, long position, int length) throws IOException {
        ByteBuffer out = ByteBuffer.allocate(length);
        while (out.hasRemaining()) {
            int n = source.read(out, position + out.position());
            if (n < 0) throw new IOException("the file ended early");
        }
        return out.flip();
    }

    /**
     * Streams the data section through one buffer into {@code data}: whole elements are converted
     * from the file's byte order, the bytes of an element cut by the buffer's end wait for the next read.
     */
    private static void readData(Source source, long position, MemorySegment data, ValueLayout inFile, ValueLayout element,
            int chunkBytes, String file) throws IOException, NpyFormatException {
        int size = (int) element.byteSize();
        ByteBuffer buffer = ByteBuffer.allocateDirect(Math.max(chunkBytes, Long.BYTES));
        MemorySegment window = MemorySegment.ofBuffer(buffer);
        long done = 0;
        long total = data.byteSize();
        while (done < total) {
            buffer.limit((int) Math.min(buffer.capacity(), total - done));
            int n = source.read(buffer, position);
            if (n < 0) throw new NpyFormatException(file + ": truncated while reading the data");
            position += n;
            int whole = buffer.position() / size;
            MemorySegment.copy(window, inFile, 0, data, element, done, whole);
            done += (long) whole * size;
            buffer.flip().position(whole * size);
            buffer.compact();
        }
    }

    /** Writes an array as a .npy file (version 1.0, or 2.0 for very long headers), little endian. */
    public static void write(Path path, NpyArray array) throws IOException {
        write(path, array, CHUNK_BYTES);
    }

    /** {@link #write(Path, NpyArray)} through a buffer of {@code chunkBytes} (at least 8), for tests of the streaming. */
    static void write(Path path, NpyArray array, int chunkBytes) throws IOException {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            writeFully(ch, ByteBuffer.wrap(encodeHeader(array.dtype(), array.shape())));
            ValueLayout element = array.dtype().layout().withByteAlignment(1);
            ValueLayout inFile = array.dtype().byteSize() == 1 ? element : element.withOrder(ByteOrder.LITTLE_ENDIAN);
            int size = (int) element.byteSize();
            ByteBuffer buffer = ByteBuffer.allocateDirect(Math.max(chunkBytes, Long.BYTES) / size * size);
            MemorySegment window = MemorySegment.ofBuffer(buffer);
            long count = array.count();
            for (long i = 0; i < count; ) {
                int n = (int) Math.min(buffer.capacity() / size, count - i);
                MemorySegment.copy(array.data(), element, i * size, window, inFile, 0, n);
                writeFully(ch, buffer.clear().limit(n * size));
                i += n;
            }
        }
    }

    private static void writeFully(FileChannel ch, ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) ch.write(buffer);
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
