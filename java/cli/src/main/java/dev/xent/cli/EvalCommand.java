package dev.xent.cli;

import dev.xent.eval.LogUnit;
import dev.xent.eval.Metrics;
import dev.xent.eval.Perplexity;
import dev.xent.eval.RowStats;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code xent eval}: loss, perplexity, accuracy, top-k accuracy and ECE of logits against class indices. */
@Command(name = "eval",
        description = {
            "Loss, perplexity, accuracy, top-k, ECE of logits vs class indices.",
            "",
            "One fused pass per row computes each row's loss, rank of the target,",
            "prediction and confidence; the metrics are formed from those.",
            "",
            "Logits: float32 or float16, shape (N, C) or (N, C, d1..dk), classes on",
            "axis 1 as for torch's cross_entropy: pass (B, T, C) logits as (B, C, T).",
            "Rows labelled --ignore-index count nowhere. Perplexity is",
            "exp(mean loss per token): pooled over all tokens, and with --lengths or",
            "--mask also exp(mean of the per-sequence mean losses). It is the same",
            "number in nats and bits; --bits gives the loss and the log-perplexity in",
            "bits per token (nats / ln 2).",
            ""
        })
public final class EvalCommand extends XentCommand {

    @Mixin
    EvalInputs inputs;

    @Option(names = "--top-k", paramLabel = "K", defaultValue = "5", description = "k of top-k accuracy (default ${DEFAULT-VALUE}).")
    int topK;

    @ArgGroup(exclusive = true)
    Sequences sequences;

    static final class Sequences {
        @Option(names = "--lengths", paramLabel = "F.npy",
                description = "int32 or int64 sequence lengths, summing to the rows (tokens), in row order.")
        Path lengths;

        @Option(names = "--mask", paramLabel = "F.npy",
                description = "(B, T) mask of 0 and 1 (or booleans) over the rows in row order, B * T = rows; a sequence is a row of it; tokens where it is 0 are excluded.")
        Path mask;
    }

    @Option(names = "--bits", description = "Loss and log-perplexity in bits instead of nats.")
    boolean bits;

    @Option(names = "--json", paramLabel = "F", description = "Also write the results as JSON to F.")
    Path json;

    @Override
    public Integer call() {
        if (topK < 1) throw new UserError("--top-k must be >= 1, got " + topK);
        try (OutputFiles files = new OutputFiles()) {
            inputs.declare(files);
            if (sequences != null) {
                files.input("--lengths", sequences.lengths);
                files.input("--mask", sequences.mask);
            }
            files.output("--json", json);
            evaluate(files);
        }
        return 0;
    }

    private void evaluate(OutputFiles files) {
        EvalInputs.Loaded in = inputs.load();
        RowStats stats;
        try {
            stats = in.evaluation().rowStats(in.logits().logits(), in.targets());
        } catch (IllegalArgumentException e) {
            throw new UserError(inputs.target + ": " + e.getMessage());
        }
        Metrics m = Metrics.of(stats, topK, inputs.bins);
        float[] losses = stats.losses();
        boolean[] counted = new boolean[stats.rows()];
        for (int r = 0; r < counted.length; r++) counted[r] = stats.counted(r);
        Perplexity pooled;
        Perplexity perSequence = null;
        if (sequences != null && sequences.lengths != null) {
            pooled = Perplexity.pooled(losses, counted);
            perSequence = Perplexity.perSequence(losses, lengths(sequences.lengths, losses.length), counted);
        } else if (sequences != null && sequences.mask != null) {
            int batch = maskInto(sequences.mask, counted);
            pooled = Perplexity.pooled(losses, counted);
            perSequence = Perplexity.perSequence(losses, counted, batch);
        } else {
            pooled = Perplexity.pooled(losses, counted);
        }

        LogUnit unit = bits ? LogUnit.BITS : LogUnit.NATS;
        String u = bits ? "bits" : "nats";
        if (json != null) {
            String text = json(in, m, pooled, perSequence, unit, u);
            files.write(json, file -> Files.writeString(file, text));
        }
        files.commit();

        PrintWriter out = spec.commandLine().getOut();
        long rows = stats.rows();
        out.printf(Locale.ROOT, "eval on engine %s: %s logits %s, %d rows, %d counted%n", in.xent().engine().name(),
                in.logits().logits().dtype().name().toLowerCase(Locale.ROOT), in.logits().shapeString(), rows, m.rows());
        out.printf(Locale.ROOT, "loss (mean NLL)      %.6f %s%n", unit.fromNats(m.meanNll()), u);
        out.printf(Locale.ROOT, "perplexity, pooled   %.6f (log %.6f %s per token, %d tokens)%n", pooled.value(),
                pooled.log(unit), u, pooled.tokens());
        if (perSequence != null) {
            out.printf(Locale.ROOT, "perplexity, per seq  %.6f (mean of %d sequence means, log %.6f %s per token)%n",
                    perSequence.value(), perSequence.sequences(), perSequence.log(unit), u);
        }
        out.printf(Locale.ROOT, "accuracy             %.6f%n", m.accuracy());
        out.printf(Locale.ROOT, "top-%d accuracy       %.6f%n", topK, m.topKAccuracy());
        out.printf(Locale.ROOT, "ECE (%d bins)        %.6f%n", inputs.bins, m.ece());
        out.flush();
    }

