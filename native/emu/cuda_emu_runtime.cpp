// cuda_emu_runtime.cpp: the subset of the CUDA runtime API that xent uses, on the host. Host
// memory plays device memory; work is synchronous, so streams and events are tokens. Functions
// keep the toolkit's declarations (cuda_runtime_api.h), so a kernel source calls them unchanged.
// Every failure is returned and recorded for cudaGetLastError; nothing prints or aborts.
#include "emu_internal.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <new>

// The toolkit declares these opaque; the emulator gives them a body.
struct CUstream_st {
    unsigned flags;
    int device;  // the current device when it was created
};
struct CUevent_st {
    bool recorded;
    std::chrono::steady_clock::time_point when;
};

namespace xent_emu {
namespace detail {
namespace {

thread_local cudaError_t last_error = cudaSuccess;
thread_local char fault_message[256] = {};
thread_local int current_device = 0;
std::atomic<int> pending_fault{0};
std::atomic<int> device_count{-1};  // -1: not read from the environment yet
std::atomic<int64_t> synchronizing{0};  // host-synchronising runtime calls made so far

// Counts one host-synchronising runtime call (what a graph capture or an async pipeline forbids).
void synchronizes() { synchronizing.fetch_add(1, std::memory_order_relaxed); }

constexpr size_t kAlignment = 256;                    // cudaMalloc's guarantee
constexpr size_t kTotalMemory = size_t{16} << 30;     // what cudaMemGetInfo reports
constexpr unsigned char kPoison = 0x7f;               // fresh allocations: huge floats, huge ints
constexpr int kMultiprocessors = 4;                   // fixed, so results do not depend on the host

// Live allocations by address, to refuse bad frees and out-of-bounds copies into them.
struct Allocations {
    std::mutex m;
    struct Block {
        size_t size;
        int device;  // the current device when it was allocated
    };
    std::map<uintptr_t, Block> live;
    size_t bytes = 0;
};
Allocations& allocations() {
    static Allocations* const a = new Allocations;
    return *a;
}

int devices() {
    int n = device_count.load(std::memory_order_acquire);
    if (n < 0) {
        n = 1;
        if (const char* env = std::getenv("XENT_EMU_DEVICE_COUNT")) {
            char* end = nullptr;
            const long v = std::strtol(env, &end, 10);
            if (end != env && v >= 0 && v <= 16) n = static_cast<int>(v);
        }
        int expected = -1;
        device_count.compare_exchange_strong(expected, n, std::memory_order_acq_rel);
        n = device_count.load(std::memory_order_acquire);
    }
    return n;
}

cudaError_t check_device(int device) {
    const int n = devices();
    if (n == 0) return cudaErrorNoDevice;
    if (device < 0 || device >= n) return cudaErrorInvalidDevice;
    return cudaSuccess;
}

// cudaSuccess if [p, p + count) does not run past the end of a live allocation it starts in.
// Pointers outside every allocation are accepted: in the emulator any host memory may serve.
cudaError_t check_range(const void* p, size_t count) {
    Allocations& a = allocations();
    const uintptr_t addr = reinterpret_cast<uintptr_t>(p);
    std::lock_guard<std::mutex> lock(a.m);
    auto it = a.live.upper_bound(addr);
    if (it == a.live.begin()) return cudaSuccess;
    --it;
    const uintptr_t base = it->first;
    const size_t size = it->second.size;
    if (addr >= base + size) return cudaSuccess;  // not inside this allocation
    if (count > size - (addr - base)) return cudaErrorInvalidValue;
    return cudaSuccess;
}

cudaError_t copy(void* dst, const void* src, size_t count, cudaMemcpyKind kind) {
    if (static_cast<int>(kind) < 0 || static_cast<int>(kind) > static_cast<int>(cudaMemcpyDefault))
        return set_error(cudaErrorInvalidMemcpyDirection);
    if (count == 0) return cudaSuccess;
    if (dst == nullptr || src == nullptr) return set_error(cudaErrorInvalidValue);
    if (check_range(dst, count) != cudaSuccess || check_range(src, count) != cudaSuccess)
        return set_error(cudaErrorInvalidValue);
    std::memmove(dst, src, count);
    return cudaSuccess;
}

cudaError_t fill(void* p, int value, size_t count) {
    if (count == 0) return cudaSuccess;
    if (p == nullptr) return set_error(cudaErrorInvalidValue);
    if (check_range(p, count) != cudaSuccess) return set_error(cudaErrorInvalidValue);
    std::memset(p, value, count);
    return cudaSuccess;
}

// What a synchronising call returns: a kernel fault not reported by a synchronisation yet.
cudaError_t sync_result() {
    synchronizes();
    const cudaError_t f = take_pending_fault();
    return f == cudaSuccess ? cudaSuccess : set_error(f);
}

}  // namespace

cudaError_t set_error(cudaError_t err) {
    if (err != cudaSuccess) last_error = err;
    return err;
}

void set_pending_fault(cudaError_t err) {
    int expected = 0;
    pending_fault.compare_exchange_strong(expected, static_cast<int>(err), std::memory_order_acq_rel);
}

cudaError_t take_pending_fault() {
    return static_cast<cudaError_t>(pending_fault.exchange(0, std::memory_order_acq_rel));
}

void set_fault_message(const char* message) {
    std::snprintf(fault_message, sizeof fault_message, "%s", message ? message : "");
}

}  // namespace detail

const char* last_kernel_fault() { return detail::fault_message; }

int64_t synchronizing_calls() { return detail::synchronizing.load(std::memory_order_relaxed); }

void set_device_count(int count) {
    detail::device_count.store(count < 0 ? 0 : count, std::memory_order_release);
}

}  // namespace xent_emu

