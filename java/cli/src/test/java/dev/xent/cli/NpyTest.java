package dev.xent.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The .npy reader and writer: round trips, numpy's exact layout, other versions and orders, malformed files. */
class NpyTest {
    @TempDir
    Path dir;

    private NpyArray roundTrip(NpyArray a) throws Exception {
        Path p = dir.resolve("a.npy");
        Npy.write(p, a);
        byte[] bytes = Files.readAllBytes(p);
        assertEquals(0, (bytes.length - a.data().byteSize()) % 64, "header padded to a multiple of 64");
        NpyArray back = Npy.read(p);
        assertEquals(a, back);
        return back;
    }

    @Test
    void roundTripsEveryDtypeAndShape() throws Exception {
        roundTrip(NpyArray.ofFloats(new float[] {1.5f, -2.25f, Float.NaN, Float.NEGATIVE_INFINITY, 3e-40f, 7}, 2, 3));
        roundTrip(NpyArray.ofDoubles(new double[] {Math.PI, -0.0, 1e300}, 3));
        roundTrip(NpyArray.ofLongs(new long[] {Long.MIN_VALUE, -100, 0, Long.MAX_VALUE}, 2, 1, 2));
        roundTrip(NpyArray.ofInts(new int[] {-7, 0, 9, Integer.MAX_VALUE}, 4));
        roundTrip(NpyArray.ofShorts(NpyDType.FLOAT16, new short[] {Float.floatToFloat16(1.5f), Float.floatToFloat16(-65504f)}, 2));
        roundTrip(NpyArray.ofShorts(NpyDType.UINT16, new short[] {(short) 0xffff, 0x3f80}, 1, 2));
        roundTrip(NpyArray.ofBytes(NpyDType.UINT8, new byte[] {(byte) 255, 0, 1}, 3));
        roundTrip(NpyArray.ofBytes(NpyDType.INT8, new byte[] {-128, 127}, 2));
        NpyArray scalar = roundTrip(NpyArray.ofFloats(new float[] {2.5f}));
        assertEquals(0, scalar.ndim());
        assertEquals(2.5, scalar.getDouble(0));
        NpyArray empty = roundTrip(NpyArray.ofFloats(new float[0], 0, 5));
        assertEquals(0, empty.count());
    }

    @Test
    void writesWhatNumpyWrites() {
        // np.save(f, np.arange(3, dtype='<f4')): a 118-byte header, 128 bytes before the data
        byte[] h = Npy.encodeHeader(NpyDType.FLOAT32, new long[] {3});
        assertEquals(128, h.length);
        String text = new String(h, 10, 118, StandardCharsets.ISO_8859_1);
        assertEquals("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }" + " ".repeat(60) + "\n", text);
        assertEquals(1, h[6]);
        assertEquals(118, (h[8] & 0xff) | (h[9] & 0xff) << 8);
        // np.save(f, np.float32(1.5)): shape (), no growth padding
        byte[] s = Npy.encodeHeader(NpyDType.FLOAT32, new long[0]);
        assertEquals(128, s.length);
        assertTrue(new String(s, StandardCharsets.ISO_8859_1).contains("'shape': (), }" + " ".repeat(62) + "\n"));
        // np.save(f, np.zeros((2, 3), '<i8'))
        byte[] m = Npy.encodeHeader(NpyDType.INT64, new long[] {2, 3});
        assertEquals(128, m.length);
        assertTrue(new String(m, StandardCharsets.ISO_8859_1).startsWith("\u0093NUMPY\u0001\u0000v\u0000{'descr': '<i8', "
                + "'fortran_order': False, 'shape': (2, 3), }"));
    }

