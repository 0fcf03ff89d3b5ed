// loss_reduce.cuh: the one-block kernels the loss families other than cross-entropy share around
// their row kernels: the MEAN denominators before (sum of w[y] over rows not ignored, in double,
// fixed order) and the reduction of per-row values after (double, fixed order). No float atomics:
// results are bitwise reproducible. Templates, so every translation unit may include this header.
#pragma once

#include "common.cuh"

namespace xent {

constexpr int LOSS_REDUCE_BLOCK = 512;

// *label_den = sum over rows with a label in [0, C) other than ignore_index of w[y] (1 without
// weights) when `mean`, else 1; labels null: 1. *row_den (if not null) = batch when `mean`, else 1.
template <int BLOCK>
__global__ void XENT_BOUNDS(BLOCK, 1)
    denominators_kernel(const void* labels, int lab64, int64_t rows, int64_t C, int64_t ignore_index,
                        const float* weight, int mean, float* label_den, int64_t batch, float* row_den) {
    __shared__ double scratch[BLOCK / 32];
    double den = 1.0;
    if (mean && labels != nullptr) {
        double acc = 0.0;
        for (int64_t r = threadIdx.x; r < rows; r += BLOCK) {
            const int64_t y = load_label(labels, lab64, r);
            if (y != ignore_index && y >= 0 && y < C) acc += weight ? (double)weight[y] : 1.0;
        }
        den = block_sum_d<BLOCK>(acc, scratch);
    }
    if (threadIdx.x == 0) {
        *label_den = (float)den;
        if (row_den) *row_den = mean ? (float)batch : 1.0f;
    }
}

// *out = ca * sum(a) / *da + cb * sum(b) / *db over `rows` values; a term whose coefficient is 0
// is left out (so an infinite or NaN sum it does not use cannot leak in); b may be null.
template <int BLOCK>
__global__ void XENT_BOUNDS(BLOCK, 1)
    combine_rows_kernel(const float* a, float ca, const float* da, const float* b, float cb, const float* db,
                        int64_t rows, float* out) {
    __shared__ double scratch[BLOCK / 32];
    double sa = 0.0, sb = 0.0;
    for (int64_t r = threadIdx.x; r < rows; r += BLOCK) {
        if (ca != 0.0f) sa += (double)a[r];
        if (b != nullptr && cb != 0.0f) sb += (double)b[r];
    }
    sa = block_sum_d<BLOCK>(sa, scratch);
    sb = block_sum_d<BLOCK>(sb, scratch);
    if (threadIdx.x == 0) {
        double total = 0.0;
        if (ca != 0.0f) total += (double)ca * (sa / (double)*da);
        if (b != nullptr && cb != 0.0f) total += (double)cb * (sb / (double)*db);
        *out = (float)total;
    }
}

}  // namespace xent
