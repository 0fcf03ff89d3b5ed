// cuda_emu.h: a CUDA-semantics emulator for the host. Kernel sources written for nvcc compile with
// the host C++ compiler (C++17 or later) against this header, included by cuda/compat.cuh when
// __CUDACC__ is not defined.
//
// Execution model (a legal CUDA schedule; details and limits in native/emu/README.md):
//  - A launch runs synchronously inside xent_emu::launch (streams are accepted and ignored).
//    Launches from different host threads are serialised by one process-wide mutex.
//  - The blocks of a launch run one after another, in blockIdx order (x fastest), so `__shared__`
//    is plain `static` storage: one block owns it at a time; it is per kernel (per template
//    instance) and per device function, as on a GPU.
//  - The threads of a block are either fibers switched on the calling thread at every barrier
//    (default: fast, deterministic, reports deadlocks; ThreadSanitizer-aware) or real OS threads
//    from a pool (XENT_EMU_EXECUTOR=threads).
//  - Warps are 32 consecutive linear thread ids (x fastest). Shuffles, votes and __syncwarp are
//    real exchanges through a per-warp barrier; __syncthreads is a real barrier over the block.
//  - A thread that returns from the kernel retires from the block's and its warp's barriers, so
//    `if (tid >= n) return;` before a __syncthreads behaves as on current GPUs.
//  - Errors (bad launch configuration, a kernel that throws or calls __trap, a shuffle with a
//    partial mask, a barrier that can never complete) are reported through cudaGetLastError /
//    cudaPeekAtLastError, and kernel faults also by the next synchronising call. Nothing prints,
//    nothing aborts.
#pragma once

#if defined(__CUDACC__)
#error "cuda_emu.h is the host emulator; nvcc builds include <cuda_runtime.h> instead"
#endif

#ifndef XENT_EMULATOR
#define XENT_EMULATOR 1
#endif

// Standard headers first, before any keyword macro exists.
#include <math.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <tuple>
#include <type_traits>
#include <utility>

// ---- CUDA keywords ------------------------------------------------------------------------
// Defined before the toolkit headers, which keep a definition that already exists.
#define __global__
#define __device__
#define __host__
#define __shared__ static
#define __constant__ static
#define __managed__
#define __launch_bounds__(...)

// The toolkit's host headers: runtime types (cudaError_t, cudaStream_t, cudaDeviceProp, dim3,
// float4 & co. with CUDA's alignment, make_* helpers), the C runtime API declarations (this
// emulator defines the functions it supports) and the bf16/fp16 types with their host paths.
#include <cuda_runtime.h>
#include <cuda_bf16.h>
#include <cuda_fp16.h>

// host_defines.h redefines __forceinline__ as always_inline; plain inline is enough on the host
// and never fails to compile.
#undef __forceinline__
#define __forceinline__ inline

// ---- built-in variables -------------------------------------------------------------------
// Per OS thread; a pool thread sets them before it runs the kernel for a block.
inline thread_local uint3 threadIdx;
inline thread_local uint3 blockIdx;
inline thread_local dim3 blockDim;
inline thread_local dim3 gridDim;
static constexpr int warpSize = 32;

