package dev.xent.cli;

import dev.xent.Reduction;
import dev.xent.Xent;

/**
 * Everything {@code xent loss} read and was asked for, handed to one {@link LossOp}. Options the
 * user did not give are null (files, and options without a default); {@link LossCommand} has
 * already rejected options the op does not take ({@link LossOp#options()}).
 *
 * @param op             the op's name, for messages
 * @param xent           the engine to run on
 * @param logits         {@code --logits}: the input being differentiated
 * @param bf16           {@code --bf16}: run in bfloat16 (see {@link LogitsInput})
 * @param target         {@code --target}: class indices, probabilities or values, or null
 * @param weight         {@code --weight}: weights, or null
 * @param posWeight      {@code --pos-weight}: BCE's positive-class weights, or null
 * @param teacherLogits  {@code --teacher-logits}: the distillation teacher, or null
 * @param var            {@code --var}: Gaussian NLL variances, or null
 * @param reduction      none, sum or mean
 * @param ignoreIndex    class index whose rows are ignored
 * @param labelSmoothing eps in [0, 1]
 * @param temperature    {@code --temperature}, or null
 * @param alpha          {@code --alpha}, or null
 * @param logInput       {@code --log-input}, or null
 * @param full           {@code --full}: add the constant terms (Gaussian, Poisson NLL)
 * @param eps            {@code --eps}, or null
 * @param zLoss          {@code --z-loss} lambda (0: none)
 * @param softcap        {@code --softcap}, or null
 * @param wantGrad       compute the gradient of the reduced loss (upstream 1)
 * @param wantLogProbs   compute log_softmax over the class axis
 */
record LossRequest(
        String op,
        Xent xent,
        InputFile logits,
        boolean bf16,
        InputFile target,
        InputFile weight,
        InputFile posWeight,
        InputFile teacherLogits,
        InputFile var,
        Reduction reduction,
        long ignoreIndex,
        double labelSmoothing,
        Double temperature,
        Double alpha,
        Boolean logInput,
        boolean full,
        Double eps,
        double zLoss,
        Double softcap,
        boolean wantGrad,
        boolean wantLogProbs) {

    /** {@code --logits} as class logits (N, C) or (N, C, d1..dk) in the storage type the op runs on. */
    LogitsInput classLogits() {
        return LogitsInput.of(logits.array(), bf16, logits.name());
    }

    /** {@code --target}, which this op needs. */
    InputFile requireTarget() {
        if (target == null) throw new UserError("--op " + op + " needs --target");
        return target;
    }
}