    /** A hand-made file: any version, any header text, data as given. */
    private static byte[] file(int major, String header, byte[] data) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', (byte) major, 0});
        byte[] text = header.getBytes(major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        if (major == 1) out.writeBytes(new byte[] {(byte) text.length, (byte) (text.length >>> 8)});
        else out.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(text.length).array());
        out.writeBytes(text);
        out.writeBytes(data);
        return out.toByteArray();
    }

    private static byte[] floats(ByteOrder order, float... values) {
        ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(order);
        for (float v : values) b.putFloat(v);
        return b.array();
    }

    @Test
    void readsVersions2And3() throws Exception {
        for (int major : new int[] {2, 3}) {
            byte[] f = file(major, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }\n",
                    floats(ByteOrder.LITTLE_ENDIAN, 1.25f, -3f));
            NpyArray a = Npy.parse(f, "v" + major + ".npy");
            assertArrayEquals(new long[] {2}, a.shape());
            assertEquals(1.25, a.getDouble(0));
            assertEquals(-3.0, a.getDouble(1));
        }
    }

    @Test
    void readsBigEndianAndOneByteAndOldPythonHeaders() throws Exception {
        NpyArray big = Npy.parse(file(1, "{'descr': '>f4', 'fortran_order': False, 'shape': (1, 3), }\n",
                floats(ByteOrder.BIG_ENDIAN, 1f, 2f, -0.5f)), "big.npy");
        assertArrayEquals(new float[] {1f, 2f, -0.5f}, big.toFloats());
        NpyArray bigLong = Npy.parse(file(1, "{'descr': '>i8', 'fortran_order': False, 'shape': (1,), }\n",
                ByteBuffer.allocate(8).order(ByteOrder.BIG_ENDIAN).putLong(-100).array()), "bigl.npy");
        assertEquals(-100.0, bigLong.getDouble(0));
        NpyArray bytes = Npy.parse(file(1, "{'descr': '|u1', 'fortran_order': False, 'shape': (2,), }\n", new byte[] {7, (byte) 200}),
                "u1.npy");
        assertEquals(200.0, bytes.getDouble(1));
        // Python 2 numpy wrote long literals and other key orders
        NpyArray py2 = Npy.parse(file(1, "{'shape': (2L,), 'fortran_order': False, 'descr': '<f4'}\n",
                floats(ByteOrder.LITTLE_ENDIAN, 4f, 5f)), "py2.npy");
        assertEquals(5.0, py2.getDouble(1));
    }

    private static String failure(byte[] content, String name) {
        return assertThrows(NpyFormatException.class, () -> Npy.parse(content, name)).getMessage();
    }

    private static void assertMessage(String message, String... fragments) {
        for (String f : fragments) assertTrue(message.contains(f), "'" + message + "' should contain '" + f + "'");
    }

    @Test
    void truncatedDataNamesFileAndByteCounts() {
        byte[] f = file(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }\n", new byte[40]);
        assertMessage(failure(f, "logits.npy"), "logits.npy: truncated", "12 float32 values", "(3, 4)", "48 bytes",
                "file holds 40 bytes");
    }

    @Test
    void malformedFiles() {
        String ok = "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }\n";
        byte[] four = new byte[4];
        assertMessage(failure("PK\u0003\u0004 zip".getBytes(StandardCharsets.ISO_8859_1), "a.npy"), "a.npy", "not a .npy file");
        assertMessage(failure(new byte[0], "empty.npy"), "empty.npy", "not a .npy file");
        byte[] v4 = file(1, ok, four);
        v4[6] = 4;
        assertMessage(failure(v4, "v4.npy"), "v4.npy", "version 4.0");
        assertMessage(failure(Arrays.copyOf(file(1, ok, four), 30), "h.npy"), "h.npy", "truncated", "header length");
        assertMessage(failure(file(1, ok, new byte[8]), "long.npy"), "long.npy", "4 unexpected bytes after the data");
        assertMessage(failure(file(1, ok.replace("False", "True"), four), "f.npy"), "f.npy", "fortran_order is True", "C order");
        assertMessage(failure(file(1, "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }\n", four), "s.npy"),
                "s.npy", "structured");
        assertMessage(failure(file(1, ok.replace("<f4", "<c8"), new byte[8]), "c.npy"), "c.npy", "unsupported dtype '<c8'");
        assertMessage(failure(file(1, ok.replace("<f4", "|f4"), four), "p.npy"), "p.npy", "'|'", "one-byte");
        assertMessage(failure(file(1, ok.replace("<f4", "=f4"), four), "n.npy"), "n.npy", "byte order");
        assertMessage(failure(file(1, "{'descr': '<f4', 'shape': (1,), }\n", four), "k.npy"), "k.npy", "keys");
        assertMessage(failure(file(1, ok.replace("}", "'extra': 1, }"), four), "x.npy"), "x.npy", "keys");
        assertMessage(failure(file(1, ok.replace("(1,)", "[1]"), four), "l.npy"), "l.npy", "shape must be a tuple");
        assertMessage(failure(file(1, ok.replace("(1,)", "(-1,)"), four), "d.npy"), "d.npy", "bad dimension -1");
        assertMessage(failure(file(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1,)\n", four), "u.npy"),
                "u.npy", "malformed header");
        assertMessage(failure(file(1, "[1, 2]\n", four), "t.npy"), "t.npy", "not a dictionary");
    }

    /**
     * Files are streamed through one buffer: a 10-byte buffer cuts float32, float64 and int64
     * elements between two reads (the header before the data is a multiple of 64 bytes long), the
     * array spans many buffers, and a big-endian file is swapped element by element across the cuts.
     */
    @Test
    void streamsThroughASmallBufferWithElementsCutBetweenReads() throws Exception {
        float[] f = new float[101];
        double[] d = new double[37];
        long[] l = new long[29];
        for (int i = 0; i < f.length; i++) f[i] = i * 1.25f - 40;
        for (int i = 0; i < d.length; i++) d[i] = Math.PI * i - 1e-300;
        for (int i = 0; i < l.length; i++) l[i] = Long.MIN_VALUE / (i + 1) + i;
        for (NpyArray a : new NpyArray[] {NpyArray.ofFloats(f, f.length), NpyArray.ofDoubles(d, d.length), NpyArray.ofLongs(l, 1, l.length),
                NpyArray.ofBytes(NpyDType.INT8, new byte[] {1, -2, 3, -4, 5, -6, 7, -8, 9, -10, 11, -12, 13}, 13)}) {
            Path small = dir.resolve("small.npy");
            Path whole = dir.resolve("whole.npy");
            Npy.write(small, a, 10);
            Npy.write(whole, a, Npy.CHUNK_BYTES);
            assertArrayEquals(Files.readAllBytes(whole), Files.readAllBytes(small), a + " written through 10 bytes");
            assertEquals(a, Npy.read(small, 10), a + " read through 10 bytes");
            assertEquals(a, Npy.read(small, 13), a + " read through 13 bytes");
        }
        float[] be = new float[23];
        for (int i = 0; i < be.length; i++) be[i] = i - 11.5f;
        Path big = dir.resolve("big.npy");
        Files.write(big, file(1, "{'descr': '>f4', 'fortran_order': False, 'shape': (23,), }\n", floats(ByteOrder.BIG_ENDIAN, be)));
        assertArrayEquals(be, Npy.read(big, 10).toFloats());
    }

    @Test
    void readingAMissingFileNamesIt() {
        String m = assertThrows(NpyFormatException.class, () -> Npy.read(dir.resolve("nope.npy"))).getMessage();
        assertMessage(m, "nope.npy", "no such file");
    }
}
