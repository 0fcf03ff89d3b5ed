// test_emu.cpp: the CUDA host emulator (native/emu) against small kernels written through
// cuda/compat.cuh, exactly as the library's kernels are. Every check asserts.
#include "compat.cuh"

#include "check.h"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <thread>
#include <vector>

namespace {

// ---- helpers ----------------------------------------------------------------------------------

template <class T>
struct DeviceBuffer {
    T* ptr = nullptr;
    size_t n = 0;
    explicit DeviceBuffer(size_t count) : n(count) {
        CHECK_EQ(cudaMalloc(&ptr, count * sizeof(T)), cudaSuccess);
    }
    ~DeviceBuffer() { CHECK_EQ(cudaFree(ptr), cudaSuccess); }
    DeviceBuffer(const DeviceBuffer&) = delete;
    DeviceBuffer& operator=(const DeviceBuffer&) = delete;
    void upload(const std::vector<T>& h) {
        CHECK_EQ(cudaMemcpy(ptr, h.data(), h.size() * sizeof(T), cudaMemcpyHostToDevice), cudaSuccess);
    }
    std::vector<T> download() const {
        std::vector<T> h(n);
        CHECK_EQ(cudaMemcpy(h.data(), ptr, n * sizeof(T), cudaMemcpyDeviceToHost), cudaSuccess);
        return h;
    }
};

// Deterministic pseudo-random values in [-1, 1).
std::vector<float> random_floats(size_t n, uint32_t seed) {
    std::vector<float> v(n);
    uint32_t s = seed * 2654435761u + 1u;
    for (auto& x : v) {
        s = s * 1664525u + 1013904223u;
        x = static_cast<float>(s >> 8) / static_cast<float>(1u << 23) - 1.0f;
    }
    return v;
}

bool launch_ok(const char* what) {
    const cudaError_t e = cudaGetLastError();
    if (e != cudaSuccess) std::fprintf(stderr, "  %s: %s (%s)\n", what, cudaGetErrorString(e), xent_emu::last_kernel_fault());
    return CHECK_EQ(e, cudaSuccess);
}

// ---- kernels ----------------------------------------------------------------------------------

// Classic shared-memory tree reduction: one partial sum per block, grid-stride over the input.
template <int BLOCK>
__global__ void __launch_bounds__(BLOCK) tree_sum_kernel(const float* __restrict__ in, int64_t n, float* __restrict__ out) {
    __shared__ float s[BLOCK];
    float acc = 0.f;
    for (int64_t i = blockIdx.x * (int64_t)BLOCK + threadIdx.x; i < n; i += (int64_t)BLOCK * gridDim.x) acc += in[i];
    s[threadIdx.x] = acc;
    __syncthreads();
    for (int stride = BLOCK / 2; stride > 0; stride >>= 1) {
        if ((int)threadIdx.x < stride) s[threadIdx.x] += s[threadIdx.x + stride];
        __syncthreads();
    }
    if (threadIdx.x == 0) out[blockIdx.x] = s[0];
}

// A device helper that owns its __shared__ array (as library code does), templated on the type.
template <class T>
__device__ __forceinline__ T block_sum(T v) {
    __shared__ T partial[32];
    const unsigned lane = threadIdx.x & 31u, warp = threadIdx.x >> 5;
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    if (lane == 0) partial[warp] = v;
    __syncthreads();
    const unsigned nwarps = (blockDim.x + 31) / 32;
    T r = 0;
    for (unsigned i = 0; i < nwarps; ++i) r += partial[i];
    __syncthreads();  // partial may be reused by the next call
    return r;
}

template <class T>
__global__ void helper_sum_kernel(const T* in, int n, T* out) {
    T v = 0;
    for (int i = threadIdx.x; i < n; i += blockDim.x) v += in[(int64_t)blockIdx.x * n + i];
    const T total = block_sum(v);
    const T twice = block_sum(v + v);  // second call reuses the same shared array
    if (threadIdx.x == 0) {
        out[2 * blockIdx.x] = total;
        out[2 * blockIdx.x + 1] = twice;
    }
}

// Warp collectives: every lane writes what it saw.
__global__ void shuffle_kernel(int* out) {
    const int lane = threadIdx.x & 31;
    const int base = blockIdx.x * blockDim.x + threadIdx.x;
    const int nthreads = gridDim.x * blockDim.x;
    int v = lane + 1;
    // xor butterfly sum: every lane gets 1 + ... + 32 = 528
    int x = v;
    for (int o = 16; o > 0; o >>= 1) x += __shfl_xor_sync(0xffffffffu, x, o);
    out[0 * nthreads + base] = x;
    // down reduction: lane 0 gets 528; lane l gets the sum over its tree
    int d = v;
    for (int o = 16; o > 0; o >>= 1) d += __shfl_down_sync(0xffffffffu, d, o);
    out[1 * nthreads + base] = d;
    // up: inclusive prefix sum
    int u = v;
    for (int o = 1; o < 32; o <<= 1) {
        const int t = __shfl_up_sync(0xffffffffu, u, o);
        if (lane >= o) u += t;
    }
    out[2 * nthreads + base] = u;
    // broadcast from lane 7, and an index shuffle within segments of 8 (reverse order)
    out[3 * nthreads + base] = __shfl_sync(0xffffffffu, v * 10, 7);
    out[4 * nthreads + base] = __shfl_sync(0xffffffffu, v, 7 - (lane & 7), 8);
    // xor within segments of 4 with a lane mask of 4: PTX lets a lane read an earlier segment (lane 4
    // reads lane 0) but not a later one (lane 0 keeps its own value)
    out[5 * nthreads + base] = __shfl_xor_sync(0xffffffffu, v, 4, 4);
    // down past the end of the warp: own value
    out[6 * nthreads + base] = __shfl_down_sync(0xffffffffu, v, 31);
    // votes
    const unsigned ballot = __ballot_sync(0xffffffffu, lane % 3 == 0);
    out[7 * nthreads + base] = (int)ballot;
    out[8 * nthreads + base] = __any_sync(0xffffffffu, lane == 31) + 2 * __all_sync(0xffffffffu, lane < 32) +
                               4 * __all_sync(0xffffffffu, lane < 31) + 8 * __any_sync(0xffffffffu, 0);
    out[9 * nthreads + base] = __popc(__activemask());
    __syncwarp();
    out[10 * nthreads + base] = (int)__reduce_add_sync(0xffffffffu, (unsigned)v) + 1000 * __reduce_max_sync(0xffffffffu, v);
}

// Shuffles of wider and 16-bit types.
__global__ void shuffle_types_kernel(double* dout, long long* lout, float* hout, float* bout, float* f2out) {
    const int lane = threadIdx.x & 31;
    double dv = lane * 0.5;
    long long lv = (long long)lane << 40;
    __half hv = __float2half((float)lane);
    __nv_bfloat16 bv = __float2bfloat16((float)lane * 2.f);
    float2 f2 = make_float2((float)lane, (float)-lane);
    for (int o = 16; o > 0; o >>= 1) {
        dv += __shfl_xor_sync(0xffffffffu, dv, o);
        lv += __shfl_xor_sync(0xffffffffu, lv, o);
    }
    hv = __shfl_sync(0xffffffffu, hv, 31 - lane);
    bv = __shfl_down_sync(0xffffffffu, bv, 1);
    f2 = __shfl_sync(0xffffffffu, f2, (lane + 1) & 31);
    dout[threadIdx.x] = dv;
    lout[threadIdx.x] = lv;
    hout[threadIdx.x] = __half2float(hv);
    bout[threadIdx.x] = __bfloat162float(bv);
    f2out[2 * threadIdx.x] = f2.x;
    f2out[2 * threadIdx.x + 1] = f2.y;
}

__global__ void atomics_kernel(int* i, unsigned* u, unsigned long long* ull, float* f, double* d, int* imax, int* imin,
                               long long* llmax, long long* llmin, int* cas_counter, int* exch) {
    const int gid = blockIdx.x * blockDim.x + threadIdx.x;
    atomicAdd(i, 1);
    atomicAdd(u, 2u);
    atomicAdd(ull, 3ull);
    atomicAdd(f, 1.0f);
    atomicAdd(d, 0.5);
    atomicMax(imax, gid);
    atomicMin(imin, -gid);
    atomicMax(llmax, (long long)gid << 33);
    atomicMin(llmin, -((long long)gid << 33));
    // increment through a CAS loop
    int old = atomicAdd(cas_counter, 0), assumed;  // an atomic read: a plain one would race (TSan)
    do {
        assumed = old;
        old = atomicCAS(cas_counter, assumed, assumed + 1);
    } while (old != assumed);
    atomicExch(exch, 7);
}

// bf16 / fp16 round trips through the toolkit's types.
__global__ void half_kernel(const float* in, int n, float* bf, float* hf, unsigned short* bits) {
    for (int i = threadIdx.x; i < n; i += blockDim.x) {
        const __nv_bfloat16 b = __float2bfloat16(in[i]);
        const __half h = __float2half(in[i]);
        bf[i] = __bfloat162float(b);
        hf[i] = __half2float(h);
        bits[2 * i] = __bfloat16_as_ushort(b);
        bits[2 * i + 1] = __half_as_ushort(h);
    }
    if (threadIdx.x == 0) {
        const __nv_bfloat162 b2 = __floats2bfloat162_rn(1.5f, -2.25f);
        const __half2 h2 = __floats2half2_rn(0.5f, 3.0f);
        bf[n] = __low2float(b2) + 10.f * __high2float(b2);
        hf[n] = __low2float(h2) + 10.f * __high2float(h2);
    }
}

// 16-byte vector loads of a float row, scalar tail.
__global__ void float4_kernel(const float* __restrict__ in, int n, float* __restrict__ out) {
    const float4* v = reinterpret_cast<const float4*>(in);
    const int nv = n / 4;
    float acc = 0.f;
    for (int i = threadIdx.x; i < nv; i += blockDim.x) {
        const float4 q = __ldg(v + i);
        acc += q.x + q.y + q.z + q.w;
    }
    for (int i = 4 * nv + threadIdx.x; i < n; i += blockDim.x) acc += in[i];
    const float total = block_sum(acc);
    if (threadIdx.x == 0) *out = total;
    // also a vector store
    if (threadIdx.x == 0 && n >= 8) reinterpret_cast<float4*>(out)[1] = make_float4(1.f, 2.f, 3.f, 4.f);
}

// Each thread writes its coordinates at its global linear index.
__global__ void index_kernel(int* out) {
    const int bx = blockIdx.x, by = blockIdx.y, bz = blockIdx.z;
    const int block_linear = bx + gridDim.x * (by + gridDim.y * bz);
    const int tlin = threadIdx.x + blockDim.x * (threadIdx.y + blockDim.y * threadIdx.z);
    const int nt = blockDim.x * blockDim.y * blockDim.z;
    const int g = block_linear * nt + tlin;
    out[4 * g + 0] = threadIdx.x | (threadIdx.y << 10) | (threadIdx.z << 20);
    out[4 * g + 1] = blockIdx.x | (blockIdx.y << 10) | (blockIdx.z << 20);
    out[4 * g + 2] = blockDim.x | (blockDim.y << 10) | (blockDim.z << 20);
    out[4 * g + 3] = gridDim.x | (gridDim.y << 10) | (gridDim.z << 20);
}

__global__ void fill_kernel(int* out, int value) { out[blockIdx.x * blockDim.x + threadIdx.x] = value; }

// Threads past n return at once; the rest still synchronise and shuffle.
__global__ void early_exit_kernel(const int* in, int n, int* out) {
    __shared__ int s[1024];
    const int t = threadIdx.x;
    if (t >= n) return;
    s[t] = in[t];
    __syncthreads();
    int total = 0;
    for (int i = 0; i < n; ++i) total += s[i];
    __syncthreads();
    out[t] = total;
}

__global__ void sync_count_kernel(int* out) {
    const int t = threadIdx.x;
    const int count = __syncthreads_count(t % 5 == 0);
    const int all = __syncthreads_and(t >= 0);
    const int any = __syncthreads_or(t == 77) + 2 * __syncthreads_and(t != 3);
    if (t == 0) {  // one writer: every thread writing the same word is still a race
        out[0 + 3 * blockIdx.x] = count;
        out[1 + 3 * blockIdx.x] = all;
        out[2 + 3 * blockIdx.x] = any;
    }
}

__global__ void partial_mask_kernel(int* out) {
    int v = threadIdx.x;
    if (threadIdx.x < 16) v = __shfl_down_sync(0x0000ffffu, v, 1);
    out[threadIdx.x] = v;
}

// Lane 0 of each warp waits in a shuffle its warp never reaches (the others sit in __syncthreads).
__global__ void divergent_barrier_kernel(int* out) {
    int v = threadIdx.x;
    if ((threadIdx.x & 31) == 0) v = __shfl_sync(0xffffffffu, v, 1);
    else __syncthreads();
    out[threadIdx.x] = v;
}

__global__ void trap_kernel(int* out) {
    if (blockIdx.x == 1 && threadIdx.x == 5) __trap();
    out[blockIdx.x * blockDim.x + threadIdx.x] = 1;
}

__global__ void math_kernel(float* out) {
    if (threadIdx.x != 0) return;
    out[0] = __expf(1.0f);
    out[1] = __logf(2.0f);
    out[2] = rsqrtf(4.0f);
    out[3] = __fdividef(1.0f, 8.0f);
    out[4] = __int_as_float(0x3f800000);
    out[5] = (float)__float_as_int(1.0f);
    out[6] = __uint_as_float(__float_as_uint(-2.5f));
    out[7] = fmaxf(log1pf(1e-8f) * 1e8f, expm1f(0.f));
    out[8] = tanhf(0.5f) + fabsf(-1.f) + sqrtf(9.f) + exp2f(3.f) + log2f(8.f);
    out[9] = __fmaf_rn(2.f, 3.f, 1.f) + fmaf(1.f, 1.f, 1.f);
    out[10] = isnan(__int_as_float(0x7fc00000)) + 2 * isinf(INFINITY) + 4 * isinf(-INFINITY);
    out[11] = (float)(min(3, 5) + max(3, 5) + min((int64_t)-7, (int64_t)2) + max(2u, 9u));
    out[12] = min(1.5f, 2.5f) + max(1.5f, 2.5f) + fminf(NAN, 1.f);
    out[13] = __frcp_rn(4.f) + __saturatef(1.7f) + __saturatef(-3.f);
    out[14] = (float)(__popc(0xf0f0u) + __clz(1) + __ffs(8) + __popcll(0xffffffffffull));
    out[15] = __logf(0.f);  // -inf
}

}  // namespace

