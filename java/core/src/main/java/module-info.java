/**
 * xent-core. Only the public API and the engine SPI are exported; the engines themselves are bound
 * as services, so callers reach them through {@code Xent} and {@code Engines} alone.
 */
module dev.xent {
    // Optional at run time: without the module the Java engine runs its scalar loops.
    requires static jdk.incubator.vector;

    exports dev.xent;
    exports dev.xent.eval;
    // The engine SPI (Engine, EngineProvider): what Xent.of(Engine) and Engines.named hand out.
    exports dev.xent.engine;

    uses dev.xent.engine.EngineProvider;

    provides dev.xent.engine.EngineProvider with
            dev.xent.engine.jvm.JavaEngineProvider,
            dev.xent.engine.cuda.CudaEngineProvider,
            dev.xent.engine.cuda.EmulatorEngineProvider;
}
