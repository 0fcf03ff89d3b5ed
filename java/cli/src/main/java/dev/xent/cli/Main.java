package dev.xent.cli;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.Charset;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The {@code xent} command line. Exit codes: 0 success, 2 bad options or input (one line on
 * stderr: {@code xent <command>: <what is wrong>}), 1 an internal error (with its stack trace).
 */
@Command(name = "xent",
        description = {"Fused softmax cross-entropy for the JVM: a guided demo, numpy interop,", "and what runs here.", ""},
        mixinStandardHelpOptions = true,
        versionProvider = Versions.Provider.class,
        subcommands = {DemoCommand.class, LossCommand.class, EvalCommand.class, CalibrateCommand.class, InfoCommand.class, BenchCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Callable<Integer> {
    static final int OK = 0;
    static final int INTERNAL_ERROR = 1;
    static final int USAGE = 2;

    @Spec
    CommandSpec spec;

    public static void main(String[] args) {
        System.setProperty("java.awt.headless", "true");
        if (System.getProperty("java.util.logging.SimpleFormatter.format") == null) {
            // The library logs its engine choice through System.Logger; one line, not two.
            System.setProperty("java.util.logging.SimpleFormatter.format", "%4$s: %5$s%n");
        }
        PrintWriter out = writer(System.out);
        PrintWriter err = writer(System.err);
        int code = run(out, err, args);
        out.flush();
        err.flush();
        System.exit(code);
    }

    /** Runs the command line with the given streams and returns its exit code (tests call this). */
    public static int run(PrintWriter out, PrintWriter err, String... args) {
        CommandLine cl = new CommandLine(new Main());
        cl.setOut(out);
        cl.setErr(err);
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        cl.setUsageHelpAutoWidth(true);
        cl.setParameterExceptionHandler(Main::badOptions);
        cl.setExecutionExceptionHandler((e, commandLine, parseResult) -> failed(e, commandLine));
        int code;
        try {
            code = cl.execute(args);
        } catch (OutOfMemoryError e) {
            err.println("xent: out of memory (" + e.getMessage() + "): the arrays do not fit; give the JVM more (-Xmx) or use smaller inputs");
            code = INTERNAL_ERROR;
        }
        out.flush();
        err.flush();
        return code;
    }

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        err.println("xent: a command is needed: " + String.join(", ", spec.subcommands().keySet().stream()
                .filter(name -> !name.equals("help")).toList()) + " (see xent --help)");
        return USAGE;
    }

    private static int badOptions(ParameterException e, String[] args) {
        CommandLine cl = e.getCommandLine();
        String name = cl.getCommandSpec().qualifiedName();
        cl.getErr().println(name + ": " + e.getMessage() + " (see " + name + " --help)");
        cl.getErr().flush();
        return USAGE;
    }

    private static int failed(Exception e, CommandLine cl) {
        PrintWriter err = cl.getErr();
        String name = cl.getCommandSpec().qualifiedName();
        if (e instanceof UserError) {
            err.println(name + ": " + e.getMessage());
            err.flush();
            return USAGE;
        }
        err.println(name + ": internal error: " + e);
        e.printStackTrace(err);
        err.flush();
        return INTERNAL_ERROR;
    }

    private static PrintWriter writer(PrintStream stream) {
        Charset cs = stream.charset();
        return new PrintWriter(new java.io.OutputStreamWriter(stream, cs), true);
    }
}
