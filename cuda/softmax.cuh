// softmax.cuh: log_softmax, softmax and logsumexp over the class axis.
//
// One online pass computes the row max m and s = sum exp(z - m) together (running max and sum,
// 16-byte packs); logsumexp stops there (B per logit read, 4 bytes per row written). log_softmax
// and softmax make a second pass that re-reads the row (for contiguous rows mostly from L2) and
// writes (z - m) - log s, or its exp: 2B..3B per logit. Output may overwrite the input: a thread
// only writes the elements it read itself.
//  - C <= 32*8*PACK: a warp per row, 8 rows per 256-thread block;
//  - larger C: a 512-thread block per row;
//  - (N, C, d) layouts (inner > 1): a thread per row, consecutive threads on consecutive inner
//    positions (coalesced across the warp at every class step).
// A row of all -inf gives lse = -inf and NaN probabilities, as PyTorch does.
#pragma once

#include "common.cuh"

namespace xent {

enum SoftmaxOp : int { SM_LSE = 0, SM_SOFTMAX = 1, SM_LOG_SOFTMAX = 2 };

struct SmArgs {
    const void* in;
    void* out;    // SM_SOFTMAX / SM_LOG_SOFTMAX: the input's layout (may equal in); SM_LSE: fp32 per row
    int64_t classes, inner, outer_stride;
    int64_t rows;  // derived: outer * inner
};

// ---- kernels -----------------------------------------------------------------------------------

template <typename T, int GROUP, int BLOCK, int OP>
__global__ void XENT_BOUNDS(BLOCK, 1024 / BLOCK) softmax_kernel(SmArgs A) {
    typedef Storage<T> S;
    constexpr int P = S::PACK;
    constexpr int U = sizeof(T) == 4 ? 4 : 2;  // packs in flight per thread (64 registers)
    __shared__ Acc scratch[BLOCK / 32];
    const int lane = GROUP == 1 ? 0 : (GROUP == 32 ? (int)(threadIdx.x & 31) : (int)threadIdx.x);
    const int64_t r = (int64_t)blockIdx.x * (BLOCK / GROUP) + threadIdx.x / GROUP;
    if (r >= A.rows) return;  // uniform over the group
    const int64_t C = A.classes, step = A.inner;
    const int64_t base = A.inner == 1 ? r * A.outer_stride : (r / A.inner) * A.outer_stride + (r % A.inner);
    const T* x = static_cast<const T*>(A.in) + base;
    T* y = OP == SM_LSE ? nullptr : static_cast<T*>(A.out) + base;
    const bool vec = step == 1 && aligned16(x) && (OP == SM_LSE || aligned16(y));

    Acc acc = acc_empty();
    for_each_pack<T, GROUP, U>(x, 0, C, step, vec, lane, [&](int64_t, const float(&v)[P], bool) { acc_pack<P>(acc, v); });
    acc = group_acc<GROUP, BLOCK>(acc, scratch);
    const float logs = expsum_log(acc.s);
    if (OP == SM_LSE) {
        if (lane == 0) static_cast<float*>(A.out)[r] = acc.m + logs;
        return;
    }
    const float ms = safe_max(acc.m);
    // same pack assignment as the first pass: in-place safe
    for_each_pack<T, GROUP, U>(x, 0, C, step, vec, lane, [&](int64_t e0, const float(&v)[P], bool full) {
        float o[P];
#pragma unroll
        for (int i = 0; i < P; ++i) {
            const float lp = (v[i] - ms) - logs;
            o[i] = OP == SM_SOFTMAX ? xexp(lp) : lp;
        }
        store_vals<T>(y, e0, C, step, vec, full, o);
    });
}

// ---- launchers ---------------------------------------------------------------------------------
// Block sizes as in cross_entropy.cuh: 256 threads = 8 rows per block for the warp kernel,
// 512 threads per row above, 256 threads (one row each) for inner > 1.

template <typename T, int OP>
cudaError_t launch_softmax(const SmArgs& A, cudaStream_t st) {
    constexpr int P = Storage<T>::PACK;
    if (A.rows <= 0) return cudaSuccess;
    if (A.inner != 1) {
        auto k = softmax_kernel<T, 1, 256, OP>;
        XENT_LAUNCH(k, dim3((unsigned)((A.rows + 255) / 256)), dim3(256), st, A);
    } else if (A.classes <= 32 * 8 * P) {
        auto k = softmax_kernel<T, 32, 256, OP>;
        XENT_LAUNCH(k, dim3((unsigned)((A.rows + 7) / 8)), dim3(256), st, A);
    } else {
        auto k = softmax_kernel<T, 512, 512, OP>;
        XENT_LAUNCH(k, dim3((unsigned)A.rows), dim3(512), st, A);
    }
    return cudaGetLastError();
}

}  // namespace xent