// ---- tests ------------------------------------------------------------------------------------

TEST_CASE(block_reduce_shared_memory) {
    const int n = 100003;
    const auto h = random_floats(n, 1);
    double ref = 0;
    for (float x : h) ref += x;
    DeviceBuffer<float> in(n), out(64);
    in.upload(h);
    auto k = tree_sum_kernel<256>;
    XENT_LAUNCH(k, dim3(37), dim3(256), nullptr, in.ptr, (int64_t)n, out.ptr);
    launch_ok("tree_sum_kernel<256>");
    auto partial = out.download();
    double got = 0;
    for (int b = 0; b < 37; ++b) got += partial[b];
    CHECK_NEAR(got, ref, 1e-3);
    // one block of 1024 threads
    auto k1024 = tree_sum_kernel<1024>;
    XENT_LAUNCH(k1024, 1, 1024, nullptr, in.ptr, (int64_t)n, out.ptr);
    launch_ok("tree_sum_kernel<1024>");
    CHECK_NEAR(out.download()[0], ref, 1e-3);
}

TEST_CASE(device_helper_shared_per_instantiation) {
    const int rows = 9, n = 301;
    auto hf = random_floats((size_t)rows * n, 2);
    std::vector<double> hd(hf.begin(), hf.end());
    DeviceBuffer<float> inf(hf.size()), outf(2 * rows);
    DeviceBuffer<double> ind(hd.size()), outd(2 * rows);
    inf.upload(hf);
    ind.upload(hd);
    // whole warps only: a full-mask shuffle in a partial warp reads lanes that do not exist (UB)
    for (unsigned block : {32u, 96u, 256u, 1024u}) {
        auto kf = helper_sum_kernel<float>;
        auto kd = helper_sum_kernel<double>;
        XENT_LAUNCH(kf, rows, block, nullptr, (const float*)inf.ptr, n, outf.ptr);
        launch_ok("helper_sum_kernel<float>");
        XENT_LAUNCH(kd, rows, block, nullptr, (const double*)ind.ptr, n, outd.ptr);
        launch_ok("helper_sum_kernel<double>");
        auto rf = outf.download();
        auto rd = outd.download();
        for (int r = 0; r < rows; ++r) {
            double ref = 0;
            for (int i = 0; i < n; ++i) ref += hd[(size_t)r * n + i];
            CHECK_NEAR(rf[2 * r], ref, 1e-4);
            CHECK_NEAR(rf[2 * r + 1], 2 * ref, 2e-4);
            CHECK_NEAR(rd[2 * r], ref, 1e-12);
            CHECK_NEAR(rd[2 * r + 1], 2 * ref, 1e-12);
        }
    }
}

