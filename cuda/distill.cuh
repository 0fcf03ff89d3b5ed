// distill.cuh: losses between two softmax distributions given by logits of the same shape:
// distillation (KL(p || q) and soft cross-entropy H(p, q) of a teacher p = softmax(z_t / tau) and
// a student q = softmax(z_s / tau), times tau^2, optionally mixed with the student's hard-label
// cross-entropy at temperature 1, class-weighted as F.cross_entropy's weight), entropy H(softmax(z))
// and Jensen-Shannon JS(p, q).
//
// Fused: the teacher's softmax is never stored. One online pass reads both rows together and
// carries, relative to running maxima, the teacher's and the student's (max, sum of exp), the cross
// term sum_k e^{a_k - m_a} ((a_k - m_a) - (b_k - m_b)) (a = z_t / tau, b = z_s / tau), the teacher's
// sum_k e^{a_k - m_a} (a_k - m_a), and, with hard labels, the student's sum of exp at temperature 1.
// The maxima are kept as raw logits and every difference is taken between raw logits before the
// scaling, a_k - m_a = (z_k - max z) / tau: scaling first would round a_k and m_a apart, by up to
// 2e-5 near |z| = 1000 when 1 / tau is not a power of two.
// Then, per row, with S_a, S_b the sums:
//   H(p) = log S_a - D / S_a,  KL(p || q) = X / S_a - log S_a + log S_b,  H(p, q) = H(p) + KL.
// Keeping every term relative to the row maxima keeps rows offset by +-1000 exact, and KL comes
// from its own sum (not as a difference of two entropies, which would cancel when q is close to p);
// a KL that rounding leaves below 0 (q within rounding of p) is written as 0.
// A masked teacher class (-inf) has p = 0 and contributes 0; a class masked in the student only
// gives KL = +inf, as PyTorch's.
//  - forward: 2B per logit pair read (both tensors once), 4 floats per row written;
//  - fused loss + gradient: a second pass re-reads both rows (mostly from L2) and writes the
//    student's gradient once: 3B..5B per pair. g_k = c_kl (q_k - p_k) + c_ce w[y] (softmax(z_s)_k - [k = y]).
//  - entropy reads one tensor (gradient: re-read and write once); JS makes a second pass for
//    A = KL(p || m) and B = KL(q || m), and with the gradient a third that writes both gradients
//    once: g_p = (u / 2) p (log(p / m) - A), g_q = (u / 2) q (log(q / m) - B).
// Shapes: a warp per row for C <= 32 * 8 * PACK, else a 512-thread block per row; (N, C, d) layouts:
// a thread per row. Around them: denominators_kernel and combine_rows_kernel (loss_reduce.cuh).
//
// Workspace (fp32, dist_workspace_floats): [0] reduced loss, [1] KL denominator (MEAN: rows),
// [2] hard-label denominator (MEAN: sum of w[y] over rows not ignored, 1 each without weights),
// [3] unused, [4, 4 + rows) per-row KL, [4 + rows, 4 + 2 rows) per-row weighted hard cross-entropy.
#pragma once

#include "loss_reduce.cuh"

