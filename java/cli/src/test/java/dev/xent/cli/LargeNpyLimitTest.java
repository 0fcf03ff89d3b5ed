package dev.xent.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Issue #16 item 1: {@code xent loss --op ce --bf16} on 4.3 GB of bf16 logits, N * C past 2^31
 * elements, with {@code --out-loss} and {@code --out-grad}: the .npy files are read and written in
 * chunks, and sampled rows (the first, the one holding element 2^31, the last) match a float64
 * reference. Needs about 9 GB of memory and 9 GB of disk (removed after); a few minutes.
 */
@Tag("limits")
class LargeNpyLimitTest extends CliTest {
    private static final int N = 42_800;
    private static final int C = 50_257;

    /** Logit (r, k): a multiple of 1/16 in [-4, 4), exactly a bf16 value, from a hash of its index. */
    private static float logit(long r, long k) {
        long h = (r * C + k) * 0x9E3779B97F4A7C15L;
        h ^= h >>> 29;
        h *= 0xBF58476D1CE4E5B9L;
        h ^= h >>> 32;
        return ((h & 127) - 64) / 16f;
    }

    private static long label(long r) {
        return r * 7919 % C;
    }

    @Test
    void crossEntropyOnBf16LogitsPastTwoToTheThirtyOneElements() throws Exception {
        long[] shape = {N, C};
        assertTrue((long) N * C > (1L << 31), "past 2^31 elements");
        Path logits = dir.resolve("logits.npy");
        Path loss = dir.resolve("loss.npy");
        Path grad = dir.resolve("grad.npy");
        try {
            writeLogits(logits, shape);
            long[] y = new long[N];
            for (int r = 0; r < N; r++) y[r] = label(r);
            Path target = save("y.npy", NpyArray.ofLongs(y, N));

            long start = System.nanoTime();
            CliRun run = CliRun.of("loss", "--op", "ce", "--bf16", "--engine", "java", "--reduction", "none",
                    "--logits", logits.toString(), "--target", target.toString(),
                    "--out-loss", loss.toString(), "--out-grad", grad.toString());
            System.out.printf("xent loss on %d x %d bf16 logits: %.1f s%n", N, C, (System.nanoTime() - start) / 1e9);
            assertEquals(0, run.code(), run.describe());

            long header = Npy.encodeHeader(NpyDType.UINT16, shape).length;
            assertEquals(header + 2L * N * C, Files.size(grad), "the whole gradient was written");
            NpyArray losses = Npy.read(loss);
            assertEquals(N, losses.count());
            int boundaryRow = (int) ((1L << 31) / C);
            try (FileChannel g = FileChannel.open(grad, StandardOpenOption.READ)) {
                for (int r : new int[] {0, 1, N / 3, boundaryRow, boundaryRow + 1, N - 2, N - 1}) {
                    checkRow(r, losses.getDouble(r), g, header);
                }
            }
        } finally {
            Files.deleteIfExists(logits);
            Files.deleteIfExists(grad);
            Files.deleteIfExists(loss);
        }
    }

    /** Streams the logits file row by row as raw bf16 bits (uint16), so the test holds no copy of it. */
    private static void writeLogits(Path file, long[] shape) throws IOException {
        ByteBuffer row = ByteBuffer.allocateDirect(2 * C).order(ByteOrder.LITTLE_ENDIAN);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ByteBuffer header = ByteBuffer.wrap(Npy.encodeHeader(NpyDType.UINT16, shape));
            while (header.hasRemaining()) ch.write(header);
            for (int r = 0; r < N; r++) {
                row.clear();
                for (int k = 0; k < C; k++) row.putShort((short) (Float.floatToRawIntBits(logit(r, k)) >>> 16));
                row.flip();
                while (row.hasRemaining()) ch.write(row);
            }
        }
    }

    /** Row r's loss lse - z_y and gradient softmax - onehot(y) in float64 against the outputs. */
    private static void checkRow(int r, double loss, FileChannel grad, long header) throws IOException {
        double max = Double.NEGATIVE_INFINITY;
        for (int k = 0; k < C; k++) max = Math.max(max, logit(r, k));
        double sum = 0;
        for (int k = 0; k < C; k++) sum += Math.exp(logit(r, k) - max);
        double lse = max + Math.log(sum);
        int y = (int) label(r);
        double expectedLoss = lse - logit(r, y);
        assertTrue(Math.abs(loss - expectedLoss) <= 2e-5 * (1 + expectedLoss), "row " + r + " loss: expected " + expectedLoss + ", got " + loss);

        ByteBuffer bits = ByteBuffer.allocate(2 * C).order(ByteOrder.LITTLE_ENDIAN);
        long at = header + 2L * r * C;
        while (bits.hasRemaining()) {
            if (grad.read(bits, at + bits.position()) < 0) throw new IOException("gradient file ends in row " + r);
        }
        bits.flip();
        for (int k = 0; k < C; k++) {
            double expected = Math.exp(logit(r, k) - lse) - (k == y ? 1 : 0);
            double got = Float.intBitsToFloat((bits.getShort(2 * k) & 0xffff) << 16);
            assertTrue(Math.abs(got - expected) <= 1e-9 + 8e-3 * Math.abs(expected),
                    "row " + r + " grad[" + k + "]: expected " + expected + ", got " + got);
        }
    }
}