using xent_emu::detail::set_error;

// ---- errors ---------------------------------------------------------------------------------

cudaError_t cudaGetLastError(void) {
    const cudaError_t e = xent_emu::detail::last_error;
    xent_emu::detail::last_error = cudaSuccess;
    return e;
}

cudaError_t cudaPeekAtLastError(void) { return xent_emu::detail::last_error; }

const char* cudaGetErrorName(cudaError_t error) {
    switch (error) {
#define XENT_EMU_NAME(e) \
    case e:              \
        return #e;
        XENT_EMU_NAME(cudaSuccess)
        XENT_EMU_NAME(cudaErrorInvalidValue)
        XENT_EMU_NAME(cudaErrorMemoryAllocation)
        XENT_EMU_NAME(cudaErrorInitializationError)
        XENT_EMU_NAME(cudaErrorCudartUnloading)
        XENT_EMU_NAME(cudaErrorInvalidConfiguration)
        XENT_EMU_NAME(cudaErrorInvalidDevice)
        XENT_EMU_NAME(cudaErrorInvalidDeviceFunction)
        XENT_EMU_NAME(cudaErrorInvalidMemcpyDirection)
        XENT_EMU_NAME(cudaErrorInvalidDevicePointer)
        XENT_EMU_NAME(cudaErrorInvalidResourceHandle)
        XENT_EMU_NAME(cudaErrorNoDevice)
        XENT_EMU_NAME(cudaErrorNotReady)
        XENT_EMU_NAME(cudaErrorNotSupported)
        XENT_EMU_NAME(cudaErrorIllegalAddress)
        XENT_EMU_NAME(cudaErrorLaunchFailure)
        XENT_EMU_NAME(cudaErrorLaunchOutOfResources)
        XENT_EMU_NAME(cudaErrorInsufficientDriver)
#undef XENT_EMU_NAME
        default:
            return "cudaErrorUnknown";
    }
}

