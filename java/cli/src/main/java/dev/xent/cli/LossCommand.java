package dev.xent.cli;

import dev.xent.Reduction;
import dev.xent.Xent;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.TreeSet;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.Option;

/** {@code xent loss}: a loss, its gradient, lse and log-probabilities from and to .npy files. */
@Command(name = "loss",
        description = {
            "A loss of the family and its gradient from .npy files (PyTorch semantics):",
            "--op ce|nll|kl|distill|bce|gaussian-nll|laplace-nll|poisson-nll.",
            "",
            "Softmax ops (ce, nll, kl, distill): logits float32 or float16 of shape (N, C)",
            "or (N, C, d1..dk), classes on axis 1; class-index targets int64 or int32 of",
            "shape (N) or (N, d1..dk); ce also takes float probabilities of the logits'",
            "shape. Element-wise ops: input and target of any one shape. float64 logits",
            "and float targets are read as float32 (a note on stderr says so).",
            "--bf16: float32 logits (and float targets) are rounded to bfloat16 (nearest,",
            "ties to even, as torch's .bfloat16()); gradient and log-probs are written as",
            "float32 holding those bf16 values. uint16 logits are taken as raw bf16 bits;",
            "gradient and log-probs are then written as uint16 bf16 bits.",
            ""
        })
public final class LossCommand extends XentCommand {

    /** Options that only some ops take; each op lists its own in {@link LossOp#options()}. */
    static final List<String> OP_OPTIONS = List.of(
            "--target", "--weight", "--pos-weight", "--teacher-logits", "--var", "--ignore-index", "--label-smoothing",
            "--temperature", "--alpha", "--log-input", "--full", "--eps", "--z-loss", "--softcap",
            "--out-lse", "--out-log-probs");

    @Option(names = "--op", paramLabel = "NAME", defaultValue = "ce",
            description = "The op (default ${DEFAULT-VALUE}): ${COMPLETION-CANDIDATES}.", completionCandidates = OpNames.class)
    String op;

    @Option(names = "--logits", paramLabel = "F.npy", required = true,
            description = "The input being differentiated: logits (N, C) or (N, C, d1..dk) for the softmax ops; any shape for the element-wise ones.")
    Path logits;

    @Option(names = "--target", paramLabel = "F.npy", description = "Class indices, probabilities or values, as the op needs.")
    Path target;

    @Option(names = "--weight", paramLabel = "F.npy", description = "Weights, float32 or float64: per class (C,) for ce, nll and distill (its hard term); per element or broadcast over the last axis for bce.")
    Path weight;

    @Option(names = "--pos-weight", paramLabel = "F.npy", description = "bce: weight of the positive term, one per class (last axis).")
    Path posWeight;

    @Option(names = "--teacher-logits", paramLabel = "F.npy", description = "kl, distill: the teacher's logits, the student's (--logits) shape.")
    Path teacherLogits;

    @Option(names = "--var", paramLabel = "F.npy", description = "gaussian-nll: variances; laplace-nll: the scale b (default 1). The input's shape, one per row (last axis 1, or dropped), or one value.")
    Path var;

    @Option(names = "--reduction", paramLabel = "none|sum|mean", defaultValue = "mean",
            description = "How per-row losses combine (default ${DEFAULT-VALUE}).")
    Reduction reduction;

    @Option(names = "--ignore-index", paramLabel = "K", defaultValue = "-100",
            description = "Class index whose rows give no loss and no gradient (default ${DEFAULT-VALUE}).")
    long ignoreIndex;

    @Option(names = "--label-smoothing", paramLabel = "E", defaultValue = "0",
            description = "Label smoothing in [0, 1] (default ${DEFAULT-VALUE}).")
    double labelSmoothing;

    @Option(names = "--temperature", paramLabel = "T", description = "kl, distill: softmax temperature T > 0 (default 1).")
    Double temperature;

    @Option(names = "--alpha", paramLabel = "A", description = "distill: weight in [0, 1] of the KL term; 1 - A weighs the hard-label CE.")
    Double alpha;

    @Option(names = "--log-input", paramLabel = "true|false", arity = "1",
            description = "poisson-nll: the input is the log-rate (true, default) or the rate.")
    Boolean logInput;

    @Option(names = "--full", description = "gaussian-nll, laplace-nll, poisson-nll: include the constant terms.")
    boolean full;

    @Option(names = "--eps", paramLabel = "E", description = "gaussian-nll, laplace-nll: variance / scale clamp (default 1e-6); poisson-nll: log(rate + eps) (default 1e-8).")
    Double eps;

    @Option(names = "--z-loss", paramLabel = "L", defaultValue = "0", description = "ce: z-loss weight lambda (loss += lambda * lse^2).")
    double zLoss;