namespace xent_emu {
namespace detail {

// What the running pool thread knows about itself (team == nullptr outside a kernel).
struct ThreadCtx {
    void* team = nullptr;        // the launch in progress (opaque here)
    unsigned tid = 0;            // linear thread id in the block
    unsigned lane = 0;           // tid % 32
    unsigned warp = 0;           // tid / 32
    unsigned warp_mask = 0;      // lanes that exist in this warp (the last one may be partial)
    unsigned parity = 0;         // which of the warp's two exchange buffers the next op uses
};
inline thread_local ThreadCtx ctx;

// Bytes per lane in a warp exchange buffer: the largest shuffled type.
constexpr size_t kSlotBytes = 16;

// Implemented in cuda_emu_exec.cpp.
void syncthreads();
// __syncthreads that also returns the number of non-exited threads (participants) and the count
// of those that passed a non-zero predicate.
void syncthreads_count(int predicate, int* count, int* participants);
void syncwarp(unsigned mask, const char* what);
// Every lane writes `bytes` of `value` into its slot of the warp's exchange buffer, then waits for
// the whole warp; returns the buffer (lane i's value at i * kSlotBytes), valid until the warp's
// next collective. nullptr outside a kernel.
const unsigned char* warp_exchange(const void* value, size_t bytes, unsigned mask, const char* what);
// Records a kernel fault (first one wins): the launch reports `err` through cudaGetLastError and
// the next synchronising call.
void kernel_fault(cudaError_t err, const char* message);

using Thunk = void (*)(const void*);
// Validates the configuration, runs every block, records errors; returns what it recorded.
cudaError_t launch_erased(const void* kernel, dim3 grid, dim3 block, Thunk thunk, const void* ctx);

struct Trap {};  // thrown by __trap(), caught by the pool thread


}  // namespace detail

// Launch `kernel` over grid x block, as kernel<<<grid, block, 0, stream>>>(args...) would.
// The arguments are converted to the kernel's parameter types once; every thread gets its own
// copy of the parameters. Errors go to cudaGetLastError().
template <class... P, class... A>
inline void launch(void (*kernel)(P...), dim3 grid, dim3 block, cudaStream_t stream, A&&... args) {
    static_assert(sizeof...(P) == sizeof...(A), "xent_emu::launch: wrong number of kernel arguments");
    (void)stream;
    struct Pack {
        void (*fn)(P...);
        std::tuple<std::decay_t<P>...> params;
    };
    const Pack pack{kernel, std::tuple<std::decay_t<P>...>(std::forward<A>(args)...)};
    detail::Thunk thunk = [](const void* c) {
        const Pack& p = *static_cast<const Pack*>(c);
        std::apply(p.fn, p.params);  // copies each parameter for this thread
    };
    detail::launch_erased(reinterpret_cast<const void*>(kernel), grid, block, thunk, &pack);
}

// Test hooks (C++ only, not exported from the libraries).
// Message describing the last kernel fault seen by this host thread ("" if none).
const char* last_kernel_fault();
// Host-synchronising runtime calls made so far: stream, event and device synchronisation,
// synchronous copies, async copies that may touch host memory, cudaMalloc and cudaFree.
int64_t synchronizing_calls();
// Number of devices cudaGetDeviceCount reports (default 1; env XENT_EMU_DEVICE_COUNT overrides).
void set_device_count(int count);
// OS threads in the pool right now (the "threads" executor's).
int pool_threads();
// The executor that runs the next launch: "fibers" (default) or "threads" (real OS threads).
// XENT_EMU_EXECUTOR=threads|fibers sets it from the environment; set_executor returns false for
// an unknown name.
const char* executor();
bool set_executor(const char* name);

}  // namespace xent_emu

// ---- synchronisation ----------------------------------------------------------------------
inline void __syncthreads() { xent_emu::detail::syncthreads(); }
inline int __syncthreads_count(int predicate) {
    int count = 0, n = 0;
    xent_emu::detail::syncthreads_count(predicate, &count, &n);
    return count;
}
inline int __syncthreads_and(int predicate) {
    int count = 0, n = 0;
    xent_emu::detail::syncthreads_count(predicate, &count, &n);
    return count == n;
}
inline int __syncthreads_or(int predicate) {
    int count = 0, n = 0;
    xent_emu::detail::syncthreads_count(predicate, &count, &n);
    return count != 0;
}
inline void __syncwarp(unsigned mask = 0xffffffffu) { xent_emu::detail::syncwarp(mask, "__syncwarp"); }
inline void __threadfence() { __atomic_thread_fence(__ATOMIC_SEQ_CST); }
inline void __threadfence_block() { __atomic_thread_fence(__ATOMIC_SEQ_CST); }
inline void __threadfence_system() { __atomic_thread_fence(__ATOMIC_SEQ_CST); }
[[noreturn]] inline void __trap() {
    xent_emu::detail::kernel_fault(cudaErrorLaunchFailure, "__trap() called");
    throw xent_emu::detail::Trap{};
}
inline void __nanosleep(unsigned) {}
inline long long clock64() {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<long long>(ts.tv_sec) * 1000000000LL + ts.tv_nsec;
}

