package dev.xent.cli;

import dev.xent.Reduction;
import dev.xent.Xent;

/**
 * Everything {@code xent loss} read and was asked for, handed to one {@link LossOp}.
 *
 * @param xent           the engine to run on
 * @param logits         the logits, already in the storage type the op runs on
 * @param target         the targets file's array (class indices or probabilities)
 * @param targetName     the targets file, for messages
 * @param weight         per-class weights, or null
 * @param weightName     the weights file, for messages, or null
 * @param reduction      none, sum or mean
 * @param ignoreIndex    class index whose rows are ignored
 * @param labelSmoothing eps in [0, 1]
 * @param wantGrad       compute the gradient of the reduced loss (upstream 1)
 * @param wantLogProbs   compute log_softmax over the class axis
 */
record LossRequest(
        Xent xent,
        LogitsInput logits,
        NpyArray target,
        String targetName,
        NpyArray weight,
        String weightName,
        Reduction reduction,
        long ignoreIndex,
        double labelSmoothing,
        boolean wantGrad,
        boolean wantLogProbs) {}