TEST_CASE(warp_shuffles_and_votes) {
    const int blocks = 3, threads = 64, nt = blocks * threads, fields = 11;
    DeviceBuffer<int> out((size_t)fields * nt);
    XENT_LAUNCH(shuffle_kernel, blocks, threads, nullptr, out.ptr);
    launch_ok("shuffle_kernel");
    auto h = out.download();
    for (int g = 0; g < nt; ++g) {
        const int lane = g % 32, v = lane + 1;
        // a down-tree reduction: each round adds lane l+o's previous value (own value past lane 31)
        int cur[32];
        for (int l = 0; l < 32; ++l) cur[l] = l + 1;
        for (int o = 16; o > 0; o >>= 1) {
            int nxt[32];
            for (int l = 0; l < 32; ++l) nxt[l] = cur[l] + ((l + o < 32) ? cur[l + o] : cur[l]);
            std::memcpy(cur, nxt, sizeof cur);
        }
        const int down = cur[lane];
        CHECK_EQ(h[0 * nt + g], 528);
        CHECK_EQ(h[1 * nt + g], down);
        CHECK_EQ(h[2 * nt + g], v * (v + 1) / 2);
        CHECK_EQ(h[3 * nt + g], 80);
        CHECK_EQ(h[4 * nt + g], (lane & ~7) + (7 - (lane & 7)) + 1);
        CHECK_EQ(h[5 * nt + g], (lane & 4) ? v - 4 : v);
        CHECK_EQ(h[6 * nt + g], lane == 0 ? 32 : v);
        CHECK_EQ((unsigned)h[7 * nt + g], 0x49249249u);
        CHECK_EQ(h[8 * nt + g], 1 + 2);
        CHECK_EQ(h[9 * nt + g], 32);
        CHECK_EQ(h[10 * nt + g], 528 + 1000 * 32);
    }
    CHECK_EQ(h[1 * nt + 0], 528);
}

