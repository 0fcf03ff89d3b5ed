// nll.cuh: PyTorch's nll_loss on log-probabilities x (N, C) or (N, C, d1..dk) with class-index
// targets: loss_i = -w[y_i] x[i, y_i], ignored rows 0; MEAN divides by the sum of w[y_i] over rows
// not ignored (every row ignored: 0 / 0 = NaN, as PyTorch).
//
// What it costs: the forward reads one element per row (a gather at the label), 4 bytes of loss
// per row written; the gradient is -s_i w[y_i] at y_i and 0 elsewhere, so the backward reads no
// logit at all and writes every gradient element once (B per element, the floor of writing it).
//  - loss: a thread per row (the one gather per row is the whole cost);
//  - gradient: a grid-stride pass over the elements in memory order ((N, C, d) layouts included),
//    each thread finding its row's label (cached: consecutive elements share it).
// Around them: denominators_kernel before and combine_rows_kernel after (loss_reduce.cuh).
// A label outside [0, C) that is not ignore_index: the row contributes 0 loss and 0 gradient and
// error_info records (row, label). The gradient may overwrite the input: the loss kernel has read
// x[i, y_i] before the gradient kernel runs (stream order).
#pragma once

#include "loss_reduce.cuh"

namespace xent {

struct NllArgs {
    const void* input;    // log-probabilities
    void* grad;           // or null (forward only); may equal input
    const void* labels;
    int lab64;            // derived: labels are int64
    int reduction;        // RED_* of cross_entropy.cuh's numbering: 0 none, 1 sum, 2 mean
    const float* weight;  // classes class weights or null
    int64_t classes, inner, outer_stride;
    int64_t rows;         // derived: outer * inner
    int64_t ignore_index;
    const float* upstream;  // null: 1
    float* row_loss;        // never null (the API substitutes workspace + NLL_WS_ROWS)
    float* workspace;       // [0] reduced loss, [1] denominator
    int64_t* error_info;
};

constexpr int NLL_WS_ROWS = 4;  // per-row loss scratch in the workspace starts here
constexpr int NLL_THREADS = 256;

XENT_DEV bool nll_active(const NllArgs& A, int64_t y) {
    return y != A.ignore_index && y >= 0 && y < A.classes;
}

// ---- kernels -----------------------------------------------------------------------------------

template <typename T>
__global__ void XENT_BOUNDS(NLL_THREADS, 4) nll_loss_kernel(NllArgs A) {
    const int64_t r = (int64_t)blockIdx.x * NLL_THREADS + threadIdx.x;
    if (r >= A.rows) return;
    const int64_t y = load_label(A.labels, A.lab64, r);
    float loss = 0.0f;
    if (nll_active(A, y)) {
        const int64_t at = (r / A.inner) * A.outer_stride + (r % A.inner) + y * A.inner;
        loss = -(A.weight ? A.weight[y] : 1.0f) * Storage<T>::load(static_cast<const T*>(A.input) + at);
    } else if (y != A.ignore_index) {
        record_bad_label(A.error_info, r, y);
    }
    A.row_loss[r] = loss;
}

template <typename T>
__global__ void XENT_BOUNDS(NLL_THREADS, 4) nll_grad_kernel(NllArgs A) {
    const int64_t span = A.classes * A.inner;  // elements of one batch entry
    const int64_t total = (A.rows / A.inner) * span;
    T* g = static_cast<T*>(A.grad);
    for (int64_t e = (int64_t)blockIdx.x * NLL_THREADS + threadIdx.x; e < total;
         e += (int64_t)gridDim.x * NLL_THREADS) {
        const int64_t o = e / span, rem = e - o * span;
        const int64_t k = rem / A.inner, i = rem - k * A.inner;
        const int64_t r = o * A.inner + i;
        const int64_t y = load_label(A.labels, A.lab64, r);
        float v = 0.0f;
        if (k == y && nll_active(A, y)) {
            float u = A.upstream ? A.upstream[A.reduction == RED_NONE ? r : 0] : 1.0f;
            if (A.reduction == RED_MEAN) u = u / A.workspace[1];
            v = -u * (A.weight ? A.weight[y] : 1.0f);
        }
        Storage<T>::store(g + o * A.outer_stride + rem, v);
    }
}

// ---- launchers ---------------------------------------------------------------------------------
// denominator (one block), loss (a thread per row, 256 per block), reduction (one block), then the
// gradient (256 threads, at most 8192 blocks striding over the elements).

template <typename T>
cudaError_t launch_nll(NllArgs A, cudaStream_t st) {
    cudaError_t e;
    {
        auto k = denominators_kernel<LOSS_REDUCE_BLOCK>;
        XENT_LAUNCH(k, dim3(1), dim3(LOSS_REDUCE_BLOCK), st, A.labels, A.lab64, A.rows, A.classes, A.ignore_index,
                    A.weight, A.reduction == RED_MEAN ? 1 : 0, A.workspace + 1, (int64_t)0, (float*)nullptr);
        if ((e = cudaGetLastError()) != cudaSuccess) return e;
    }
    if (A.rows > 0) {
        auto k = nll_loss_kernel<T>;
        XENT_LAUNCH(k, dim3((unsigned)((A.rows + NLL_THREADS - 1) / NLL_THREADS)), dim3(NLL_THREADS), st, A);
        if ((e = cudaGetLastError()) != cudaSuccess) return e;
    }
    {
        auto k = combine_rows_kernel<LOSS_REDUCE_BLOCK>;
        XENT_LAUNCH(k, dim3(1), dim3(LOSS_REDUCE_BLOCK), st, (const float*)A.row_loss, 1.0f, (const float*)(A.workspace + 1),
                    (const float*)nullptr, 0.0f, (const float*)nullptr, A.rows, A.workspace);
        if ((e = cudaGetLastError()) != cudaSuccess) return e;
    }
    if (A.grad != nullptr && A.rows > 0) {
        const int64_t total = A.rows * A.classes;
        const int64_t blocks = (total + NLL_THREADS - 1) / NLL_THREADS;
        auto k = nll_grad_kernel<T>;
        XENT_LAUNCH(k, dim3((unsigned)(blocks < 8192 ? blocks : 8192)), dim3(NLL_THREADS), st, A);
        if ((e = cudaGetLastError()) != cudaSuccess) return e;
    }
    return cudaSuccess;
}

}  // namespace xent