    private static int[] lengths(Path path, int tokens) {
        NpyArray a = LossCommand.read(path);
        if ((a.dtype() != NpyDType.INT32 && a.dtype() != NpyDType.INT64) || a.ndim() != 1) {
            throw new UserError(path + ": --lengths must be a 1-d int32 or int64 array, got " + a.dtype().numpyName() + " "
                    + a.shapeString());
        }
        int[] lengths = new int[Math.toIntExact(a.count())];
        long sum = 0;
        for (int j = 0; j < lengths.length; j++) {
            double v = a.getDouble(j);
            if (v < 0) throw new UserError(path + ": length " + (long) v + " at index " + j + " is negative");
            lengths[j] = (int) v;
            sum += lengths[j];
        }
        if (sum != tokens) throw new UserError(path + ": lengths sum to " + sum + " but the logits have " + tokens + " rows (tokens)");
        return lengths;
    }

    /** Clears {@code counted} where the (B, T) mask is 0; returns B. */
    private static int maskInto(Path path, boolean[] counted) {
        NpyArray a = LossCommand.read(path);
        if (a.ndim() != 2 || a.count() != counted.length) {
            throw new UserError(path + ": --mask must have shape (B, T) with B * T = " + counted.length + " rows, got "
                    + a.shapeString());
        }
        long steps = a.shape()[1];
        for (int i = 0; i < counted.length; i++) {
            double v = a.getDouble(i);
            if (v == 0) {
                counted[i] = false;
            } else if (v != 1) {
                throw new UserError(path + ": mask value " + (v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v))
                        + " at [" + i / steps + ", " + i % steps + "] is not 0 or 1");
            }
        }
        return Math.toIntExact(a.shape()[0]);
    }

    /** The results as a JSON object. */
    private String json(EvalInputs.Loaded in, Metrics m, Perplexity pooled, Perplexity perSequence, LogUnit unit, String u) {
        StringBuilder j = new StringBuilder("{\n");
        field(j, "engine", "\"" + in.xent().engine().name() + "\"");
        field(j, "rows", Long.toString(m.rows()));
        field(j, "unit", "\"" + u + "\"");
        field(j, "loss", num(unit.fromNats(m.meanNll())));
        field(j, "perplexity_pooled", num(pooled.value()));
        field(j, "log_perplexity_pooled", num(pooled.log(unit)));
        if (perSequence != null) {
            field(j, "perplexity_per_sequence", num(perSequence.value()));
            field(j, "log_perplexity_per_sequence", num(perSequence.log(unit)));
            field(j, "sequences", Long.toString(perSequence.sequences()));
        }
        field(j, "accuracy", num(m.accuracy()));
        field(j, "top_k", Integer.toString(topK));
        field(j, "top_k_accuracy", num(m.topKAccuracy()));
        field(j, "bins", Integer.toString(inputs.bins));
        j.append("  \"ece\": ").append(num(m.ece())).append("\n}\n");
        return j.toString();
    }

    private static void field(StringBuilder j, String name, String value) {
        j.append("  \"").append(name).append("\": ").append(value).append(",\n");
    }

    /** A JSON number; NaN (no row counted) as null. */
    private static String num(double v) {
        return Double.isFinite(v) ? Double.toString(v) : "null";
    }
}