TEST_CASE(warp_shuffle_types) {
    DeviceBuffer<double> d(32);
    DeviceBuffer<long long> l(32);
    DeviceBuffer<float> hf(32), bf(32), f2(64);
    XENT_LAUNCH(shuffle_types_kernel, 1, 32, nullptr, d.ptr, l.ptr, hf.ptr, bf.ptr, f2.ptr);
    launch_ok("shuffle_types_kernel");
    auto hd = d.download();
    auto hl = l.download();
    auto hh = hf.download();
    auto hb = bf.download();
    auto h2 = f2.download();
    for (int lane = 0; lane < 32; ++lane) {
        CHECK_EQ(hd[lane], 248.0);
        CHECK_EQ(hl[lane], 496LL << 40);
        CHECK_EQ(hh[lane], (float)(31 - lane));
        CHECK_EQ(hb[lane], lane == 31 ? 62.f : 2.f * (lane + 1));
        CHECK_EQ(h2[2 * lane], (float)((lane + 1) & 31));
        CHECK_EQ(h2[2 * lane + 1], -(float)((lane + 1) & 31));
    }
}

TEST_CASE(atomics_from_many_blocks) {
    DeviceBuffer<int> i(1), imax(1), imin(1), cas(1), exch(1);
    DeviceBuffer<unsigned> u(1);
    DeviceBuffer<unsigned long long> ull(1);
    DeviceBuffer<float> f(1);
    DeviceBuffer<double> d(1);
    DeviceBuffer<long long> llmax(1), llmin(1);
    CHECK_EQ(cudaMemset(i.ptr, 0, 4), cudaSuccess);
    CHECK_EQ(cudaMemset(imax.ptr, 0, 4), cudaSuccess);
    CHECK_EQ(cudaMemset(imin.ptr, 0, 4), cudaSuccess);
    CHECK_EQ(cudaMemset(cas.ptr, 0, 4), cudaSuccess);
    CHECK_EQ(cudaMemset(exch.ptr, 0, 4), cudaSuccess);
    CHECK_EQ(cudaMemset(u.ptr, 0, 4), cudaSuccess);
    CHECK_EQ(cudaMemset(ull.ptr, 0, 8), cudaSuccess);
    CHECK_EQ(cudaMemset(f.ptr, 0, 4), cudaSuccess);
    CHECK_EQ(cudaMemset(d.ptr, 0, 8), cudaSuccess);
    CHECK_EQ(cudaMemset(llmax.ptr, 0, 8), cudaSuccess);
    CHECK_EQ(cudaMemset(llmin.ptr, 0, 8), cudaSuccess);
    const int blocks = 40, threads = 96, total = blocks * threads;
    XENT_LAUNCH(atomics_kernel, blocks, threads, nullptr, i.ptr, u.ptr, ull.ptr, f.ptr, d.ptr, imax.ptr, imin.ptr,
                llmax.ptr, llmin.ptr, cas.ptr, exch.ptr);
    launch_ok("atomics_kernel");
    CHECK_EQ(i.download()[0], total);
    CHECK_EQ(u.download()[0], 2u * total);
    CHECK_EQ(ull.download()[0], 3ull * total);
    CHECK_EQ(f.download()[0], (float)total);
    CHECK_EQ(d.download()[0], 0.5 * total);
    CHECK_EQ(imax.download()[0], total - 1);
    CHECK_EQ(imin.download()[0], -(total - 1));
    CHECK_EQ(llmax.download()[0], (long long)(total - 1) << 33);
    CHECK_EQ(llmin.download()[0], -((long long)(total - 1) << 33));
    CHECK_EQ(cas.download()[0], total);
    CHECK_EQ(exch.download()[0], 7);
}