namespace xent {

enum DistOp : int {
    DIST_FWD = 0,    // distillation / KL, forward
    DIST_FUSED = 1,  // distillation / KL, forward + student gradient
    ENT_FWD = 2,     // entropy of softmax(t), forward
    ENT_FUSED = 3,   // entropy, forward + gradient
    JS_FWD = 4,      // Jensen-Shannon of softmax(t), softmax(s), forward
    JS_FUSED = 5     // Jensen-Shannon, forward + the gradients of both logits (either may be null)
};

struct DistArgs {
    const void* teacher;  // p; entropy: the logits; JS: p_logits
    const void* student;  // q; JS: q_logits; null for entropy
    void* grad;           // fused ops, may equal student (entropy: teacher; JS: p's gradient, may equal teacher)
    void* grad_q;         // JS: q's gradient, may equal student; either of grad, grad_q may be null
    const void* labels;   // class indices of the student, or null (alpha == 1)
    const float* weight;  // classes weights of the hard term, or null for ones
    int lab64;            // derived: labels are int64
    int64_t ignore_index;
    int64_t classes, inner, outer_stride;
    int64_t rows;         // derived: outer * inner
    float inv_tau;        // derived: 1 / temperature
    float temperature, alpha;
    int reduction;
    const float* upstream;  // null: 1; NONE: one per row
    float* row_loss;        // each optional
    float* row_kl;
    float* row_soft_ce;
    float* row_teacher_entropy;
    float* out;             // entropy, JS: one fp32 per row
    float* workspace;
    int64_t* error_info;
};

constexpr int DIST_WS_ROWS = 4;
inline int64_t dist_workspace_floats(int64_t rows) { return DIST_WS_ROWS + 2 * (rows < 0 ? 0 : rows); }

// ---- the two-distribution accumulator ----------------------------------------------------------

// ma, mb: the raw maxima of teacher and student; the sums are relative to them, in units of z / tau.
// The sums of exponentials are ExpSums (common.cuh): a confident row keeps its small entropy, KL
// and hard-label loss to 1e-7, as cross-entropy's.
struct DAcc {
    float ma;
    ExpSum sa;
    float mb;
    ExpSum sb;
    float x, d, m1;
    ExpSum s1;
};

XENT_DEV DAcc dacc_empty() {
    DAcc a;
    a.ma = neg_inf(); a.sa = expsum_empty(); a.mb = neg_inf(); a.sb = expsum_empty();
    a.x = 0.f; a.d = 0.f; a.m1 = neg_inf(); a.s1 = expsum_empty();
    return a;
}

// Moves the teacher's reference from a.ma to mn >= a.ma: terms scale by e^{-delta}, (a_k - m) by -delta
// (delta = (mn - a.ma) / tau, it = 1 / tau).
XENT_DEV void dacc_rebase_t(DAcc& a, float mn, float it) {
    if (mn == a.ma) return;
    if (a.ma == neg_inf()) {  // nothing accumulated (or NaN): keep it so, never 0 * exp(overflow)
        expsum_rebase(a.sa, true, 0.0f); a.d *= 0.0f; a.x *= 0.0f;
    } else {
        const float delta = (safe_max(mn) - a.ma) * it, f = xexp(-delta), sa = expsum_total(a.sa);
        a.d = f * (a.d - delta * sa);
        if (a.x != pos_inf()) a.x = f * (a.x - delta * sa);  // an infinite KL stays so (f may be 0)
        expsum_rebase(a.sa, false, f);
    }
    a.ma = mn;
}
// Moves the student's reference: (b_k - m_b) drops by delta, so the cross term grows by delta S_a.
XENT_DEV void dacc_rebase_s(DAcc& a, float mn, float it) {
    if (mn == a.mb) return;
    const float delta = (safe_max(mn) - safe_max(a.mb)) * it;
    expsum_rebase(a.sb, a.mb == neg_inf(), xexp(-delta));
    a.x += delta * expsum_total(a.sa);
    a.mb = mn;
}
XENT_DEV void dacc_rebase_1(DAcc& a, float mn) {
    if (mn == a.m1) return;
    expsum_rebase(a.s1, a.m1 == neg_inf(), xexp(safe_max(a.m1) - safe_max(mn)));
    a.m1 = mn;
}

XENT_DEV DAcc dacc_merge(DAcc a, DAcc b, float it) {
    // teacher first: the student's rebase adds delta * S_a with S_a already on the common reference
    const float ma = fmaxf(a.ma, b.ma), mb = fmaxf(a.mb, b.mb), m1 = fmaxf(a.m1, b.m1);
    dacc_rebase_t(a, ma, it); dacc_rebase_t(b, ma, it);
    dacc_rebase_s(a, mb, it); dacc_rebase_s(b, mb, it);
    dacc_rebase_1(a, m1); dacc_rebase_1(b, m1);
    DAcc r;
    r.ma = ma; r.mb = mb; r.m1 = m1;
    r.sa = expsum_plus(a.sa, b.sa); r.sb = expsum_plus(a.sb, b.sb); r.s1 = expsum_plus(a.s1, b.s1);
    r.x = a.x + b.x; r.d = a.d + b.d;
    return r;
}

XENT_DEV DAcc shfl_dacc(const DAcc& a, int o) {
    DAcc r;
    r.ma = __shfl_xor_sync(FULL_MASK, a.ma, o); r.sa = shfl_xor_expsum(a.sa, o);
    r.mb = __shfl_xor_sync(FULL_MASK, a.mb, o); r.sb = shfl_xor_expsum(a.sb, o);
    r.x = __shfl_xor_sync(FULL_MASK, a.x, o); r.d = __shfl_xor_sync(FULL_MASK, a.d, o);
    r.m1 = __shfl_xor_sync(FULL_MASK, a.m1, o); r.s1 = shfl_xor_expsum(a.s1, o);
    return r;
}
XENT_DEV DAcc bcast_dacc(const DAcc& a) {
    DAcc r;
    r.ma = __shfl_sync(FULL_MASK, a.ma, 0); r.sa = shfl_expsum(a.sa, 0);
    r.mb = __shfl_sync(FULL_MASK, a.mb, 0); r.sb = shfl_expsum(a.sb, 0);
    r.x = __shfl_sync(FULL_MASK, a.x, 0); r.d = __shfl_sync(FULL_MASK, a.d, 0);
    r.m1 = __shfl_sync(FULL_MASK, a.m1, 0); r.s1 = shfl_expsum(a.s1, 0);
    return r;
}
XENT_DEV DAcc warp_dacc(DAcc a, float it) {
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) a = dacc_merge(a, shfl_dacc(a, o), it);
    return bcast_dacc(a);  // lane 0's bits in every lane
}
// As group_acc (common.cuh): GROUP 1, 32 or BLOCK threads per row, same bits in every thread.
template <int GROUP, int BLOCK>
XENT_DEV DAcc group_dacc(DAcc a, DAcc* scratch, float it) {
    if (GROUP == 1) return a;
    a = warp_dacc(a, it);
    if (GROUP == 32) return a;
    constexpr int NW = BLOCK / 32;
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    if (lane == 0) scratch[warp] = a;
    __syncthreads();
    DAcc b = lane < NW ? scratch[lane] : dacc_empty();
    __syncthreads();
    return warp_dacc(b, it);
}

