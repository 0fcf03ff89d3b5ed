package dev.xent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.xent.EngineSource.EngineCase;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.CyclicBarrier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Eight threads calling one {@link Xent}'s one cross-entropy object at once, each call on its own
 * inputs, must give bit for bit what the same calls give one after another: no state shared
 * between calls (per-thread scratch rows, staging buffers, the reduction) leaks from one into
 * another. The default suite runs 8 x 100 calls; the limits run 8 x 2000.
 */
class ConcurrencyLimitTest {
    private static final int THREADS = 8;
    private static final long[] CLASSES = {1, 7, 37, 300, 2100}; // 2100: past the Java engine's 2048-class tile

    /** The two objects shared: plain (label smoothing), and the transformed path (per-thread scratch rows). */
    enum Options {
        SMOOTHED,
        SOFTCAP_ZLOSS;

        CrossEntropy of(Xent xent) {
            return this == SMOOTHED ? xent.crossEntropy().withLabelSmoothing(0.1)
                    : xent.crossEntropy().withLogitScale(0.8).withSoftcap(5).withZLoss(1e-3);
        }
    }

    static Stream<Arguments> cases() {
        return Stream.of("java", "cuda-emu").flatMap(label -> Stream.of(Options.values())
                .map(o -> Arguments.of(EngineSource.named(label), o)));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void concurrentCallsEqualSerialCalls(EngineCase e, Options o) throws Exception {
        check(e, o, 100);
    }

    @Tag("limits")
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void concurrentCallsEqualSerialCallsAtLength(EngineCase e, Options o) throws Exception {
        check(e, o, 2000);
    }

    /** Every thread makes every call 0..calls-1, starting at its own offset; each result is compared with the serial one. */
    private static void check(EngineCase e, Options o, int calls) throws Exception {
        CrossEntropy ce = o.of(e.xent());
        List<int[]> serial = new ArrayList<>(calls);
        for (int j = 0; j < calls; j++) serial.add(call(ce, j));
        CyclicBarrier start = new CyclicBarrier(THREADS);
        AtomicInteger compared = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                int offset = t * calls / THREADS;
                done.add(pool.submit(() -> {
                    start.await();
                    for (int i = 0; i < calls; i++) {
                        int j = (offset + i) % calls;
                        assertArrayEquals(serial.get(j), call(ce, j), () -> e + " " + o + ": call " + j + " differs from its serial result");
                        compared.incrementAndGet();
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) f.get();
        } finally {
            pool.shutdownNow();
        }
        assertEquals(THREADS * calls, compared.get());
    }

    /** Call j: its own shape and logits; the raw bits of the loss, per-row losses, lse and gradient. */
    private static int[] call(CrossEntropy ce, int j) {
        Random rnd = new Random(j);
        int c = (int) CLASSES[j % CLASSES.length];
        int n = c > 2000 ? 1 + j % 3 : 1 + j % 13;
        float[] z = new float[n * c], grad = new float[n * c];
        for (int i = 0; i < z.length; i++) z[i] = (float) (3 * rnd.nextGaussian());
        int[] y = new int[n];
        for (int r = 0; r < n; r++) y[r] = rnd.nextInt(8) == 0 ? -100 : rnd.nextInt(c);
        Loss loss = ce.forwardBackward(Logits.of(z, n, c), Targets.classes(y), Logits.of(grad, n, c));
        int[] bits = new int[1 + 2 * n + grad.length];
        bits[0] = Float.floatToRawIntBits(loss.value());
        for (int r = 0; r < n; r++) {
            bits[1 + r] = Float.floatToRawIntBits(loss.perRow()[r]);
            bits[1 + n + r] = Float.floatToRawIntBits(loss.lse()[r]);
        }
        for (int i = 0; i < grad.length; i++) bits[1 + 2 * n + i] = Float.floatToRawIntBits(grad[i]);
        return bits;
    }
}
