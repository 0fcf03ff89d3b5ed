package dev.xent.cli;

/**
 * How the demo trains its bigram model.
 *
 * @param epochs       passes over the training bigrams
 * @param batchSize    bigrams per step
 * @param learningRate Adam's step size
 * @param seed         shuffling and sampling seed
 */
record TrainingConfig(int epochs, int batchSize, float learningRate, long seed) {

    TrainingConfig {
        if (epochs < 1) throw new UserError("--epochs must be >= 1, got " + epochs);
        if (batchSize < 1) throw new UserError("--batch-size must be >= 1, got " + batchSize);
        if (!(learningRate > 0) || !Float.isFinite(learningRate)) {
            throw new UserError("--learning-rate must be a positive number, got " + learningRate);
        }
    }
}