// One pack: a = teacher, b = student (raw logits, over tau through it = 1 / tau), z1 = the student
// at temperature 1 (HARD only).
template <int P, bool TWO, bool HARD>
XENT_DEV void dacc_pack(DAcc& acc, const float (&a)[P], const float (&b)[P], const float (&z1)[P], float it) {
    float pa = a[0], pb = TWO ? b[0] : 0.f, p1 = HARD ? z1[0] : 0.f;
#pragma unroll
    for (int i = 1; i < P; ++i) {
        pa = fmaxf(pa, a[i]);
        if (TWO) pb = fmaxf(pb, b[i]);
        if (HARD) p1 = fmaxf(p1, z1[i]);
    }
    dacc_rebase_t(acc, fmaxf(acc.ma, pa), it);
    if (TWO) dacc_rebase_s(acc, fmaxf(acc.mb, pb), it);
    if (HARD) dacc_rebase_1(acc, fmaxf(acc.m1, p1));
    const float ra = safe_max(acc.ma), rb = safe_max(acc.mb), r1 = safe_max(acc.m1);
#pragma unroll
    for (int i = 0; i < P; ++i) {
        const float da = (a[i] - ra) * it, ea = xexp(da);
        expsum_add(acc.sa, ea, a[i] == ra);
        if (ea != 0.0f) {  // p_k = 0 (masked teacher class, padding) contributes 0, not 0 * inf
            acc.d += ea * da;
            if (TWO) acc.x += ea * (da - (b[i] - rb) * it);
        } else if (TWO && b[i] == neg_inf() && a[i] != neg_inf()) {
            acc.x = pos_inf();  // teacher mass where the student has none: KL = +inf, however far p_k underflowed
        }
        if (TWO) expsum_add(acc.sb, xexp((b[i] - rb) * it), b[i] == rb);
        if (HARD) expsum_add(acc.s1, xexp(z1[i] - r1), z1[i] == r1);
    }
}

