package dev.xent.cli;

import dev.xent.Engines;
import dev.xent.Xent;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Random;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code xent demo}: the engines, two worked examples, and a character bigram language model
 * trained with xent's fused loss and gradient on a public-domain text shipped in the jar.
 */
@Command(name = "demo",
        description = {
            "Guided tour on embedded data: engines, worked examples, training.",
            "",
            "Nothing is downloaded. Shows which engine runs and why, two worked examples of",
            "cross-entropy, then trains a character bigram model with xent's fused loss and",
            "gradient: per-epoch loss, perplexity and bits per character, a PNG of the loss",
            "curve, and a sample of generated text.",
            ""
        })
public final class DemoCommand extends XentCommand {

    @Option(names = "--out", paramLabel = "DIR", defaultValue = "results/demo",
            description = "Where the loss plot goes (default ${DEFAULT-VALUE}).")
    Path outDir;

    @Mixin
    EngineOption engine;

    @Option(names = "--epochs", paramLabel = "N", defaultValue = "12", description = "Training epochs (default ${DEFAULT-VALUE}).")
    int epochs;

    @Option(names = "--batch-size", paramLabel = "B", defaultValue = "128", description = "Bigrams per step (default ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--learning-rate", paramLabel = "LR", defaultValue = "0.02", description = "Adam step size (default ${DEFAULT-VALUE}).")
    float learningRate;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "42", description = "Shuffling and sampling seed (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--text", paramLabel = "FILE", description = "Train on this UTF-8 text instead of the built-in one.")
    Path text;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        TrainingConfig config = new TrainingConfig(epochs, batchSize, learningRate, seed);
        TextCorpus corpus = text == null ? TextCorpus.builtIn() : TextCorpus.fromFile(text);

        section(out, "Engines");
        InfoCommand.printEngines(out, Engines.report());
        Xent xent = engine.select();
        out.println("running on: " + xent.engine().name() + " (" + xent.selectionReason() + ")");

        section(out, "Cross-entropy by hand");
        NextWordExample.print(xent, out);
        out.println();
        CrossEntropyIdentityExample.print(xent, out);

        section(out, "Training a character bigram model");
        train(xent, corpus, config, out, err);
        return Main.OK;
    }

    private void train(Xent xent, TextCorpus corpus, TrainingConfig config, PrintWriter out, PrintWriter err) throws IOException {
        int split = corpus.length() * 9 / 10;
        Bigrams train = corpus.bigrams(0, split);
        Bigrams heldOut = corpus.bigrams(split, corpus.length());
        int v = corpus.vocabularySize();
        double floor = train.conditionalEntropy(v);
        out.println(DemoText.f("text: %s, %d characters after normalising whitespace; vocabulary V = %d characters:",
                corpus.name(), corpus.length(), v));
        out.println("  " + corpus.vocabulary());
        out.println(DemoText.f("model: logits table W[%d][%d], p(next | c) = softmax(W[c]); %d training and %d held-out bigrams",
                v, v, train.size(), heldOut.size()));
        out.println(DemoText.f("each step: %d rows of W gathered, xent's fused forwardBackward gives the mean CE and its gradient,",
                config.batchSize()));
        out.println(DemoText.f("rows scattered back into dL/dW, Adam (lr %s) updates W. %d epochs x %d steps.",
                config.learningRate(), config.epochs(), new BigramTrainer(config).stepsPerEpoch(train.size())));
        out.println(DemoText.f("before training: uniform, CE = ln V = %.4f nats (perplexity %d); best bigram model of the",
                Math.log(v), v));
        out.println(DemoText.f("training text (counts): %.4f nats, perplexity %.3f, %.4f bits per character.",
                floor, Math.exp(floor), floor / DemoText.LN2));
        out.println();
        out.println(DemoText.epochHeader());
        out.flush();

        BigramModel model = new BigramModel(xent, v);
        BigramTrainer trainer = new BigramTrainer(config);
        long start = System.nanoTime();
        TrainingHistory history;
        try (ProgressDisplay progress = new ProgressDisplay("train", (long) config.epochs() * trainer.stepsPerEpoch(train.size()),
                out, err, ProgressDisplay.stdoutIsTerminal())) {
            history = trainer.train(model, train, heldOut, progress);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        TrainingHistory.Epoch last = history.epochs().getLast();
        out.println(DemoText.f("trained in %.2f s (%.0f steps/s); held-out CE %.4f -> %.4f nats, perplexity %.2f -> %.2f",
                seconds, history.stepLosses().size() / seconds, history.initialHeldOutLoss(), last.heldOutLoss(),
                Math.exp(history.initialHeldOutLoss()), Math.exp(last.heldOutLoss())));

        Path png = outDir.resolve("loss.png");
        LossPlot.write(history, floor, "xent demo: character bigram model on " + corpus.name() + " (V = " + v + ")", png);
        out.println("loss curve: " + png.toAbsolutePath().normalize());

        String prompt = corpus.id('A') >= 0 && corpus.id(' ') >= 0 ? "Alice " : corpus.text().substring(0, 1);
        if (corpus.id(prompt.charAt(prompt.length() - 1)) < 0) prompt = corpus.text().substring(0, 1);
        out.println();
        out.println("a sample from the trained model (seed " + config.seed() + "; a bigram model only knows which letter tends to follow which):");
        out.println("  " + model.sample(corpus, prompt, 240, new Random(config.seed())));
        out.flush();
    }

    private static void section(PrintWriter out, String title) {
        out.println();
        out.println("== " + title + " " + "=".repeat(Math.max(3, 72 - title.length())));
        out.println();
    }
}
