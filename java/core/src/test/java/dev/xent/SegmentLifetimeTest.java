package dev.xent;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.xent.EngineSource.EngineCase;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ArgumentsSource;

/**
 * A segment the caller may not use (confined to another thread, or freed) reaches the caller as
 * the JDK's own exception on every engine: never an AssertionError from the FFM bindings.
 */
class SegmentLifetimeTest {
    private static final int N = 3;
    private static final int C = 4;

    private static MemorySegment logits(Arena arena) {
        MemorySegment z = arena.allocate(ValueLayout.JAVA_FLOAT, (long) N * C);
        for (int i = 0; i < N * C; i++) z.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) Math.cos(i));
        return z;
    }

    @ParameterizedTest(name = "{0}")
    @ArgumentsSource(EngineSource.class)
    void confinedSegmentFromAnotherThreadIsWrongThreadException(EngineCase e) {
        CrossEntropy ce = e.xent().crossEntropy();
        try (Arena arena = Arena.ofConfined()) {
            Logits z = Logits.of(logits(arena), DType.F32, N, C);
            Targets.ClassIndices y = Targets.classes(new int[] {0, 3, 1});
            CompletionException thrown = assertThrows(CompletionException.class,
                    () -> CompletableFuture.runAsync(() -> ce.forward(z, y)).join());
            assertInstanceOf(WrongThreadException.class, thrown.getCause(), "cause: " + thrown.getCause());
        }
    }

    @ParameterizedTest(name = "{0}")
    @ArgumentsSource(EngineSource.class)
    void segmentOfAClosedArenaIsIllegalStateException(EngineCase e) {
        CrossEntropy ce = e.xent().crossEntropy();
        Arena arena = Arena.ofShared();
        Logits z = Logits.of(logits(arena), DType.F32, N, C);
        arena.close();
        Throwable thrown = assertThrows(Throwable.class, () -> ce.forward(z, Targets.classes(new int[] {0, 3, 1})));
        assertInstanceOf(IllegalStateException.class, thrown, "thrown: " + thrown);
    }
}
