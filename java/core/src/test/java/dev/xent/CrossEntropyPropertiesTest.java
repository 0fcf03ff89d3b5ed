package dev.xent;

import dev.xent.CeSpec.Run;
import dev.xent.CeSpec.Upstream;
import dev.xent.EngineSource.EngineCase;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Random shapes, strides, options and dtypes (fixed seed, few tries): every available engine
 * against the float64 reference on the same inputs. Unavailable engines are reported as skipped
 * by the parameterised suites; here they are left out.
 */
class CrossEntropyPropertiesTest {

    @Provide
    Arbitrary<CeSpec> specs() {
        Arbitrary<long[]> shape = Combinators.combine(
                Arbitraries.longs().between(0, 12),
                Arbitraries.frequencyOf(
                        net.jqwik.api.Tuple.of(5, Arbitraries.longs().between(1, 70)),
                        net.jqwik.api.Tuple.of(2, Arbitraries.longs().between(2000, 4200))),
                Arbitraries.integers().between(0, 2),
                Arbitraries.longs().between(1, 3))
                .as((n, c, extraDims, d) -> switch (extraDims) {
                    case 0 -> new long[] {n, c};
                    case 1 -> new long[] {n, c, d};
                    default -> new long[] {n, c, d, 2};
                });
        Arbitrary<CeSpec> base = Combinators.combine(shape, Arbitraries.of(DType.class), Arbitraries.of(Tensor.Memory.class),
                        Arbitraries.integers().between(0, 5), Arbitraries.of(false, true))
                .as((s, dt, mem, pad, soft) -> CeSpec.of(dt, s).withMemory(mem).withSoft(soft)
                        .withRowStride(s.length == 2 && pad > 2 ? s[1] + pad : 0));
        return Combinators.combine(base, Arbitraries.of(false, true), Arbitraries.of(0.0, 0.0, 0.1, 0.7),
                        Arbitraries.of(Reduction.class), Arbitraries.of(Run.class), Arbitraries.of(false, true),
                        Arbitraries.of(-100L, 0L, 3L, 1000L), Arbitraries.integers().between(0, 3))
                .as((spec, weighted, eps, reduction, run, inPlace, ignore, ignored) -> spec.withWeights(weighted).withSmoothing(eps)
                        .withReduction(reduction).withRun(run).withInPlace(inPlace).withIgnored(ignore, ignored)
                        .withInt64Labels(ignored % 2 == 1)
                        .withUpstream(reduction == Reduction.NONE ? (ignored == 0 ? Upstream.DEFAULT : Upstream.PER_ROW)
                                : (ignored == 0 ? Upstream.DEFAULT : Upstream.SCALAR)));
    }

    @Property(tries = 40, seed = "20240611")
    void everyEngineMatchesTheReference(@ForAll("specs") CeSpec spec, @ForAll("seeds") long seed) {
        CeSpec s = spec.withSeed(seed);
        for (EngineCase e : EngineSource.availableEngines()) CeRunner.run(e.engine(), s);
    }

    @Property(tries = 15, seed = "7")
    void extremeValuesMatchTheReference(@ForAll("specs") CeSpec spec, @ForAll("seeds") long seed,
            @ForAll("scales") double scale, @ForAll("offsets") double offset) {
        CeSpec s = spec.withSeed(seed).withValues(scale, offset).withSpecials(0.2, false, false);
        for (EngineCase e : EngineSource.availableEngines()) CeRunner.run(e.engine(), s);
    }

    @Provide
    Arbitrary<Long> seeds() {
        return Arbitraries.longs().between(0, 1_000_000);
    }

    @Provide
    Arbitrary<Double> scales() {
        return Arbitraries.of(1e-3, 1.0, 20.0, 60.0);
    }

    @Provide
    Arbitrary<Double> offsets() {
        return Arbitraries.of(-1000.0, 0.0, 1000.0);
    }
}
