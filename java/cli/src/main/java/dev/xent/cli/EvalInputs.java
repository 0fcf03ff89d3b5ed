package dev.xent.cli;

import dev.xent.Targets;
import dev.xent.Xent;
import dev.xent.eval.Evaluation;
import java.nio.file.Path;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** What {@code xent eval} and {@code xent calibrate} share: logits, class-index targets, engine, bins. */
final class EvalInputs {

    @Option(names = "--logits", paramLabel = "F.npy", required = true,
            description = "float32 or float16 logits (N, C) or (N, C, d1..dk), classes on axis 1 (a (B, T, C) array must be moved to (B, C, T) first).")
    Path logits;

    @Option(names = "--target", paramLabel = "F.npy", required = true,
            description = "int64 or int32 class indices, shape (N) or (N, d1..dk).")
    Path target;

    @Option(names = "--ignore-index", paramLabel = "K", defaultValue = "-100",
            description = "Class index whose rows are left out of every metric (default ${DEFAULT-VALUE}).")
    long ignoreIndex;

    @Option(names = "--bins", paramLabel = "N", defaultValue = "15",
            description = "Equal-width confidence bins of ECE (default ${DEFAULT-VALUE}).")
    int bins;

    @Mixin
    EngineOption engine;

    @Option(names = "--bf16", description = "Run in bfloat16: round float32 logits to bf16, or read uint16 logits as bf16 bits.")
    boolean bf16;

    /** The files read and checked, and an evaluation on the chosen engine. */
    record Loaded(Xent xent, LogitsInput logits, Targets.ClassIndices targets, Evaluation evaluation) {}

    /** The input files, which no output may name. */
    void declare(OutputFiles files) {
        files.input("--logits", logits);
        files.input("--target", target);
    }

    Loaded load() {
        if (bins < 1) throw new UserError("--bins must be >= 1, got " + bins);
        Xent xent = engine.select();
        LogitsInput in = LogitsInput.of(LossCommand.read(logits), bf16, logits.toString());
        Targets.ClassIndices targets = ClassTargets.read(new InputFile(target.toString(), LossCommand.read(target)), in);
        Evaluation evaluation = Evaluation.of(xent).withIgnoreIndex(ignoreIndex).withBins(bins);
        return new Loaded(xent, in, targets, evaluation);
    }
}
