package dev.xent.cli;

import dev.xent.Engines;
import dev.xent.Xent;
import dev.xent.engine.jvm.JavaEngine;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code xent info}: versions, CPU vector width, engines and which one automatic selection picks. */
@Command(name = "info", description = "Versions, CPU vector width, every engine, and which one 'auto' picks.",
        mixinStandardHelpOptions = true)
public final class InfoCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        out.println("xent     " + Versions.xent());
        out.println("java     " + Versions.java());
        out.println("os       " + Versions.os() + ", " + Runtime.getRuntime().availableProcessors() + " cores");
        out.println("vector   " + JavaEngine.vectorSupport());
        out.println();
        printEngines(out, Engines.report());
        out.println();
        Xent auto = Xent.auto();
        out.println("auto     " + auto.engine().name() + ": " + auto.selectionReason());
        out.flush();
        return Main.OK;
    }

    /** A table of engines: name, available, auto-selectable, description or why unavailable. */
    static void printEngines(PrintWriter out, List<Engines.Status> engines) {
        int width = "engine".length();
        for (Engines.Status s : engines) width = Math.max(width, s.name().length());
        String format = "%-" + width + "s  %-9s  %-4s  %s%n";
        out.printf(format, "engine", "available", "auto", "details");
        for (Engines.Status s : engines) {
            out.printf(format, s.name(), s.available() ? "yes" : "no", s.autoSelectable() ? "yes" : "no", s.detail());
        }
    }
}
