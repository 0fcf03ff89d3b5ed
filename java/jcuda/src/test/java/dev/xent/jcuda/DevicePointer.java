package dev.xent.jcuda;

import jcuda.Pointer;

/**
 * A JCuda pointer over a given address, as {@code cudaMalloc} fills one in through JNI: the
 * tests' way to point JCuda at memory cuda-emu allocated, without JCuda's natives.
 */
final class DevicePointer extends Pointer {
    DevicePointer(long address) {
        super(address);
    }
}
