// common.cuh: what every xent kernel shares.
//
//  - Storage types: fp32 (`float`), bf16 (`xent::bf16`) and fp16 (`xent::f16`). The 16-bit types are
//    plain 2-byte bit containers of our own (no dependency on cuda_bf16.h types, so the emulator
//    build needs nothing from them); conversions use the hardware instructions on the GPU
//    (cvt.rn.bf16x2.f32, cvt.f32.f16, ...) and exact bit-level code on the host. Arithmetic is
//    always fp32; conversions to 16 bits round to nearest even.
//  - 16-byte packs: a `Pack16` holds 4 fp32 or 8 16-bit values. A row is read as packs when its
//    base (and every other row pointer the kernel touches) is 16-byte aligned; the last, partial
//    pack and every pack of a misaligned row are read element by element with bounds checks.
//  - Reductions: warp (shuffle) and block (shuffle + static shared memory) sum / max, and the
//    online-softmax accumulator `Acc` with its merge. Block reductions read the per-warp
//    partials in a fixed order, so every result is deterministic and identical in every thread.
//  - Labels: int32 or int64, fetched as int64.
//
// Rules (see compat.cuh): static __shared__ only, XENT_LAUNCH for launches, no inline PTX; the
// few device-only intrinsics sit behind `#if defined(__CUDA_ARCH__)` with a portable fallback.
#pragma once

#include "compat.cuh"

#include <stdint.h>
#include <string.h>
#include <math.h>

#if defined(__CUDACC__)
#define XENT_DEV __device__ __forceinline__
#define XENT_BOUNDS(threads, blocks) __launch_bounds__(threads, blocks)
#else
#define XENT_DEV __device__ inline
#define XENT_BOUNDS(threads, blocks)
#endif

