// elementwise.cuh: the element-wise losses (BCE with logits, Gaussian, Laplace and Poisson NLL),
// forward alone or loss + gradient fused, one kernel family with the op as a template parameter.
//
// One pass: a grid-stride loop over 16-byte packs of the input (and of the target, and of the
// gradient when fused) reads each input and target element once and writes each gradient element
// once: 2B read + B written per element fused, 2B forward (B = bytes of one element), plus 4 bytes
// per element for an fp32 per-element loss, weight or variance when given. The sum of the losses
// goes into one fp32 partial per block (thread sums in fp32, the block's sum in double), then
// `ew_reduce_kernel` (one block, double, fixed order) writes workspace[0]. The grid depends only
// on the element count, so results are bitwise reproducible; no float atomics, no host sync.
//
// The gradient w.r.t. a broadcast variance or scale sums the per-element gradients that share an
// entry, without atomics: one value (SCALAR) is summed like the loss, a second partial per block
// that ew_reduce_kernel adds in the same fixed order into scale_grad[0]; one per row (PER_ROW)
// takes `ew_row_kernel` instead, a group of threads per row (1, a warp or the block, by the row's
// length) whose fixed-order group sum is the row's entry. Same data moved, element loads instead
// of 16-byte packs there.
//
// Arithmetic is fp32 whatever the storage type; losses and aux tensors (weights, variances) fp32.
// A bad element (BCE target outside [0, 1], negative variance, scale, count or rate) contributes
// loss 0 and gradient 0 and, if error_info[0] is still -1, records (element, tensor << 32 | bits)
// there (see xent.h). Workspace (fp32): [0] reduced loss, [1] element count, [2..4) unused, then
// one loss partial per block, then (SCALAR scale_grad) one scale-gradient partial per block: see
// ew_workspace_floats().
#pragma once

#include "common.cuh"

