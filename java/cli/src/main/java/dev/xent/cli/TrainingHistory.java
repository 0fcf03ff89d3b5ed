package dev.xent.cli;

import java.util.ArrayList;
import java.util.List;

/** Losses recorded while training: every step's batch loss and each epoch's means, in nats. */
final class TrainingHistory {
    /** One epoch: mean training loss over its steps and the held-out loss after it. */
    record Epoch(int number, int lastStep, double trainLoss, double heldOutLoss) {}

    private final List<Float> stepLosses = new ArrayList<>();
    private final List<Epoch> epochs = new ArrayList<>();
    private double initialHeldOutLoss = Double.NaN;

    void addStep(float loss) {
        stepLosses.add(loss);
    }

    void addEpoch(Epoch epoch) {
        epochs.add(epoch);
    }

    void setInitialHeldOutLoss(double loss) {
        initialHeldOutLoss = loss;
    }

    /** Held-out loss before the first step (ln V for an all-zero table). */
    double initialHeldOutLoss() {
        return initialHeldOutLoss;
    }

    List<Float> stepLosses() {
        return List.copyOf(stepLosses);
    }

    List<Epoch> epochs() {
        return List.copyOf(epochs);
    }
}
