package dev.xent.engine.cuda;

import dev.xent.engine.EngineProvider;

/**
 * The "cuda-emu" engine: the same kernel sources built against the host CUDA emulator
 * ({@code libxent_emu.so}), through the same FFM path as "cuda". A test vehicle for machines
 * without a GPU: never selected automatically, only by name.
 */
public final class EmulatorEngineProvider implements EngineProvider {

    @Override
    public String name() {
        return "cuda-emu";
    }

    @Override
    public boolean autoSelectable() {
        return false;
    }

    @Override
    public Probe probe() {
        return CudaEngineProvider.probe(name(), NativeLibraryLoader.load(NativeLibraryLoader.Flavor.EMULATOR), true);
    }
}