// One class of a JS row: p, q and the log-ratios log(p / m), log(q / m), m = (p + q) / 2, from the
// raw logits a, b (row maxima ra, rb, log sums logsa, logsb). log m is taken in log space around the
// larger of log p, log q, so p = q gives both ratios exactly 0 and JS exactly 0.
struct JsTerm {
    float p, q, dp, dq;
};
XENT_DEV JsTerm js_term(float a, float b, float ra, float rb, float logsa, float logsb, float it) {
    const float lp = (a - ra) * it - logsa, lq = (b - rb) * it - logsb;
    const float hi = fmaxf(lp, lq), c = log1pf(0.5f * (xexp(fminf(lp, lq) - hi) - 1.0f));  // log m - hi, 0 at p = q
    JsTerm k;
    k.p = xexp(lp);
    k.q = xexp(lq);
    k.dp = (lp - hi) - c;
    k.dq = (lq - hi) - c;
    return k;
}

// ---- kernels -----------------------------------------------------------------------------------

// Registers: both rows' packs and the 8-float accumulator live together. Under a 64-register cap
// (1024 / BLOCK blocks) ptxas spilled up to 120 bytes for sm_90 (16-bit: 3 x 8 unpacked values per
// pack), so 16-bit kernels get 128 registers and fp32 ones 85 (256 threads) / 128 (512).
template <typename T>
constexpr int dist_minb(int block) {
    return (sizeof(T) == 2 ? 512 : 768) / block;
}

