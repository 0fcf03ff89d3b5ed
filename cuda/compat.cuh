// compat.cuh: the one place where the kernel sources learn whether they are compiled by nvcc for
// a GPU, or by the host C++ compiler against the CUDA-semantics emulator (native/emu).
//
// Kernels and launchers include only this header for CUDA facilities. Rules that keep both
// builds honest:
//  - launch with XENT_LAUNCH(kernel, grid, block, stream, args...) only; `kernel` must be a plain
//    name (take `auto k = my_kernel<T, L>;` first when it is a template instance);
//  - shared memory is static (`__shared__ T name[N];`), never dynamic;
//  - after a launch, check cudaGetLastError() as usual (the emulator reports its errors there too).
#pragma once

#if defined(__CUDACC__)
#include <cuda_runtime.h>
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#define XENT_LAUNCH(kernel, grid, block, stream, ...) \
    kernel<<<(grid), (block), 0, (stream)>>>(__VA_ARGS__)
#else
#include "cuda_emu.h"
#define XENT_LAUNCH(kernel, grid, block, stream, ...) \
    ::xent_emu::launch((kernel), (grid), (block), (stream), __VA_ARGS__)
#endif