namespace xent {

// ---- storage types -----------------------------------------------------------------------------

struct bf16 { uint16_t bits; };
struct f16 { uint16_t bits; };

#if defined(__CUDACC__)
typedef uint4 Pack16;
#else
struct alignas(16) Pack16 { uint32_t x, y, z, w; };
#endif

XENT_DEV uint32_t pack_word(const Pack16& p, int i) {
    return i == 0 ? p.x : i == 1 ? p.y : i == 2 ? p.z : p.w;  // i is a compile-time constant
}
XENT_DEV void set_pack_word(Pack16& p, int i, uint32_t v) {
    if (i == 0) p.x = v; else if (i == 1) p.y = v; else if (i == 2) p.z = v; else p.w = v;
}

XENT_DEV float bits_to_float(uint32_t u) {
#if defined(__CUDA_ARCH__)
    return __uint_as_float(u);
#else
    float f;
    memcpy(&f, &u, 4);
    return f;
#endif
}
XENT_DEV uint32_t float_to_bits(float f) {
#if defined(__CUDA_ARCH__)
    return __float_as_uint(f);
#else
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
#endif
}

// Host (emulator) conversions, exact, round to nearest even; NaN stays NaN.
XENT_DEV uint16_t host_f32_to_bf16(float f) {
    uint32_t u = float_to_bits(f);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((u >> 16) | 0x40u);
    return (uint16_t)((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
}
XENT_DEV float host_f16_to_f32(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t e = (h >> 10) & 0x1fu, m = h & 0x3ffu;
    if (e == 0) {
        float v = (float)m * 5.9604644775390625e-8f;  // m * 2^-24, exact
        return sign ? -v : v;
    }
    if (e == 31) return bits_to_float(sign | 0x7f800000u | (m << 13));
    return bits_to_float(sign | ((e + 112u) << 23) | (m << 13));
}
XENT_DEV uint16_t host_f32_to_f16(float f) {
    uint32_t u = float_to_bits(f);
    uint16_t sign = (uint16_t)((u >> 16) & 0x8000u);
    uint32_t a = u & 0x7fffffffu;
    if (a > 0x7f800000u) return (uint16_t)(sign | 0x7e00u);   // NaN
    if (a >= 0x477ff000u) return (uint16_t)(sign | 0x7c00u);  // >= 65520 rounds to inf
    if (a >= 0x38800000u) {                                   // normal half
        uint32_t r = a - 0x38000000u;
        uint32_t h = r >> 13, rem = r & 0x1fffu;
        if (rem > 0x1000u || (rem == 0x1000u && (h & 1u))) h++;
        return (uint16_t)(sign | h);
    }
    if (a < 0x33000000u) return sign;                         // below half the smallest subnormal
    uint32_t e = a >> 23, m = (a & 0x7fffffu) | 0x800000u;
    uint32_t shift = 126u - e;                                // 14..24
    uint32_t h = m >> shift, rem = m & ((1u << shift) - 1u), half = 1u << (shift - 1u);
    if (rem > half || (rem == half && (h & 1u))) h++;
    return (uint16_t)(sign | h);
}

template <typename T> struct Storage;

template <> struct Storage<float> {
    static constexpr int PACK = 4;
    static constexpr uint32_t NEG_INF_RAW = 0xff800000u;
    XENT_DEV static uint32_t raw(const float* p) { return float_to_bits(*p); }
    XENT_DEV static float from_raw(uint32_t r) { return bits_to_float(r); }
    XENT_DEV static float unpack(const Pack16& q, int i) { return bits_to_float(pack_word(q, i)); }
    XENT_DEV static void set_raw(Pack16& q, int i, uint32_t r) { set_pack_word(q, i, r); }
    XENT_DEV static float load(const float* p) { return *p; }
    XENT_DEV static void store(float* p, float v) { *p = v; }
    XENT_DEV static Pack16 pack(const float (&v)[4]) {
        Pack16 q;
        q.x = float_to_bits(v[0]); q.y = float_to_bits(v[1]);
        q.z = float_to_bits(v[2]); q.w = float_to_bits(v[3]);
        return q;
    }
};

// What the two 16-bit storage types share: 8 values per 16-byte pack, two per 32-bit word; raw
// access to the bits; packing from pairs. S (the storage) supplies from_raw and pack2.
template <typename S, typename T> struct Storage16 {
    static constexpr int PACK = 8;
    XENT_DEV static uint32_t raw(const T* p) { return p->bits; }
    XENT_DEV static float load(const T* p) { return S::from_raw(p->bits); }
    XENT_DEV static void set_raw(Pack16& q, int i, uint32_t r) {
        uint32_t w = pack_word(q, i >> 1);
        w = (i & 1) ? ((w & 0xffffu) | (r << 16)) : ((w & 0xffff0000u) | r);
        set_pack_word(q, i >> 1, w);
    }
    XENT_DEV static Pack16 pack(const float (&v)[8]) {
        Pack16 q;
        q.x = S::pack2(v[0], v[1]); q.y = S::pack2(v[2], v[3]);
        q.z = S::pack2(v[4], v[5]); q.w = S::pack2(v[6], v[7]);
        return q;
    }
};

template <> struct Storage<bf16> : Storage16<Storage<bf16>, bf16> {
    static constexpr uint32_t NEG_INF_RAW = 0xff80u;
    XENT_DEV static float from_raw(uint32_t r) { return bits_to_float(r << 16); }
    XENT_DEV static float unpack(const Pack16& q, int i) {
        uint32_t w = pack_word(q, i >> 1);
        return bits_to_float((i & 1) ? (w & 0xffff0000u) : (w << 16));
    }
    XENT_DEV static uint32_t pack2(float lo, float hi) {
#if defined(__CUDA_ARCH__)
        __nv_bfloat162 h = __floats2bfloat162_rn(lo, hi);
        return *reinterpret_cast<uint32_t*>(&h);
#else
        return (uint32_t)host_f32_to_bf16(lo) | ((uint32_t)host_f32_to_bf16(hi) << 16);
#endif
    }
    XENT_DEV static void store(bf16* p, float v) {
#if defined(__CUDA_ARCH__)
        __nv_bfloat16 h = __float2bfloat16_rn(v);
        p->bits = *reinterpret_cast<uint16_t*>(&h);
#else
        p->bits = host_f32_to_bf16(v);
#endif
    }
};

template <> struct Storage<f16> : Storage16<Storage<f16>, f16> {
    static constexpr uint32_t NEG_INF_RAW = 0xfc00u;
    XENT_DEV static float from_raw(uint32_t r) {
#if defined(__CUDA_ARCH__)
        return __half2float(__ushort_as_half((unsigned short)r));
#else
        return host_f16_to_f32((uint16_t)r);
#endif
    }
    XENT_DEV static float unpack(const Pack16& q, int i) {
        uint32_t w = pack_word(q, i >> 1);
        return from_raw((i & 1) ? (w >> 16) : (w & 0xffffu));
    }
    XENT_DEV static uint32_t pack2(float lo, float hi) {
#if defined(__CUDA_ARCH__)
        __half2 h = __floats2half2_rn(lo, hi);
        return *reinterpret_cast<uint32_t*>(&h);
#else
        return (uint32_t)host_f32_to_f16(lo) | ((uint32_t)host_f32_to_f16(hi) << 16);
#endif
    }
    XENT_DEV static void store(f16* p, float v) {
#if defined(__CUDA_ARCH__)
        __half h = __float2half_rn(v);
        p->bits = *reinterpret_cast<uint16_t*>(&h);
#else
        p->bits = host_f32_to_f16(v);
#endif
    }
};

// Reductions, numbered as xent_reduction in xent.h.
enum : int { RED_NONE = 0, RED_SUM = 1, RED_MEAN = 2 };

// ---- loads and stores --------------------------------------------------------------------------

XENT_DEV bool aligned16(const void* p) { return ((uintptr_t)p & 15u) == 0; }

// One 16-byte load / store; the caller guarantees alignment and bounds.
XENT_DEV Pack16 load16(const void* p) { return *reinterpret_cast<const Pack16*>(p); }
XENT_DEV void store16(void* p, const Pack16& v) { *reinterpret_cast<Pack16*>(p) = v; }

// fp32 weights of the pack at e0 (element k -> w[k], always contiguous): 1 when w is null; 0 past
// `count` (padding) when the pack is not full. One or two 16-byte loads when `vec && full`.
template <int PACK>
XENT_DEV void load_weights(const float* w, int64_t e0, int64_t count, bool vec, bool full, float (&v)[PACK]) {
    if (w == nullptr) {
#pragma unroll
        for (int i = 0; i < PACK; ++i) v[i] = (full || e0 + i < count) ? 1.0f : 0.0f;
        return;
    }
    if (vec && full) {
#pragma unroll
        for (int j = 0; j < PACK / 4; ++j) {
            Pack16 q = load16(w + e0 + 4 * j);
            v[4 * j + 0] = bits_to_float(q.x); v[4 * j + 1] = bits_to_float(q.y);
            v[4 * j + 2] = bits_to_float(q.z); v[4 * j + 3] = bits_to_float(q.w);
        }
        return;
    }
#pragma unroll
    for (int i = 0; i < PACK; ++i) v[i] = (full || e0 + i < count) ? w[e0 + i] : 0.0f;
}

// PACK values of a row of storage type T at element e0 (elements at row[k * step]) as fp32,
// `fill` past `count` when the pack is not full.
template <typename T>
XENT_DEV void load_vals(const T* row, int64_t e0, int64_t count, int64_t step, bool vec, bool full,
                        float (&v)[Storage<T>::PACK], float fill) {
    typedef Storage<T> S;
    if (vec && full) {
        Pack16 q = load16(row + e0);
#pragma unroll
        for (int i = 0; i < S::PACK; ++i) v[i] = S::unpack(q, i);
        return;
    }
#pragma unroll
    for (int i = 0; i < S::PACK; ++i) v[i] = (full || e0 + i < count) ? S::load(row + (e0 + i) * step) : fill;
}

// Writes the PACK values at element e0: one 16-byte store when `vec && full`, else element
// stores (bounds-checked when not full).
template <typename T>
XENT_DEV void store_vals(T* row, int64_t e0, int64_t count, int64_t step, bool vec, bool full,
                         const float (&v)[Storage<T>::PACK]) {
    typedef Storage<T> S;
    if (vec && full) {
        store16(row + e0, S::pack(v));
        return;
    }
#pragma unroll
    for (int i = 0; i < S::PACK; ++i)
        if (full || e0 + i < count) S::store(row + (e0 + i) * step, v[i]);
}

// ---- labels ------------------------------------------------------------------------------------

XENT_DEV int64_t load_label(const void* labels, int is_i64, int64_t row) {
    return is_i64 ? static_cast<const int64_t*>(labels)[row]
                  : (int64_t) static_cast<const int32_t*>(labels)[row];
}

// Records (row, label) in error_info if it is still unset (-1). Never traps.
XENT_DEV void record_bad_label(int64_t* error_info, int64_t row, int64_t label) {
    if (error_info == nullptr) return;
    unsigned long long* slot = reinterpret_cast<unsigned long long*>(error_info);
    unsigned long long prev = atomicCAS(slot, 0xffffffffffffffffull, (unsigned long long)row);
    if (prev == 0xffffffffffffffffull) error_info[1] = label;
}

// ---- math --------------------------------------------------------------------------------------

XENT_DEV float neg_inf() { return bits_to_float(0xff800000u); }
XENT_DEV float pos_inf() { return bits_to_float(0x7f800000u); }
XENT_DEV float nan_f() { return bits_to_float(0x7fc00000u); }

XENT_DEV float xexp(float x) {
#if defined(__CUDA_ARCH__)
    return __expf(x);  // ex2.approx(x * log2 e): relative error ~2^-21 for the |x| we feed it
#else
    return expf(x);
#endif
}
XENT_DEV float xlog(float x) { return logf(x); }

// ---- sums of exponentials against a running max -----------------------------------------------
//
// sum_k exp(z_k - ms) for a row's running max m (ms = safe_max(m)), kept as two fp32 numbers:
// at_max, how many terms equal the max (each exp(0) = 1; 0 while m is -inf), and below, the sum of
// the others (exp(-inf - 0) = 0 while m is -inf, not NaN). A confident row's sum is 1 + (tiny
// terms), which an fp32 sum holds only to 2^-24 at each add and tree merge, while its loss is about
// the tiny terms themselves: log1p((at_max - 1) + below) keeps their digits (1e-7 absolute).
struct ExpSum {
    float at_max, below;
};

constexpr unsigned FULL_MASK = 0xffffffffu;

XENT_DEV float safe_max(float m) { return m == neg_inf() ? 0.f : m; }

XENT_DEV ExpSum expsum_empty() {
    ExpSum s;
    s.at_max = 0.f; s.below = 0.f;
    return s;
}
XENT_DEV float expsum_total(const ExpSum& s) { return s.at_max + s.below; }
XENT_DEV float expsum_log(const ExpSum& s) {
    return s.at_max >= 1.0f ? log1pf((s.at_max - 1.0f) + s.below) : xlog(s.below);
}
// Adds e = exp(v - ms) for a logit v; top: v == ms (only a real max matches, since ms is 0 while
// the max is -inf). At the max it counts 1 and adds e - 1, which is 0 there, or NaN for a +inf max
// (exp(inf - inf)), so that a +inf logit still gives NaN as PyTorch's.
XENT_DEV void expsum_add(ExpSum& s, float e, bool top) {
    s.at_max += top ? 1.0f : 0.0f;
    s.below += top ? e - 1.0f : e;
}
// Moves the sum to a larger max, f = exp(old - new): every term is below the new max. From a -inf
// max (nothing summed, or NaN) it stays 0 (or NaN): never 0 * exp(overflow).
XENT_DEV void expsum_rebase(ExpSum& s, bool from_neg_inf, float f) {
    s.below = from_neg_inf ? s.below * 0.0f : (s.at_max + s.below) * f;
    s.at_max = 0.0f;
}
XENT_DEV ExpSum expsum_plus(const ExpSum& a, const ExpSum& b) {
    ExpSum s;
    s.at_max = a.at_max + b.at_max; s.below = a.below + b.below;
    return s;
}
XENT_DEV ExpSum shfl_xor_expsum(const ExpSum& a, int lane_xor) {
    ExpSum s;
    s.at_max = __shfl_xor_sync(FULL_MASK, a.at_max, lane_xor);
    s.below = __shfl_xor_sync(FULL_MASK, a.below, lane_xor);
    return s;
}
XENT_DEV ExpSum shfl_expsum(const ExpSum& a, int lane) {
    ExpSum s;
    s.at_max = __shfl_sync(FULL_MASK, a.at_max, lane);
    s.below = __shfl_sync(FULL_MASK, a.below, lane);
    return s;
}

// ---- online softmax accumulator ----------------------------------------------------------------
//
// m: running max (never NaN: fmaxf drops NaN, which then poisons s instead);
// s: sum of exp(z - ms), ms = m, or 0 while m is -inf;
// d: sum of u_k (ms - z_k) for per-element weights u (label smoothing: u = w; probability
//    targets: u = w t'), relative to the same max so rows offset by 1000 keep their digits;
// w: sum of u_k (needed to move d when the max moves);
// t: a plain sum (the target logit, contributed by its one owner thread; 0 elsewhere).
struct Acc {
    float m;
    ExpSum s;
    float d, w, t;
};

XENT_DEV Acc acc_empty() {
    Acc a;
    a.m = neg_inf(); a.s = expsum_empty(); a.d = 0.f; a.w = 0.f; a.t = 0.f;
    return a;
}

// Moves an accumulator's reference max from a.m to mn >= a.m.
XENT_DEV void acc_rebase(Acc& a, float mn) {
    if (mn == a.m) return;
    float old = safe_max(a.m), now = safe_max(mn);
    expsum_rebase(a.s, a.m == neg_inf(), xexp(old - now));
    if (a.w != 0.f) a.d += a.w * (now - old);
    a.m = mn;
}

XENT_DEV Acc acc_merge(Acc a, Acc b) {
    float mn = fmaxf(a.m, b.m);
    acc_rebase(a, mn);
    acc_rebase(b, mn);
    Acc r;
    r.m = mn; r.s = expsum_plus(a.s, b.s); r.d = a.d + b.d; r.w = a.w + b.w; r.t = a.t + b.t;
    return r;
}

// ---- pack helpers ------------------------------------------------------------------------------

template <typename T>
XENT_DEV Pack16 neg_inf_pack() {
    constexpr uint32_t r = Storage<T>::NEG_INF_RAW;
    constexpr uint32_t w = Storage<T>::PACK == 4 ? r : (r | (r << 16));
    Pack16 q;
    q.x = w; q.y = w; q.z = w; q.w = w;
    return q;
}

template <typename T>
XENT_DEV void unpack_all(const Pack16& q, float (&v)[Storage<T>::PACK]) {
#pragma unroll
    for (int i = 0; i < Storage<T>::PACK; ++i) v[i] = Storage<T>::unpack(q, i);
}

// Visits this thread's packs of the elements [c0, c1) of a row (element k at x[k * step]):
// pack j (elements c0 + j*P .. c0 + j*P + P-1) belongs to lane j % GROUP of the row's group.
// f(e0, v, full) gets the pack's first element index and its values as fp32; the one partial
// pack at the end has full == false and -inf past c1. When `vec` (contiguous, 16-byte aligned row
// and c0 a multiple of P) full packs are read with 16-byte loads, U of them in flight per
// iteration; otherwise element by element. Every pass over a row uses this same assignment, so
// a thread only ever writes elements it has read itself (in-place safe without barriers).
template <typename T, int GROUP, int U, class F>
XENT_DEV void for_each_pack(const T* x, int64_t c0, int64_t c1, int64_t step, bool vec, int lane, F&& f) {
    typedef Storage<T> S;
    constexpr int P = S::PACK;
    const int64_t nfull = (c1 - c0) / P;
    int64_t j = lane;
    if (vec) {
        for (; j + (int64_t)(U - 1) * GROUP < nfull; j += (int64_t)U * GROUP) {
            Pack16 q[U];
#pragma unroll
            for (int u = 0; u < U; ++u) q[u] = load16(x + c0 + (j + (int64_t)u * GROUP) * P);
#pragma unroll
            for (int u = 0; u < U; ++u) {
                float v[P];
                unpack_all<T>(q[u], v);
                f(c0 + (j + (int64_t)u * GROUP) * P, v, true);
            }
        }
        for (; j < nfull; j += GROUP) {
            float v[P];
            unpack_all<T>(load16(x + c0 + j * P), v);
            f(c0 + j * P, v, true);
        }
    } else {
        for (; j < nfull; j += GROUP) {
            const int64_t e0 = c0 + j * P;
            float v[P];
#pragma unroll
            for (int i = 0; i < P; ++i) v[i] = S::load(x + (e0 + i) * step);
            f(e0, v, true);
        }
    }
    if (j == nfull && c0 + nfull * P < c1) {
        const int64_t e0 = c0 + nfull * P;
        float v[P];
#pragma unroll
        for (int i = 0; i < P; ++i) v[i] = e0 + i < c1 ? S::load(x + (e0 + i) * step) : neg_inf();
        f(e0, v, false);
    }
}

// Online update of acc with one pack of logits v and (optionally) element weights u.
template <int P>
XENT_DEV void acc_pack(Acc& acc, const float (&v)[P]) {
    float pm = v[0];
#pragma unroll
    for (int i = 1; i < P; ++i) pm = fmaxf(pm, v[i]);
    acc_rebase(acc, fmaxf(acc.m, pm));
    const float ms = safe_max(acc.m);
#pragma unroll
    for (int i = 0; i < P; ++i) expsum_add(acc.s, xexp(v[i] - ms), v[i] == ms);
}
// ---- warp and block reductions -----------------------------------------------------------------

XENT_DEV float warp_sum(float v) {
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(FULL_MASK, v, o);
    return __shfl_sync(FULL_MASK, v, 0);  // every lane gets lane 0's bits
}
XENT_DEV float warp_max(float v) {
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(FULL_MASK, v, o));
    return v;
}
XENT_DEV double warp_sum_d(double v) {
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(FULL_MASK, v, o);
    return __shfl_sync(FULL_MASK, v, 0);
}
XENT_DEV Acc shfl_acc(const Acc& a, int src_lane_xor) {
    Acc r;
    r.m = __shfl_xor_sync(FULL_MASK, a.m, src_lane_xor);
    r.s = shfl_xor_expsum(a.s, src_lane_xor);
    r.d = __shfl_xor_sync(FULL_MASK, a.d, src_lane_xor);
    r.w = __shfl_xor_sync(FULL_MASK, a.w, src_lane_xor);
    r.t = __shfl_xor_sync(FULL_MASK, a.t, src_lane_xor);
    return r;
}
XENT_DEV Acc bcast_acc(const Acc& a) {
    Acc r;
    r.m = __shfl_sync(FULL_MASK, a.m, 0);
    r.s = shfl_expsum(a.s, 0);
    r.d = __shfl_sync(FULL_MASK, a.d, 0);
    r.w = __shfl_sync(FULL_MASK, a.w, 0);
    r.t = __shfl_sync(FULL_MASK, a.t, 0);
    return r;
}
XENT_DEV Acc warp_acc(Acc a) {
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) a = acc_merge(a, shfl_acc(a, o));
    return bcast_acc(a);  // the butterfly may differ in the last bit between lanes: take lane 0's
}

// Reductions over a group of GROUP threads working on one row: GROUP is 1 (a thread per row),
// 32 (a warp per row) or the block size BLOCK (a block per row). Every thread of the group must
// call them (no divergent early exits); all threads get the same bits. For a block, each warp
// writes its partial to `scratch` (static shared memory, >= BLOCK / 32 entries), then every warp
// reduces the BLOCK / 32 partials with the same shuffle tree (identical bits in every warp, one
// barrier; the second barrier lets the caller reuse scratch).
template <int GROUP, int BLOCK>
XENT_DEV float group_max(float v, float* scratch) {
    if (GROUP == 1) return v;
    v = warp_max(v);
    if (GROUP == 32) return v;
    constexpr int NW = BLOCK / 32;
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    if (lane == 0) scratch[warp] = v;
    __syncthreads();
    float b = lane < NW ? scratch[lane] : neg_inf();
    __syncthreads();
    return __shfl_sync(FULL_MASK, warp_max(b), 0);
}

template <int GROUP, int BLOCK>
XENT_DEV float group_sum(float v, float* scratch) {
    if (GROUP == 1) return v;
    v = warp_sum(v);
    if (GROUP == 32) return v;
    constexpr int NW = BLOCK / 32;
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    if (lane == 0) scratch[warp] = v;
    __syncthreads();
    float b = lane < NW ? scratch[lane] : 0.0f;
    __syncthreads();
    return warp_sum(b);
}

template <int GROUP, int BLOCK>
XENT_DEV Acc group_acc(Acc a, Acc* scratch) {
    if (GROUP == 1) return a;
    a = warp_acc(a);
    if (GROUP == 32) return a;
    constexpr int NW = BLOCK / 32;
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    if (lane == 0) scratch[warp] = a;
    __syncthreads();
    Acc b = lane < NW ? scratch[lane] : acc_empty();
    __syncthreads();
    return warp_acc(b);
}

// Block-wide double sum (deterministic, fixed order), result in every thread.
template <int BLOCK>
XENT_DEV double block_sum_d(double v, double* scratch) {
    constexpr int NW = BLOCK / 32;
    v = warp_sum_d(v);
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    if (lane == 0) scratch[warp] = v;
    __syncthreads();
    double b = lane < NW ? scratch[lane] : 0.0;
    __syncthreads();
    return warp_sum_d(b);
}

}  // namespace xent
