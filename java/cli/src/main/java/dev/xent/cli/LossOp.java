package dev.xent.cli;

import java.util.Set;
import java.util.function.Function;

/**
 * One op of {@code xent loss --op NAME}, listed once in {@link LossOps}; the command itself reads
 * the files, picks the engine and writes the outputs.
 *
 * @param name        the name {@code --op} selects it by
 * @param description one line for help texts
 * @param options     the options of {@link LossCommand#OP_OPTIONS} this op takes (e.g. "--weight");
 *                    giving any other is a user error that names the op
 * @param compute     runs the op; user mistakes (shapes, dtypes, labels) are {@link UserError}s
 */
record LossOp(String name, String description, Set<String> options, Function<LossRequest, LossResult> compute) {}