const char* cudaGetErrorString(cudaError_t error) {
    switch (error) {
        case cudaSuccess: return "no error";
        case cudaErrorInvalidValue: return "invalid argument";
        case cudaErrorMemoryAllocation: return "out of memory";
        case cudaErrorInitializationError: return "initialization error";
        case cudaErrorCudartUnloading: return "driver shutting down";
        case cudaErrorInvalidConfiguration: return "invalid configuration argument";
        case cudaErrorInvalidDevice: return "invalid device ordinal";
        case cudaErrorInvalidDeviceFunction: return "invalid device function";
        case cudaErrorInvalidMemcpyDirection: return "invalid copy direction for memcpy";
        case cudaErrorInvalidDevicePointer: return "invalid device pointer";
        case cudaErrorInvalidResourceHandle: return "invalid resource handle";
        case cudaErrorNoDevice: return "no CUDA-capable device is detected";
        case cudaErrorNotReady: return "device not ready";
        case cudaErrorNotSupported: return "operation not supported";
        case cudaErrorIllegalAddress: return "an illegal memory access was encountered";
        case cudaErrorLaunchFailure: return "unspecified launch failure";
        case cudaErrorLaunchOutOfResources: return "too many resources requested for launch";
        case cudaErrorInsufficientDriver: return "CUDA driver version is insufficient for CUDA runtime version";
        default: return "unrecognized error code";
    }
}

// ---- devices --------------------------------------------------------------------------------

cudaError_t cudaGetDeviceCount(int* count) {
    if (count == nullptr) return set_error(cudaErrorInvalidValue);
    *count = xent_emu::detail::devices();
    return *count == 0 ? set_error(cudaErrorNoDevice) : cudaSuccess;
}

cudaError_t cudaSetDevice(int device) {
    const cudaError_t e = xent_emu::detail::check_device(device);
    if (e != cudaSuccess) return set_error(e);
    xent_emu::detail::current_device = device;
    return cudaSuccess;
}

cudaError_t cudaGetDevice(int* device) {
    if (device == nullptr) return set_error(cudaErrorInvalidValue);
    if (xent_emu::detail::devices() == 0) return set_error(cudaErrorNoDevice);
    *device = xent_emu::detail::current_device;
    return cudaSuccess;
}

cudaError_t cudaGetDeviceProperties(cudaDeviceProp* prop, int device) {
    if (prop == nullptr) return set_error(cudaErrorInvalidValue);
    const cudaError_t e = xent_emu::detail::check_device(device);
    if (e != cudaSuccess) return set_error(e);
    std::memset(prop, 0, sizeof *prop);
    std::snprintf(prop->name, sizeof prop->name, "%s", "xent host emulator");
    prop->totalGlobalMem = xent_emu::detail::kTotalMemory;
    prop->sharedMemPerBlock = 48 * 1024;
    prop->sharedMemPerBlockOptin = 48 * 1024;
    prop->sharedMemPerMultiprocessor = 164 * 1024;
    prop->regsPerBlock = 65536;
    prop->regsPerMultiprocessor = 65536;
    prop->warpSize = 32;
    prop->maxThreadsPerBlock = 1024;
    prop->maxThreadsDim[0] = 1024;
    prop->maxThreadsDim[1] = 1024;
    prop->maxThreadsDim[2] = 64;
    prop->maxGridSize[0] = 0x7fffffff;
    prop->maxGridSize[1] = 65535;
    prop->maxGridSize[2] = 65535;
    prop->totalConstMem = 64 * 1024;
    prop->major = 8;
    prop->minor = 0;
    prop->multiProcessorCount = xent_emu::detail::kMultiprocessors;
    prop->maxThreadsPerMultiProcessor = 2048;
    prop->maxBlocksPerMultiProcessor = 32;
    prop->l2CacheSize = 4 * 1024 * 1024;
    prop->memoryBusWidth = 256;
    prop->integrated = 1;
    prop->canMapHostMemory = 1;
    prop->unifiedAddressing = 1;
    prop->memPitch = 0x7fffffff;
    prop->textureAlignment = 512;
    return cudaSuccess;
}

