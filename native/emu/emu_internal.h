// emu_internal.h: state shared by the emulator's runtime (cuda_emu_runtime.cpp) and executor
// (cuda_emu_exec.cpp). Not for kernel code.
#pragma once

#include "cuda_emu.h"

namespace xent_emu {
namespace detail {

// Records err as this host thread's last error (cudaGetLastError) and returns it.
cudaError_t set_error(cudaError_t err);
// A kernel fault the next synchronising call reports (once), as an asynchronous CUDA error would.
void set_pending_fault(cudaError_t err);
cudaError_t take_pending_fault();
// This host thread's description of the last kernel fault.
void set_fault_message(const char* message);

}  // namespace detail
}  // namespace xent_emu