template <typename T, int GROUP, int BLOCK, int OP>
__global__ void XENT_BOUNDS(BLOCK, (dist_minb<T>(BLOCK))) dist_kernel(DistArgs A) {
    typedef Storage<T> S;
    constexpr int P = S::PACK;
    constexpr bool TWO = OP == DIST_FWD || OP == DIST_FUSED || OP == JS_FWD || OP == JS_FUSED;
    constexpr bool GRAD = OP == DIST_FUSED || OP == ENT_FUSED || OP == JS_FUSED;
    __shared__ DAcc scratch[BLOCK / 32];
    __shared__ float fscratch[BLOCK / 32];
    const int lane = GROUP == 1 ? 0 : (GROUP == 32 ? (int)(threadIdx.x & 31) : (int)threadIdx.x);
    const int64_t r = (int64_t)blockIdx.x * (BLOCK / GROUP) + threadIdx.x / GROUP;
    if (r >= A.rows) return;  // uniform over the group
    const int64_t C = A.classes, step = A.inner;
    const int64_t base = A.inner == 1 ? r * A.outer_stride : (r / A.inner) * A.outer_stride + (r % A.inner);
    const T* t = static_cast<const T*>(A.teacher) + base;
    const T* s = TWO ? static_cast<const T*>(A.student) + base : nullptr;
    T* g = GRAD && A.grad ? static_cast<T*>(A.grad) + base : nullptr;
    T* gq = OP == JS_FUSED && A.grad_q ? static_cast<T*>(A.grad_q) + base : nullptr;
    const bool vec = step == 1 && aligned16(t) && (!TWO || aligned16(s)) && (!g || aligned16(g)) && (!gq || aligned16(gq));
    const bool hard = OP == DIST_FWD || OP == DIST_FUSED ? A.labels != nullptr : false;
    const float it = A.inv_tau;

    // the hard label (student at temperature 1)
    int64_t y = -1;
    bool active = false;
    float zy = 0.0f, wy = 0.0f;  // the student's target logit and the target's weight
    if (hard) {
        y = load_label(A.labels, A.lab64, r);
        active = y != A.ignore_index && y >= 0 && y < C;
        if (!active && y != A.ignore_index && lane == 0) record_bad_label(A.error_info, r, y);
        if (active) {
            zy = S::load(s + y * step);  // before any thread writes the gradient
            wy = A.weight ? A.weight[y] : 1.0f;
        }
    }

    // pass 1: both rows together, each pack once
    const int64_t npack = (C + P - 1) / P;
    DAcc acc = dacc_empty();
    for (int64_t j = lane; j < npack; j += GROUP) {
        const int64_t e0 = j * P;
        const bool full = e0 + P <= C;
        float a[P], b[P];
        load_vals<T>(t, e0, C, step, vec, full, a, neg_inf());
        if (TWO) load_vals<T>(s, e0, C, step, vec, full, b, neg_inf());
        float z1[P];  // the student at temperature 1
#pragma unroll
        for (int i = 0; i < P; ++i) z1[i] = TWO ? b[i] : 0.0f;
        if (hard) dacc_pack<P, TWO, true>(acc, a, b, z1, it);
        else dacc_pack<P, TWO, false>(acc, a, b, z1, it);
    }
    acc = group_dacc<GROUP, BLOCK>(acc, scratch, it);
    const float logsa = expsum_log(acc.sa), ra = safe_max(acc.ma);
    const float ent = logsa - acc.d / expsum_total(acc.sa);

    float u = 1.0f;
    if (GRAD && A.upstream) u = A.upstream[A.reduction == RED_NONE ? r : 0];
    if (OP == JS_FWD || OP == JS_FUSED) {
        // pass 2: A = sum_k p (log p - log m), B = sum_k q (log q - log m), m = (p + q) / 2, JS = (A + B) / 2
        const float logsb = expsum_log(acc.sb), rb = safe_max(acc.mb);
        float sum_p = 0.0f, sum_q = 0.0f;
        for (int64_t j = lane; j < npack; j += GROUP) {
            const int64_t e0 = j * P;
            const bool full = e0 + P <= C;
            float a[P], b[P];
            load_vals<T>(t, e0, C, step, vec, full, a, neg_inf());
            load_vals<T>(s, e0, C, step, vec, full, b, neg_inf());
#pragma unroll
            for (int i = 0; i < P; ++i) {
                const JsTerm k = js_term(a[i], b[i], ra, rb, logsa, logsb, it);
                if (k.p != 0.0f) sum_p += k.p * k.dp;
                if (k.q != 0.0f) sum_q += k.q * k.dq;
            }
        }
        sum_p = group_sum<GROUP, BLOCK>(sum_p, fscratch);
        sum_q = group_sum<GROUP, BLOCK>(sum_q, fscratch);
        const float js = 0.5f * (sum_p + sum_q);
        if (lane == 0) A.out[r] = js < 0.0f ? 0.0f : js;  // JS >= 0: below is rounding (NaN stays NaN)
        if (OP != JS_FUSED) return;
        // pass 3: g_p = (u / 2) p (log(p / m) - A), g_q = (u / 2) q (log(q / m) - B), each element
        // written by the thread that read it (in place works), the values kept in a and b
        const float hu = 0.5f * u;
        for (int64_t j = lane; j < npack; j += GROUP) {
            const int64_t e0 = j * P;
            const bool full = e0 + P <= C;
            float a[P], b[P];
            load_vals<T>(t, e0, C, step, vec, full, a, neg_inf());
            load_vals<T>(s, e0, C, step, vec, full, b, neg_inf());
#pragma unroll
            for (int i = 0; i < P; ++i) {
                const JsTerm k = js_term(a[i], b[i], ra, rb, logsa, logsb, it);
                a[i] = k.p != 0.0f ? hu * k.p * (k.dp - sum_p) : 0.0f;
                b[i] = k.q != 0.0f ? hu * k.q * (k.dq - sum_q) : 0.0f;
            }
            if (g) store_vals<T>(g, e0, C, step, vec, full, a);
            if (gq) store_vals<T>(gq, e0, C, step, vec, full, b);
        }
        return;
    }

    if (OP == ENT_FWD || OP == ENT_FUSED) {
        if (lane == 0) A.out[r] = ent;
        if (OP == ENT_FUSED) {
            // g_k = -u p_k ((a_k - m) - D / S): the entropy's gradient, 0 where p_k = 0
            const float sa = expsum_total(acc.sa), mean_shift = acc.d / sa, cp = -u / sa;
            for (int64_t j = lane; j < npack; j += GROUP) {
                const int64_t e0 = j * P;
                const bool full = e0 + P <= C;
                float a[P], o[P];
                load_vals<T>(t, e0, C, step, vec, full, a, neg_inf());
#pragma unroll
                for (int i = 0; i < P; ++i) {
                    const float da = (a[i] - ra) * it, e = xexp(da);
                    o[i] = e != 0.0f ? cp * e * (da - mean_shift) : 0.0f;
                }
                store_vals<T>(g, e0, C, step, vec, full, o);
            }
        }
        return;
    }

    // distillation
    const float logsb = expsum_log(acc.sb), rb = safe_max(acc.mb);
    const float kl_sum = acc.x / expsum_total(acc.sa) - logsa + logsb;
    const float kl = kl_sum < 0.0f ? 0.0f : kl_sum;  // KL >= 0: below is rounding (NaN stays NaN)
    const float ce = active ? wy * ((safe_max(acc.m1) - zy) + expsum_log(acc.s1)) : 0.0f;
    const float t2 = A.temperature * A.temperature;
    if (lane == 0) {
        A.workspace[DIST_WS_ROWS + r] = kl;
        A.workspace[DIST_WS_ROWS + A.rows + r] = ce;
        float loss = A.alpha != 0.0f ? A.alpha * t2 * kl : 0.0f;
        if (hard && A.alpha != 1.0f) loss += (1.0f - A.alpha) * ce;
        if (A.row_loss) A.row_loss[r] = loss;
        if (A.row_kl) A.row_kl[r] = kl;
        if (A.row_soft_ce) A.row_soft_ce[r] = ent + kl;
        if (A.row_teacher_entropy) A.row_teacher_entropy[r] = ent;
    }
    if (OP != DIST_FUSED) return;
    // pass 2: g_k = c_kl (q_k - p_k) + c_ce (softmax(z_s)_k - [k = y]), c_ce holding w[y]; each
    // element written once
    const float ckl = A.alpha * A.temperature * u / A.workspace[1];
    const float cce = active && A.alpha != 1.0f ? (1.0f - A.alpha) * u * wy / A.workspace[2] : 0.0f;
    const float ia = ckl / expsum_total(acc.sa), ib = ckl / expsum_total(acc.sb);
    const float i1 = cce / expsum_total(acc.s1), r1 = safe_max(acc.m1);
    for (int64_t j = lane; j < npack; j += GROUP) {
        const int64_t e0 = j * P;
        const bool full = e0 + P <= C;
        float a[P], b[P], o[P];
        load_vals<T>(t, e0, C, step, vec, full, a, neg_inf());
        load_vals<T>(s, e0, C, step, vec, full, b, neg_inf());
#pragma unroll
        for (int i = 0; i < P; ++i) {
            float v = ib * xexp((b[i] - rb) * it) - ia * xexp((a[i] - ra) * it);
            if (cce != 0.0f) v += i1 * xexp(b[i] - r1) - (e0 + i == y ? cce : 0.0f);
            o[i] = v;
        }
        store_vals<T>(g, e0, C, step, vec, full, o);
    }
}