cudaError_t cudaDeviceGetAttribute(int* value, cudaDeviceAttr attr, int device) {
    if (value == nullptr) return set_error(cudaErrorInvalidValue);
    const cudaError_t e = xent_emu::detail::check_device(device);
    if (e != cudaSuccess) return set_error(e);
    switch (attr) {
        case cudaDevAttrMultiProcessorCount: *value = xent_emu::detail::kMultiprocessors; return cudaSuccess;
        case cudaDevAttrMaxThreadsPerBlock: *value = 1024; return cudaSuccess;
        case cudaDevAttrMaxBlockDimX: *value = 1024; return cudaSuccess;
        case cudaDevAttrMaxBlockDimY: *value = 1024; return cudaSuccess;
        case cudaDevAttrMaxBlockDimZ: *value = 64; return cudaSuccess;
        case cudaDevAttrMaxGridDimX: *value = 0x7fffffff; return cudaSuccess;
        case cudaDevAttrMaxGridDimY: *value = 65535; return cudaSuccess;
        case cudaDevAttrMaxGridDimZ: *value = 65535; return cudaSuccess;
        case cudaDevAttrWarpSize: *value = 32; return cudaSuccess;
        case cudaDevAttrMaxSharedMemoryPerBlock: *value = 48 * 1024; return cudaSuccess;
        case cudaDevAttrMaxSharedMemoryPerBlockOptin: *value = 48 * 1024; return cudaSuccess;
        case cudaDevAttrMaxSharedMemoryPerMultiprocessor: *value = 164 * 1024; return cudaSuccess;
        case cudaDevAttrMaxRegistersPerBlock: *value = 65536; return cudaSuccess;
        case cudaDevAttrL2CacheSize: *value = 4 * 1024 * 1024; return cudaSuccess;
        case cudaDevAttrComputeCapabilityMajor: *value = 8; return cudaSuccess;
        case cudaDevAttrComputeCapabilityMinor: *value = 0; return cudaSuccess;
        case cudaDevAttrMaxThreadsPerMultiProcessor: *value = 2048; return cudaSuccess;
        case cudaDevAttrMaxBlocksPerMultiprocessor: *value = 32; return cudaSuccess;
        case cudaDevAttrGlobalMemoryBusWidth: *value = 256; return cudaSuccess;
        case cudaDevAttrUnifiedAddressing: *value = 1; return cudaSuccess;
        case cudaDevAttrIntegrated: *value = 1; return cudaSuccess;
        case cudaDevAttrConcurrentKernels: *value = 0; return cudaSuccess;
        default: return set_error(cudaErrorInvalidValue);
    }
}

cudaError_t cudaDeviceSynchronize(void) { return xent_emu::detail::sync_result(); }

cudaError_t cudaDeviceReset(void) {
    xent_emu::detail::take_pending_fault();
    return cudaSuccess;
}

cudaError_t cudaDriverGetVersion(int* version) {
    if (version == nullptr) return set_error(cudaErrorInvalidValue);
    *version = CUDART_VERSION;
    return cudaSuccess;
}

cudaError_t cudaRuntimeGetVersion(int* version) {
    if (version == nullptr) return set_error(cudaErrorInvalidValue);
    *version = CUDART_VERSION;
    return cudaSuccess;
}

// ---- memory ---------------------------------------------------------------------------------

cudaError_t cudaMalloc(void** ptr, size_t size) {
    xent_emu::detail::synchronizes();
    if (ptr == nullptr) return set_error(cudaErrorInvalidValue);
    *ptr = nullptr;
    if (xent_emu::detail::devices() == 0) return set_error(cudaErrorNoDevice);
    if (size == 0) return cudaSuccess;
    const size_t a = xent_emu::detail::kAlignment;
    if (size > (size_t{1} << 46)) return set_error(cudaErrorMemoryAllocation);
    const size_t rounded = (size + a - 1) / a * a;
    void* p = ::operator new(rounded, std::align_val_t{a}, std::nothrow);
    if (p == nullptr) return set_error(cudaErrorMemoryAllocation);
    std::memset(p, xent_emu::detail::kPoison, rounded);  // device memory is not zeroed
    auto& al = xent_emu::detail::allocations();
    {
        std::lock_guard<std::mutex> lock(al.m);
        al.live[reinterpret_cast<uintptr_t>(p)] = {size, xent_emu::detail::current_device};
        al.bytes += rounded;
    }
    *ptr = p;
    return cudaSuccess;
}

cudaError_t cudaFree(void* ptr) {
    xent_emu::detail::synchronizes();
    if (ptr == nullptr) return cudaSuccess;
    auto& al = xent_emu::detail::allocations();
    size_t size = 0;
    {
        std::lock_guard<std::mutex> lock(al.m);
        auto it = al.live.find(reinterpret_cast<uintptr_t>(ptr));
        if (it == al.live.end()) return set_error(cudaErrorInvalidValue);
        size = it->second.size;
        al.live.erase(it);
        const size_t a = xent_emu::detail::kAlignment;
        al.bytes -= (size + a - 1) / a * a;
    }
    ::operator delete(ptr, std::align_val_t{xent_emu::detail::kAlignment});
    return cudaSuccess;
}


