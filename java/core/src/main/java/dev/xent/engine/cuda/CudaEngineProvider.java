package dev.xent.engine.cuda;

import dev.xent.engine.EngineProvider;

/**
 * The "cuda" engine: {@code libxent_cuda.so} on a real GPU. Auto-selectable, and available only
 * when the library loads and {@code xent_device_count} answers with at least one device;
 * otherwise the probe says why (library not in the jar, driver missing or too old, no device).
 */
public final class CudaEngineProvider implements EngineProvider {

    @Override
    public String name() {
        return "cuda";
    }

    @Override
    public boolean autoSelectable() {
        return true;
    }

    @Override
    public Probe probe() {
        return probe(name(), NativeLibraryLoader.load(NativeLibraryLoader.Flavor.CUDA), false);
    }

    /** Shared by both providers: an engine over a loaded library that reports a device, or the reason. */
    static Probe probe(String name, NativeLibraryLoader.Result loaded, boolean emulator) {
        if (!loaded.isLoaded()) return Probe.unavailable(loaded.reason());
        try {
            DeviceOps ops = new DeviceOps(loaded.library());
            if (ops.isEmulator() != emulator) {
                return Probe.unavailable(loaded.path() + (emulator ? " is not the emulator" : " is the host emulator, not a CUDA build"));
            }
            int count;
            try {
                count = ops.deviceCount();
            } catch (XentException | IllegalArgumentException e) {
                String why = e instanceof XentException x && !x.nativeMessage().isEmpty() ? x.nativeMessage() : e.getMessage();
                return Probe.unavailable(why + " (" + loaded.path() + ")");
            }
            if (count < 1) return Probe.unavailable("no CUDA device (xent_device_count = " + count + " via " + loaded.path() + ")");
            String device = ops.deviceName(0);
            return Probe.available(new CudaEngine(name, loaded.library(), loaded.path(), device));
        } catch (RuntimeException | LinkageError e) {
            return Probe.unavailable("probing " + loaded.path() + " failed: " + e);
        }
    }
}