TEST_CASE(bf16_fp16_round_trips) {
    const std::vector<float> in = {1.0f, 1.00390625f,  1.01171875f, 3.14159265f, -0.0f,        65504.f,
                                   65520.f, 1e-8f,     6.0e-8f,     -2.5f,       INFINITY,     NAN,
                                   3.0e38f, 1.1754944e-38f};
    const int n = (int)in.size();
    DeviceBuffer<float> din(n), bf(n + 1), hf(n + 1);
    DeviceBuffer<unsigned short> bits(2 * n);
    din.upload(in);
    XENT_LAUNCH(half_kernel, 1, 8, nullptr, din.ptr, n, bf.ptr, hf.ptr, bits.ptr);
    launch_ok("half_kernel");
    auto b = bf.download();
    auto h = hf.download();
    auto bb = bits.download();
    // bf16: round to nearest even on the upper 16 bits
    CHECK_EQ(b[0], 1.0f);
    CHECK_EQ(b[1], 1.0f);            // halfway between 1 and 1.0078125: to even
    CHECK_EQ(b[2], 1.015625f);       // halfway between 1.0078125 and 1.015625: to even
    CHECK_EQ(b[3], 3.140625f);
    CHECK_EQ(bb[2 * 4], 0x8000);     // -0 keeps its sign
    CHECK_EQ(b[5], 65536.f);
    CHECK_EQ(b[9], -2.5f);
    CHECK(std::isinf(b[10]));
    CHECK(std::isnan(b[11]));
    CHECK_NEAR(b[12], 3.0e38, 1e36);
    CHECK_EQ(bb[2 * 0], 0x3f80);
    // fp16
    CHECK_EQ(h[0], 1.0f);
    CHECK_EQ(h[1], 1.00390625f);     // exactly representable in fp16
    CHECK_EQ(h[3], 3.140625f);
    CHECK_EQ(h[5], 65504.f);
    CHECK(std::isinf(h[6]));         // 65520 rounds up to inf
    CHECK_EQ(h[7], 0.0f);            // underflow
    CHECK_EQ(h[8], 5.9604644775390625e-08f);  // the smallest subnormal
    CHECK(std::isinf(h[12]));
    CHECK(std::isnan(h[11]));
    CHECK_EQ(bb[2 * 0 + 1], 0x3c00);
    CHECK_EQ(bb[2 * 4 + 1], 0x8000);
    // paired types
    CHECK_EQ(b[n], 1.5f - 22.5f);
    CHECK_EQ(h[n], 0.5f + 30.f);
}

TEST_CASE(float4_vector_loads) {
    static_assert(alignof(float4) == 16 && sizeof(float4) == 16, "float4 must be 16-byte aligned like CUDA's");
    static_assert(alignof(float2) == 8 && alignof(int4) == 16 && alignof(uint4) == 16 && alignof(uint2) == 8,
                  "vector alignment");
    static_assert(alignof(ushort4) == 8 && alignof(short4) == 8 && alignof(double2) == 16, "vector alignment");
    const int4 i4 = make_int4(1, 2, 3, 4);
    const uint2 u2 = make_uint2(5u, 6u);
    CHECK_EQ(i4.w + (int)u2.y, 10);
    for (int n : {4, 8, 37, 4099}) {
        auto h = random_floats(n, 3 + n);
        double ref = 0;
        for (float x : h) ref += x;
        DeviceBuffer<float> in(n), out(8);
        CHECK_EQ(reinterpret_cast<uintptr_t>(in.ptr) % 256, 0u);
        in.upload(h);
        XENT_LAUNCH(float4_kernel, 1, 128, nullptr, in.ptr, n, out.ptr);
        launch_ok("float4_kernel");
        auto r = out.download();
        CHECK_NEAR(r[0], ref, 1e-4);
        if (n >= 8) CHECK(r[4] == 1.f && r[5] == 2.f && r[6] == 3.f && r[7] == 4.f);
    }
}

TEST_CASE(grid_and_block_indices_2d_3d) {
    struct Case { dim3 grid, block; };
    for (const Case& c : {Case{dim3(3, 2, 1), dim3(8, 4, 1)}, Case{dim3(2, 3, 4), dim3(4, 2, 3)},
                          Case{dim3(1, 1, 5), dim3(1, 1, 64)}, Case{dim3(70000), dim3(1)}}) {
        const size_t nb = (size_t)c.grid.x * c.grid.y * c.grid.z, nt = (size_t)c.block.x * c.block.y * c.block.z;
        DeviceBuffer<int> out(4 * nb * nt);
        XENT_LAUNCH(index_kernel, c.grid, c.block, nullptr, out.ptr);
        launch_ok("index_kernel");
        auto h = out.download();
        size_t bad = 0;
        for (unsigned bz = 0; bz < c.grid.z; ++bz)
            for (unsigned by = 0; by < c.grid.y; ++by)
                for (unsigned bx = 0; bx < c.grid.x; ++bx)
                    for (unsigned tz = 0; tz < c.block.z; ++tz)
                        for (unsigned ty = 0; ty < c.block.y; ++ty)
                            for (unsigned tx = 0; tx < c.block.x; ++tx) {
                                const size_t bl = bx + c.grid.x * (by + (size_t)c.grid.y * bz);
                                const size_t tl = tx + c.block.x * (ty + (size_t)c.block.y * tz);
                                const size_t g = bl * nt + tl;
                                bad += h[4 * g + 0] != (int)(tx | (ty << 10) | (tz << 20));
                                bad += h[4 * g + 1] != (int)(bx | (by << 10) | (bz << 20));
                                bad += h[4 * g + 2] != (int)(c.block.x | (c.block.y << 10) | (c.block.z << 20));
                                bad += h[4 * g + 3] != (int)(c.grid.x | (c.grid.y << 10) | (c.grid.z << 20));
                            }
        CHECK_EQ(bad, (size_t)0);
    }
}

