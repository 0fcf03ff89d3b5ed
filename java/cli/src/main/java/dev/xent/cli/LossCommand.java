package dev.xent.cli;

import dev.xent.Reduction;
import dev.xent.Xent;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code xent loss}: a loss, its gradient, lse and log-probabilities from and to .npy files. */
@Command(name = "loss",
        description = {
            "Loss, gradient, lse, log-probs from .npy files (PyTorch semantics).",
            "",
            "Logits: float32 or float16, shape (N, C) or (N, C, d1..dk), classes on axis 1.",
            "Targets: int64 or int32 class indices of shape (N) or (N, d1..dk), or float",
            "probabilities of the logits' shape.",
            "--bf16: float32 logits (and float targets) are rounded to bfloat16 (nearest,",
            "ties to even, as torch's .bfloat16()); gradient and log-probs are written as",
            "float32 holding those bf16 values. uint16 logits are taken as raw bf16 bits;",
            "gradient and log-probs are then written as uint16 bf16 bits.",
            "Exit codes: 0 ok, 2 bad options or input (one line on stderr), 1 internal error.",
            ""
        },
        mixinStandardHelpOptions = true,
        sortOptions = false)
public final class LossCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--op", paramLabel = "NAME", defaultValue = "ce", description = "The op (default ${DEFAULT-VALUE}); today: ce.")
    String op;

    @Option(names = "--logits", paramLabel = "F.npy", required = true, description = "Logits (N, C) or (N, C, d1..dk).")
    Path logits;

    @Option(names = "--target", paramLabel = "F.npy", required = true, description = "Class indices or probabilities.")
    Path target;

    @Option(names = "--weight", paramLabel = "F.npy", description = "Per-class weights, shape (C,), float32 or float64.")
    Path weight;

    @Option(names = "--reduction", paramLabel = "none|sum|mean", defaultValue = "mean",
            description = "How per-row losses combine (default ${DEFAULT-VALUE}).")
    Reduction reduction;

    @Option(names = "--ignore-index", paramLabel = "K", defaultValue = "-100",
            description = "Class index whose rows give no loss and no gradient (default ${DEFAULT-VALUE}).")
    long ignoreIndex;

    @Option(names = "--label-smoothing", paramLabel = "E", defaultValue = "0",
            description = "Label smoothing in [0, 1] (default ${DEFAULT-VALUE}).")
    double labelSmoothing;

    @Option(names = "--engine", paramLabel = "NAME", defaultValue = EngineChoice.AUTO,
            description = "Engine by name: auto, java, cuda, cuda-emu (default ${DEFAULT-VALUE}).")
    String engine;

    @Option(names = "--bf16", description = "Run in bfloat16: round float32 logits to bf16, or read uint16 logits as bf16 bits.")
    boolean bf16;

    @Option(names = "--out-loss", paramLabel = "F.npy", required = true,
            description = "float32 loss: shape () for sum/mean, (N, d1..dk) for none.")
    Path outLoss;

    @Option(names = "--out-grad", paramLabel = "F.npy", description = "Gradient of the reduced loss (upstream 1), logits' shape and dtype.")
    Path outGrad;

    @Option(names = "--out-lse", paramLabel = "F.npy", description = "float32 per-row log-sum-exp, shape (N, d1..dk).")
    Path outLse;

    @Option(names = "--out-log-probs", paramLabel = "F.npy", description = "log_softmax over the class axis, logits' shape and dtype.")
    Path outLogProbs;

    @Override
    public Integer call() {
        LossOp lossOp = LossOps.named(op);
        LogitsInput in = LogitsInput.of(read(logits), bf16, logits.toString());
        NpyArray targetArray = read(target);
        NpyArray weightArray = weight == null ? null : read(weight);
        Xent xent = EngineChoice.select(engine);
        LossRequest request = new LossRequest(xent, in, targetArray, target.toString(), weightArray,
                weight == null ? null : weight.toString(), reduction, ignoreIndex, labelSmoothing,
                outGrad != null, outLogProbs != null);
        LossResult result = lossOp.compute(request);

        List<String> written = new ArrayList<>();
        write(outLoss, result.loss(), written);
        if (outGrad != null) write(outGrad, result.grad(), written);
        if (outLse != null) write(outLse, result.lse(), written);
        if (outLogProbs != null) write(outLogProbs, result.logProbs(), written);

        PrintWriter out = spec.commandLine().getOut();
        out.println(lossOp.name() + " on engine " + xent.engine().name() + ": " + result.summary()
                + "; wrote " + String.join(", ", written));
        out.flush();
        return 0;
    }

    private static NpyArray read(Path path) {
        try {
            return Npy.read(path);
        } catch (NpyFormatException e) {
            throw new UserError(e.getMessage());
        }
    }

    private static void write(Path path, NpyArray array, List<String> written) {
        try {
            Npy.write(path, array);
            written.add(path.toString());
        } catch (IOException e) {
            throw new UserError(path + ": cannot write: " + e.getMessage());
        }
    }
}
