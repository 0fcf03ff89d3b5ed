package dev.xent.cli;

import dev.xent.eval.Metrics;
import dev.xent.eval.TemperatureScaling;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code xent calibrate}: fits a temperature on validation logits and draws the reliability diagram. */
@Command(name = "calibrate",
        description = {
            "Fits a temperature to validation logits; reliability diagram PNG.",
            "",
            "Temperature scaling: the T minimising the mean NLL of softmax(z / T) on",
            "validation logits and labels (Newton's method on s = 1/T, safeguarded by",
            "bisection). Prints T, NLL and ECE before and after, and writes",
            "DIR/reliability.png: per-bin accuracy against confidence, before and after.",
            "Logits and targets as for xent eval (classes on axis 1).",
            ""
        })
public final class CalibrateCommand extends XentCommand {

    @Mixin
    EvalInputs inputs;

    @Option(names = "--out", paramLabel = "DIR", defaultValue = ".", description = "Directory of reliability.png, created if missing (default: the current one).")
    Path out;

    @Override
    public Integer call() {
        if (Files.exists(out) && !Files.isDirectory(out)) throw new UserError("--out " + out + ": not a directory");
        try (OutputFiles files = new OutputFiles()) {
            inputs.declare(files);
            Path png = out.resolve("reliability.png");
            if (Files.isDirectory(out)) files.output("--out", png);
            calibrate(files, png);
        }
        return 0;
    }

    /** Fits, then creates --out if it is missing and writes the diagram. */
    private void calibrate(OutputFiles files, Path png) {
        EvalInputs.Loaded in = inputs.load();
        in.logits().requireNoNaN();
        TemperatureScaling.Fit fit;
        try {
            fit = TemperatureScaling.of(in.evaluation()).fit(in.logits().logits(), in.targets());
        } catch (IllegalArgumentException e) {
            throw new UserError(inputs.target + ": " + e.getMessage());
        }
        if (!Files.isDirectory(out)) {
            try {
                Files.createDirectories(out);
            } catch (IOException e) {
                throw new UserError("--out " + out + ": cannot create the directory: " + e.getMessage());
            }
            files.output("--out", png);
        }
        files.write(png, file -> ReliabilityPlot.write(fit, file));
        files.commit();
        PrintWriter w = spec.commandLine().getOut();
        Metrics before = fit.before(), after = fit.after();
        w.printf(Locale.ROOT, "calibrate on engine %s: %d rows counted%n", in.xent().engine().name(), before.rows());
        w.printf(Locale.ROOT, "temperature T        %.6f (scale 1/T = %.6f; %d Newton/bisection steps%s)%n", fit.temperature(),
                fit.scale(), fit.iterations(), fit.converged() ? "" : ", NOT converged");
        w.printf(Locale.ROOT, "NLL   before %.6f  after %.6f nats%n", before.meanNll(), after.meanNll());
        w.printf(Locale.ROOT, "ECE   before %.6f  after %.6f (%d bins)%n", before.ece(), after.ece(), inputs.bins);
        w.printf(Locale.ROOT, "wrote %s%n", png);
        w.flush();
    }
}
