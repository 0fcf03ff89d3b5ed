// cross_entropy.cuh: softmax cross-entropy with class-index targets (hard labels: weights,
// ignore_index, label smoothing) and with probability targets, forward, backward from a saved
// lse, and forward+backward fused (the gradient may overwrite the logits).
//
// What is fused and what it costs (B = bytes of one logit; reads/writes per logit):
//  - fused, C <= 1024: a warp per row (8 rows per block), the row held in registers
//    as raw 16-byte packs: read once, gradient written once: 2B per logit, the floor.
//  - fused, 1024 < C <= 4096: a 128-thread block per row, the row in registers: 2B per logit.
//  - fused, C <= 16384 (fp32: 512 threads x 8 packs of 4; 16-bit: 512 x 4 packs of 8, since 64
//    unpacked values per thread would not fit in 128 registers): a 512-thread block per row, the row
//    in registers: 2B per logit.
//  - fused, larger C: a block per row, online softmax over the row, then a second pass that
//    re-reads it (mostly from L2: ~264 rows in flight x C x B) and writes the gradient: 2B..3B.
//  - fused or forward, fewer than 128 rows and C >= 8192: split rows. Kernel 1 reduces chunks of
//    >= 2048 logits into partial (max, sum, ...) records in the workspace; kernel 2 merges the
//    row's partials, writes the loss (chunk 0) and, fused, re-reads its chunk (L2) and writes the
//    gradient. ~1024 blocks in all, so 16 rows x 262144 classes fill the GPU.
//  - forward: one online pass, B per logit (+ 5 floats per row written).
//  - backward from lse: one pass, read B + write B per logit (no reduction over the row at all,
//    so few huge rows are split into chunks across blocks too).
//  - (N, C, d) layouts (inner > 1): a thread per row, consecutive threads on consecutive inner
//    positions so every class step is a coalesced access across the warp; two passes when fused.
//  - probability targets: the same shapes of kernel with streaming passes; the targets are read
//    once per pass (fused: logits and targets twice, the second time mostly from L2).
// Every launch is preceded by `ce_prep_kernel` (one block): the MEAN denominator -> workspace[1]
// and sum_j w_j -> workspace[2], both in double, fixed order; and, for forward calls, followed by
// `reduce_loss_kernel` (one block, double, fixed order) -> workspace[0]. No float atomics, no host
// synchronisation: the results are bitwise reproducible and every call is graph-capturable.
//
// Precision: a row's loss is (m - z_y) + log(s) with m the row max and s = sum exp(z - m) (exact
// where p_y underflows; rows offset by 1000 keep their digits; log s as log1p of the terms below the
// max, so a confident row's loss near 0 keeps its digits: see ExpSum in common.cuh), and the smoothing term
// sum_k w_k (lse - z_k) is accumulated as sum_k w_k (m - z_k) relative to the running max.
// Gradient: p_k = exp((z_k - m) - log s). A masked (-inf) logit has p = 0; a masked target gives
// loss +inf; a row of all -inf gives NaN, as PyTorch does.
//
// LLM-training extras: a logit scale s and soft-cap c (z' = c tanh(s z / c), -inf kept) are applied
// to each logit as it is unpacked, and the gradient is multiplied by dz'/dz as it is stored; only
// the streaming kernels have that variant (template parameter XF), so a transformed call takes
// them even where the register-resident or split-row kernels would serve a plain one. The z-loss
// lambda u lse^2 (u = w[y], 0 when ignored; 1 for probability targets) only adds 2 lambda u lse
// to the coefficient of p, at no cost per element, behind a uniform per-row branch: the streaming
// and split-row kernels have it; a call with a z-loss takes the streaming kernels rather than the
// register-resident ones, whose register budget is exact (their code is unchanged).
//
// Workspace (fp32): [0] reduced loss, [1] denominator, [2] sum of weights, [3] reduced z-loss part,
// [4, 4+rows) per-row losses when the caller passes row_loss = NULL,
// then 6 floats (an Acc) per (row, chunk) for split rows. See ce_workspace_floats().
#pragma once

#include "common.cuh"

