package dev.xent.cli;

import java.io.PrintWriter;
import java.io.StringWriter;

/** Runs the command line in-process and keeps its command (the first argument), exit code, stdout and stderr. */
record CliRun(String command, int code, String out, String err) {

    static CliRun of(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new CliRun(args.length == 0 ? "" : args[0], code, out.toString(), err.toString());
    }

    /** For assertion messages. */
    String describe() {
        return "exit " + code + "\n--- stdout\n" + out + "--- stderr\n" + err;
    }
}