// ---- launchers ---------------------------------------------------------------------------------
// Block sizes as in softmax.cuh: 256 threads = 8 rows per block (warp per row), 512 threads per
// row above, 256 threads (one row each) for inner > 1; one block of 512 for the reductions.

template <typename T, int OP>
cudaError_t launch_dist_rows(const DistArgs& A, cudaStream_t st) {
    constexpr int P = Storage<T>::PACK;
    if (A.inner != 1) {
        auto k = dist_kernel<T, 1, 256, OP>;
        XENT_LAUNCH(k, dim3((unsigned)((A.rows + 255) / 256)), dim3(256), st, A);
    } else if (A.classes <= 32 * 8 * P) {
        auto k = dist_kernel<T, 32, 256, OP>;
        XENT_LAUNCH(k, dim3((unsigned)((A.rows + 7) / 8)), dim3(256), st, A);
    } else {
        auto k = dist_kernel<T, 512, 512, OP>;
        XENT_LAUNCH(k, dim3((unsigned)A.rows), dim3(512), st, A);
    }
    return cudaGetLastError();
}

// The whole call. Distillation: denominators, rows, reduction into ws[0]; entropy and JS: rows only.
template <typename T>
cudaError_t launch_dist(int op, const DistArgs& A, cudaStream_t st) {
    cudaError_t e;
    const bool dist = op == DIST_FWD || op == DIST_FUSED;
    if (dist) {
        // KLDivLoss's batchmean: the KL sum over the batch N (for (N, C, d..) not over N * d..)
        const int64_t batch = A.inner > 0 ? A.rows / A.inner : 0;
        auto k = denominators_kernel<LOSS_REDUCE_BLOCK>;
        XENT_LAUNCH(k, dim3(1), dim3(LOSS_REDUCE_BLOCK), st, A.labels, A.lab64, A.rows, A.classes, A.ignore_index,
                    A.weight, A.reduction == RED_MEAN ? 1 : 0, A.workspace + 2, batch, A.workspace + 1);
        if ((e = cudaGetLastError()) != cudaSuccess) return e;
    }
    if (A.rows > 0) {
        switch (op) {
            case DIST_FWD: e = launch_dist_rows<T, DIST_FWD>(A, st); break;
            case DIST_FUSED: e = launch_dist_rows<T, DIST_FUSED>(A, st); break;
            case ENT_FWD: e = launch_dist_rows<T, ENT_FWD>(A, st); break;
            case ENT_FUSED: e = launch_dist_rows<T, ENT_FUSED>(A, st); break;
            case JS_FWD: e = launch_dist_rows<T, JS_FWD>(A, st); break;
            default: e = launch_dist_rows<T, JS_FUSED>(A, st); break;
        }
        if (e != cudaSuccess) return e;
    }
    if (dist) {
        const float ckl = A.alpha * A.temperature * A.temperature;
        const float cce = A.labels != nullptr ? 1.0f - A.alpha : 0.0f;
        auto k = combine_rows_kernel<LOSS_REDUCE_BLOCK>;
        XENT_LAUNCH(k, dim3(1), dim3(LOSS_REDUCE_BLOCK), st, (const float*)(A.workspace + DIST_WS_ROWS), ckl,
                    (const float*)(A.workspace + 1), (const float*)(A.workspace + DIST_WS_ROWS + A.rows), cce,
                    (const float*)(A.workspace + 2), A.rows, A.workspace);
        if ((e = cudaGetLastError()) != cudaSuccess) return e;
    }
    return cudaSuccess;
}

}  // namespace xent
