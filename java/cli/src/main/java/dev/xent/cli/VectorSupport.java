package dev.xent.cli;

/**
 * What the Vector API offers on this CPU, read reflectively so the CLI runs without
 * {@code --add-modules jdk.incubator.vector}.
 */
final class VectorSupport {
    private VectorSupport() {}

    /** "256-bit FloatVector, 8 floats per vector (jdk.incubator.vector)", or why it is missing. */
    static String describe() {
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
            return "jdk.incubator.vector is missing (start java with --add-modules jdk.incubator.vector); "
                    + "the java engine runs scalar loops";
        }
        try {
            Class<?> floatVector = Class.forName("jdk.incubator.vector.FloatVector");
            Object species = floatVector.getField("SPECIES_PREFERRED").get(null);
            Class<?> speciesType = Class.forName("jdk.incubator.vector.VectorSpecies");
            int bits = (Integer) speciesType.getMethod("vectorBitSize").invoke(species);
            int lanes = (Integer) speciesType.getMethod("length").invoke(species);
            return bits + "-bit preferred species, " + lanes + " floats per vector (jdk.incubator.vector)";
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            return "jdk.incubator.vector is present but unusable: " + e;
        }
    }
}