// Lanes that exist in the calling thread's warp (divergence is not tracked).
inline unsigned __activemask() {
    const auto& c = xent_emu::detail::ctx;
    return c.team ? c.warp_mask : 1u;
}

// ---- warp shuffles --------------------------------------------------------------------------
// PTX shfl.sync semantics: width splits the warp into segments; a source outside the caller's
// segment (or a lane that does not exist) yields the caller's own value.
namespace xent_emu {
namespace detail {
enum class ShflMode { idx, up, down, bfly };

template <class T>
inline T shfl(unsigned mask, T var, int b, int width, ShflMode mode, const char* what) {
    static_assert(std::is_trivially_destructible<T>::value, "shuffled type must be a plain value");
    static_assert(sizeof(T) <= kSlotBytes, "shuffled type too large (16 bytes max)");
    const unsigned char* buf = warp_exchange(static_cast<const void*>(&var), sizeof(T), mask, what);
    if (buf == nullptr) return var;
    const int lane = static_cast<int>(ctx.lane);
    const int seg = (warpSize - width) & 31;        // segmask: the segment-selecting high bits
    const int clamp = (mode == ShflMode::up) ? 0 : 31;
    const int min_lane = lane & seg;
    const int max_lane = min_lane | (clamp & ~seg);
    int j = lane;
    bool ok = false;
    switch (mode) {
        case ShflMode::up: j = lane - b; ok = j >= max_lane; break;
        case ShflMode::down: j = lane + b; ok = j <= max_lane; break;
        case ShflMode::bfly: j = lane ^ b; ok = j <= max_lane; break;
        case ShflMode::idx: j = min_lane | (b & ~seg & 31); ok = j <= max_lane; break;
    }
    if (!ok || j < 0 || j > 31 || !((ctx.warp_mask >> j) & 1u)) return var;
    T out = var;
    std::memcpy(static_cast<void*>(&out), buf + static_cast<size_t>(j) * kSlotBytes, sizeof(T));
    return out;
}
}  // namespace detail
}  // namespace xent_emu

template <class T>
inline T __shfl_sync(unsigned mask, T var, int srcLane, int width = warpSize) {
    return xent_emu::detail::shfl(mask, var, srcLane, width, xent_emu::detail::ShflMode::idx, "__shfl_sync");
}
template <class T>
inline T __shfl_up_sync(unsigned mask, T var, unsigned delta, int width = warpSize) {
    return xent_emu::detail::shfl(mask, var, static_cast<int>(delta), width, xent_emu::detail::ShflMode::up,
                                  "__shfl_up_sync");
}
template <class T>
inline T __shfl_down_sync(unsigned mask, T var, unsigned delta, int width = warpSize) {
    return xent_emu::detail::shfl(mask, var, static_cast<int>(delta), width, xent_emu::detail::ShflMode::down,
                                  "__shfl_down_sync");
}
template <class T>
inline T __shfl_xor_sync(unsigned mask, T var, int laneMask, int width = warpSize) {
    return xent_emu::detail::shfl(mask, var, laneMask, width, xent_emu::detail::ShflMode::bfly, "__shfl_xor_sync");
}

