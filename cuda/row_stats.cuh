// row_stats.cuh: per-row statistics for evaluation and calibration, with class-index targets and
// a logit scale s (inverse temperature), in one online pass over the row (B per logit read; the
// target logit is read once more first, so the same pass can rank it; 5 floats and 2 int64
// written per row). Nothing is reduced across rows: metrics are formed by the caller.
//
// Per row, with p = softmax(s z), m the row max and S_j = sum_k exp(s (z_k - m)) (z_k - m)^j
// (j = 0, 1, 2, accumulated online against the running max and moved when it moves):
//   lse        = s m + log S_0                        (log-sum-exp of s z)
//   loss       = s (m - z_y) + log S_0                (cross-entropy's way: exact where p_y underflows)
//   confidence = 1 / S_0                              (max_k p_k = exp(s m - lse))
//   mean       = m + S_1 / S_0                        (E_p[z])
//   variance   = max(0, S_2 / S_0 - (S_1 / S_0)^2)    (Var_p[z], relative to the max: no cancellation
//                                                      against m itself)
//   rank       = #{k : z_k > z_y} + #{k < y : z_k == z_y}  (top-k correct iff rank < k; a NaN target
//                                                      logit gets rank C, never correct)
//   predicted  = the first k with z_k = m (NaN logits are passed over)
// A row labelled ignore_index (or, recorded in error_info, with a label out of range) gets loss 0
// and rank -1; its other statistics are computed as usual. Masked (-inf) logits weigh 0.
//  - C <= 32*8*PACK: a warp per row, 8 rows per 256-thread block;
//  - larger C: a 512-thread block per row;
//  - (N, C, d) layouts (inner > 1): a thread per row, consecutive threads on consecutive inner
//    positions (coalesced across the warp at every class step).
#pragma once

#include "common.cuh"

