package dev.xent.bench;

/** JVM flags every forked benchmark JVM gets (the CLI's runner passes the same). */
public final class Settings {
    private Settings() {}

    /** FFM, the Vector API, and room for two 512 MiB buffers plus set-up temporaries. */
    public static final String[] JVM_ARGS = {
        "--enable-native-access=ALL-UNNAMED", "--add-modules", "jdk.incubator.vector", "-Xms3g", "-Xmx6g",
        "-XX:+UseParallelGC", "-Djava.awt.headless=true"
    };
}
