package dev.xent.cli;

import java.util.Set;

/**
 * One op of {@code xent loss --op NAME}. Adding an op is a new implementation plus its line in
 * {@link LossOps}; the command itself reads the files, picks the engine and writes the outputs.
 */
interface LossOp {

    /** The name {@code --op} selects it by. */
    String name();

    /** One line for help texts. */
    String description();

    /**
     * The options of {@link LossCommand#OP_OPTIONS} this op takes (e.g. "--weight"); giving
     * any other is a user error that names the op.
     */
    Set<String> options();

    /** Runs the op; user mistakes (shapes, dtypes, labels) are {@link UserError}s. */
    LossResult compute(LossRequest request);
}