TEST_CASE(invalid_launch_configurations) {
    DeviceBuffer<int> out(64);
    CHECK_EQ(cudaMemset(out.ptr, 0, 64 * sizeof(int)), cudaSuccess);
    CHECK_EQ(cudaGetLastError(), cudaSuccess);
    struct Case { dim3 grid, block; };
    for (const Case& c : {Case{dim3(1), dim3(1025)}, Case{dim3(1), dim3(32, 32, 2)}, Case{dim3(0), dim3(32)},
                          Case{dim3(1), dim3(0)}, Case{dim3(1, 65536), dim3(32)}, Case{dim3(1, 1, 65536), dim3(32)},
                          Case{dim3(1), dim3(1, 1, 65)}, Case{dim3(1u << 31), dim3(1)}}) {
        XENT_LAUNCH(fill_kernel, c.grid, c.block, nullptr, out.ptr, 5);
        CHECK_EQ(cudaPeekAtLastError(), cudaErrorInvalidConfiguration);
        CHECK_EQ(cudaGetLastError(), cudaErrorInvalidConfiguration);
        CHECK_EQ(cudaGetLastError(), cudaSuccess);  // reading resets it
    }
    // an int grid that went negative
    const int blocks = -1;
    XENT_LAUNCH(fill_kernel, blocks, 32, nullptr, out.ptr, 5);
    CHECK_EQ(cudaGetLastError(), cudaErrorInvalidConfiguration);
    auto h = out.download();
    for (int v : h) CHECK_EQ(v, 0);  // nothing ran
    // a valid launch after the failures works
    XENT_LAUNCH(fill_kernel, 2, 32, nullptr, out.ptr, 9);
    launch_ok("fill_kernel");
    h = out.download();
    for (int v : h) CHECK_EQ(v, 9);
    CHECK(cudaGetErrorString(cudaErrorInvalidConfiguration) != nullptr);
    CHECK_EQ(std::strcmp(cudaGetErrorString(cudaErrorInvalidConfiguration), "invalid configuration argument"), 0);
    CHECK_EQ(std::strcmp(cudaGetErrorName(cudaErrorInvalidValue), "cudaErrorInvalidValue"), 0);
}

TEST_CASE(memory_copy_set_free) {
    void* p = nullptr;
    CHECK_EQ(cudaMalloc(&p, 1000), cudaSuccess);
    CHECK(p != nullptr);
    CHECK_EQ(reinterpret_cast<uintptr_t>(p) % 256, 0u);
    std::vector<unsigned char> h(1000);
    // fresh memory is not zeroed (poisoned), like device memory is not
    CHECK_EQ(cudaMemcpy(h.data(), p, 1000, cudaMemcpyDeviceToHost), cudaSuccess);
    CHECK(h[0] != 0 && h[999] != 0);
    CHECK_EQ(cudaMemset(p, 0xAB, 1000), cudaSuccess);
    CHECK_EQ(cudaMemcpy(h.data(), p, 1000, cudaMemcpyDefault), cudaSuccess);
    size_t bad = 0;
    for (unsigned char c : h) bad += c != 0xAB;
    CHECK_EQ(bad, (size_t)0);
    std::vector<unsigned char> src(1000);
    for (size_t i = 0; i < src.size(); ++i) src[i] = (unsigned char)(i * 7);
    CHECK_EQ(cudaMemcpyAsync(p, src.data(), 1000, cudaMemcpyHostToDevice, nullptr), cudaSuccess);
    CHECK_EQ(cudaMemsetAsync(static_cast<char*>(p) + 10, 0, 5, nullptr), cudaSuccess);
    CHECK_EQ(cudaStreamSynchronize(nullptr), cudaSuccess);
    void* q = nullptr;
    CHECK_EQ(cudaMalloc(&q, 1000), cudaSuccess);
    CHECK_EQ(cudaMemcpy(q, p, 1000, cudaMemcpyDeviceToDevice), cudaSuccess);
    CHECK_EQ(cudaMemcpy(h.data(), q, 1000, cudaMemcpyDeviceToHost), cudaSuccess);
    bad = 0;
    for (size_t i = 0; i < h.size(); ++i) bad += h[i] != ((i >= 10 && i < 15) ? 0 : (unsigned char)(i * 7));
    CHECK_EQ(bad, (size_t)0);
    // errors: out of bounds of an allocation, bad direction, null, bad free, double free
    CHECK_EQ(cudaMemcpy(h.data(), static_cast<char*>(q) + 1, 1000, cudaMemcpyDeviceToHost), cudaErrorInvalidValue);
    CHECK_EQ(cudaGetLastError(), cudaErrorInvalidValue);
    CHECK_EQ(cudaMemset(static_cast<char*>(q) + 999, 0, 2), cudaErrorInvalidValue);
    CHECK_EQ(cudaMemcpy(q, p, 10, static_cast<cudaMemcpyKind>(17)), cudaErrorInvalidMemcpyDirection);
    CHECK_EQ(cudaMemcpy(nullptr, p, 10, cudaMemcpyDeviceToHost), cudaErrorInvalidValue);
    CHECK_EQ(cudaMemcpy(nullptr, p, 0, cudaMemcpyDeviceToHost), cudaSuccess);
    CHECK_EQ(cudaFree(static_cast<char*>(q) + 4), cudaErrorInvalidValue);
    CHECK_EQ(cudaFree(q), cudaSuccess);
    CHECK_EQ(cudaFree(q), cudaErrorInvalidValue);
    CHECK_EQ(cudaFree(p), cudaSuccess);
    CHECK_EQ(cudaFree(nullptr), cudaSuccess);
    void* z = reinterpret_cast<void*>(1);
    CHECK_EQ(cudaMalloc(&z, 0), cudaSuccess);
    CHECK(z == nullptr);
    CHECK_EQ(cudaMalloc(nullptr, 16), cudaErrorInvalidValue);
    size_t free_b = 0, total_b = 0;
    CHECK_EQ(cudaMemGetInfo(&free_b, &total_b), cudaSuccess);
    CHECK(free_b <= total_b && total_b > 0);
    CHECK_EQ(cudaGetLastError(), cudaErrorInvalidValue);
    CHECK_EQ(cudaGetLastError(), cudaSuccess);
}