namespace xent {

enum EwOp : int { EW_BCE = 0, EW_GAUSSIAN = 1, EW_LAPLACE = 2, EW_POISSON = 3 };

// How an fp32 aux tensor of the element e (flat index, last-axis length L) is indexed.
enum EwBroadcast : int {
    EW_PER_ELEMENT = 0,  // aux[e]
    EW_PER_LAST = 1,     // aux[e % L]: one per class (BCE weight, pos_weight)
    EW_PER_ROW = 2,      // aux[e / L]: one per row (input's shape with last axis 1)
    EW_SCALAR = 3        // aux[0]
};

// Which tensor a recorded bad value came from (high half of error_info[1]).
enum EwBadTensor : int { EW_BAD_TARGET = 0, EW_BAD_AUX = 1, EW_BAD_INPUT = 2 };

struct EwArgs {
    const void* input;       // storage type T
    const void* target;      // storage type T, the input's shape
    void* grad;              // w.r.t. the input (T) or null: forward only; may equal input
    const float* weight;     // BCE: weight or null
    int weight_broadcast;
    const float* pos_weight; // BCE: classes values (one per entry of the last axis) or null
    const float* scale;      // Gaussian: variance; Laplace: scale
    int scale_broadcast;
    float* scale_grad;       // Gaussian/Laplace: gradient w.r.t. the scale (its broadcast shape), or null
    int64_t count, classes;  // elements, length of the last axis (>= 1)
    int reduction;
    const float* upstream;   // null: 1; SUM/MEAN: 1 value; NONE: count values
    float* loss;             // per-element losses or null
    float* workspace;
    int64_t* error_info;
    int full, log_input;
    float eps;
};

constexpr int EW_BLOCK = 256;
constexpr int64_t EW_MAX_BLOCKS = 1024;  // ~8 blocks of 256 per SM on the largest GPUs
constexpr int WS_EW_PARTIALS = 4;
constexpr float LOG_2PI = 1.8378770664093453f;
constexpr float LOG_2 = 0.6931471805599453f;

template <typename T>
inline int64_t ew_blocks(int64_t n) {
    const int64_t packs = (n + Storage<T>::PACK - 1) / Storage<T>::PACK;
    const int64_t b = (packs + EW_BLOCK - 1) / EW_BLOCK;
    return b < 1 ? 1 : (b > EW_MAX_BLOCKS ? EW_MAX_BLOCKS : b);
}

// Enough for every storage type (fp32 packs are the smallest, so they need the most blocks) and
// both partials (loss, SCALAR scale gradient); ew_row_kernel's grid is capped to fit it too.
inline int64_t ew_workspace_floats(int64_t n) { return WS_EW_PARTIALS + 2 * ew_blocks<float>(n < 0 ? 0 : n); }

XENT_DEV float ew_aux(const float* a, int mode, int64_t e, int64_t last) {
    switch (mode) {
        case EW_PER_ELEMENT: return a[e];
        case EW_PER_LAST: return a[e % last];
        case EW_PER_ROW: return a[e / last];
        default: return a[0];
    }
}

XENT_DEV void record_bad_value(int64_t* error_info, int64_t e, int tensor, float v) {
    if (error_info == nullptr) return;
    unsigned long long* slot = reinterpret_cast<unsigned long long*>(error_info);
    unsigned long long prev = atomicCAS(slot, 0xffffffffffffffffull, (unsigned long long)e);
    if (prev == 0xffffffffffffffffull) error_info[1] = ((int64_t)tensor << 32) | (int64_t)float_to_bits(v);
}

// Loss of one element and its gradient factors: d loss / d x = dx, d loss / d aux = da.
struct EwOut {
    float loss, dx, da;
    int bad;      // EwBadTensor + 1, or 0
    float badv;
};

template <int OP>
XENT_DEV EwOut ew_element(const EwArgs& A, int64_t e, float x, float t) {
    EwOut o{0.0f, 0.0f, 0.0f, 0, 0.0f};
    if (OP == EW_BCE) {
        if (!(t >= 0.0f && t <= 1.0f)) return EwOut{0.0f, 0.0f, 0.0f, EW_BAD_TARGET + 1, t};
        const float w = A.weight ? ew_aux(A.weight, A.weight_broadcast, e, A.classes) : 1.0f;
        const float pw = A.pos_weight ? ew_aux(A.pos_weight, EW_PER_LAST, e, A.classes) : 1.0f;
        const float c = 1.0f + (pw - 1.0f) * t;
        const float ex = expf(-fabsf(x));  // in (0, 1]: never overflows
        // sigmoid(x) c - pw t rewritten as (1-t) sigmoid(x) - pw t sigmoid(-x): no cancellation at t = 0 or 1
        const float r = 1.0f / (1.0f + ex);
        const float sig_pos = x >= 0.0f ? r : ex * r, sig_neg = x >= 0.0f ? ex * r : r;
        // (1-t) x + c (log1p(exp(-|x|)) + max(-x, 0)) regrouped into non-negative terms (no
        // cancellation); a term whose coefficient is 0 is 0 even at x = +-inf (the limit)
        const float a = 1.0f - t, b = pw * t;
        o.loss = w * ((a != 0.0f ? a * fmaxf(x, 0.0f) : 0.0f) + (b != 0.0f ? b * fmaxf(-x, 0.0f) : 0.0f) + c * log1pf(ex));
        o.dx = w * ((1.0f - t) * sig_pos - pw * t * sig_neg);
    } else if (OP == EW_GAUSSIAN || OP == EW_LAPLACE) {
        const float raw = ew_aux(A.scale, A.scale_broadcast, e, A.classes);
        if (raw < 0.0f) return EwOut{0.0f, 0.0f, 0.0f, EW_BAD_AUX + 1, raw};
        const float v = raw < A.eps ? A.eps : raw;  // clamped as PyTorch's clamp_: NaN stays NaN
        const float d = x - t;
        if (OP == EW_GAUSSIAN) {
            const float q = d / v;
            o.loss = 0.5f * (logf(v) + d * q) + (A.full ? 0.5f * LOG_2PI : 0.0f);
            o.dx = q;
            o.da = 0.5f * (1.0f / v - q * q);
        } else {
            const float ad = fabsf(d);
            o.loss = logf(v) + ad / v + (A.full ? LOG_2 : 0.0f);
            o.dx = d > 0.0f ? 1.0f / v : (d < 0.0f ? -1.0f / v : 0.0f);
            o.da = 1.0f / v - ad / (v * v);
        }
    } else {  // EW_POISSON
        if (t < 0.0f) return EwOut{0.0f, 0.0f, 0.0f, EW_BAD_TARGET + 1, t};
        if (A.log_input) {
            const float ex = expf(x);
            o.loss = ex - t * x;
            o.dx = ex - t;
        } else {
            if (x < 0.0f) return EwOut{0.0f, 0.0f, 0.0f, EW_BAD_INPUT + 1, x};
            o.loss = x - t * logf(x + A.eps);
            o.dx = 1.0f - t / (x + A.eps);
        }
        if (A.full && t > 1.0f) o.loss += t * logf(t) - t + 0.5f * logf(2.0f * 3.14159265358979323846f * t);
    }
    return o;
}

// ---- kernels -----------------------------------------------------------------------------------

// The gradient's scale under SUM and MEAN: upstream (1 if none), divided by n under MEAN. NONE
// takes upstream[e] per element (1 if none).
XENT_DEV float ew_scale(const EwArgs& A) {
    const float up = A.upstream && A.reduction != RED_NONE ? A.upstream[0] : 1.0f;
    return A.reduction == RED_MEAN ? up / (float)A.count : up;
}

// Block b writes its loss sum to ws[WS_EW_PARTIALS + b]. FUSED: also the gradient and, for a
// PER_ELEMENT scale, scale_grad; a SCALAR one's partial goes to ws[WS_EW_PARTIALS + gridDim.x + b].
template <typename T, int OP, bool FUSED>
__global__ void XENT_BOUNDS(EW_BLOCK, 1) ew_kernel(EwArgs A) {
    typedef Storage<T> S;
    constexpr int P = S::PACK;
    __shared__ double scratch[EW_BLOCK / 32];
    const T* x = static_cast<const T*>(A.input);
    const T* t = static_cast<const T*>(A.target);
    T* g = FUSED ? static_cast<T*>(A.grad) : nullptr;
    const bool vec = aligned16(x) && aligned16(t) && (!FUSED || aligned16(g));
    const float scale = ew_scale(A);
    const bool summed_scale = FUSED && A.scale_grad && A.scale_broadcast == EW_SCALAR;
    const int64_t packs = (A.count + P - 1) / P;
    float sum = 0.0f, scale_sum = 0.0f;
    for (int64_t j = (int64_t)blockIdx.x * EW_BLOCK + threadIdx.x; j < packs; j += (int64_t)gridDim.x * EW_BLOCK) {
        const int64_t e0 = j * P;
        const bool full = e0 + P <= A.count;
        float xv[P], tv[P], gv[P];
        load_vals<T>(x, e0, A.count, 1, vec, full, xv, 0.0f);
        load_vals<T>(t, e0, A.count, 1, vec, full, tv, 0.0f);
#pragma unroll
        for (int i = 0; i < P; ++i) {
            const int64_t e = e0 + i;
            gv[i] = 0.0f;
            if (!full && e >= A.count) continue;
            const EwOut o = ew_element<OP>(A, e, xv[i], tv[i]);
            if (o.bad) record_bad_value(A.error_info, e, o.bad - 1, o.badv);
            sum += o.loss;
            if (A.loss) A.loss[e] = o.loss;
            if (FUSED) {
                const float s = A.reduction == RED_NONE && A.upstream ? A.upstream[e] : scale;
                gv[i] = s * o.dx;
                if (summed_scale) scale_sum += s * o.da;
                else if (A.scale_grad) A.scale_grad[e] = s * o.da;
            }
        }
        if (FUSED) store_vals<T>(g, e0, A.count, 1, vec, full, gv);
    }
    const double total = block_sum_d<EW_BLOCK>((double)sum, scratch);
    if (threadIdx.x == 0) A.workspace[WS_EW_PARTIALS + blockIdx.x] = (float)total;
    if (summed_scale) {  // uniform across the block
        const double scale_total = block_sum_d<EW_BLOCK>((double)scale_sum, scratch);
        if (threadIdx.x == 0) A.workspace[WS_EW_PARTIALS + gridDim.x + blockIdx.x] = (float)scale_total;
    }
}

// Sum over a group of GROUP threads (1, 32 or EW_BLOCK) in a fixed order; every thread of the
// group must call it and gets the result.
template <int GROUP>
XENT_DEV double ew_group_sum(double v, double* scratch) {
    if (GROUP == 1) return v;
    if (GROUP == 32) return warp_sum_d(v);
    return block_sum_d<EW_BLOCK>(v, scratch);
}

// FUSED with a PER_ROW scale_grad: a group of GROUP threads per row (EW_BLOCK / GROUP rows per
// block at a time, the grid striding over rows), lane k of a group on the row's elements k,
// k + GROUP, ...; scale_grad[r] = the group's sum of row r's element gradients. The loss partials
// are ew_kernel's.
template <typename T, int OP, int GROUP>
__global__ void XENT_BOUNDS(EW_BLOCK, 1) ew_row_kernel(EwArgs A) {
    typedef Storage<T> S;
    constexpr int ROWS = EW_BLOCK / GROUP;  // rows per block at a time
    __shared__ double scratch[EW_BLOCK / 32];
    const T* x = static_cast<const T*>(A.input);
    const T* t = static_cast<const T*>(A.target);
    T* g = static_cast<T*>(A.grad);
    const int lane = GROUP == 1 ? 0 : (GROUP == 32 ? (int)(threadIdx.x & 31) : (int)threadIdx.x);
    const int64_t rows = A.count / A.classes;
    const float scale = ew_scale(A);
    float sum = 0.0f;
    // every group runs the same iterations: the group sum needs all its threads
    for (int64_t r0 = (int64_t)blockIdx.x * ROWS; r0 < rows; r0 += (int64_t)gridDim.x * ROWS) {
        const int64_t r = r0 + threadIdx.x / GROUP;
        float row_sum = 0.0f;
        if (r < rows) {
            for (int64_t k = lane; k < A.classes; k += GROUP) {
                const int64_t e = r * A.classes + k;
                const EwOut o = ew_element<OP>(A, e, S::load(x + e), S::load(t + e));
                if (o.bad) record_bad_value(A.error_info, e, o.bad - 1, o.badv);
                sum += o.loss;
                if (A.loss) A.loss[e] = o.loss;
                const float s = A.reduction == RED_NONE && A.upstream ? A.upstream[e] : scale;
                S::store(g + e, s * o.dx);
                row_sum += s * o.da;
            }
        }
        const double row_total = ew_group_sum<GROUP>((double)row_sum, scratch);
        if (r < rows && lane == 0) A.scale_grad[r] = (float)row_total;
    }
    const double total = block_sum_d<EW_BLOCK>((double)sum, scratch);
    if (threadIdx.x == 0) A.workspace[WS_EW_PARTIALS + blockIdx.x] = (float)total;
}

// One block: ws[0] = sum of the block partials (MEAN: divided by n), ws[1] = n; with
// `scalar_grad` (a SCALAR scale_grad), scalar_grad[0] = the sum of the scale partials. Double,
// fixed order.
__global__ void XENT_BOUNDS(EW_BLOCK, 1) ew_reduce_kernel(float* ws, int64_t blocks, int64_t n, int reduction,
                                                          float* scalar_grad) {
    __shared__ double scratch[EW_BLOCK / 32];
    double acc = 0.0, scale_acc = 0.0;
    for (int64_t b = threadIdx.x; b < blocks; b += EW_BLOCK) {
        acc += (double)ws[WS_EW_PARTIALS + b];
        if (scalar_grad) scale_acc += (double)ws[WS_EW_PARTIALS + blocks + b];
    }
    const double total = block_sum_d<EW_BLOCK>(acc, scratch);
    if (threadIdx.x == 0) {
        ws[0] = reduction == RED_MEAN ? (float)(total / (double)n) : (float)total;  // n = 0: 0/0 = NaN
        ws[1] = (float)n;
    }
    if (scalar_grad) {
        const double scale_total = block_sum_d<EW_BLOCK>(scale_acc, scratch);
        if (threadIdx.x == 0) scalar_grad[0] = (float)scale_total;  // no elements: 0
    }
}

// ---- launchers ---------------------------------------------------------------------------------

// ew_row_kernel with a group per row; grid capped to the workspace's partials.
template <typename T, int OP, int GROUP>
cudaError_t launch_ew_rows(const EwArgs& A, int64_t blocks, cudaStream_t st) {
    auto k = ew_row_kernel<T, OP, GROUP>;
    XENT_LAUNCH(k, dim3((unsigned)blocks), dim3(EW_BLOCK), st, A);
    return cudaGetLastError();
}

template <typename T, int OP>
cudaError_t launch_ew(const EwArgs& A, cudaStream_t st) {
    int64_t blocks = A.count > 0 ? ew_blocks<T>(A.count) : 0;
    bool row_sums = false;  // a PER_ROW scale_grad: ew_row_kernel instead of ew_kernel
    if constexpr (OP == EW_GAUSSIAN || OP == EW_LAPLACE) {
        row_sums = blocks > 0 && A.grad != nullptr && A.scale_grad != nullptr && A.scale_broadcast == EW_PER_ROW;
        if (row_sums) {
            // a thread per short row, a warp per row up to 32 * 128 elements, else the block
            const int group = A.classes < 32 ? 1 : (A.classes <= 32 * 128 ? 32 : EW_BLOCK);
            const int64_t rows = A.count / A.classes, per_block = EW_BLOCK / group;
            const int64_t want = (rows + per_block - 1) / per_block, cap = ew_blocks<float>(A.count);
            blocks = want < cap ? want : cap;
            cudaError_t e = group == 1 ? launch_ew_rows<T, OP, 1>(A, blocks, st)
                            : group == 32 ? launch_ew_rows<T, OP, 32>(A, blocks, st)
                                          : launch_ew_rows<T, OP, EW_BLOCK>(A, blocks, st);
            if (e != cudaSuccess) return e;
        }
    }
    if (blocks > 0 && !row_sums) {
        if (A.grad != nullptr) {
            auto k = ew_kernel<T, OP, true>;
            XENT_LAUNCH(k, dim3((unsigned)blocks), dim3(EW_BLOCK), st, A);
        } else {
            auto k = ew_kernel<T, OP, false>;
            XENT_LAUNCH(k, dim3((unsigned)blocks), dim3(EW_BLOCK), st, A);
        }
        cudaError_t e = cudaGetLastError();
        if (e != cudaSuccess) return e;
    }
    float* scalar_grad = A.grad != nullptr && A.scale_broadcast == EW_SCALAR ? A.scale_grad : nullptr;
    auto r = ew_reduce_kernel;
    XENT_LAUNCH(r, dim3(1), dim3(EW_BLOCK), st, A.workspace, blocks, A.count, A.reduction, scalar_grad);
    return cudaGetLastError();
}

}  // namespace xent