cudaError_t cudaMallocHost(void** ptr, size_t size) {
    if (ptr == nullptr) return set_error(cudaErrorInvalidValue);
    *ptr = size == 0 ? nullptr : std::malloc(size);
    return (size != 0 && *ptr == nullptr) ? set_error(cudaErrorMemoryAllocation) : cudaSuccess;
}
cudaError_t cudaHostAlloc(void** ptr, size_t size, unsigned int) { return cudaMallocHost(ptr, size); }
cudaError_t cudaFreeHost(void* ptr) {
    std::free(ptr);
    return cudaSuccess;
}

cudaError_t cudaMemGetInfo(size_t* free_bytes, size_t* total_bytes) {
    if (free_bytes == nullptr || total_bytes == nullptr) return set_error(cudaErrorInvalidValue);
    auto& al = xent_emu::detail::allocations();
    std::lock_guard<std::mutex> lock(al.m);
    *total_bytes = xent_emu::detail::kTotalMemory;
    *free_bytes = al.bytes >= *total_bytes ? 0 : *total_bytes - al.bytes;
    return cudaSuccess;
}

// Device memory is what cudaMalloc returned (any byte inside a live allocation); everything
// else is unregistered host memory, as CUDA reports it.
cudaError_t cudaPointerGetAttributes(cudaPointerAttributes* attributes, const void* ptr) {
    if (attributes == nullptr) return set_error(cudaErrorInvalidValue);
    *attributes = cudaPointerAttributes{};
    attributes->type = cudaMemoryTypeUnregistered;
    attributes->device = -1;
    auto& al = xent_emu::detail::allocations();
    const uintptr_t addr = reinterpret_cast<uintptr_t>(ptr);
    std::lock_guard<std::mutex> lock(al.m);
    auto it = al.live.upper_bound(addr);
    if (it == al.live.begin()) return cudaSuccess;
    --it;
    if (addr >= it->first + it->second.size) return cudaSuccess;
    attributes->type = cudaMemoryTypeDevice;
    attributes->device = it->second.device;
    attributes->devicePointer = const_cast<void*>(ptr);
    return cudaSuccess;
}

cudaError_t cudaMemcpy(void* dst, const void* src, size_t count, cudaMemcpyKind kind) {
    const cudaError_t e = xent_emu::detail::copy(dst, src, count, kind);
    if (e != cudaSuccess) return e;
    return xent_emu::detail::sync_result();  // a synchronous copy reports earlier kernel faults
}

cudaError_t cudaMemcpyAsync(void* dst, const void* src, size_t count, cudaMemcpyKind kind, cudaStream_t) {
    // From or to pageable host memory CUDA may block the host; the emulator cannot tell pinned
    // memory apart, so it counts every copy that may touch the host.
    if (kind != cudaMemcpyDeviceToDevice) xent_emu::detail::synchronizes();
    return xent_emu::detail::copy(dst, src, count, kind);
}

cudaError_t cudaMemset(void* ptr, int value, size_t count) { return xent_emu::detail::fill(ptr, value, count); }

cudaError_t cudaMemsetAsync(void* ptr, int value, size_t count, cudaStream_t) {
    return xent_emu::detail::fill(ptr, value, count);
}

// ---- streams and events ---------------------------------------------------------------------