// ---- votes and warp reductions ------------------------------------------------------------
namespace xent_emu {
namespace detail {
// Exchanges one 32-bit value per lane; returns the buffer, or nullptr outside a kernel.
inline const unsigned char* exchange_u32(unsigned v, unsigned mask, const char* what) {
    return warp_exchange(&v, sizeof v, mask, what);
}
inline unsigned slot_u32(const unsigned char* buf, unsigned lane) {
    unsigned v;
    std::memcpy(&v, buf + lane * kSlotBytes, sizeof v);
    return v;
}
}  // namespace detail
}  // namespace xent_emu

inline unsigned __ballot_sync(unsigned mask, int predicate) {
    const unsigned char* buf = xent_emu::detail::exchange_u32(predicate != 0, mask, "__ballot_sync");
    if (buf == nullptr) return predicate != 0 ? 1u : 0u;
    const unsigned lanes = xent_emu::detail::ctx.warp_mask & mask;
    unsigned out = 0;
    for (unsigned l = 0; l < 32; ++l)
        if (((lanes >> l) & 1u) && xent_emu::detail::slot_u32(buf, l)) out |= 1u << l;
    return out;
}
inline int __any_sync(unsigned mask, int predicate) { return __ballot_sync(mask, predicate) != 0; }
inline int __all_sync(unsigned mask, int predicate) {
    const unsigned b = __ballot_sync(mask, predicate);
    const auto& c = xent_emu::detail::ctx;
    const unsigned lanes = c.team ? (c.warp_mask & mask) : 1u;
    return (b & lanes) == lanes;
}
inline unsigned __match_any_sync(unsigned mask, unsigned value) {
    const unsigned char* buf = xent_emu::detail::exchange_u32(value, mask, "__match_any_sync");
    if (buf == nullptr) return 1u;
    const unsigned lanes = xent_emu::detail::ctx.warp_mask & mask;
    unsigned out = 0;
    for (unsigned l = 0; l < 32; ++l)
        if (((lanes >> l) & 1u) && xent_emu::detail::slot_u32(buf, l) == value) out |= 1u << l;
    return out;
}

namespace xent_emu {
namespace detail {
template <class T, class Op>
inline T warp_reduce(unsigned mask, T value, Op op, const char* what) {
    const unsigned char* buf = exchange_u32(static_cast<unsigned>(value), mask, what);
    if (buf == nullptr) return value;
    const unsigned lanes = ctx.warp_mask & mask;
    bool first = true;
    T acc = value;
    for (unsigned l = 0; l < 32; ++l) {
        if (!((lanes >> l) & 1u)) continue;
        const T v = static_cast<T>(slot_u32(buf, l));
        acc = first ? v : op(acc, v);
        first = false;
    }
    return acc;
}
}  // namespace detail
}  // namespace xent_emu

inline unsigned __reduce_add_sync(unsigned mask, unsigned v) {
    return xent_emu::detail::warp_reduce(mask, v, [](unsigned a, unsigned b) { return a + b; }, "__reduce_add_sync");
}
inline int __reduce_add_sync(unsigned mask, int v) {
    return static_cast<int>(__reduce_add_sync(mask, static_cast<unsigned>(v)));
}
inline unsigned __reduce_min_sync(unsigned mask, unsigned v) {
    return xent_emu::detail::warp_reduce(mask, v, [](unsigned a, unsigned b) { return a < b ? a : b; }, "__reduce_min_sync");
}
inline int __reduce_min_sync(unsigned mask, int v) {
    return xent_emu::detail::warp_reduce(mask, v, [](int a, int b) { return a < b ? a : b; }, "__reduce_min_sync");
}
inline unsigned __reduce_max_sync(unsigned mask, unsigned v) {
    return xent_emu::detail::warp_reduce(mask, v, [](unsigned a, unsigned b) { return a > b ? a : b; }, "__reduce_max_sync");
}
inline int __reduce_max_sync(unsigned mask, int v) {
    return xent_emu::detail::warp_reduce(mask, v, [](int a, int b) { return a > b ? a : b; }, "__reduce_max_sync");
}
inline unsigned __reduce_and_sync(unsigned mask, unsigned v) {
    return xent_emu::detail::warp_reduce(mask, v, [](unsigned a, unsigned b) { return a & b; }, "__reduce_and_sync");
}
inline unsigned __reduce_or_sync(unsigned mask, unsigned v) {
    return xent_emu::detail::warp_reduce(mask, v, [](unsigned a, unsigned b) { return a | b; }, "__reduce_or_sync");
}
inline unsigned __reduce_xor_sync(unsigned mask, unsigned v) {
    return xent_emu::detail::warp_reduce(mask, v, [](unsigned a, unsigned b) { return a ^ b; }, "__reduce_xor_sync");
}

