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
// Arithmetic is fp32 whatever the storage type; losses and aux tensors (weights, variances) fp32.
// A bad element (BCE target outside [0, 1], negative variance, scale, count or rate) contributes
// loss 0 and gradient 0 and, if error_info[0] is still -1, records (element, tensor << 32 | bits)
// there (see xent.h). Workspace (fp32): [0] reduced loss, [1] element count, [2..4) unused, then
// one partial per block: see ew_workspace_floats().
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
    float* scale_grad;       // Gaussian/Laplace: gradient w.r.t. a per-element scale, or null
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

// Enough for every storage type (fp32 packs are the smallest, so they need the most blocks).
inline int64_t ew_workspace_floats(int64_t n) { return WS_EW_PARTIALS + ew_blocks<float>(n < 0 ? 0 : n); }

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

// Block b writes its loss sum to ws[WS_EW_PARTIALS + b]. FUSED: also the gradient (and aux_grad).
template <typename T, int OP, bool FUSED>
__global__ void XENT_BOUNDS(EW_BLOCK, 1) ew_kernel(EwArgs A) {
    typedef Storage<T> S;
    constexpr int P = S::PACK;
    __shared__ double scratch[EW_BLOCK / 32];
    const T* x = static_cast<const T*>(A.input);
    const T* t = static_cast<const T*>(A.target);
    T* g = FUSED ? static_cast<T*>(A.grad) : nullptr;
    const bool vec = aligned16(x) && aligned16(t) && (!FUSED || aligned16(g));
    // the gradient's scale: upstream (1 if none), divided by n under MEAN; NONE: per element
    const float up = A.upstream && A.reduction != RED_NONE ? A.upstream[0] : 1.0f;
    const float scale = A.reduction == RED_MEAN ? up / (float)A.count : up;
    const int64_t packs = (A.count + P - 1) / P;
    float sum = 0.0f;
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
                if (A.scale_grad) A.scale_grad[e] = s * o.da;
            }
        }
        if (FUSED) store_vals<T>(g, e0, A.count, 1, vec, full, gv);
    }
    const double total = block_sum_d<EW_BLOCK>((double)sum, scratch);
    if (threadIdx.x == 0) A.workspace[WS_EW_PARTIALS + blockIdx.x] = (float)total;
}

// One block: ws[0] = sum of the block partials (MEAN: divided by n), ws[1] = n; double, fixed order.
__global__ void XENT_BOUNDS(EW_BLOCK, 1) ew_reduce_kernel(float* ws, int64_t blocks, int64_t n, int reduction) {
    __shared__ double scratch[EW_BLOCK / 32];
    double acc = 0.0;
    for (int64_t b = threadIdx.x; b < blocks; b += EW_BLOCK) acc += (double)ws[WS_EW_PARTIALS + b];
    const double total = block_sum_d<EW_BLOCK>(acc, scratch);
    if (threadIdx.x == 0) {
        ws[0] = reduction == RED_MEAN ? (float)(total / (double)n) : (float)total;  // n = 0: 0/0 = NaN
        ws[1] = (float)n;
    }
}

// ---- launchers ---------------------------------------------------------------------------------

template <typename T, int OP>
cudaError_t launch_ew(const EwArgs& A, cudaStream_t st) {
    const int64_t blocks = A.count > 0 ? ew_blocks<T>(A.count) : 0;
    if (blocks > 0) {
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
    auto r = ew_reduce_kernel;
    XENT_LAUNCH(r, dim3(1), dim3(EW_BLOCK), st, A.workspace, blocks, A.count, A.reduction);
    return cudaGetLastError();
}

}  // namespace xent