    @Option(names = "--softcap", paramLabel = "C", description = "ce: soft-cap the logits to c * tanh(z / c), c > 0.")
    Double softcap;

    @Mixin
    EngineOption engine;

    @Option(names = "--bf16", description = "Run in bfloat16: round float32 logits to bf16, or read uint16 logits as bf16 bits.")
    boolean bf16;

    @Option(names = "--out-loss", paramLabel = "F.npy", required = true,
            description = "float32 loss: shape () for sum/mean, the per-row (or per-element) shape for none.")
    Path outLoss;

    @Option(names = "--out-grad", paramLabel = "F.npy", description = "Gradient of the reduced loss (upstream 1) with respect to --logits, its shape and dtype.")
    Path outGrad;

    @Option(names = "--out-lse", paramLabel = "F.npy", description = "float32 per-row log-sum-exp, shape (N, d1..dk).")
    Path outLse;

    @Option(names = "--out-log-probs", paramLabel = "F.npy", description = "log_softmax over the class axis, logits' shape and dtype.")
    Path outLogProbs;

    @Override
    public Integer call() {
        LossOp lossOp = LossOps.named(op);
        rejectOptionsNotOf(lossOp);
        try (OutputFiles files = new OutputFiles()) {
            files.input("--logits", logits);
            files.input("--target", target);
            files.input("--weight", weight);
            files.input("--pos-weight", posWeight);
            files.input("--teacher-logits", teacherLogits);
            files.input("--var", var);
            files.output("--out-loss", outLoss);
            files.output("--out-grad", outGrad);
            files.output("--out-lse", outLse);
            files.output("--out-log-probs", outLogProbs);

            Xent xent = engine.select();
            List<String> converted = new ArrayList<>();
            InputFile logitsFile = float32(input(logits), converted);
            InputFile targetFile = float32(input(target), converted);
            InputFile teacherFile = float32(input(teacherLogits), converted);
            if (!converted.isEmpty()) {
                spec.commandLine().getErr().println("xent loss: note: float64 read as float32 (rounded to nearest): "
                        + String.join(", ", converted));
            }
            LossRequest request = new LossRequest(lossOp.name(), xent, logitsFile, bf16, targetFile, input(weight),
                    input(posWeight), teacherFile, input(var), reduction, ignoreIndex, labelSmoothing,
                    temperature, alpha, logInput, full, eps, zLoss, softcap, outGrad != null, outLogProbs != null);
            LossResult result = lossOp.compute().apply(request);

            List<String> written = new ArrayList<>();
            write(files, outLoss, result.loss(), written);
            write(files, outGrad, result.grad(), written);
            write(files, outLse, result.lse(), written);
            write(files, outLogProbs, result.logProbs(), written);
            files.commit();

            PrintWriter out = spec.commandLine().getOut();
            out.println(lossOp.name() + " on engine " + xent.engine().name() + ": " + result.summary()
                    + "; wrote " + String.join(", ", written));
            out.flush();
        }
        return 0;
    }

    private void rejectOptionsNotOf(LossOp lossOp) {
        ParseResult parsed = spec.commandLine().getParseResult();
        for (String option : OP_OPTIONS) {
            if (parsed.hasMatchedOption(option) && !lossOp.options().contains(option)) {
                throw new UserError(option + " does not apply to --op " + lossOp.name() + "; its options: "
                        + (lossOp.options().isEmpty() ? "none" : String.join(", ", new TreeSet<>(lossOp.options()))));
            }
        }
    }

    private static InputFile input(Path path) {
        return path == null ? null : new InputFile(path.toString(), read(path));
    }

    /** The file as float32 if it holds float64 (the ops compute in float32 at most), its name added to {@code converted}. */
    private static InputFile float32(InputFile file, List<String> converted) {
        if (file == null || file.array().dtype() != NpyDType.FLOAT64) return file;
        converted.add(file.name());
        return new InputFile(file.name(), file.array().toFloat32());
    }

    /** The names {@code --op} accepts, for the help text. */
    static final class OpNames implements Iterable<String> {
        @Override
        public Iterator<String> iterator() {
            return LossOps.all().stream().map(LossOp::name).iterator();
        }
    }

    /** A .npy file, its format errors as a {@link UserError}. */
    static NpyArray read(Path path) {
        try {
            return Npy.read(path);
        } catch (NpyFormatException e) {
            throw new UserError(e.getMessage());
        }
    }

    private static void write(OutputFiles files, Path path, NpyArray array, List<String> written) {
        if (path == null) return;
        files.write(path, file -> Npy.write(file, array));
        written.add(path.toString());
    }
}