namespace xent {

enum CeOp : int {
    CE_FWD = 0,     // hard labels, forward
    CE_FUSED = 1,   // hard labels, forward + backward
    CE_BWD = 2,     // hard labels, backward from lse
    SOFT_FWD = 3,   // probability targets, forward
    SOFT_FUSED = 4, // probability targets, forward + backward
    SOFT_BWD = 5    // probability targets, backward from lse
};

// Everything a CE kernel needs, passed by value.
struct CeArgs {
    const void* logits;
    void* grad;              // fused/backward, may equal logits
    const void* targets;     // probability targets (dense), soft ops
    const void* labels;      // class indices, hard ops
    int lab64;               // derived: labels are int64
    int reduction;
    const float* weight;     // classes class weights or null
    int64_t classes, inner, outer_stride;
    int64_t rows;            // derived: outer * inner
    int64_t ignore_index;
    float label_smoothing;
    int smooth;              // derived: label_smoothing > 0
    const float* upstream;
    float* lse;              // backward reads it; forward ops write it (may be null)
    float* row_loss;         // never null (the API substitutes workspace + WS_ROWS)
    float logit_scale;       // 1: none
    float softcap;           // 0: none
    float z_loss;            // lambda (0: none)
    float* row_z_loss;       // may be null
    float* workspace;
    int64_t* error_info;     // or null
    int64_t chunk_len;       // derived: elements per chunk (split rows / chunked backward)
    int chunks;              // derived: chunks per row (1: whole rows)
};

constexpr int WS_ROWS = 4;  // per-row loss scratch starts here
constexpr int SPLIT_PARTIAL_FLOATS = 6;  // a split row's partial Acc: m, at_max, below, d, w, t

// Split rows: only when there are few rows and each is long. ~1024 blocks in all, each chunk at
// least 2048 logits (so one block of 256 threads reads >= 8 fp32 per thread).
inline int64_t ce_split_chunks(int64_t rows, int64_t classes) {
    if (rows <= 0 || rows >= 128 || classes < 8192) return 1;
    int64_t by_work = (classes + 2047) / 2048;
    int64_t by_rows = (1024 + rows - 1) / rows;
    return by_work < by_rows ? by_work : by_rows;
}
// Chunk length, a multiple of 8 elements (16 bytes for 16-bit types, 32 for fp32), so every chunk
// of an aligned row starts aligned.
inline int64_t ce_chunk_len(int64_t classes, int64_t chunks) {
    int64_t len = (classes + chunks - 1) / chunks;
    return (len + 7) / 8 * 8;
}
inline int64_t ce_workspace_floats(int64_t rows, int64_t classes) {
    if (rows < 0) rows = 0;
    int64_t chunks = ce_split_chunks(rows, classes);
    return WS_ROWS + rows + (chunks > 1 ? SPLIT_PARTIAL_FLOATS * rows * chunks : 0);
}

// ---- per-row helpers ---------------------------------------------------------------------------

// z' = cap tanh(scale z / cap) (cap 0: scale z), -inf kept; dz = dz'/dz (0 at -inf under a cap).
XENT_DEV float logit_xform(const CeArgs& A, float z, float& dz) {
    if (A.softcap == 0.0f) {
        dz = A.logit_scale;
        return A.logit_scale * z;
    }
    if (z == neg_inf()) {
        dz = 0.0f;
        return z;
    }
    const float t = tanhf(A.logit_scale * z / A.softcap);
    dz = A.logit_scale * (1.0f - t * t);
    return A.softcap * t;
}

template <int P>
XENT_DEV void xform_pack(const CeArgs& A, float (&v)[P], float (&dz)[P]) {
#pragma unroll
    for (int i = 0; i < P; ++i) v[i] = logit_xform(A, v[i], dz[i]);
}

// The row's z-loss lambda u lse^2 (0 when u is 0), stored in row_z when given; callers test A.z_loss.
XENT_DEV float row_zloss(const CeArgs& A, int64_t r, float u, float lse) {
    const float z = u != 0.0f ? A.z_loss * u * lse * lse : 0.0f;
    if (A.row_z_loss) A.row_z_loss[r] = z;
    return z;
}

struct HardRow {
    int64_t y;
    int active;  // label in [0, C) and not ignore_index
    int bad;     // label outside [0, C) and not ignore_index
    float wy;    // w[y] (0 when not active)
};

XENT_DEV HardRow hard_row(const CeArgs& A, int64_t r) {
    HardRow h;
    h.y = load_label(A.labels, A.lab64, r);
    const bool ignored = h.y == A.ignore_index;
    const bool in_range = h.y >= 0 && h.y < A.classes;
    h.active = !ignored && in_range;
    h.bad = !ignored && !in_range;
    h.wy = h.active ? (A.weight ? A.weight[h.y] : 1.0f) : 0.0f;
    return h;
}

// s_i: upstream[i] (NONE), upstream[0] (SUM), upstream[0] / denominator (MEAN); null upstream = 1.
XENT_DEV float row_scale(const CeArgs& A, int64_t r) {
    float u = A.upstream ? A.upstream[A.reduction == RED_NONE ? r : 0] : 1.0f;
    if (A.reduction == RED_MEAN) u = u / A.workspace[1];
    return u;
}

// The z-loss's share of the coefficient of p: s 2 lambda u lse (callers test A.z_loss).
XENT_DEV float zloss_coef(const CeArgs& A, float s, float u, float lse) {
    return u != 0.0f ? s * 2.0f * A.z_loss * u * lse : 0.0f;
}

// grad_k = cp * p_k - cw * w_k - [k == y] cy   (hard labels)
struct HardCoef {
    float cp, cw, cy;
};
XENT_DEV HardCoef hard_coef(const CeArgs& A, const HardRow& h, float s) {
    HardCoef c;
    const float a = (1.0f - A.label_smoothing) * h.wy;
    const float b = A.smooth ? A.label_smoothing / (float)A.classes : 0.0f;
    const float wsum = A.smooth ? A.workspace[2] : 0.0f;
    c.cp = s * (a + b * wsum);
    c.cw = s * b;
    c.cy = s * a;
    return c;
}

// loss_i = (1-eps) w_y ((m - z_y) + log s) + (eps/C) (sum_k w_k (m - z_k) + W log s)
XENT_DEV float hard_loss(const CeArgs& A, const HardRow& h, const Acc& acc, float logs) {
    if (!h.active) return 0.0f;
    float loss = (1.0f - A.label_smoothing) * h.wy * ((acc.m - acc.t) + logs);
    if (A.smooth) loss += (A.label_smoothing / (float)A.classes) * (acc.d + A.workspace[2] * logs);
    return loss;
}

// Smoothing weights of a pack: w_k (or 1) for elements < count, 0 for padding.
template <int P>
XENT_DEV void smooth_weights(const float* w, int64_t e0, int64_t count, bool vec, bool full, float (&u)[P]) {
    load_weights<P>(w, e0, count, vec, full, u);
}

// Probability-target weights u_k = w_k ((1 - eps) t_k + eps / C); 0 for padding.
template <typename T>
XENT_DEV void soft_weights(const CeArgs& A, const T* t, int64_t e0, int64_t count, int64_t step, bool vec,
                           bool full, float (&u)[Storage<T>::PACK]) {
    constexpr int P = Storage<T>::PACK;
    float tv[P], wv[P];
    load_vals<T>(t, e0, count, step, vec, full, tv, 0.0f);
    load_weights<P>(A.weight, e0, count, vec, full, wv);  // 0 for padding
    const float keep = 1.0f - A.label_smoothing, add = A.label_smoothing / (float)A.classes;
#pragma unroll
    for (int i = 0; i < P; ++i) u[i] = wv[i] * (keep * tv[i] + add);
}

template <int P>
XENT_DEV void acc_pack_weighted(Acc& acc, const float (&v)[P], const float (&u)[P]) {
    acc_pack<P>(acc, v);  // acc.m now covers this pack: d is relative to it
    const float ms = safe_max(acc.m);
#pragma unroll
    for (int i = 0; i < P; ++i) {
        if (u[i] != 0.0f) {  // padding (and zero weights) contribute nothing, not 0 * inf
            acc.d += u[i] * (ms - v[i]);
            acc.w += u[i];
        }
    }
}

// 16-byte packs in flight per thread per iteration in the streaming kernels: 4 for fp32, 2 for
// 16-bit types (8 values per pack) so that they stay within 64 registers (2 blocks of 512 per SM).
template <typename T>
constexpr int UNROLL = sizeof(T) == 4 ? 4 : 2;

// Pass 1 over elements [c0, c1): online max / sum, plus d, w for smoothing (hard) or targets (soft).
// XF: the logits go through logit_xform first.
template <typename T, int GROUP, bool SOFT, bool XF>
XENT_DEV Acc row_pass1(const CeArgs& A, const T* x, const T* t, int64_t c0, int64_t c1, int64_t step, bool vec,
                       int lane) {
    constexpr int P = Storage<T>::PACK;
    Acc acc = acc_empty();
    if (!SOFT && !A.smooth) {
        for_each_pack<T, GROUP, UNROLL<T>>(x, c0, c1, step, vec, lane, [&](int64_t, const float(&raw)[P], bool) {
            if (XF) {
                float v[P], dz[P];
#pragma unroll
                for (int i = 0; i < P; ++i) v[i] = raw[i];
                xform_pack<P>(A, v, dz);
                acc_pack<P>(acc, v);
            } else {
                acc_pack<P>(acc, raw);
            }
        });
    } else {
        for_each_pack<T, GROUP, UNROLL<T>>(x, c0, c1, step, vec, lane, [&](int64_t e0, const float(&raw)[P], bool full) {
            float u[P], v[P], dz[P];
#pragma unroll
            for (int i = 0; i < P; ++i) v[i] = raw[i];
            if (XF) xform_pack<P>(A, v, dz);
            if (SOFT) soft_weights<T>(A, t, e0, c1, step, vec, full, u);
            else smooth_weights<P>(A.weight, e0, c1, vec, full, u);
            acc_pack_weighted<P>(acc, v, u);
        });
    }
    return acc;
}

// The fused paths compute p_k = exp(z_k - m) / s rather than exp(z_k - (m + log s)): near |z| = 1000
// an fp32 m + log s has lost the digits of log s (ulp 6e-5), which would show in every gradient.
XENT_DEV HardCoef scaled_by_inverse_sum(HardCoef c, float s) {
    c.cp /= s;
    return c;
}

// Pass 2 over [c0, c1): grad_k = cp * exp(z_k - shift) - cw * u_k (u_k = w_k for hard smoothing,
// w_k t'_k for soft), or 0 everywhere when !active.
// XF: p and the gradient are taken at the transformed logits, the gradient times dz'/dz.
template <typename T, int GROUP, bool SOFT, bool XF>
XENT_DEV void row_pass2(const CeArgs& A, const T* x, T* g, const T* t, int64_t c0, int64_t c1, int64_t step,
                        bool vec, int lane, float shift, float cp, float cw, bool active) {
    constexpr int P = Storage<T>::PACK;
    if (!active) {
        // zeros, same pack assignment (no read needed: nothing else writes these elements)
        const float z[P] = {};
        const int64_t n = (c1 - c0 + P - 1) / P;
        for (int64_t j = lane; j < n; j += GROUP) {
            const int64_t e0 = c0 + j * P;
            store_vals<T>(g, e0, c1, step, vec, e0 + P <= c1, z);
        }
        return;
    }
    if (!SOFT && !(A.smooth && cw != 0.0f)) {
        for_each_pack<T, GROUP, UNROLL<T>>(x, c0, c1, step, vec, lane, [&](int64_t e0, const float(&raw)[P], bool full) {
            float o[P];
            if (XF) {
                float v[P], dz[P];
#pragma unroll
                for (int i = 0; i < P; ++i) v[i] = raw[i];
                xform_pack<P>(A, v, dz);
#pragma unroll
                for (int i = 0; i < P; ++i) o[i] = cp * xexp(v[i] - shift) * dz[i];
            } else {
#pragma unroll
                for (int i = 0; i < P; ++i) o[i] = cp * xexp(raw[i] - shift);
            }
            store_vals<T>(g, e0, c1, step, vec, full, o);
        });
    } else {
        for_each_pack<T, GROUP, UNROLL<T>>(x, c0, c1, step, vec, lane, [&](int64_t e0, const float(&raw)[P], bool full) {
            float u[P], o[P], v[P], dz[P];
#pragma unroll
            for (int i = 0; i < P; ++i) v[i] = raw[i];
            if (XF) xform_pack<P>(A, v, dz);
            if (SOFT) soft_weights<T>(A, t, e0, c1, step, vec, full, u);
            else smooth_weights<P>(A.weight, e0, c1, vec, full, u);
#pragma unroll
            for (int i = 0; i < P; ++i) o[i] = cp * xexp(v[i] - shift) - cw * u[i];
            if (XF) {
#pragma unroll
                for (int i = 0; i < P; ++i) o[i] *= dz[i];
            }
            store_vals<T>(g, e0, c1, step, vec, full, o);
        });
    }
}

// Is this thread the one whose packs cover element y of [c0, c1)?
template <typename T, int GROUP>
XENT_DEV bool owns(int64_t y, int64_t c0, int64_t c1, int lane) {
    constexpr int P = Storage<T>::PACK;
    return y >= c0 && y < c1 && ((y - c0) / P) % GROUP == lane;
}

XENT_DEV int64_t row_base(const CeArgs& A, int64_t r) {
    return A.inner == 1 ? r * A.outer_stride : (r / A.inner) * A.outer_stride + (r % A.inner);
}
XENT_DEV int64_t dense_base(const CeArgs& A, int64_t r) {
    return A.inner == 1 ? r * A.classes : (r / A.inner) * (A.classes * A.inner) + (r % A.inner);
}

// The element y's gradient, written last by its owner (overwrites the value pass 2 wrote).
// zy is the (transformed) logit of y, dzy its dz'/dz (1 without a transform).
template <typename T>
XENT_DEV void fix_target(const CeArgs& A, T* gy, const HardRow& h, const HardCoef& c, float zy, float shift,
                         float dzy) {
    const float wy = A.smooth && A.weight ? A.weight[h.y] : 1.0f;
    Storage<T>::store(gy, (c.cp * xexp(zy - shift) - c.cw * wy - c.cy) * dzy);
}

// ---- kernels -----------------------------------------------------------------------------------

// One block: workspace[1] = denominator, workspace[2] = sum_j w_j (C if no weights).
constexpr int PREP_BLOCK = 512;
__global__ void XENT_BOUNDS(PREP_BLOCK, 1) ce_prep_kernel(CeArgs A, int soft) {
    __shared__ double scratch[PREP_BLOCK / 32];
    double den = 1.0;
    if (A.reduction == RED_MEAN) {
        if (soft) {
            den = (double)A.rows;
        } else {
            double acc = 0.0;
            for (int64_t r = threadIdx.x; r < A.rows; r += PREP_BLOCK) {
                const int64_t y = load_label(A.labels, A.lab64, r);
                if (y != A.ignore_index && y >= 0 && y < A.classes) acc += A.weight ? (double)A.weight[y] : 1.0;
            }
            den = block_sum_d<PREP_BLOCK>(acc, scratch);
        }
    }
    double wsum = (double)A.classes;
    if (A.weight) {
        double acc = 0.0;
        for (int64_t k = threadIdx.x; k < A.classes; k += PREP_BLOCK) acc += (double)A.weight[k];
        wsum = block_sum_d<PREP_BLOCK>(acc, scratch);
    }
    if (threadIdx.x == 0) {
        A.workspace[1] = (float)den;
        A.workspace[2] = (float)wsum;
    }
}

// One block: workspace[0] = sum of row losses (MEAN: divided by workspace[1]), double, fixed order.
constexpr int REDUCE_BLOCK = 512;
// workspace[3] likewise from the per-row z-losses (0 when there are none).
__global__ void XENT_BOUNDS(REDUCE_BLOCK, 1)
    reduce_loss_kernel(const float* row_loss, const float* row_z, int64_t rows, int reduction, float* ws) {
    __shared__ double scratch[REDUCE_BLOCK / 32];
    double acc = 0.0;
    for (int64_t r = threadIdx.x; r < rows; r += REDUCE_BLOCK) acc += (double)row_loss[r];
    const double total = block_sum_d<REDUCE_BLOCK>(acc, scratch);
    if (threadIdx.x == 0) ws[0] = reduction == RED_MEAN ? (float)(total / (double)ws[1]) : (float)total;
    if (row_z == nullptr) {
        if (threadIdx.x == 0) ws[3] = 0.0f;
        return;
    }
    double zacc = 0.0;  // block_sum_d ends on a barrier: scratch can be reused
    for (int64_t r = threadIdx.x; r < rows; r += REDUCE_BLOCK) zacc += (double)row_z[r];
    const double ztotal = block_sum_d<REDUCE_BLOCK>(zacc, scratch);
    if (threadIdx.x == 0) ws[3] = reduction == RED_MEAN ? (float)(ztotal / (double)ws[1]) : (float)ztotal;
}

// One row (or, CE_BWD with gridDim.y > 1, one chunk of it) for a group of GROUP threads.
template <typename T, int GROUP, int BLOCK, int OP, bool XF>
XENT_DEV void ce_row(const CeArgs& A, int64_t r, int lane, Acc* scratch, float* fscratch) {
    constexpr bool SOFT = OP == SOFT_FWD || OP == SOFT_FUSED || OP == SOFT_BWD;
    constexpr bool WRITES = OP == CE_FUSED || OP == CE_BWD || OP == SOFT_FUSED || OP == SOFT_BWD;
    constexpr int P = Storage<T>::PACK;
    const int64_t c0 = (int64_t)blockIdx.y * A.chunk_len;
    const int64_t c1 = A.chunks > 1 ? (c0 + A.chunk_len < A.classes ? c0 + A.chunk_len : A.classes) : A.classes;
    const int64_t step = A.inner;
    const T* x = static_cast<const T*>(A.logits) + row_base(A, r);
    T* g = WRITES ? static_cast<T*>(A.grad) + row_base(A, r) : nullptr;
    const T* t = SOFT ? static_cast<const T*>(A.targets) + dense_base(A, r) : nullptr;
    const bool vec = step == 1 && aligned16(x) && (!WRITES || aligned16(g)) && (!SOFT || aligned16(t)) &&
                     (A.weight == nullptr || aligned16(A.weight));
    const bool leader = lane == 0 && blockIdx.y == 0;

    if (!SOFT) {
        const HardRow h = hard_row(A, r);
        if (leader && h.bad) record_bad_label(A.error_info, r, h.y);
        const bool own_y = h.active && owns<T, GROUP>(h.y, c0, c1, lane);
        float dzy = 1.0f;
        float zy = own_y ? Storage<T>::load(x + h.y * step) : 0.0f;  // before this thread writes
        if (XF) zy = logit_xform(A, zy, dzy);
        // per-row scalars loaded up front, not after the reduction
        HardCoef c = (OP == CE_FWD) ? HardCoef{0.0f, 0.0f, 0.0f} : hard_coef(A, h, row_scale(A, r));
        if (OP == CE_BWD) {
            const float lse = A.lse[r];
            if (A.z_loss != 0.0f) c.cp += zloss_coef(A, row_scale(A, r), h.wy, lse);
            row_pass2<T, GROUP, false, XF>(A, x, g, t, c0, c1, step, vec, lane, lse, c.cp, c.cw, h.active);
            if (own_y) fix_target<T>(A, g + h.y * step, h, c, zy, lse, dzy);
            return;
        }
        Acc acc = row_pass1<T, GROUP, false, XF>(A, x, t, c0, c1, step, vec, lane);
        acc.t = zy;
        acc = group_acc<GROUP, BLOCK>(acc, scratch);
        const float logs = expsum_log(acc.s);
        if (leader) {
            float loss = hard_loss(A, h, acc, logs);
            if (A.z_loss != 0.0f) loss += row_zloss(A, r, h.wy, acc.m + logs);
            A.row_loss[r] = loss;
            if (A.lse) A.lse[r] = acc.m + logs;
        }
        if (OP == CE_FUSED) {
            if (A.z_loss != 0.0f) c.cp += zloss_coef(A, row_scale(A, r), h.wy, acc.m + logs);
            const HardCoef cs = scaled_by_inverse_sum(c, expsum_total(acc.s));
            const float shift = safe_max(acc.m);
            row_pass2<T, GROUP, false, XF>(A, x, g, t, c0, c1, step, vec, lane, shift, cs.cp, cs.cw, h.active);
            if (own_y) fix_target<T>(A, g + h.y * step, h, cs, zy, shift, dzy);
        }
    } else {
        const float s = row_scale(A, r);
        if (OP == SOFT_BWD) {
            // pass 1: W_t = sum_k u_k (targets and weights only)
            float wt = 0.0f;
            const int64_t n = (c1 - c0 + P - 1) / P;
            for (int64_t j = lane; j < n; j += GROUP) {
                const int64_t e0 = c0 + j * P;
                float u[P];
                if (e0 + P <= c1) soft_weights<T>(A, t, e0, c1, step, vec, true, u);
                else soft_weights<T>(A, t, e0, c1, step, vec, false, u);
#pragma unroll
                for (int i = 0; i < P; ++i) wt += u[i];
            }
            wt = group_sum<GROUP, BLOCK>(wt, fscratch);
            const float lse = A.lse[r];
            float cp = s * wt;
            if (A.z_loss != 0.0f) cp += zloss_coef(A, s, 1.0f, lse);
            row_pass2<T, GROUP, true, XF>(A, x, g, t, c0, c1, step, vec, lane, lse, cp, s, true);
            return;
        }
        Acc acc = row_pass1<T, GROUP, true, XF>(A, x, t, c0, c1, step, vec, lane);
        acc = group_acc<GROUP, BLOCK>(acc, scratch);
        const float logs = expsum_log(acc.s);
        if (leader) {
            float loss = acc.d + acc.w * logs;  // sum_k u_k (lse - z_k)
            if (A.z_loss != 0.0f) loss += row_zloss(A, r, 1.0f, acc.m + logs);
            A.row_loss[r] = loss;
            if (A.lse) A.lse[r] = acc.m + logs;
        }
        if (OP == SOFT_FUSED) {
            const float shift = safe_max(acc.m);
            float cp = s * acc.w;
            if (A.z_loss != 0.0f) cp += zloss_coef(A, s, 1.0f, acc.m + logs);
            row_pass2<T, GROUP, true, XF>(A, x, g, t, c0, c1, step, vec, lane, shift, cp / expsum_total(acc.s), s, true);
        }
    }
}

// Streaming kernels: 64 registers (2 blocks of 512 or 4 of 256 per SM), except the 16-bit kernels
// that read, reduce and write (fused, probability-target backward): they need a few more and get
// up to 85 (256 threads) / 128 (512 threads) rather than spilling.
// With the logit transform (XF) the kernels that write get the same allowance (fp32 fused spilled).
template <typename T, int OP, bool XF>
constexpr int stream_minb(int block) {
    return ((sizeof(T) == 2 || XF) && (OP == CE_FUSED || OP == SOFT_FUSED || OP == SOFT_BWD || (XF && OP == CE_BWD))
                ? 768
                : 1024) /
           block;
}

// Streaming kernel for every op: a group of GROUP threads per row (1, 32 or BLOCK), BLOCK / GROUP
// rows per block. gridDim.y > 1 splits rows into chunks (CE_BWD only: it has no row reduction).
template <typename T, int GROUP, int BLOCK, int OP, bool XF>
__global__ void XENT_BOUNDS(BLOCK, (stream_minb<T, OP, XF>(BLOCK))) ce_stream_kernel(CeArgs A) {
    __shared__ Acc scratch[BLOCK / 32];
    __shared__ float fscratch[BLOCK / 32];
    const int lane = GROUP == 1 ? 0 : (GROUP == 32 ? (int)(threadIdx.x & 31) : (int)threadIdx.x);
    const int64_t r = (int64_t)blockIdx.x * (BLOCK / GROUP) + threadIdx.x / GROUP;
    if (r >= A.rows) return;  // uniform over the group
    ce_row<T, GROUP, BLOCK, OP, XF>(A, r, lane, scratch, fscratch);
}

// Register-resident fused kernel (hard labels), contiguous rows: a group of GROUP threads (32 or
// BLOCK) holds a row of up to GROUP * NPACK * PACK logits as raw 16-byte packs in registers
// (NPACK * 4 registers whatever the dtype, indexed by constants only; the row's last, partial pack
// in one more), so each logit is read once. Two-phase reduction (max, then sum with the exact
// max): no online rescaling. Only launched when every row is 16-byte aligned (resident_ok).
template <typename T, int GROUP, int BLOCK, int NPACK, int MINB>
__global__ void XENT_BOUNDS(BLOCK, MINB) ce_resident_kernel(CeArgs A) {
    typedef Storage<T> S;
    constexpr int P = S::PACK;
    __shared__ Acc scratch[BLOCK / 32];
    __shared__ float fscratch[BLOCK / 32];
    const int lane = GROUP == 32 ? (int)(threadIdx.x & 31) : (int)threadIdx.x;
    const int64_t r = (int64_t)blockIdx.x * (BLOCK / GROUP) + threadIdx.x / GROUP;
    if (r >= A.rows) return;  // uniform over the group
    const int C = (int)A.classes;   // <= GROUP * NPACK * P <= 65536 here
    const T* x = static_cast<const T*>(A.logits) + r * A.outer_stride;
    T* g = static_cast<T*>(A.grad) + r * A.outer_stride;
    // The launcher takes this kernel only when every row is 16-byte aligned (resident_ok).
    const HardRow h = hard_row(A, r);
    // every per-row scalar load is issued before the row's loads, not after the reduction
    const HardCoef c = hard_coef(A, h, row_scale(A, r));
    const float wy_fix = A.smooth && A.weight && h.active ? A.weight[h.y] : 1.0f;
    if (lane == 0 && h.bad) record_bad_label(A.error_info, r, h.y);
    const bool own_y = h.active && owns<T, GROUP>(h.y, 0, C, lane);

    // full packs: pack j of this lane starts at element (j * GROUP + lane) * P
    Pack16 q[NPACK];
#pragma unroll
    for (int j = 0; j < NPACK; ++j) {
        const int e0 = (j * GROUP + lane) * P;
        q[j] = e0 + P <= C ? load16(x + e0) : neg_inf_pack<T>();
    }
    // the partial pack (C % P elements), owned by one lane
    const int t0 = C / P * P;
    const bool has_tail = t0 < C && (C / P) % GROUP == lane;
    float tail[P];
#pragma unroll
    for (int i = 0; i < P; ++i) tail[i] = (has_tail && t0 + i < C) ? S::load(x + t0 + i) : neg_inf();
    // z_y from the owner's registers (no dependent global load); padding never matches y < C
    float zy = 0.0f;
    if (own_y) {
#pragma unroll
        for (int j = 0; j < NPACK; ++j)
#pragma unroll
            for (int i = 0; i < P; ++i)
                if ((j * GROUP + lane) * P + i == (int)h.y) zy = S::unpack(q[j], i);
#pragma unroll
        for (int i = 0; i < P; ++i)
            if (t0 + i == (int)h.y) zy = tail[i];
    }

    float mx = neg_inf();
#pragma unroll
    for (int j = 0; j < NPACK; ++j)
#pragma unroll
        for (int i = 0; i < P; ++i) mx = fmaxf(mx, S::unpack(q[j], i));
#pragma unroll
    for (int i = 0; i < P; ++i) mx = fmaxf(mx, tail[i]);
    mx = group_max<GROUP, BLOCK>(mx, fscratch);
    const float ms = safe_max(mx);

    Acc acc = acc_empty();
    acc.m = mx;
    acc.t = zy;
#pragma unroll
    for (int j = 0; j < NPACK; ++j)
#pragma unroll
        for (int i = 0; i < P; ++i) {
            const float v = S::unpack(q[j], i);
            expsum_add(acc.s, xexp(v - ms), v == ms);
        }
#pragma unroll
    for (int i = 0; i < P; ++i) expsum_add(acc.s, xexp(tail[i] - ms), tail[i] == ms);
    if (A.smooth) {
#pragma unroll
        for (int j = 0; j < NPACK; ++j) {
            const int e0 = (j * GROUP + lane) * P;
            if (e0 + P <= C) {
                float u[P];
                smooth_weights<P>(A.weight, e0, C, true, true, u);
#pragma unroll
                for (int i = 0; i < P; ++i)
                    if (u[i] != 0.0f) acc.d += u[i] * (ms - S::unpack(q[j], i));
            }
        }
        if (has_tail) {
            float u[P];
            smooth_weights<P>(A.weight, t0, C, true, false, u);
#pragma unroll
            for (int i = 0; i < P; ++i)
                if (u[i] != 0.0f) acc.d += u[i] * (ms - tail[i]);
        }
    }
    acc = group_acc<GROUP, BLOCK>(acc, scratch);  // all m equal: plain sums
    const float logs = expsum_log(acc.s);
    if (lane == 0) {
        A.row_loss[r] = hard_loss(A, h, acc, logs);
        if (A.lse) A.lse[r] = acc.m + logs;
    }
    const float shift = ms;
    const float cp = c.cp / expsum_total(acc.s);
    const bool weighted = A.smooth && c.cw != 0.0f;
    const float on = h.active ? 1.0f : 0.0f;  // inactive rows: exact zeros (select, not 0 * p)
#pragma unroll
    for (int j = 0; j < NPACK; ++j) {
        const int e0 = (j * GROUP + lane) * P;
        if (e0 + P <= C) {
            float o[P];
#pragma unroll
            for (int i = 0; i < P; ++i) o[i] = cp * xexp(S::unpack(q[j], i) - shift);
            if (weighted) {
                float u[P];
                smooth_weights<P>(A.weight, e0, C, true, true, u);
#pragma unroll
                for (int i = 0; i < P; ++i) o[i] -= c.cw * u[i];
            }
#pragma unroll
            for (int i = 0; i < P; ++i) o[i] = on != 0.0f ? o[i] : 0.0f;
            store16(g + e0, S::pack(o));
        }
    }
    if (has_tail) {
        float o[P];
        float u[P];
        smooth_weights<P>(A.weight, t0, C, true, false, u);
#pragma unroll
        for (int i = 0; i < P; ++i) {
            const float v = cp * xexp(tail[i] - shift) - (weighted ? c.cw * u[i] : 0.0f);
            o[i] = on != 0.0f ? v : 0.0f;
        }
        store_vals<T>(g, t0, C, 1, true, false, o);
    }
    if (own_y) S::store(g + h.y, cp * xexp(zy - shift) - c.cw * wy_fix - c.cy);
}

// Split rows, kernel 1: block (c, r) reduces chunk c of row r into a partial Acc in the workspace.
constexpr int SPLIT_BLOCK = 256;
XENT_DEV float* split_partials(const CeArgs& A) { return A.workspace + WS_ROWS + A.rows; }

template <typename T>
__global__ void XENT_BOUNDS(SPLIT_BLOCK, 1) ce_split_partial_kernel(CeArgs A) {
    __shared__ Acc scratch[SPLIT_BLOCK / 32];
    const int lane = threadIdx.x;
    const int64_t r = blockIdx.y, c = blockIdx.x;
    const int64_t c0 = c * A.chunk_len;
    const int64_t c1 = c0 + A.chunk_len < A.classes ? c0 + A.chunk_len : A.classes;
    const T* x = static_cast<const T*>(A.logits) + r * A.outer_stride;
    const bool vec = aligned16(x) && (A.weight == nullptr || aligned16(A.weight));
    const HardRow h = hard_row(A, r);
    Acc acc = row_pass1<T, SPLIT_BLOCK, false, false>(A, x, nullptr, c0, c1, 1, vec, lane);
    if (h.active && owns<T, SPLIT_BLOCK>(h.y, c0, c1, lane)) acc.t = Storage<T>::load(x + h.y);
    acc = group_acc<SPLIT_BLOCK, SPLIT_BLOCK>(acc, scratch);
    if (lane == 0) {
        float* p = split_partials(A) + (r * A.chunks + c) * SPLIT_PARTIAL_FLOATS;
        p[0] = acc.m; p[1] = acc.s.at_max; p[2] = acc.s.below; p[3] = acc.d; p[4] = acc.w; p[5] = acc.t;
    }
}

// Split rows, kernel 2: block (c, r) merges row r's partials (fixed order), chunk 0 writes the
// loss and lse; when GRAD, every chunk re-reads its logits and writes its gradient.
template <typename T, bool GRAD>
__global__ void XENT_BOUNDS(SPLIT_BLOCK, 1) ce_split_finish_kernel(CeArgs A) {
    __shared__ Acc scratch[SPLIT_BLOCK / 32];
    const int lane = threadIdx.x;
    const int64_t r = blockIdx.y, c = blockIdx.x;
    Acc acc = acc_empty();
    const float* parts = split_partials(A) + r * A.chunks * SPLIT_PARTIAL_FLOATS;
    for (int64_t k = lane; k < A.chunks; k += SPLIT_BLOCK) {
        const float* q = parts + k * SPLIT_PARTIAL_FLOATS;
        Acc b;
        b.m = q[0]; b.s.at_max = q[1]; b.s.below = q[2]; b.d = q[3]; b.w = q[4]; b.t = q[5];
        acc = acc_merge(acc, b);
    }
    acc = group_acc<SPLIT_BLOCK, SPLIT_BLOCK>(acc, scratch);
    const float logs = expsum_log(acc.s);
    const HardRow h = hard_row(A, r);
    if (c == 0 && lane == 0) {
        if (h.bad) record_bad_label(A.error_info, r, h.y);
        float loss = hard_loss(A, h, acc, logs);
        if (A.z_loss != 0.0f) loss += row_zloss(A, r, h.wy, acc.m + logs);
        A.row_loss[r] = loss;
        if (A.lse) A.lse[r] = acc.m + logs;
    }
    if (!GRAD) return;
    const int64_t c0 = c * A.chunk_len;
    const int64_t c1 = c0 + A.chunk_len < A.classes ? c0 + A.chunk_len : A.classes;
    const T* x = static_cast<const T*>(A.logits) + r * A.outer_stride;
    T* g = static_cast<T*>(A.grad) + r * A.outer_stride;
    const bool vec = aligned16(x) && aligned16(g) && (A.weight == nullptr || aligned16(A.weight));
    const float s = row_scale(A, r);
    HardCoef co = hard_coef(A, h, s);
    if (A.z_loss != 0.0f) co.cp += zloss_coef(A, s, h.wy, acc.m + logs);
    co = scaled_by_inverse_sum(co, expsum_total(acc.s));
    const float shift = safe_max(acc.m);
    row_pass2<T, SPLIT_BLOCK, false, false>(A, x, g, nullptr, c0, c1, 1, vec, lane, shift, co.cp, co.cw, h.active);
    // z_y comes from the partials (kernel 1 read it before anything was written)
    if (h.active && owns<T, SPLIT_BLOCK>(h.y, c0, c1, lane)) fix_target<T>(A, g + h.y, h, co, acc.t, shift, 1.0f);
}

// ---- launchers ---------------------------------------------------------------------------------
//
// Block sizes:
//  - warp per row (C small): 256 threads = 8 rows per block; enough blocks for any N >= ~8K rows,
//    and a warp needs no barrier, so short rows are not dominated by __syncthreads.
//  - block per row: 512 threads. For the register-resident kernel 512 x NPACK(<= 8) x 4 registers
//    of data stays under 64 registers/thread, so 2 blocks fit per SM (65536 registers): one block
//    loads while the other reduces and writes. 1024 threads would cap at 64 registers with 1 block.
//  - a thread per row ((N, C, d) layouts): 256 threads.
//  - split rows: 256 threads per chunk of >= 2048 logits; ~1024 blocks.
//  - prep / final reductions: one block of 512 threads (small inputs, run once per call).

constexpr int WARP_BLOCK = 256;
// Warp-resident fused kernel up to 1024 classes for every dtype (fp32: 8 packs per lane; 16-bit:
// 4 packs of 8, since 8 of them would need > 128 registers on sm_80).
constexpr int64_t WARP_RESIDENT_MAX = 1024;
constexpr int ROW_BLOCK = 512;
// Register-resident rows of 1024 < C <= 4096 use 128-thread blocks: a 512-thread block per short
// row leaves only 2 rows in flight per SM and the per-row latency (label, reductions) dominates.
constexpr int SMALL_ROW_BLOCK = 128;
constexpr int64_t SMALL_ROW_BLOCK_MAX = 4096;
constexpr int THREAD_BLOCK = 256;

inline cudaError_t after_launch() { return cudaGetLastError(); }

template <typename T, int OP, bool XF>
cudaError_t launch_ce_stream_xf(const CeArgs& A, cudaStream_t st, bool warp_fits) {
    if (A.inner != 1) {
        auto k = ce_stream_kernel<T, 1, THREAD_BLOCK, OP, XF>;
        XENT_LAUNCH(k, dim3((unsigned)((A.rows + THREAD_BLOCK - 1) / THREAD_BLOCK), (unsigned)A.chunks),
                    dim3(THREAD_BLOCK), st, A);
    } else if (warp_fits) {
        auto k = ce_stream_kernel<T, 32, WARP_BLOCK, OP, XF>;
        XENT_LAUNCH(k, dim3((unsigned)((A.rows + 7) / 8), (unsigned)A.chunks), dim3(WARP_BLOCK), st, A);
    } else {
        auto k = ce_stream_kernel<T, ROW_BLOCK, ROW_BLOCK, OP, XF>;
        XENT_LAUNCH(k, dim3((unsigned)A.rows, (unsigned)A.chunks), dim3(ROW_BLOCK), st, A);
    }
    return after_launch();
}

// The streaming kernels with the logit transform when the call has one (uniform per call).
template <typename T, int OP>
cudaError_t launch_ce_stream(const CeArgs& A, cudaStream_t st, bool warp_fits) {
    return A.logit_scale != 1.0f || A.softcap != 0.0f ? launch_ce_stream_xf<T, OP, true>(A, st, warp_fits)
                                            : launch_ce_stream_xf<T, OP, false>(A, st, warp_fits);
}

// Register budget of the resident kernels: the row takes NPACK * PACK fp32 registers once unpacked
// (the compiler keeps them live across the three phases). Fewer than 16 of them fit in 64
// registers (warp kernel: 4 blocks of 256 per SM; block kernel: 2 blocks of 512); 16 to 32 get 128
// registers (2 blocks of 256; 1 block of 512) rather than spilling: the H100 build's ptxas report
// showed 16 unpacked values spilling 40 bytes under a 64-register cap. 64 values (16-bit rows of
// 512 x 8 packs) do not fit in 128 registers at all, so those rows take the streaming path.
template <typename T, int NPACK>
constexpr int resident_minb(int block) {
    return NPACK * Storage<T>::PACK < 16 ? 2048 / 2 / block : 1024 / 2 / block;
}
// Packs per thread of the largest resident block kernel: 32 unpacked values at most.
template <typename T>
constexpr int resident_max_npack() {
    return Storage<T>::PACK == 4 ? 8 : 4;
}

template <typename T, int NPACK>
cudaError_t launch_resident_warp(const CeArgs& A, cudaStream_t st) {
    auto k = ce_resident_kernel<T, 32, WARP_BLOCK, NPACK, resident_minb<T, NPACK>(WARP_BLOCK)>;
    XENT_LAUNCH(k, dim3((unsigned)((A.rows + 7) / 8)), dim3(WARP_BLOCK), st, A);
    return after_launch();
}
template <typename T, int BLOCK, int NPACK>
cudaError_t launch_resident_block(const CeArgs& A, cudaStream_t st) {
    auto k = ce_resident_kernel<T, BLOCK, BLOCK, NPACK, resident_minb<T, NPACK>(BLOCK)>;
    XENT_LAUNCH(k, dim3((unsigned)A.rows), dim3(BLOCK), st, A);
    return after_launch();
}

// The register-resident kernel reads every row with 16-byte loads: contiguous rows, logits,
// gradient and weights 16-byte aligned, and a row stride that keeps every row aligned.
template <typename T>
inline bool resident_ok(const CeArgs& A) {
    const uintptr_t bits = (uintptr_t)A.logits | (uintptr_t)A.grad | (uintptr_t)A.weight;
    return A.inner == 1 && (bits & 15u) == 0 && ((uint64_t)A.outer_stride * sizeof(T)) % 16 == 0;
}

// Largest grid dimension we launch over rows (gridDim.x limit 2^31 - 1).
inline bool ce_rows_fit(int64_t rows) { return rows <= 2147483647LL; }

// The whole call: prep, main kernel(s), final reduction. A.row_loss must be set (caller's or
// workspace + WS_ROWS); A.chunks/chunk_len are set here.
template <typename T>
cudaError_t launch_ce(int op, CeArgs A, cudaStream_t st) {
    constexpr int P = Storage<T>::PACK;
    const bool soft = op == SOFT_FWD || op == SOFT_FUSED || op == SOFT_BWD;
    const bool forward = op == CE_FWD || op == CE_FUSED || op == SOFT_FWD || op == SOFT_FUSED;
    A.chunks = 1;
    A.chunk_len = A.classes;
    cudaError_t e;
    {
        auto k = ce_prep_kernel;
        XENT_LAUNCH(k, dim3(1), dim3(PREP_BLOCK), st, A, soft ? 1 : 0);
        if ((e = after_launch()) != cudaSuccess) return e;
    }
    if (A.rows > 0) {
        const bool warp_fits = A.classes <= 32 * 8 * P;
        const int64_t chunks = A.inner == 1 ? ce_split_chunks(A.rows, A.classes) : 1;
        // a logit transform only in the streaming kernels (CE_BWD's chunks are streaming too); the
        // z-loss not in the register-resident ones either, which keep their registers
        const bool xf = A.logit_scale != 1.0f || A.softcap != 0.0f;
        const bool resident = op == CE_FUSED && !xf && A.z_loss == 0.0f && resident_ok<T>(A);
        if (chunks > 1 && (op == CE_BWD || (!xf && (op == CE_FWD || op == CE_FUSED)))) {
            A.chunk_len = ce_chunk_len(A.classes, chunks);
            A.chunks = (int)((A.classes + A.chunk_len - 1) / A.chunk_len);
            const dim3 grid((unsigned)A.chunks, (unsigned)A.rows);
            if (op == CE_BWD) {
                e = launch_ce_stream<T, CE_BWD>(A, st, false);
            } else {
                auto k1 = ce_split_partial_kernel<T>;
                XENT_LAUNCH(k1, grid, dim3(SPLIT_BLOCK), st, A);
                if ((e = after_launch()) != cudaSuccess) return e;
                if (op == CE_FUSED) {
                    auto k2 = ce_split_finish_kernel<T, true>;
                    XENT_LAUNCH(k2, grid, dim3(SPLIT_BLOCK), st, A);
                } else {
                    auto k2 = ce_split_finish_kernel<T, false>;
                    XENT_LAUNCH(k2, dim3(1, (unsigned)A.rows), dim3(SPLIT_BLOCK), st, A);
                }
                e = after_launch();
            }
        } else if (resident && A.classes <= WARP_RESIDENT_MAX) {
            if (A.classes <= 32 * 1 * P) e = launch_resident_warp<T, 1>(A, st);
            else if (A.classes <= 32 * 2 * P) e = launch_resident_warp<T, 2>(A, st);
            else if (P == 8 || A.classes <= 32 * 4 * P) e = launch_resident_warp<T, 4>(A, st);
            else e = launch_resident_warp<T, (P == 4 ? 8 : 4)>(A, st);
        } else if (resident && A.classes <= SMALL_ROW_BLOCK_MAX) {
            // 1024 < C <= 4096: 128 threads per row, 8..16 rows in flight per SM
            if (A.classes <= SMALL_ROW_BLOCK * (P == 4 ? 4 : 2) * P) e = launch_resident_block<T, SMALL_ROW_BLOCK, (P == 4 ? 4 : 2)>(A, st);
            else e = launch_resident_block<T, SMALL_ROW_BLOCK, (P == 4 ? 8 : 4)>(A, st);
        } else if (resident && A.classes <= ROW_BLOCK * resident_max_npack<T>() * P) {
            if (A.classes <= ROW_BLOCK * 1 * P) e = launch_resident_block<T, ROW_BLOCK, 1>(A, st);
            else if (A.classes <= ROW_BLOCK * 2 * P) e = launch_resident_block<T, ROW_BLOCK, 2>(A, st);
            else if (P == 8 || A.classes <= ROW_BLOCK * 4 * P) e = launch_resident_block<T, ROW_BLOCK, 4>(A, st);
            else e = launch_resident_block<T, ROW_BLOCK, resident_max_npack<T>()>(A, st);
        } else {
            switch (op) {
                case CE_FWD: e = launch_ce_stream<T, CE_FWD>(A, st, warp_fits); break;
                case CE_FUSED: e = launch_ce_stream<T, CE_FUSED>(A, st, warp_fits); break;
                case CE_BWD: e = launch_ce_stream<T, CE_BWD>(A, st, warp_fits); break;
                case SOFT_FWD: e = launch_ce_stream<T, SOFT_FWD>(A, st, warp_fits); break;
                case SOFT_FUSED: e = launch_ce_stream<T, SOFT_FUSED>(A, st, warp_fits); break;
                default: e = launch_ce_stream<T, SOFT_BWD>(A, st, warp_fits); break;
            }
        }
        if (e != cudaSuccess) return e;
    }
    if (forward) {
        auto k = reduce_loss_kernel;
        XENT_LAUNCH(k, dim3(1), dim3(REDUCE_BLOCK), st, (const float*)A.row_loss, (const float*)A.row_z_loss, A.rows,
                    A.reduction, A.workspace);
        if ((e = after_launch()) != cudaSuccess) return e;
    }
    return cudaSuccess;
}

}  // namespace xent
