package dev.xent.cli;

import java.util.Random;

/**
 * Trains a {@link BigramModel} with Adam on shuffled mini-batches, reporting each epoch's mean
 * training loss and held-out loss through a {@link ProgressDisplay}.
 */
final class BigramTrainer {
    private final TrainingConfig config;

    BigramTrainer(TrainingConfig config) {
        this.config = config;
    }

    /** Steps per epoch for a training set of that size. */
    int stepsPerEpoch(int pairs) {
        return (pairs + config.batchSize() - 1) / config.batchSize();
    }

    TrainingHistory train(BigramModel model, Bigrams train, Bigrams heldOut, ProgressDisplay progress) {
        int v = model.vocabularySize();
        int batch = config.batchSize();
        float[] batchLogits = new float[batch * v];
        float[] batchGrad = new float[batch * v];
        int[] batchTargets = new int[batch];
        float[] gradW = new float[v * v];
        Adam adam = new Adam(v * v, config.learningRate());
        Random random = new Random(config.seed());
        int[] order = new int[train.size()];
        for (int i = 0; i < order.length; i++) order[i] = i;

        TrainingHistory history = new TrainingHistory();
        history.setInitialHeldOutLoss(model.meanLoss(heldOut));
        int step = 0;
        for (int epoch = 1; epoch <= config.epochs(); epoch++) {
            shuffle(order, random);
            double sum = 0;
            for (int from = 0; from < order.length; from += batch) {
                int count = Math.min(batch, order.length - from);
                float loss = model.lossAndGradient(train, order, from, count, batchLogits, batchGrad, batchTargets, gradW);
                adam.step(model.weights(), gradW);
                history.addStep(loss);
                sum += (double) loss * count;
                step++;
                progress.step(DemoText.f("epoch %d/%d loss %.3f", epoch, config.epochs(), loss));
            }
            TrainingHistory.Epoch e = new TrainingHistory.Epoch(epoch, step, sum / order.length, model.meanLoss(heldOut));
            history.addEpoch(e);
            progress.println(DemoText.epochLine(e));
        }
        return history;
    }

    private static void shuffle(int[] a, Random random) {
        for (int i = a.length - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }
}