namespace xent {

enum RowStat : int { RS_LSE = 0, RS_LOSS = 1, RS_CONFIDENCE = 2, RS_MEAN = 3, RS_VARIANCE = 4, RS_FLOATS = 5 };

struct RowStatsArgs {
    const void* logits;
    const void* labels;
    int lab64;            // derived: labels are int64
    int64_t ignore_index;
    float logit_scale;
    float* stats;         // RS_FLOATS * rows: statistic j of row r at stats[j * rows + r]
    int64_t* indices;     // 2 * rows: rank at [r], predicted class at [rows + r]
    int64_t* error_info;
    int64_t classes, inner, outer_stride;
    int64_t rows;         // derived: outer * inner
};

// Online moments of a row under p = softmax(s z), relative to the running max m; S_0 an ExpSum
// (common.cuh), so that a confident row's loss keeps its digits.
struct StatAcc {
    float m;
    ExpSum s0;
    float s1, s2;
    long long arg, rank;  // first index of m (LLONG_MAX while none); elements ranked above the target
};

constexpr long long NO_INDEX = 0x7fffffffffffffffLL;

XENT_DEV StatAcc stat_empty() {
    StatAcc a;
    a.m = neg_inf(); a.s0 = expsum_empty(); a.s1 = 0.f; a.s2 = 0.f; a.arg = NO_INDEX; a.rank = 0;
    return a;
}

// Moves the moments from reference a.m to mn >= a.m: with d = a.m - mn and f = exp(s d),
// S_0' = f S_0, S_1' = f (S_1 + d S_0), S_2' = f (S_2 + 2 d S_1 + d^2 S_0).
XENT_DEV void stat_rebase(StatAcc& a, float mn, float scale) {
    if (mn == a.m) return;
    if (a.m == neg_inf()) {  // nothing weighed yet (or only -inf): the sums stay 0
        a.m = mn;
        return;
    }
    const float d = a.m - mn;
    const float f = xexp(scale * d);
    const float s0 = expsum_total(a.s0);
    a.s2 = f * (a.s2 + d * (2.f * a.s1 + d * s0));
    a.s1 = f * (a.s1 + d * s0);
    expsum_rebase(a.s0, false, f);
    a.m = mn;
}

XENT_DEV StatAcc stat_merge(StatAcc a, StatAcc b, float scale) {
    StatAcc r;
    r.m = fmaxf(a.m, b.m);
    r.arg = a.m == r.m ? (b.m == r.m && b.arg < a.arg ? b.arg : a.arg) : b.m == r.m ? b.arg : NO_INDEX;
    stat_rebase(a, r.m, scale);
    stat_rebase(b, r.m, scale);
    r.s0 = expsum_plus(a.s0, b.s0); r.s1 = a.s1 + b.s1; r.s2 = a.s2 + b.s2;
    r.rank = a.rank + b.rank;
    return r;
}

// One pack of logits v at elements e0.. (padding past C is -inf and never ranks above the target).
template <int P>
XENT_DEV void stat_pack(StatAcc& a, const float (&v)[P], int64_t e0, float zy, int64_t y, float scale) {
    float pm = v[0];
#pragma unroll
    for (int i = 1; i < P; ++i) pm = fmaxf(pm, v[i]);
    // Packs come in increasing element order within a thread: only a strictly larger max (or the
    // first one seen) moves the argmax, so it stays the first maximum.
    if (pm > a.m || (pm == a.m && a.arg == NO_INDEX)) {
        int first = P;
#pragma unroll
        for (int i = P - 1; i >= 0; --i)
            if (v[i] == pm) first = i;
        if (first < P) {
            stat_rebase(a, pm, scale);
            a.arg = e0 + first;
        }
    }
    const float ms = safe_max(a.m);
#pragma unroll
    for (int i = 0; i < P; ++i) {
        const float d = v[i] - ms;
        const float e = xexp(scale * d);
        if (e != 0.f) {  // a masked logit weighs 0: skip it rather than form 0 * -inf (NaN still counts)
            expsum_add(a.s0, e, v[i] == ms);
            a.s1 += e * d;
            a.s2 += e * d * d;
        }
        a.rank += (v[i] > zy || (v[i] == zy && e0 + i < y)) ? 1 : 0;
    }
}

XENT_DEV StatAcc shfl_stat(const StatAcc& a, int lane_xor) {
    StatAcc r;
    r.m = __shfl_xor_sync(FULL_MASK, a.m, lane_xor);
    r.s0 = shfl_xor_expsum(a.s0, lane_xor);
    r.s1 = __shfl_xor_sync(FULL_MASK, a.s1, lane_xor);
    r.s2 = __shfl_xor_sync(FULL_MASK, a.s2, lane_xor);
    r.arg = __shfl_xor_sync(FULL_MASK, a.arg, lane_xor);
    r.rank = __shfl_xor_sync(FULL_MASK, a.rank, lane_xor);
    return r;
}

XENT_DEV StatAcc bcast_stat(const StatAcc& a) {
    StatAcc r;
    r.m = __shfl_sync(FULL_MASK, a.m, 0);
    r.s0 = shfl_expsum(a.s0, 0);
    r.s1 = __shfl_sync(FULL_MASK, a.s1, 0);
    r.s2 = __shfl_sync(FULL_MASK, a.s2, 0);
    r.arg = __shfl_sync(FULL_MASK, a.arg, 0);
    r.rank = __shfl_sync(FULL_MASK, a.rank, 0);
    return r;
}

XENT_DEV StatAcc warp_stat(StatAcc a, float scale) {
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) a = stat_merge(a, shfl_stat(a, o), scale);
    return bcast_stat(a);
}

// As group_acc in common.cuh: a thread, a warp or a block per row; lane 0 ends with the result.
template <int GROUP, int BLOCK>
XENT_DEV StatAcc group_stat(StatAcc a, StatAcc* scratch, float scale) {
    if (GROUP == 1) return a;
    a = warp_stat(a, scale);
    if (GROUP == 32) return a;
    constexpr int NW = BLOCK / 32;
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    if (lane == 0) scratch[warp] = a;
    __syncthreads();
    StatAcc b = lane < NW ? scratch[lane] : stat_empty();
    __syncthreads();
    return warp_stat(b, scale);
}