// ---- atomics ------------------------------------------------------------------------------
// Sequentially consistent __atomic builtins (ThreadSanitizer instruments them). CUDA's atomics
// are relaxed; the stronger order only hides nothing that a relaxed GPU would show... except that
// it cannot expose missing __threadfence(): review fences by hand.
namespace xent_emu {
namespace detail {
// Read-modify-write through a CAS loop on the value's bits (for float, double, __half, ...).
// The targets build with -fno-strict-aliasing, so the integer view of *address is safe.
template <class T>
inline T atomic_rmw_cas(T* address, T (*f)(T, T), T val) {
    using U = std::conditional_t<sizeof(T) == 2, unsigned short,
              std::conditional_t<sizeof(T) == 4, unsigned int, unsigned long long>>;
    static_assert(sizeof(T) == sizeof(U), "unsupported atomic width");
    U* p = reinterpret_cast<U*>(static_cast<void*>(address));
    U expected = __atomic_load_n(p, __ATOMIC_SEQ_CST);
    for (;;) {
        T old = val;
        std::memcpy(static_cast<void*>(&old), &expected, sizeof(T));
        const T next = f(old, val);
        U desired;
        std::memcpy(&desired, static_cast<const void*>(&next), sizeof(T));
        if (__atomic_compare_exchange_n(p, &expected, desired, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
            return old;
    }
}
}  // namespace detail
}  // namespace xent_emu

#define XENT_EMU_ATOMIC_INT(T)                                                                          \
    inline T atomicAdd(T* a, T v) { return __atomic_fetch_add(a, v, __ATOMIC_SEQ_CST); }               \
    inline T atomicSub(T* a, T v) { return __atomic_fetch_sub(a, v, __ATOMIC_SEQ_CST); }               \
    inline T atomicExch(T* a, T v) { return __atomic_exchange_n(a, v, __ATOMIC_SEQ_CST); }             \
    inline T atomicAnd(T* a, T v) { return __atomic_fetch_and(a, v, __ATOMIC_SEQ_CST); }               \
    inline T atomicOr(T* a, T v) { return __atomic_fetch_or(a, v, __ATOMIC_SEQ_CST); }                 \
    inline T atomicXor(T* a, T v) { return __atomic_fetch_xor(a, v, __ATOMIC_SEQ_CST); }               \
    inline T atomicCAS(T* a, T compare, T v) {                                                          \
        __atomic_compare_exchange_n(a, &compare, v, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);         \
        return compare;                                                                                 \
    }                                                                                                   \
    inline T atomicMax(T* a, T v) {                                                                     \
        return xent_emu::detail::atomic_rmw_cas<T>(a, [](T x, T y) { return x > y ? x : y; }, v);      \
    }                                                                                                   \
    inline T atomicMin(T* a, T v) {                                                                     \
        return xent_emu::detail::atomic_rmw_cas<T>(a, [](T x, T y) { return x < y ? x : y; }, v);      \
    }
XENT_EMU_ATOMIC_INT(int)
XENT_EMU_ATOMIC_INT(unsigned int)
XENT_EMU_ATOMIC_INT(long long)
XENT_EMU_ATOMIC_INT(unsigned long long)
#undef XENT_EMU_ATOMIC_INT

inline unsigned short atomicCAS(unsigned short* a, unsigned short compare, unsigned short v) {
    __atomic_compare_exchange_n(a, &compare, v, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
    return compare;
}
inline unsigned atomicInc(unsigned* a, unsigned limit) {
    return xent_emu::detail::atomic_rmw_cas<unsigned>(
        a, [](unsigned old, unsigned lim) { return old >= lim ? 0u : old + 1u; }, limit);
}
inline unsigned atomicDec(unsigned* a, unsigned limit) {
    return xent_emu::detail::atomic_rmw_cas<unsigned>(
        a, [](unsigned old, unsigned lim) { return (old == 0u || old > lim) ? lim : old - 1u; }, limit);
}
inline float atomicAdd(float* a, float v) {
    return xent_emu::detail::atomic_rmw_cas<float>(a, [](float x, float y) { return x + y; }, v);
}
inline double atomicAdd(double* a, double v) {
    return xent_emu::detail::atomic_rmw_cas<double>(a, [](double x, double y) { return x + y; }, v);
}
inline float atomicExch(float* a, float v) {
    return xent_emu::detail::atomic_rmw_cas<float>(a, [](float, float y) { return y; }, v);
}
// CUDA has no float atomicMax/Min; these exist for convenience and compare as floats.
inline __half atomicAdd(__half* a, __half v) {
    return xent_emu::detail::atomic_rmw_cas<__half>(
        a, [](__half x, __half y) { return __float2half(__half2float(x) + __half2float(y)); }, v);
}
inline __nv_bfloat16 atomicAdd(__nv_bfloat16* a, __nv_bfloat16 v) {
    return xent_emu::detail::atomic_rmw_cas<__nv_bfloat16>(
        a, [](__nv_bfloat16 x, __nv_bfloat16 y) { return __float2bfloat16(__bfloat162float(x) + __bfloat162float(y)); },
        v);
}
inline __half2 atomicAdd(__half2* a, __half2 v) {
    return xent_emu::detail::atomic_rmw_cas<__half2>(
        a,
        [](__half2 x, __half2 y) {
            return __floats2half2_rn(__low2float(x) + __low2float(y), __high2float(x) + __high2float(y));
        },
        v);
}
inline __nv_bfloat162 atomicAdd(__nv_bfloat162* a, __nv_bfloat162 v) {
    return xent_emu::detail::atomic_rmw_cas<__nv_bfloat162>(
        a,
        [](__nv_bfloat162 x, __nv_bfloat162 y) {
            return __floats2bfloat162_rn(__low2float(x) + __low2float(y), __high2float(x) + __high2float(y));
        },
        v);
}
// Scoped variants (_block, _system) behave like the device-wide ones.
template <class T, class V>
inline T atomicAdd_block(T* a, V v) { return atomicAdd(a, static_cast<T>(v)); }
template <class T, class V>
inline T atomicAdd_system(T* a, V v) { return atomicAdd(a, static_cast<T>(v)); }

// ---- memory access hints ------------------------------------------------------------------
template <class T> inline T __ldg(const T* p) { return *p; }
template <class T> inline T __ldcg(const T* p) { return *p; }
template <class T> inline T __ldca(const T* p) { return *p; }
template <class T> inline T __ldcs(const T* p) { return *p; }
template <class T> inline T __ldlu(const T* p) { return *p; }
template <class T> inline T __ldcv(const T* p) { return *p; }
template <class T> inline void __stwb(T* p, T v) { *p = v; }
template <class T> inline void __stcg(T* p, T v) { *p = v; }
template <class T> inline void __stcs(T* p, T v) { *p = v; }
template <class T> inline void __stwt(T* p, T v) { *p = v; }

// ---- float / int intrinsics ------------------------------------------------------------------
// <math.h> already provides expf, logf, log1pf, expm1f, tanhf, fmaxf, fminf, fabsf, sqrtf, exp2f,
// log2f, fmaf, isnan, isinf, isfinite, INFINITY, NAN (in the global namespace, float overloads
// included). These are CUDA's extra names.
inline float rsqrtf(float x) { return 1.0f / sqrtf(x); }
inline double rsqrt(double x) { return 1.0 / sqrt(x); }
inline float rcbrtf(float x) { return 1.0f / cbrtf(x); }
inline float __expf(float x) { return expf(x); }
inline float __exp10f(float x) { return powf(10.0f, x); }
inline float __logf(float x) { return logf(x); }
inline float __log2f(float x) { return log2f(x); }
inline float __log10f(float x) { return log10f(x); }
inline float __powf(float x, float y) { return powf(x, y); }
inline float __sinf(float x) { return sinf(x); }
inline float __cosf(float x) { return cosf(x); }
inline float __tanf(float x) { return tanf(x); }
inline float __tanhf(float x) { return tanhf(x); }
inline void __sincosf(float x, float* s, float* c) { *s = sinf(x); *c = cosf(x); }
inline float __fdividef(float x, float y) { return x / y; }
inline float fdividef(float x, float y) { return x / y; }
inline float __frcp_rn(float x) { return 1.0f / x; }
inline float __fsqrt_rn(float x) { return sqrtf(x); }
inline float __frsqrt_rn(float x) { return 1.0f / sqrtf(x); }
inline float __fadd_rn(float x, float y) { return x + y; }
inline float __fsub_rn(float x, float y) { return x - y; }
inline float __fmul_rn(float x, float y) { return x * y; }
inline float __fdiv_rn(float x, float y) { return x / y; }
inline float __fmaf_rn(float x, float y, float z) { return fmaf(x, y, z); }
inline double __dadd_rn(double x, double y) { return x + y; }
inline double __dmul_rn(double x, double y) { return x * y; }
inline double __fma_rn(double x, double y, double z) { return fma(x, y, z); }
inline float __saturatef(float x) { return x != x ? 0.0f : (x < 0.0f ? 0.0f : (x > 1.0f ? 1.0f : x)); }

inline float __int_as_float(int x) { float f; std::memcpy(&f, &x, 4); return f; }
inline int __float_as_int(float x) { int i; std::memcpy(&i, &x, 4); return i; }
inline float __uint_as_float(unsigned x) { float f; std::memcpy(&f, &x, 4); return f; }
inline unsigned __float_as_uint(float x) { unsigned i; std::memcpy(&i, &x, 4); return i; }
inline double __longlong_as_double(long long x) { double d; std::memcpy(&d, &x, 8); return d; }
inline long long __double_as_longlong(double x) { long long i; std::memcpy(&i, &x, 8); return i; }
inline int __float2int_rn(float x) { return static_cast<int>(nearbyintf(x)); }
inline int __float2int_rz(float x) { return static_cast<int>(truncf(x)); }
inline int __float2int_rd(float x) { return static_cast<int>(floorf(x)); }
inline int __float2int_ru(float x) { return static_cast<int>(ceilf(x)); }
inline unsigned __float2uint_rn(float x) { return static_cast<unsigned>(nearbyintf(x)); }
inline long long __float2ll_rn(float x) { return static_cast<long long>(nearbyintf(x)); }
inline long long __float2ll_rz(float x) { return static_cast<long long>(truncf(x)); }
inline float __int2float_rn(int x) { return static_cast<float>(x); }
inline float __uint2float_rn(unsigned x) { return static_cast<float>(x); }
inline float __ll2float_rn(long long x) { return static_cast<float>(x); }
inline float __double2float_rn(double x) { return static_cast<float>(x); }

inline int __popc(unsigned x) { return __builtin_popcount(x); }
inline int __popcll(unsigned long long x) { return __builtin_popcountll(x); }
inline int __clz(int x) { return x == 0 ? 32 : __builtin_clz(static_cast<unsigned>(x)); }
inline int __clzll(long long x) { return x == 0 ? 64 : __builtin_clzll(static_cast<unsigned long long>(x)); }
inline int __ffs(int x) { return __builtin_ffs(x); }
inline int __ffsll(long long x) { return __builtin_ffsll(x); }
inline unsigned __brev(unsigned x) {
    unsigned r = 0;
    for (int i = 0; i < 32; ++i) r |= ((x >> i) & 1u) << (31 - i);
    return r;
}
inline unsigned long long __brevll(unsigned long long x) {
    unsigned long long r = 0;
    for (int i = 0; i < 64; ++i) r |= ((x >> i) & 1ull) << (63 - i);
    return r;
}
inline int __mulhi(int x, int y) { return static_cast<int>((static_cast<long long>(x) * y) >> 32); }
inline unsigned __umulhi(unsigned x, unsigned y) {
    return static_cast<unsigned>((static_cast<unsigned long long>(x) * y) >> 32);
}
inline long long __mul64hi(long long x, long long y) {
    return static_cast<long long>((static_cast<__int128>(x) * y) >> 64);
}
inline unsigned long long __umul64hi(unsigned long long x, unsigned long long y) {
    return static_cast<unsigned long long>((static_cast<unsigned __int128>(x) * y) >> 64);
}
inline int __mul24(int x, int y) { return x * y; }
inline unsigned __umul24(unsigned x, unsigned y) { return x * y; }

// min / max: the same overload set as CUDA's crt/math_functions.hpp, so that what compiles (or is
// ambiguous) under nvcc is the same here.
#define XENT_EMU_MINMAX(R, A, B)                           \
    inline R min(const A a, const B b) { return (R)a < (R)b ? (R)a : (R)b; } \
    inline R max(const A a, const B b) { return (R)a > (R)b ? (R)a : (R)b; }
XENT_EMU_MINMAX(int, int, int)
XENT_EMU_MINMAX(unsigned int, unsigned int, unsigned int)
XENT_EMU_MINMAX(unsigned int, int, unsigned int)
XENT_EMU_MINMAX(unsigned int, unsigned int, int)
XENT_EMU_MINMAX(long int, long int, long int)
XENT_EMU_MINMAX(unsigned long int, unsigned long int, unsigned long int)
XENT_EMU_MINMAX(unsigned long int, long int, unsigned long int)
XENT_EMU_MINMAX(unsigned long int, unsigned long int, long int)
XENT_EMU_MINMAX(long long int, long long int, long long int)
XENT_EMU_MINMAX(unsigned long long int, unsigned long long int, unsigned long long int)
XENT_EMU_MINMAX(unsigned long long int, long long int, unsigned long long int)
XENT_EMU_MINMAX(unsigned long long int, unsigned long long int, long long int)
XENT_EMU_MINMAX(double, float, double)
XENT_EMU_MINMAX(double, double, float)
#undef XENT_EMU_MINMAX
// float and double follow fminf/fmaxf (a NaN operand yields the other one), as CUDA does.
inline float min(const float a, const float b) { return fminf(a, b); }
inline float max(const float a, const float b) { return fmaxf(a, b); }
inline double min(const double a, const double b) { return fmin(a, b); }
inline double max(const double a, const double b) { return fmax(a, b); }
inline unsigned int umin(unsigned int a, unsigned int b) { return a < b ? a : b; }
inline unsigned int umax(unsigned int a, unsigned int b) { return a > b ? a : b; }
inline long long int llmin(long long int a, long long int b) { return a < b ? a : b; }
inline long long int llmax(long long int a, long long int b) { return a > b ? a : b; }
inline unsigned long long int ullmin(unsigned long long int a, unsigned long long int b) { return a < b ? a : b; }
inline unsigned long long int ullmax(unsigned long long int a, unsigned long long int b) { return a > b ? a : b; }
