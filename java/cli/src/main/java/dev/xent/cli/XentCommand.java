package dev.xent.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * What the file and demo commands share: --help and --version, options listed in the order they
 * are declared, the exit codes in the help text (picocli applies a superclass's {@code @Command}
 * attributes to the subclass), and the command's spec for its output streams.
 */
@Command(mixinStandardHelpOptions = true,
        sortOptions = false,
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {"0:ok", "2:bad options or input (one line on stderr)", "1:internal error"})
abstract class XentCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;
}