cudaError_t cudaStreamCreateWithFlags(cudaStream_t* stream, unsigned int flags) {
    if (stream == nullptr) return set_error(cudaErrorInvalidValue);
    *stream = new (std::nothrow) CUstream_st{flags, xent_emu::detail::current_device};
    return *stream == nullptr ? set_error(cudaErrorMemoryAllocation) : cudaSuccess;
}
cudaError_t cudaStreamCreate(cudaStream_t* stream) { return cudaStreamCreateWithFlags(stream, 0); }
cudaError_t cudaStreamDestroy(cudaStream_t stream) {
    if (stream == nullptr) return set_error(cudaErrorInvalidResourceHandle);
    delete stream;
    return cudaSuccess;
}
cudaError_t cudaStreamSynchronize(cudaStream_t) { return xent_emu::detail::sync_result(); }
cudaError_t cudaStreamQuery(cudaStream_t) { return cudaSuccess; }
cudaError_t cudaStreamGetDevice(cudaStream_t stream, int* device) {
    if (device == nullptr) return set_error(cudaErrorInvalidValue);
    *device = stream == nullptr ? xent_emu::detail::current_device : stream->device;
    return cudaSuccess;
}
cudaError_t cudaStreamWaitEvent(cudaStream_t, cudaEvent_t, unsigned int) { return cudaSuccess; }

cudaError_t cudaEventCreateWithFlags(cudaEvent_t* event, unsigned int) {
    if (event == nullptr) return set_error(cudaErrorInvalidValue);
    *event = new (std::nothrow) CUevent_st{false, {}};
    return *event == nullptr ? set_error(cudaErrorMemoryAllocation) : cudaSuccess;
}
cudaError_t cudaEventCreate(cudaEvent_t* event) { return cudaEventCreateWithFlags(event, 0); }
cudaError_t cudaEventDestroy(cudaEvent_t event) {
    if (event == nullptr) return set_error(cudaErrorInvalidResourceHandle);
    delete event;
    return cudaSuccess;
}
cudaError_t cudaEventRecord(cudaEvent_t event, cudaStream_t) {
    if (event == nullptr) return set_error(cudaErrorInvalidResourceHandle);
    event->when = std::chrono::steady_clock::now();
    event->recorded = true;
    return cudaSuccess;
}
cudaError_t cudaEventSynchronize(cudaEvent_t event) {
    if (event == nullptr) return set_error(cudaErrorInvalidResourceHandle);
    return xent_emu::detail::sync_result();
}
cudaError_t cudaEventQuery(cudaEvent_t event) {
    if (event == nullptr) return set_error(cudaErrorInvalidResourceHandle);
    return cudaSuccess;
}
cudaError_t cudaEventElapsedTime(float* ms, cudaEvent_t start, cudaEvent_t end) {
    if (ms == nullptr) return set_error(cudaErrorInvalidValue);
    if (start == nullptr || end == nullptr) return set_error(cudaErrorInvalidResourceHandle);
    if (!start->recorded || !end->recorded) return set_error(cudaErrorInvalidResourceHandle);
    *ms = std::chrono::duration<float, std::milli>(end->when - start->when).count();
    return cudaSuccess;
}

// ---- kernels --------------------------------------------------------------------------------

cudaError_t cudaFuncGetAttributes(cudaFuncAttributes* attr, const void* func) {
    if (attr == nullptr) return set_error(cudaErrorInvalidValue);
    if (func == nullptr) return set_error(cudaErrorInvalidDeviceFunction);
    std::memset(attr, 0, sizeof *attr);
    attr->maxThreadsPerBlock = 1024;
    attr->numRegs = 32;
    attr->ptxVersion = 80;
    attr->binaryVersion = 80;
    return cudaSuccess;
}

cudaError_t cudaFuncSetAttribute(const void* func, cudaFuncAttribute, int) {
    if (func == nullptr) return set_error(cudaErrorInvalidDeviceFunction);
    return cudaSuccess;
}

cudaError_t cudaOccupancyMaxActiveBlocksPerMultiprocessor(int* blocks, const void* func, int block_size, size_t) {
    if (blocks == nullptr || block_size <= 0 || block_size > 1024) return set_error(cudaErrorInvalidValue);
    if (func == nullptr) return set_error(cudaErrorInvalidDeviceFunction);
    const int b = 2048 / block_size;
    *blocks = b < 1 ? 1 : (b > 32 ? 32 : b);
    return cudaSuccess;
}

cudaError_t cudaOccupancyMaxActiveBlocksPerMultiprocessorWithFlags(int* blocks, const void* func, int block_size,
                                                                   size_t dynamic_smem, unsigned int) {
    return cudaOccupancyMaxActiveBlocksPerMultiprocessor(blocks, func, block_size, dynamic_smem);
}