TEST_CASE(device_queries) {
    int count = 0;
    CHECK_EQ(cudaGetDeviceCount(&count), cudaSuccess);
    CHECK_EQ(count, 1);
    CHECK_EQ(cudaSetDevice(0), cudaSuccess);
    CHECK_EQ(cudaSetDevice(1), cudaErrorInvalidDevice);
    CHECK_EQ(cudaGetLastError(), cudaErrorInvalidDevice);
    int dev = -1;
    CHECK_EQ(cudaGetDevice(&dev), cudaSuccess);
    CHECK_EQ(dev, 0);
    cudaDeviceProp prop;
    CHECK_EQ(cudaGetDeviceProperties(&prop, 0), cudaSuccess);
    CHECK_EQ(std::strcmp(prop.name, "xent host emulator"), 0);
    CHECK_EQ(prop.warpSize, 32);
    CHECK_EQ(prop.maxThreadsPerBlock, 1024);
    CHECK(prop.multiProcessorCount > 0 && prop.sharedMemPerBlock >= 48 * 1024 && prop.l2CacheSize > 0);
    int sms = 0;
    CHECK_EQ(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, 0), cudaSuccess);
    CHECK_EQ(sms, prop.multiProcessorCount);
    CHECK_EQ(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, 3), cudaErrorInvalidDevice);
    int blocks = 0;
    CHECK_EQ(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&blocks, fill_kernel, 256, 0), cudaSuccess);
    CHECK(blocks >= 1);
    cudaStream_t s = nullptr;
    CHECK_EQ(cudaStreamCreate(&s), cudaSuccess);
    cudaEvent_t e0, e1;
    CHECK_EQ(cudaEventCreate(&e0), cudaSuccess);
    CHECK_EQ(cudaEventCreate(&e1), cudaSuccess);
    CHECK_EQ(cudaEventRecord(e0, s), cudaSuccess);
    CHECK_EQ(cudaEventRecord(e1, s), cudaSuccess);
    float ms = -1;
    CHECK_EQ(cudaEventElapsedTime(&ms, e0, e1), cudaSuccess);
    CHECK(ms >= 0);
    CHECK_EQ(cudaEventDestroy(e0), cudaSuccess);
    CHECK_EQ(cudaEventDestroy(e1), cudaSuccess);
    CHECK_EQ(cudaStreamSynchronize(s), cudaSuccess);
    CHECK_EQ(cudaStreamDestroy(s), cudaSuccess);
    CHECK_EQ(cudaGetLastError(), cudaErrorInvalidDevice);
    // the "no device" mode (as XENT_EMU_DEVICE_COUNT=0 sets it)
    xent_emu::set_device_count(0);
    CHECK_EQ(cudaGetDeviceCount(&count), cudaErrorNoDevice);
    CHECK_EQ(count, 0);
    void* p = nullptr;
    CHECK_EQ(cudaMalloc(&p, 16), cudaErrorNoDevice);
    xent_emu::set_device_count(1);
    CHECK_EQ(cudaGetLastError(), cudaErrorNoDevice);
}

TEST_CASE(early_exit_threads_do_not_block_barriers) {
    std::vector<int> h(1024);
    for (int i = 0; i < 1024; ++i) h[i] = i + 1;
    DeviceBuffer<int> in(1024), out(1024);
    in.upload(h);
    for (int n : {1, 31, 33, 500, 1024}) {
        CHECK_EQ(cudaMemset(out.ptr, 0, 1024 * sizeof(int)), cudaSuccess);
        XENT_LAUNCH(early_exit_kernel, 2, 1024, nullptr, (const int*)in.ptr, n, out.ptr);
        launch_ok("early_exit_kernel");
        auto r = out.download();
        for (int t = 0; t < 1024; ++t) CHECK_EQ(r[t], t < n ? n * (n + 1) / 2 : 0);
    }
}

TEST_CASE(syncthreads_count_and_or) {
    DeviceBuffer<int> out(6);
    XENT_LAUNCH(sync_count_kernel, 2, 200, nullptr, out.ptr);
    launch_ok("sync_count_kernel");
    auto h = out.download();
    for (int b = 0; b < 2; ++b) {
        CHECK_EQ(h[3 * b + 0], 40);
        CHECK_EQ(h[3 * b + 1], 1);
        CHECK_EQ(h[3 * b + 2], 1);
    }
}

