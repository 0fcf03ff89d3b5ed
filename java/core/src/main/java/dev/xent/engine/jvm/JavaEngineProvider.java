package dev.xent.engine.jvm;

import dev.xent.engine.EngineProvider;

/** Registers the pure-Java engine ("java"): always available, auto-selectable as the fallback. */
public final class JavaEngineProvider implements EngineProvider {

    @Override
    public String name() {
        return JavaEngine.NAME;
    }

    @Override
    public boolean autoSelectable() {
        return true;
    }

    @Override
    public Probe probe() {
        return Probe.available(JavaEngine.create());
    }
}