// ---- kernels -----------------------------------------------------------------------------------

template <typename T, int GROUP, int BLOCK>
__global__ void XENT_BOUNDS(BLOCK, 1024 / BLOCK) row_stats_kernel(RowStatsArgs A) {
    typedef Storage<T> S;
    constexpr int P = S::PACK;
    constexpr int U = sizeof(T) == 4 ? 4 : 2;
    __shared__ StatAcc scratch[BLOCK / 32];
    const int lane = GROUP == 1 ? 0 : (GROUP == 32 ? (int)(threadIdx.x & 31) : (int)threadIdx.x);
    const int64_t r = (int64_t)blockIdx.x * (BLOCK / GROUP) + threadIdx.x / GROUP;
    if (r >= A.rows) return;  // uniform over the group
    const int64_t C = A.classes, step = A.inner;
    const int64_t base = A.inner == 1 ? r * A.outer_stride : (r / A.inner) * A.outer_stride + (r % A.inner);
    const T* x = static_cast<const T*>(A.logits) + base;
    const bool vec = step == 1 && aligned16(x);
    const float scale = A.logit_scale;

    const int64_t label = load_label(A.labels, A.lab64, r);
    const bool bad = label != A.ignore_index && (label < 0 || label >= C);
    const bool counted = label != A.ignore_index && !bad;
    const int64_t y = counted ? label : C;  // C: every element counts only when strictly above
    const float zy = counted ? S::load(x + y * step) : pos_inf();

    StatAcc acc = stat_empty();
    for_each_pack<T, GROUP, U>(x, 0, C, step, vec, lane, [&](int64_t e0, const float(&v)[P], bool) {
        stat_pack<P>(acc, v, e0, zy, y, scale);
    });
    acc = group_stat<GROUP, BLOCK>(acc, scratch, scale);
    if (lane != 0) return;
    if (bad) record_bad_label(A.error_info, r, label);
    const float ms = safe_max(acc.m);
    const float s0 = expsum_total(acc.s0);
    const float logs = expsum_log(acc.s0);
    const float mean1 = acc.s1 / s0;
    const int64_t n = A.rows;
    A.stats[RS_LSE * n + r] = scale * acc.m + logs;
    A.stats[RS_LOSS * n + r] = counted ? scale * (acc.m - zy) + logs : 0.f;
    A.stats[RS_CONFIDENCE * n + r] = s0 > 0.f ? 1.f / s0 : nan_f();
    A.stats[RS_MEAN * n + r] = ms + mean1;
    const float variance = acc.s2 / s0 - mean1 * mean1;
    A.stats[RS_VARIANCE * n + r] = variance < 0.f ? 0.f : variance;  // not fmaxf: a masked row's NaN stays NaN
    A.indices[r] = !counted ? -1 : zy != zy ? (long long)C : acc.rank;
    A.indices[n + r] = acc.arg == NO_INDEX ? 0 : acc.arg;
}

// ---- launchers ---------------------------------------------------------------------------------
// Shapes as in softmax.cuh: a warp per row (8 per block), a 512-thread block per row, or a thread
// per row for inner > 1.

template <typename T>
cudaError_t launch_row_stats(const RowStatsArgs& A, cudaStream_t st) {
    constexpr int P = Storage<T>::PACK;
    if (A.rows <= 0) return cudaSuccess;
    if (A.inner != 1) {
        auto k = row_stats_kernel<T, 1, 256>;
        XENT_LAUNCH(k, dim3((unsigned)((A.rows + 255) / 256)), dim3(256), st, A);
    } else if (A.classes <= 32 * 8 * P) {
        auto k = row_stats_kernel<T, 32, 256>;
        XENT_LAUNCH(k, dim3((unsigned)((A.rows + 7) / 8)), dim3(256), st, A);
    } else {
        auto k = row_stats_kernel<T, 512, 512>;
        XENT_LAUNCH(k, dim3((unsigned)A.rows), dim3(512), st, A);
    }
    return cudaGetLastError();
}

}  // namespace xent