TEST_CASE(kernel_faults_are_reported) {
    DeviceBuffer<int> out(64);
    CHECK_EQ(cudaGetLastError(), cudaSuccess);
    XENT_LAUNCH(partial_mask_kernel, 1, 32, nullptr, out.ptr);
    CHECK_EQ(cudaGetLastError(), cudaErrorLaunchFailure);
    CHECK(std::strstr(xent_emu::last_kernel_fault(), "partial masks") != nullptr);
    CHECK_EQ(cudaDeviceSynchronize(), cudaErrorLaunchFailure);  // reported once by a sync
    CHECK_EQ(cudaDeviceSynchronize(), cudaSuccess);
    CHECK_EQ(cudaGetLastError(), cudaErrorLaunchFailure);
    CHECK_EQ(cudaGetLastError(), cudaSuccess);
    XENT_LAUNCH(trap_kernel, 4, 16, nullptr, out.ptr);
    CHECK_EQ(cudaGetLastError(), cudaErrorLaunchFailure);
    CHECK(std::strstr(xent_emu::last_kernel_fault(), "__trap") != nullptr);
    CHECK_EQ(cudaStreamSynchronize(nullptr), cudaErrorLaunchFailure);
    CHECK_EQ(cudaGetLastError(), cudaErrorLaunchFailure);
    // a barrier that can never complete: the fiber executor reports it (real threads would hang)
    if (std::strcmp(xent_emu::executor(), "fibers") == 0) {
        XENT_LAUNCH(divergent_barrier_kernel, 2, 64, nullptr, out.ptr);
        CHECK_EQ(cudaGetLastError(), cudaErrorLaunchFailure);
        CHECK(std::strstr(xent_emu::last_kernel_fault(), "deadlock") != nullptr);
        CHECK_EQ(cudaDeviceSynchronize(), cudaErrorLaunchFailure);
        CHECK_EQ(cudaGetLastError(), cudaErrorLaunchFailure);  // a failing call sets the last error too
    }
    // the emulator keeps working afterwards
    XENT_LAUNCH(fill_kernel, 2, 32, nullptr, out.ptr, 3);
    launch_ok("fill_kernel after faults");
    auto h = out.download();
    for (int v : h) CHECK_EQ(v, 3);
}

TEST_CASE(math_intrinsics) {
    DeviceBuffer<float> out(16);
    XENT_LAUNCH(math_kernel, 1, 32, nullptr, out.ptr);
    launch_ok("math_kernel");
    auto h = out.download();
    CHECK_NEAR(h[0], 2.718281828, 1e-6);
    CHECK_NEAR(h[1], 0.693147181, 1e-6);
    CHECK_EQ(h[2], 0.5f);
    CHECK_EQ(h[3], 0.125f);
    CHECK_EQ(h[4], 1.0f);
    CHECK_EQ(h[5], (float)0x3f800000);
    CHECK_EQ(h[6], -2.5f);
    CHECK_NEAR(h[7], 1.0, 1e-6);
    CHECK_NEAR(h[8], std::tanh(0.5) + 1 + 3 + 8 + 3, 1e-5);
    CHECK_EQ(h[9], 9.f);
    CHECK_EQ(h[10], 7.f);
    CHECK_EQ(h[11], 3.f + 5.f - 7.f + 9.f);
    CHECK_EQ(h[12], 1.5f + 2.5f + 1.f);
    CHECK_EQ(h[13], 0.25f + 1.f + 0.f);
    CHECK_EQ(h[14], 8.f + 31.f + 4.f + 40.f);
    CHECK(std::isinf(h[15]) && h[15] < 0);
}

TEST_CASE(concurrent_host_threads_are_serialised) {
    const int nthreads = 4, launches = 25, n = 4096;
    auto h = random_floats(n, 11);
    double ref = 0;
    for (float x : h) ref += x;
    DeviceBuffer<float> in(n);
    in.upload(h);
    std::atomic<int> failures{0};
    std::vector<std::thread> hosts;
    for (int t = 0; t < nthreads; ++t) {
        hosts.emplace_back([&, t] {
            float* out = nullptr;
            if (cudaMalloc(&out, 8 * sizeof(float)) != cudaSuccess) {
                ++failures;
                return;
            }
            for (int i = 0; i < launches; ++i) {
                auto k = tree_sum_kernel<128>;
                XENT_LAUNCH(k, 1 + (t + i) % 4, 128, nullptr, (const float*)in.ptr, (int64_t)n, out);
                if (cudaGetLastError() != cudaSuccess) ++failures;
                float part[8];
                if (cudaMemcpy(part, out, sizeof part, cudaMemcpyDeviceToHost) != cudaSuccess) ++failures;
                double got = 0;
                for (int b = 0; b < 1 + (t + i) % 4; ++b) got += part[b];
                if (std::fabs(got - ref) > 1e-3) ++failures;
            }
            if (cudaFree(out) != cudaSuccess) ++failures;
        });
    }
    for (auto& th : hosts) th.join();
    CHECK_EQ(failures.load(), 0);
    if (std::strcmp(xent_emu::executor(), "threads") == 0)
        CHECK(xent_emu::pool_threads() >= 128 && xent_emu::pool_threads() <= 1024);
}

TEST_CASE(many_small_launches) {
    DeviceBuffer<int> out(256);
    const int launches = 500;
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < launches; ++i) XENT_LAUNCH(fill_kernel, 1, 256, nullptr, out.ptr, i);
    const auto t1 = std::chrono::steady_clock::now();
    launch_ok("fill_kernel x500");
    auto h = out.download();
    for (int v : h) CHECK_EQ(v, launches - 1);
    const double us = std::chrono::duration<double, std::micro>(t1 - t0).count() / launches;
    std::fprintf(stderr, "  [%s executor] %.1f us per launch of 1 x 256 threads\n", xent_emu::executor(), us);
    // a block reduction per launch, to see the barrier cost
    DeviceBuffer<float> fin(256), fout(2);
    const auto t2 = std::chrono::steady_clock::now();
    for (int i = 0; i < 100; ++i) {
        auto k = helper_sum_kernel<float>;
        XENT_LAUNCH(k, 1, 256, nullptr, (const float*)fin.ptr, 256, fout.ptr);
    }
    const auto t3 = std::chrono::steady_clock::now();
    launch_ok("helper_sum_kernel x100");
    std::fprintf(stderr, "  %.1f us per launch of 1 x 256 threads with 2 block reductions\n",
                 std::chrono::duration<double, std::micro>(t3 - t2).count() / 100);
}

CHECK_MAIN()
