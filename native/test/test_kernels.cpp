// test_kernels.cpp: every function of native/include/xent.h, through the C ABI only (memory from
// xent_malloc, copies with xent_copy_to_device / xent_copy_to_host), against a float64 reference
// written for clarity. Built twice: against libxent_emu.so (test_kernels_emu) and libxent_cuda.so
// (test_kernels_cuda, on a GPU).
//
// Every output buffer is poisoned (all bytes 0xFF: NaN in every dtype) before a call, and every
// element is checked afterwards, including the padding between rows that must stay untouched.
// 16-bit inputs are rounded first and the reference is computed from the rounded values.
// Run one group with `test_kernels_emu <substring of a test name>`.
#include <cstdlib>
#include "xent.h"

#include "abi.h"
#include "check.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

namespace {

const double INF = std::numeric_limits<double>::infinity();

// ---- dtype conversion (independent of the library's) -------------------------------------------

uint32_t f2u(float f) {
    uint32_t u;
    std::memcpy(&u, &f, 4);
    return u;
}
float u2f(uint32_t u) {
    float f;
    std::memcpy(&f, &u, 4);
    return f;
}
uint16_t to_bf16(float f) {
    uint32_t u = f2u(f);
    if (std::isnan(f)) return 0x7fc0;
    return (uint16_t)((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
}
float from_bf16(uint16_t h) { return u2f((uint32_t)h << 16); }
float from_f16(uint16_t h) {
    const int e = (h >> 10) & 31, m = h & 1023;
    const double sign = (h & 0x8000) ? -1.0 : 1.0;
    if (e == 0) return (float)(sign * std::ldexp((double)m, -24));
    if (e == 31) return m ? std::numeric_limits<float>::quiet_NaN() : (float)(sign * INF);
    return (float)(sign * std::ldexp(1024.0 + m, e - 25));
}
// Round to nearest even by search over the 16-bit grid (slow, obviously right).
uint16_t to_f16(float f) {
    if (std::isnan(f)) return 0x7e00;
    const uint16_t sign = std::signbit(f) ? 0x8000 : 0;
    const double a = std::fabs((double)f);
    if (a >= 65520.0) return sign | 0x7c00;
    // candidates: the largest magnitude <= a and the next one
    uint16_t lo = 0;
    uint16_t hi_bound = 0x7bff;
    while (lo < hi_bound) {  // binary search for the largest m with value(m) <= a
        uint16_t mid = (uint16_t)((lo + hi_bound + 1) / 2);
        if ((double)from_f16(mid) <= a) lo = mid; else hi_bound = (uint16_t)(mid - 1);
    }
    uint16_t best = lo;
    if (lo < 0x7c00) {
        const double dl = a - from_f16(lo), dh = (double)from_f16((uint16_t)(lo + 1)) - a;
        if (dh < dl || (dh == dl && (lo & 1))) best = (uint16_t)(lo + 1);
    }
    return sign | best;
}

int esize(int dt) { return dt == XENT_F32 ? 4 : 2; }
const char* dname(int dt) { return dt == XENT_F32 ? "f32" : dt == XENT_BF16 ? "bf16" : "f16"; }

// Encodes values into dtype storage; `rounded` gets the values the device will see.
std::vector<uint8_t> encode(int dt, const std::vector<float>& v, std::vector<double>* rounded) {
    std::vector<uint8_t> out(v.size() * esize(dt));
    if (rounded) rounded->resize(v.size());
    for (size_t i = 0; i < v.size(); ++i) {
        double r;
        if (dt == XENT_F32) {
            std::memcpy(&out[i * 4], &v[i], 4);
            r = v[i];
        } else {
            uint16_t h = dt == XENT_BF16 ? to_bf16(v[i]) : to_f16(v[i]);
            std::memcpy(&out[i * 2], &h, 2);
            r = dt == XENT_BF16 ? from_bf16(h) : from_f16(h);
        }
        if (rounded) (*rounded)[i] = r;
    }
    return out;
}
double decode(int dt, const std::vector<uint8_t>& b, int64_t i) {
    if (dt == XENT_F32) {
        float f;
        std::memcpy(&f, &b[i * 4], 4);
        return f;
    }
    uint16_t h;
    std::memcpy(&h, &b[i * 2], 2);
    return dt == XENT_BF16 ? from_bf16(h) : from_f16(h);
}
bool is_poison(int dt, const std::vector<uint8_t>& b, int64_t i) {
    for (int k = 0; k < esize(dt); ++k)
        if (b[i * esize(dt) + k] != 0xFF) return false;
    return true;
}

// ---- device buffers through the C ABI ------------------------------------------------------------

struct Dev {
    void* p = nullptr;
    int64_t bytes = 0;
    explicit Dev(int64_t n) : bytes(n) {
        int32_t st = xent_malloc(&p, n < 16 ? 16 : n);
        CHECK_EQ(st, 0);
        if (st == 0) poison();
    }
    ~Dev() { xent_free(p); }
    Dev(const Dev&) = delete;
    Dev& operator=(const Dev&) = delete;
    void poison() { CHECK_EQ(xent_memset(p, 0xFF, bytes < 16 ? 16 : bytes, nullptr), 0); }
    template <class T>
    void put(const std::vector<T>& v) {
        CHECK(v.size() * sizeof(T) <= (size_t)bytes || v.empty());
        if (!v.empty()) CHECK_EQ(xent_copy_to_device(p, v.data(), (int64_t)(v.size() * sizeof(T)), nullptr), 0);
    }
    template <class T>
    std::vector<T> get(int64_t n) const {
        std::vector<T> v((size_t)n);
        if (n > 0) CHECK_EQ(xent_copy_to_host(v.data(), p, n * (int64_t)sizeof(T), nullptr), 0);
        return v;
    }
    std::vector<uint8_t> get_bytes() const { return get<uint8_t>(bytes); }
    float* f() const { return static_cast<float*>(p); }
};

// One summarised check over an array: counts mismatches, reports the first.
template <class A, class R>
void expect_all(const char* file, int line, const std::string& what, int64_t n, A actual, R ref, double atol,
                double rtol) {
    int64_t bad = 0, first = -1;
    double fa = 0, fr = 0;
    for (int64_t i = 0; i < n; ++i) {
        const double a = actual(i), r = ref(i);
        if (!check::near(a, r, atol + rtol * std::fabs(r))) {
            if (bad++ == 0) { first = i; fa = a; fr = r; }
        }
    }
    check::report(bad == 0, file, line,
                  what + ": " + std::to_string(bad) + " of " + std::to_string(n) + " mismatched; first at " +
                      std::to_string(first) + ": got " + check::show(fa) + ", want " + check::show(fr));
}
#define EXPECT_ALL(what, n, actual, ref, atol, rtol) expect_all(__FILE__, __LINE__, what, n, actual, ref, atol, rtol)

void expect_value(const char* file, int line, const std::string& what, double a, double r, double atol, double rtol) {
    check::report(check::near(a, r, atol + rtol * std::fabs(r)), file, line,
                  what + ": got " + check::show(a) + ", want " + check::show(r));
}
#define EXPECT_VALUE(what, a, r, atol, rtol) expect_value(__FILE__, __LINE__, what, a, r, atol, rtol)

// ---- layout ----------------------------------------------------------------------------------

struct Layout {
    int64_t outer, C, inner, ostride;
    int64_t rows() const { return outer * inner; }
    int64_t span() const { return outer == 0 ? 0 : (outer - 1) * ostride + C * inner; }
    int64_t at(int64_t r, int64_t k) const { return (r / inner) * ostride + (r % inner) + k * inner; }
    int64_t dense(int64_t r, int64_t k) const { return (r / inner) * C * inner + (r % inner) + k * inner; }
    std::string str() const {
        return "outer=" + std::to_string(outer) + " C=" + std::to_string(C) + " inner=" + std::to_string(inner) +
               " stride=" + std::to_string(ostride);
    }
    std::vector<char> in_rows() const {
        std::vector<char> m((size_t)span(), 0);
        for (int64_t r = 0; r < rows(); ++r)
            for (int64_t k = 0; k < C; ++k) m[(size_t)at(r, k)] = 1;
        return m;
    }
};

// ---- float64 reference ---------------------------------------------------------------------------

// log sum exp of a row; -inf for a row of -inf, NaN if any NaN.
double ref_lse(const std::vector<double>& z) {
    double m = -INF;
    for (double v : z) {
        if (std::isnan(v)) return NAN;
        m = std::max(m, v);
    }
    if (m == -INF) return -INF;
    if (m == INF) return INF;
    double s = 0;
    for (double v : z) s += std::exp(v - m);
    return m + std::log(s);
}

// The LLM-training extras: logit scale, soft-cap (0: none), z-loss lambda.
struct Extras {
    double scale = 1, cap = 0, zl = 0;
    bool any() const { return scale != 1 || cap != 0 || zl != 0; }
};

// z' = cap tanh(scale z / cap) (cap 0: scale z), -inf kept.
double ref_xform(const Extras& e, double z) {
    if (e.cap == 0) return e.scale * z;
    if (z == -INF) return z;
    return e.cap * std::tanh(e.scale * z / e.cap);
}
// dz'/dz.
double ref_dxform(const Extras& e, double z) {
    if (e.cap == 0) return e.scale;
    const double t = std::tanh(e.scale * z / e.cap);
    return e.scale * (1 - t * t);
}
std::vector<double> ref_xform_all(const Extras& e, const std::vector<double>& x) {
    std::vector<double> out(x.size());
    for (size_t i = 0; i < x.size(); ++i) out[i] = ref_xform(e, x[i]);
    return out;
}

struct HardRef {
    std::vector<double> loss, lse, grad;  // grad indexed like the logits (span), rows only
    std::vector<double> zrow;             // per-row z-loss
    double total = 0, den = 0, ztotal = 0;
};

// PyTorch's F.cross_entropy(z, y, weight, ignore_index, label_smoothing, reduction) and its gradient
// times upstream (s_i as in xent.h).
// With extras: the same on z' = xform(z), plus zl w[y] lse^2 per active row, the gradient times dz'/dz.
HardRef ref_hard(const Layout& L, const std::vector<double>& raw, const std::vector<int64_t>& y,
                 const std::vector<double>* w, int64_t ignore, double eps, int red, const std::vector<double>* up,
                 const Extras& ex = Extras()) {
    const int64_t N = L.rows(), C = L.C;
    const std::vector<double> x = ref_xform_all(ex, raw);
    HardRef R;
    R.zrow.assign(N, 0);
    R.loss.assign(N, 0);
    R.lse.assign(N, 0);
    R.grad.assign((size_t)L.span(), 0);
    auto W = [&](int64_t k) { return w ? (*w)[k] : 1.0; };
    double wsum = 0;
    for (int64_t k = 0; k < C; ++k) wsum += W(k);
    std::vector<char> active(N, 0);
    for (int64_t r = 0; r < N; ++r) {
        std::vector<double> z(C);
        for (int64_t k = 0; k < C; ++k) z[k] = x[L.at(r, k)];
        R.lse[r] = ref_lse(z);
        active[r] = y[r] != ignore && y[r] >= 0 && y[r] < C;
        if (!active[r]) continue;
        const double lse = R.lse[r];
        double smooth = 0;
        for (int64_t k = 0; k < C; ++k) smooth += W(k) * (lse - z[k]);
        R.zrow[r] = ex.zl * W(y[r]) * lse * lse;
        R.loss[r] = (1 - eps) * W(y[r]) * (lse - z[y[r]]) + (eps > 0 ? eps / C * smooth : 0.0) + R.zrow[r];
        R.den += W(y[r]);
        R.total += R.loss[r];
        R.ztotal += R.zrow[r];
    }
    if (red != XENT_REDUCTION_MEAN) R.den = 1;
    if (red == XENT_REDUCTION_MEAN) R.total /= R.den;
    if (red == XENT_REDUCTION_MEAN) R.ztotal /= R.den;
    for (int64_t r = 0; r < N; ++r) {
        if (!active[r]) continue;
        double s = up ? (*up)[red == XENT_REDUCTION_NONE ? r : 0] : 1.0;
        if (red == XENT_REDUCTION_MEAN) s /= R.den;
        for (int64_t k = 0; k < C; ++k) {
            const double p = std::exp(x[L.at(r, k)] - R.lse[r]);
            const double hard = (1 - eps) * W(y[r]) * (p - (k == y[r] ? 1.0 : 0.0));
            const double soft = eps / C * (p * wsum - W(k));
            const double zterm = 2 * ex.zl * W(y[r]) * R.lse[r] * p;
            R.grad[L.at(r, k)] = s * (hard + soft + zterm) * ref_dxform(ex, raw[L.at(r, k)]);
        }
    }
    return R;
}

struct SoftRef {
    std::vector<double> loss, lse, grad, zrow;
    double total = 0, ztotal = 0;
};

SoftRef ref_soft(const Layout& L, const std::vector<double>& raw, const std::vector<double>& t,
                 const std::vector<double>* w, double eps, int red, const std::vector<double>* up,
                 const Extras& ex = Extras()) {
    const int64_t N = L.rows(), C = L.C;
    const std::vector<double> x = ref_xform_all(ex, raw);
    SoftRef R;
    R.zrow.assign(N, 0);
    R.loss.assign(N, 0);
    R.lse.assign(N, 0);
    R.grad.assign((size_t)L.span(), 0);
    for (int64_t r = 0; r < N; ++r) {
        std::vector<double> z(C), u(C);
        double usum = 0;
        for (int64_t k = 0; k < C; ++k) {
            z[k] = x[L.at(r, k)];
            u[k] = (w ? (*w)[k] : 1.0) * ((1 - eps) * t[L.dense(r, k)] + eps / C);
            usum += u[k];
        }
        const double lse = R.lse[r] = ref_lse(z);
        double loss = 0;
        for (int64_t k = 0; k < C; ++k)
            if (u[k] != 0) loss += u[k] * (lse - z[k]);
        R.zrow[r] = ex.zl * lse * lse;
        R.loss[r] = loss + R.zrow[r];
        R.total += R.loss[r];
        R.ztotal += R.zrow[r];
        double s = up ? (*up)[red == XENT_REDUCTION_NONE ? r : 0] : 1.0;
        if (red == XENT_REDUCTION_MEAN) s /= (double)N;
        for (int64_t k = 0; k < C; ++k) {
            const double p = std::exp(z[k] - lse);
            R.grad[L.at(r, k)] = s * (p * usum - u[k] + 2 * ex.zl * lse * p) * ref_dxform(ex, raw[L.at(r, k)]);
        }
    }
    if (red == XENT_REDUCTION_MEAN) R.total /= (double)N;
    if (red == XENT_REDUCTION_MEAN) R.ztotal /= (double)N;
    return R;
}

// ---- tolerances ------------------------------------------------------------------------------

// Losses are fp32 computed from the (rounded) inputs whatever the dtype.
const double LOSS_ATOL = 3e-6, LOSS_RTOL = 3e-6;
// Gradients: fp32 arithmetic (GPU exp is ex2.approx), then rounded to the dtype.
double grad_rtol(int dt) { return dt == XENT_F32 ? 1e-4 : dt == XENT_BF16 ? 8e-3 : 1.2e-3; }
double grad_atol(int dt, double scale) { return 2e-6 * scale + (dt == XENT_F16 ? 6e-8 : 0.0); }

// ---- the hard-label case -------------------------------------------------------------------------

struct HardCase {
    int dt = XENT_F32;
    int lt = XENT_I64;
    bool weights = false;
    float eps = 0.0f;
    int red = XENT_REDUCTION_MEAN;
    Layout L{4, 10, 1, 10};
    double scale = 1.0;      // logits ~ N(0, scale^2) (+ offset)
    double offset = 0.0;
    bool inplace = false;     // fused gradient overwrites the logits
    bool upstream = false;
    double ignore_frac = 0.1;
    int64_t ignore = -100;
    int masked = 0;           // -inf logits per row (not at the label)
    bool mask_target = false; // row 2's target logit is -inf (loss +inf)
    bool all_masked = false;  // row 3 is all -inf (NaN)
    bool bad_label = false;   // one row has label C (error_info)
    Extras ex;                // logit scale, soft-cap, z-loss
    uint64_t seed = 1;

    std::string str() const {
        char buf[512];
        std::snprintf(buf, sizeof buf,
                      "[%s %s w=%d eps=%g red=%d %s scale=%g off=%g inplace=%d up=%d masked=%d bad=%d "
                      "logit_scale=%g softcap=%g z_loss=%g seed=%llu]",
                      dname(dt), lt == XENT_I32 ? "i32" : "i64", weights, eps, red, L.str().c_str(), scale, offset,
                      inplace, upstream, masked, bad_label, ex.scale, ex.cap, ex.zl, (unsigned long long)seed);
        return buf;
    }
};

void run_hard(const HardCase& c) {
    const Layout& L = c.L;
    const int64_t N = L.rows(), C = L.C, span = L.span();
    const std::string ctx = c.str();
    std::mt19937_64 rng(c.seed);
    std::normal_distribution<double> normal(0.0, 1.0);
    std::uniform_real_distribution<double> uni(0.0, 1.0);

    // logits (padding between rows gets values too: they must be ignored and left alone)
    std::vector<float> xf((size_t)span);
    for (auto& v : xf) v = (float)(c.offset + c.scale * normal(rng));
    std::vector<int64_t> y((size_t)N);
    int64_t bad_row = -1;
    for (int64_t r = 0; r < N; ++r) {
        y[r] = (int64_t)(uni(rng) * C) % C;
        if (r == 0) y[r] = 0;
        if (r == 1) y[r] = C - 1;
        if (r > 1 && uni(rng) < c.ignore_frac) y[r] = c.ignore;
    }
    if (c.bad_label && N > 4) {
        bad_row = N - 2;
        y[bad_row] = C;
    }
    for (int64_t r = 0; r < N; ++r) {
        for (int i = 0; i < c.masked && C > 1; ++i) {
            int64_t k = (int64_t)(uni(rng) * C) % C;
            if (k != y[r]) xf[L.at(r, k)] = -INFINITY;
        }
    }
    if (c.mask_target && N > 2 && y[2] >= 0 && y[2] < C) xf[L.at(2, y[2])] = -INFINITY;
    if (c.all_masked && N > 3)
        for (int64_t k = 0; k < C; ++k) xf[L.at(3, k)] = -INFINITY;
    std::vector<double> x;
    const std::vector<uint8_t> xb = encode(c.dt, xf, &x);

    std::vector<double> w;
    std::vector<float> wf;
    if (c.weights) {
        for (int64_t k = 0; k < C; ++k) wf.push_back((float)(0.25 + 1.75 * uni(rng)));
        w.assign(wf.begin(), wf.end());
    }
    std::vector<float> upf;
    std::vector<double> up;
    if (c.upstream) {
        const int64_t n = c.red == XENT_REDUCTION_NONE ? N : 1;
        for (int64_t i = 0; i < n; ++i) upf.push_back((float)(0.5 + uni(rng)));
        up.assign(upf.begin(), upf.end());
    }
    const HardRef R =
        ref_hard(L, x, y, c.weights ? &w : nullptr, c.ignore, c.eps, c.red, c.upstream ? &up : nullptr, c.ex);
    const float ls = (float)c.ex.scale, cap = (float)c.ex.cap, zl = (float)c.ex.zl;

    // device buffers
    const int64_t eb = esize(c.dt);
    Dev dx(span * eb), dg(span * eb), dlab(N * (c.lt == XENT_I32 ? 4 : 8)), dw(C * 4), dup((int64_t)upf.size() * 4);
    Dev dloss(N * 4), dzrow(N * 4), dlse(N * 4), dws(xent_workspace_floats(N, C) * 4), derr(16);
    dx.put(xb);
    if (c.lt == XENT_I32) {
        std::vector<int32_t> y32(y.begin(), y.end());
        dlab.put(y32);
    } else {
        dlab.put(y);
    }
    if (c.weights) dw.put(wf);
    if (c.upstream) dup.put(upf);
    const float* wp = c.weights ? dw.f() : nullptr;
    const float* upp = c.upstream ? dup.f() : nullptr;
    const std::vector<char> mask = L.in_rows();

    // per-row gradient scale for the tolerance
    auto row_scale = [&](int64_t r) {
        double s = c.upstream ? up[c.red == XENT_REDUCTION_NONE ? r : 0] : 1.0;
        if (c.red == XENT_REDUCTION_MEAN) s /= R.den;
        return std::fabs(s) * (c.weights ? 2.0 : 1.0);
    };
    std::vector<int64_t> row_of((size_t)span, -1);
    for (int64_t r = 0; r < N; ++r)
        for (int64_t k = 0; k < C; ++k) row_of[L.at(r, k)] = r;

    auto check_err = [&](const std::string& what) {
        std::vector<int64_t> e = derr.get<int64_t>(2);
        if (bad_row >= 0) {
            check::report(e[0] == bad_row && e[1] == C, __FILE__, __LINE__,
                          what + " error_info: got (" + std::to_string(e[0]) + ", " + std::to_string(e[1]) + ")");
        } else {
            check::report(e[0] == -1 && e[1] == -1, __FILE__, __LINE__,
                          what + " error_info: expected untouched, got (" + std::to_string(e[0]) + ", " +
                              std::to_string(e[1]) + ")");
        }
    };
    auto check_losses = [&](const std::string& what) {
        std::vector<float> loss = dloss.get<float>(N), lse = dlse.get<float>(N), ws = dws.get<float>(4);
        std::vector<float> zrow = dzrow.get<float>(N);
        EXPECT_ALL(what + " row_loss " + ctx, N, [&](int64_t i) { return loss[i]; }, [&](int64_t i) { return R.loss[i]; },
                   LOSS_ATOL, LOSS_RTOL);
        EXPECT_ALL(what + " lse " + ctx, N, [&](int64_t i) { return lse[i]; }, [&](int64_t i) { return R.lse[i]; },
                   LOSS_ATOL, LOSS_RTOL);
        EXPECT_VALUE(what + " reduced loss " + ctx, ws[0], R.total, LOSS_ATOL, 1e-5);
        EXPECT_VALUE(what + " denominator " + ctx, ws[1], R.den, 0, 1e-6);
        if (c.ex.zl != 0) {
            EXPECT_ALL(what + " row_z_loss " + ctx, N, [&](int64_t i) { return zrow[i]; },
                       [&](int64_t i) { return R.zrow[i]; }, LOSS_ATOL, LOSS_RTOL);
            EXPECT_VALUE(what + " reduced z-loss " + ctx, ws[3], R.ztotal, LOSS_ATOL, 1e-5);
        }
    };
    auto check_grad = [&](const std::string& what, const Dev& buf, bool inplace) {
        const std::vector<uint8_t> gb = buf.get_bytes();
        int64_t bad = 0, first = -1;
        double fa = 0, fr = 0;
        for (int64_t i = 0; i < span; ++i) {
            bool ok;
            double a = 0, r = 0;
            if (!mask[i]) {
                // padding: untouched (poison, or the logits when in place)
                if (inplace) ok = std::memcmp(&gb[i * eb], &xb[i * eb], (size_t)eb) == 0;
                else ok = is_poison(c.dt, gb, i);
                a = decode(c.dt, gb, i);
            } else {
                a = decode(c.dt, gb, i);
                r = R.grad[i];
                ok = check::near(a, r, grad_atol(c.dt, row_scale(row_of[i])) + grad_rtol(c.dt) * std::fabs(r));
            }
            if (!ok && bad++ == 0) { first = i; fa = a; fr = r; }
        }
        check::report(bad == 0, __FILE__, __LINE__,
                      what + " grad " + ctx + ": " + std::to_string(bad) + " of " + std::to_string(span) +
                          " mismatched; first at " + std::to_string(first) + ": got " + check::show(fa) + ", want " +
                          check::show(fr));
    };

    // 1. forward
    derr.poison();
    const xent_tensor logits = abi::tensor(c.dt, dx.p, L.outer, C, L.inner, L.ostride);
    const xent_targets labels = abi::class_targets(c.lt, dlab.p);
    const xent_ce_options opt = abi::ce_options(wp, c.ignore, c.eps, ls, cap, zl, c.red);
    int64_t* err = static_cast<int64_t*>(derr.p);
    const xent_ce_outputs fwd_out = abi::ce_outputs(nullptr, dloss.f(), dzrow.f(), dlse.f(), dws.f(), err);
    CHECK_EQ(xent_ce(XENT_FORWARD, &logits, &labels, &opt, nullptr, &fwd_out, nullptr), 0);
    check_losses("forward");
    check_err("forward");
    const float total_fwd = dws.get<float>(1)[0];

    // 2. backward from the forward's lse (lse buffer kept), gradient into a separate buffer
    dg.poison();
    dws.poison();
    derr.poison();
    const xent_ce_outputs bwd_out = abi::ce_outputs(dg.p, nullptr, nullptr, dlse.f(), dws.f(), err);
    CHECK_EQ(xent_ce(XENT_BACKWARD, &logits, &labels, &opt, upp, &bwd_out, nullptr), 0);
    check_grad("backward", dg, false);
    check_err("backward");
    EXPECT_VALUE("backward denominator " + ctx, dws.get<float>(2)[1], R.den, 0, 1e-6);

    // 3. fused (possibly in place), twice for determinism when not in place
    dloss.poison();
    dlse.poison();
    dws.poison();
    dg.poison();
    derr.poison();
    void* g = c.inplace ? dx.p : dg.p;
    const xent_ce_outputs fused_out = abi::ce_outputs(g, dloss.f(), dzrow.f(), dlse.f(), dws.f(), err);
    CHECK_EQ(xent_ce(XENT_FORWARD_BACKWARD, &logits, &labels, &opt, upp, &fused_out, nullptr), 0);
    check_losses("fused");
    check_err("fused");
    check_grad("fused", c.inplace ? dx : dg, c.inplace);
    const float total_fused = dws.get<float>(1)[0];
    EXPECT_VALUE("fused vs forward reduced loss " + ctx, total_fused, total_fwd, LOSS_ATOL, 1e-5);
    if (!c.inplace) {
        // row_loss = NULL (the workspace holds them), lse = NULL; same reduced loss
        dws.poison();
        const xent_ce_outputs bare = abi::ce_outputs(dg.p, nullptr, nullptr, nullptr, dws.f(), nullptr);
        CHECK_EQ(xent_ce(XENT_FORWARD_BACKWARD, &logits, &labels, &opt, upp, &bare, nullptr), 0);
        const float again = dws.get<float>(1)[0];
        check::report(f2u(again) == f2u(total_fused) || (std::isnan(again) && std::isnan(total_fused)), __FILE__,
                      __LINE__, "fused is deterministic (row_loss = NULL) " + ctx);
    }
}

// ---- probability targets -------------------------------------------------------------------------

struct SoftCase {
    int dt = XENT_F32;
    bool weights = false;
    float eps = 0.0f;
    int red = XENT_REDUCTION_MEAN;
    Layout L{4, 10, 1, 10};
    bool inplace = false;
    bool upstream = false;
    double scale = 1.0;
    Extras ex;
    uint64_t seed = 1;
    std::string str() const {
        char buf[320];
        std::snprintf(buf, sizeof buf,
                      "[soft %s w=%d eps=%g red=%d %s inplace=%d up=%d scale=%g logit_scale=%g softcap=%g "
                      "z_loss=%g seed=%llu]",
                      dname(dt), weights, eps, red, L.str().c_str(), inplace, upstream, scale, ex.scale, ex.cap, ex.zl,
                      (unsigned long long)seed);
        return buf;
    }
};

void run_soft(const SoftCase& c) {
    const Layout& L = c.L;
    const int64_t N = L.rows(), C = L.C, span = L.span(), eb = esize(c.dt);
    const std::string ctx = c.str();
    std::mt19937_64 rng(c.seed);
    std::normal_distribution<double> normal(0.0, 1.0);
    std::uniform_real_distribution<double> uni(0.0, 1.0);
    std::vector<float> xf((size_t)span);
    for (auto& v : xf) v = (float)(c.scale * normal(rng));
    std::vector<double> x, t;
    const std::vector<uint8_t> xb = encode(c.dt, xf, &x);
    std::vector<float> tf((size_t)(N * C));
    for (int64_t r = 0; r < N; ++r) {
        double sum = 0;
        std::vector<double> raw(C);
        for (int64_t k = 0; k < C; ++k) sum += raw[k] = uni(rng) < 0.3 ? 0.0 : uni(rng);
        for (int64_t k = 0; k < C; ++k) tf[L.dense(r, k)] = (float)(sum > 0 ? raw[k] / sum : 1.0 / C);
    }
    const std::vector<uint8_t> tb = encode(c.dt, tf, &t);
    std::vector<float> wf;
    std::vector<double> w;
    if (c.weights) {
        for (int64_t k = 0; k < C; ++k) wf.push_back((float)(0.25 + 1.75 * uni(rng)));
        w.assign(wf.begin(), wf.end());
    }
    std::vector<float> upf;
    std::vector<double> up;
    if (c.upstream) {
        const int64_t n = c.red == XENT_REDUCTION_NONE ? N : 1;
        for (int64_t i = 0; i < n; ++i) upf.push_back((float)(0.5 + uni(rng)));
        up.assign(upf.begin(), upf.end());
    }
    const SoftRef R = ref_soft(L, x, t, c.weights ? &w : nullptr, c.eps, c.red, c.upstream ? &up : nullptr, c.ex);
    const float ls = (float)c.ex.scale, cap = (float)c.ex.cap, zl = (float)c.ex.zl;
    Dev dx(span * eb), dt_(N * C * eb), dg(span * eb), dw(C * 4), dup((int64_t)upf.size() * 4), dloss(N * 4),
        dzrow(N * 4), dlse(N * 4), dws(xent_workspace_floats(N, C) * 4);
    dx.put(xb);
    dt_.put(tb);
    if (c.weights) dw.put(wf);
    if (c.upstream) dup.put(upf);
    const float* wp = c.weights ? dw.f() : nullptr;
    const float* upp = c.upstream ? dup.f() : nullptr;
    const std::vector<char> mask = L.in_rows();
    const double den = c.red == XENT_REDUCTION_MEAN ? (double)N : 1.0;
    const double gscale = (c.upstream ? 1.5 : 1.0) / den * (c.weights ? 2.0 : 1.0);

    auto check_losses = [&](const std::string& what) {
        std::vector<float> loss = dloss.get<float>(N), lse = dlse.get<float>(N), ws = dws.get<float>(4);
        if (c.ex.zl != 0) {
            std::vector<float> zrow = dzrow.get<float>(N);
            EXPECT_ALL(what + " row_z_loss " + ctx, N, [&](int64_t i) { return zrow[i]; },
                       [&](int64_t i) { return R.zrow[i]; }, LOSS_ATOL, LOSS_RTOL);
            EXPECT_VALUE(what + " reduced z-loss " + ctx, ws[3], R.ztotal, LOSS_ATOL, 1e-5);
        }
        EXPECT_ALL(what + " row_loss " + ctx, N, [&](int64_t i) { return loss[i]; }, [&](int64_t i) { return R.loss[i]; },
                   LOSS_ATOL, LOSS_RTOL);
        EXPECT_ALL(what + " lse " + ctx, N, [&](int64_t i) { return lse[i]; }, [&](int64_t i) { return R.lse[i]; },
                   LOSS_ATOL, LOSS_RTOL);
        EXPECT_VALUE(what + " reduced loss " + ctx, ws[0], R.total, LOSS_ATOL, 1e-5);
        EXPECT_VALUE(what + " denominator " + ctx, ws[1], den, 0, 0);
    };
    auto check_grad = [&](const std::string& what, const Dev& buf, bool inplace) {
        const std::vector<uint8_t> gb = buf.get_bytes();
        EXPECT_ALL(what + " grad " + ctx, span,
                   [&](int64_t i) -> double {
                       if (mask[i]) return decode(c.dt, gb, i);
                       return inplace ? (std::memcmp(&gb[i * eb], &xb[i * eb], (size_t)eb) == 0) : is_poison(c.dt, gb, i);
                   },
                   [&](int64_t i) { return mask[i] ? R.grad[i] : 1.0; }, grad_atol(c.dt, gscale), grad_rtol(c.dt));
    };

    const xent_tensor logits = abi::tensor(c.dt, dx.p, L.outer, C, L.inner, L.ostride);
    const xent_targets targets = abi::probability_targets(dt_.p);
    const xent_ce_options opt = abi::ce_options(wp, -100, c.eps, ls, cap, zl, c.red);
    const xent_ce_outputs fwd_out = abi::ce_outputs(nullptr, dloss.f(), dzrow.f(), dlse.f(), dws.f(), nullptr);
    CHECK_EQ(xent_ce(XENT_FORWARD, &logits, &targets, &opt, nullptr, &fwd_out, nullptr), 0);
    check_losses("soft forward");
    dws.poison();
    const xent_ce_outputs bwd_out = abi::ce_outputs(dg.p, nullptr, nullptr, dlse.f(), dws.f(), nullptr);
    CHECK_EQ(xent_ce(XENT_BACKWARD, &logits, &targets, &opt, upp, &bwd_out, nullptr), 0);
    check_grad("soft backward", dg, false);
    dloss.poison();
    dlse.poison();
    dws.poison();
    dg.poison();
    void* g = c.inplace ? dx.p : dg.p;
    const xent_ce_outputs fused_out = abi::ce_outputs(g, dloss.f(), dzrow.f(), dlse.f(), dws.f(), nullptr);
    CHECK_EQ(xent_ce(XENT_FORWARD_BACKWARD, &logits, &targets, &opt, upp, &fused_out, nullptr), 0);
    check_losses("soft fused");
    check_grad("soft fused", c.inplace ? dx : dg, c.inplace);
}

// ---- softmax family ---------------------------------------------------------------------------

void run_softmax_family(int dt, const Layout& L, double scale, bool inplace, uint64_t seed) {
    const int64_t N = L.rows(), C = L.C, span = L.span(), eb = esize(dt);
    char buf[200];
    std::snprintf(buf, sizeof buf, "[softmax %s %s scale=%g inplace=%d seed=%llu]", dname(dt), L.str().c_str(), scale,
                  inplace, (unsigned long long)seed);
    const std::string ctx = buf;
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> normal(0.0, 1.0);
    std::vector<float> xf((size_t)span);
    for (auto& v : xf) v = (float)(scale * normal(rng));
    if (N > 1 && C > 2) xf[L.at(1, 2)] = -INFINITY;  // a masked logit
    std::vector<double> x;
    const std::vector<uint8_t> xb = encode(dt, xf, &x);
    std::vector<double> lse(N);
    for (int64_t r = 0; r < N; ++r) {
        std::vector<double> z(C);
        for (int64_t k = 0; k < C; ++k) z[k] = x[L.at(r, k)];
        lse[r] = ref_lse(z);
    }
    const std::vector<char> mask = L.in_rows();
    Dev dx(span * eb), dout(span * eb), dl(N * 4);
    auto check_out = [&](const std::string& what, const Dev& out, bool ip, bool logp) {
        const std::vector<uint8_t> ob = out.get_bytes();
        std::vector<int64_t> row_of((size_t)span, -1);
        for (int64_t r = 0; r < N; ++r)
            for (int64_t k = 0; k < C; ++k) row_of[L.at(r, k)] = r;
        EXPECT_ALL(what + " " + ctx, span,
                   [&](int64_t i) -> double {
                       if (mask[i]) return decode(dt, ob, i);
                       return ip ? (std::memcmp(&ob[i * eb], &xb[i * eb], (size_t)eb) == 0) : is_poison(dt, ob, i);
                   },
                   [&](int64_t i) -> double {
                       if (!mask[i]) return 1.0;
                       const double lp = x[i] - lse[row_of[i]];
                       return logp ? lp : std::exp(lp);
                   },
                   // log-probabilities: absolute error grows with |lse| (fp32 arithmetic), then dtype rounding
                   logp ? 2e-5 * std::max(1.0, scale) : grad_atol(dt, 1.0), grad_rtol(dt));
    };
    dx.put(xb);
    const xent_tensor in = abi::tensor(dt, dx.p, L.outer, C, L.inner, L.ostride);
    CHECK_EQ(xent_softmax(XENT_LOGSUMEXP, &in, dl.f(), nullptr), 0);
    std::vector<float> got = dl.get<float>(N);
    EXPECT_ALL("logsumexp " + ctx, N, [&](int64_t i) { return got[i]; }, [&](int64_t i) { return lse[i]; }, LOSS_ATOL,
               LOSS_RTOL);
    CHECK_EQ(xent_softmax(XENT_LOG_SOFTMAX, &in, inplace ? dx.p : dout.p, nullptr), 0);
    check_out("log_softmax", inplace ? dx : dout, inplace, true);
    dx.put(xb);
    dout.poison();
    CHECK_EQ(xent_softmax(XENT_SOFTMAX, &in, inplace ? dx.p : dout.p, nullptr), 0);
    check_out("softmax", inplace ? dx : dout, inplace, false);
}

Layout dense(int64_t n, int64_t c) { return Layout{n, c, 1, c}; }

// ---- tests ---------------------------------------------------------------------------------------

TEST_CASE(library_basics) {
    CHECK_EQ(xent_abi_version(), XENT_ABI_VERSION);
    const int32_t emu = xent_is_emulator();
    CHECK(emu == 0 || emu == 1);
    int32_t n = -1;
    CHECK_EQ(xent_device_count(&n), 0);
    CHECK(n >= 1);
    char name[256];
    std::memset(name, 'x', sizeof name);
    CHECK_EQ(xent_device_name(0, name, sizeof name), 0);
    CHECK(std::strlen(name) > 0 && std::strlen(name) < sizeof name);
    char tiny[4];
    std::memset(tiny, 'x', sizeof tiny);
    CHECK_EQ(xent_device_name(0, tiny, sizeof tiny), 0);
    CHECK(std::strlen(tiny) <= 3);
    CHECK_EQ(xent_set_device(0), 0);
    CHECK(xent_workspace_floats(0, 10) >= 2);
    CHECK(xent_workspace_floats(1000, 50257) >= 2);
    // memory round trip, memset, synchronize
    void* p = nullptr;
    CHECK_EQ(xent_malloc(&p, 64), 0);
    CHECK(p != nullptr);
    std::vector<uint8_t> h(64), back(64);
    for (int i = 0; i < 64; ++i) h[i] = (uint8_t)(i * 7);
    CHECK_EQ(xent_copy_to_device(p, h.data(), 64, nullptr), 0);
    CHECK_EQ(xent_copy_to_host(back.data(), p, 64, nullptr), 0);
    CHECK(back == h);
    CHECK_EQ(xent_memset(p, 0xAB, 32, nullptr), 0);
    CHECK_EQ(xent_stream_synchronize(nullptr), 0);
    CHECK_EQ(xent_copy_to_host(back.data(), p, 64, nullptr), 0);
    CHECK(back[0] == 0xAB && back[31] == 0xAB && back[32] == h[32]);
    CHECK_EQ(xent_free(p), 0);
    CHECK_EQ(xent_free(nullptr), 0);
    void* z = (void*)1;
    CHECK_EQ(xent_malloc(&z, 0), 0);
    CHECK(z == nullptr);
}

bool msg_has(const char* needle) { return std::strstr(xent_last_error(), needle) != nullptr; }

TEST_CASE(argument_errors) {
    const int INV = XENT_ERROR_INVALID_ARGUMENT;
    Dev x(4 * 40), g(4 * 40), lab(8 * 4), loss(16), lse(16), ws(xent_workspace_floats(4, 10) * 4);
    float* W = ws.f();
    auto fwd = [&](int32_t dt, const void* lg, int64_t outer, int64_t C, int64_t inner, int64_t stride, int32_t lt,
                   const void* lb, float eps, int32_t red, float* wsp) {
        const xent_tensor t = abi::tensor(dt, lg, outer, C, inner, stride);
        const xent_targets y = abi::class_targets(lt, lb);
        const xent_ce_options o = abi::ce_options(nullptr, -100, eps, 1.0f, 0.0f, 0.0f, red);
        const xent_ce_outputs out = abi::ce_outputs(nullptr, loss.f(), nullptr, lse.f(), wsp, nullptr);
        return xent_ce(XENT_FORWARD, &t, &y, &o, nullptr, &out, nullptr);
    };
    CHECK_EQ(fwd(XENT_F32, nullptr, 4, 10, 1, 10, XENT_I64, lab.p, 0, 2, W), INV);
    CHECK(msg_has("logits"));
    CHECK_EQ(fwd(XENT_F32, x.p, 4, 10, 1, 10, XENT_I64, nullptr, 0, 2, W), INV);
    CHECK(msg_has("targets.data"));
    CHECK_EQ(fwd(XENT_F32, x.p, 4, 10, 1, 10, XENT_I64, lab.p, 0, 2, nullptr), INV);
    CHECK(msg_has("workspace"));
    CHECK_EQ(fwd(7, x.p, 4, 10, 1, 10, XENT_I64, lab.p, 0, 2, W), INV);
    CHECK(msg_has("dtype"));
    CHECK_EQ(fwd(XENT_F32, x.p, 4, 10, 1, 10, 5, lab.p, 0, 2, W), INV);
    CHECK(msg_has("targets.index_type"));
    CHECK_EQ(fwd(XENT_F32, x.p, 4, 10, 1, 10, XENT_I64, lab.p, 0, 9, W), INV);
    CHECK(msg_has("reduction"));
    CHECK_EQ(fwd(XENT_F32, x.p, 4, 10, 1, 10, XENT_I64, lab.p, 1.5f, 2, W), INV);
    CHECK(msg_has("label_smoothing"));
    CHECK_EQ(fwd(XENT_F32, x.p, 4, 10, 1, 10, XENT_I64, lab.p, NAN, 2, W), INV);
    CHECK(msg_has("label_smoothing"));
    CHECK_EQ(fwd(XENT_F32, x.p, -1, 10, 1, 10, XENT_I64, lab.p, 0, 2, W), INV);
    CHECK(msg_has("outer"));
    CHECK_EQ(fwd(XENT_F32, x.p, 4, 0, 1, 10, XENT_I64, lab.p, 0, 2, W), INV);
    CHECK(msg_has("classes"));
    CHECK_EQ(fwd(XENT_F32, x.p, 4, 10, -2, 10, XENT_I64, lab.p, 0, 2, W), INV);
    CHECK(msg_has("inner"));
    CHECK_EQ(fwd(XENT_F32, x.p, 4, 10, 1, 9, XENT_I64, lab.p, 0, 2, W), INV);
    CHECK(msg_has("outer_stride"));
    CHECK_EQ(fwd(XENT_F32, x.p, 4, 10, 2, 19, XENT_I64, lab.p, 0, 2, W), INV);
    CHECK(msg_has("outer_stride"));
    // backward / fused: grad and lse
    const xent_tensor t = abi::tensor(XENT_F32, x.p, 4, 10, 1, 10);
    const xent_targets y = abi::class_targets(XENT_I64, lab.p);
    const xent_ce_options o = abi::ce_options(nullptr, -100, 0, 1, 0, 0, 2);
    const xent_ce_outputs no_grad = abi::ce_outputs(nullptr, loss.f(), nullptr, lse.f(), W, nullptr);
    const xent_ce_outputs no_lse = abi::ce_outputs(g.p, nullptr, nullptr, nullptr, W, nullptr);
    CHECK_EQ(xent_ce(XENT_BACKWARD, &t, &y, &o, nullptr, &no_grad, nullptr), INV);
    CHECK(msg_has("outputs.grad"));
    CHECK_EQ(xent_ce(XENT_BACKWARD, &t, &y, &o, nullptr, &no_lse, nullptr), INV);
    CHECK(msg_has("outputs.lse"));
    CHECK_EQ(xent_ce(XENT_FORWARD_BACKWARD, &t, &y, &o, nullptr, &no_grad, nullptr), INV);
    CHECK(msg_has("outputs.grad"));
    const xent_targets no_targets = abi::probability_targets(nullptr);
    CHECK_EQ(xent_ce(XENT_FORWARD, &t, &no_targets, &o, nullptr, &no_grad, nullptr), INV);
    CHECK(msg_has("targets"));
    // the pass and the target kind are arguments: unknown values are named
    CHECK_EQ(xent_ce(3, &t, &y, &o, nullptr, &no_grad, nullptr), INV);
    CHECK(msg_has("pass: unknown value 3"));
    const xent_targets bad_kind{7, XENT_I64, lab.p};
    CHECK_EQ(xent_ce(XENT_FORWARD, &t, &bad_kind, &o, nullptr, &no_grad, nullptr), INV);
    CHECK(msg_has("targets.kind: unknown value 7"));
    CHECK_EQ(xent_ce(XENT_FORWARD, nullptr, &y, &o, nullptr, &no_grad, nullptr), INV);
    CHECK(msg_has("logits is null"));
    CHECK_EQ(xent_ce(XENT_FORWARD, &t, &y, nullptr, nullptr, &no_grad, nullptr), INV);
    CHECK(msg_has("options is null"));
    CHECK_EQ(xent_ce(XENT_FORWARD, &t, &y, &o, nullptr, nullptr, nullptr), INV);
    CHECK(msg_has("outputs is null"));
    const xent_tensor no_in = abi::tensor(XENT_F32, nullptr, 4, 10, 1, 10);
    CHECK_EQ(xent_softmax(XENT_LOG_SOFTMAX, &no_in, g.p, nullptr), INV);
    CHECK(msg_has("in.data"));
    CHECK_EQ(xent_softmax(XENT_SOFTMAX, &t, nullptr, nullptr), INV);
    CHECK(msg_has("out"));
    const xent_tensor short_stride = abi::tensor(XENT_BF16, x.p, 4, 10, 1, 5);
    CHECK_EQ(xent_softmax(XENT_LOGSUMEXP, &short_stride, loss.f(), nullptr), INV);
    CHECK(msg_has("outer_stride"));
    const xent_tensor bad_dtype = abi::tensor(9, x.p, 4, 10, 1, 10);
    CHECK_EQ(xent_softmax(XENT_LOGSUMEXP, &bad_dtype, loss.f(), nullptr), INV);
    CHECK(msg_has("dtype"));
    CHECK_EQ(xent_softmax(3, &t, loss.f(), nullptr), INV);
    CHECK(msg_has("op: unknown value 3"));
    // memory functions
    CHECK_EQ(xent_malloc(nullptr, 16), INV);
    void* p = nullptr;
    CHECK_EQ(xent_malloc(&p, -1), INV);
    CHECK(msg_has("bytes"));
    CHECK_EQ(xent_copy_to_device(x.p, nullptr, 4, nullptr), INV);
    CHECK_EQ(xent_copy_to_host(nullptr, x.p, 4, nullptr), INV);
    CHECK_EQ(xent_memset(nullptr, 0, 4, nullptr), INV);
    CHECK_EQ(xent_device_count(nullptr), INV);
    CHECK_EQ(xent_device_name(0, nullptr, 10), INV);
    // a valid call after errors still works
    std::vector<float> zeros(40, 0.0f);
    x.put(zeros);
    std::vector<int64_t> labels = {0, 1, 2, 3};
    lab.put(labels);
    CHECK_EQ(fwd(XENT_F32, x.p, 4, 10, 1, 10, XENT_I64, lab.p, 0, 2, W), 0);
    std::vector<float> w2 = ws.get<float>(2);
    EXPECT_VALUE("uniform logits mean loss", w2[0], std::log(10.0), 1e-6, 1e-6);
}

TEST_CASE(hard_option_matrix) {
    // every dtype x label type x weights x smoothing x reduction on a small awkward shape
    uint64_t seed = 100;
    for (int dt : {XENT_F32, XENT_BF16, XENT_F16})
        for (int lt : {XENT_I32, XENT_I64})
            for (bool wt : {false, true})
                for (float eps : {0.0f, 0.1f})
                    for (int red : {XENT_REDUCTION_NONE, XENT_REDUCTION_SUM, XENT_REDUCTION_MEAN}) {
                        HardCase c;
                        c.dt = dt; c.lt = lt; c.weights = wt; c.eps = eps; c.red = red;
                        c.L = dense(37, 41);
                        c.upstream = (seed % 2) == 0;
                        c.seed = seed++;
                        run_hard(c);
                    }
}

TEST_CASE(hard_shapes) {
    // C across every kernel path: warp-resident, block-resident, streaming, split rows
    struct S { int64_t n, c; };
    const S shapes[] = {{64, 1}, {64, 7}, {64, 41}, {40, 1000}, {9, 2000}, {6, 4098}, {4, 8003}, {2, 50257},
                        {130, 600}};
    uint64_t seed = 200;
    int i = 0;
    for (const S& s : shapes)
        for (int dt : {XENT_F32, XENT_BF16, XENT_F16}) {
            HardCase c;
            c.dt = dt;
            c.L = dense(s.n, s.c);
            c.lt = (i % 2) ? XENT_I32 : XENT_I64;
            c.weights = (i % 3) == 1;
            c.eps = (i % 4) == 2 ? 0.2f : 0.0f;
            c.red = i % 3;
            c.upstream = (i % 5) == 3;
            c.seed = seed++;
            ++i;
            run_hard(c);
        }
}

TEST_CASE(hard_layouts) {
    uint64_t seed = 300;
    for (int dt : {XENT_F32, XENT_BF16, XENT_F16}) {
        const Layout layouts[] = {
            {20, 41, 1, 48},      // row stride > C, rows stay 16-byte aligned (fp32: 192 bytes)
            {20, 41, 1, 45},      // odd stride: misaligned rows take the scalar path
            {7, 1000, 1, 1003},   // odd stride, warp kernel
            {3, 4098, 1, 4101},   // odd stride, block kernel
            {5, 13, 3, 13 * 3},   // (N, C, d)
            {4, 9, 7, 9 * 7 + 5}, // (N, C, d) with padding between samples
            {2, 300, 5, 1500},    // (N, C, d), C > 256
        };
        for (const Layout& L : layouts) {
            HardCase c;
            c.dt = dt;
            c.L = L;
            c.weights = (seed % 2) == 1;
            c.eps = (seed % 3) == 0 ? 0.1f : 0.0f;
            c.red = (int)(seed % 3);
            c.seed = seed++;
            run_hard(c);
        }
    }
}

TEST_CASE(hard_in_place) {
    uint64_t seed = 400;
    for (int dt : {XENT_F32, XENT_BF16, XENT_F16})
        for (const Layout& L : {dense(33, 41), dense(8, 1000), dense(3, 4098), Layout{6, 700, 1, 703},
                                Layout{3, 11, 4, 44}, dense(2, 20000)}) {
            HardCase c;
            c.dt = dt;
            c.L = L;
            c.inplace = true;
            c.eps = 0.05f;
            c.weights = true;
            c.seed = seed++;
            run_hard(c);
        }
}

TEST_CASE(hard_extreme_values) {
    uint64_t seed = 500;
    for (int dt : {XENT_F32, XENT_BF16, XENT_F16})
        for (const Layout& L : {dense(12, 41), dense(6, 1000), dense(5, 3000), Layout{4, 17, 3, 51}}) {
            for (int variant = 0; variant < 4; ++variant) {
                HardCase c;
                c.dt = dt;
                c.L = L;
                c.seed = seed++;
                c.red = XENT_REDUCTION_NONE;
                if (variant == 0) c.scale = 20.0;                          // logits x20
                if (variant == 1) { c.offset = 1000.0; c.eps = 0.1f; }      // rows offset by +1000
                if (variant == 2) { c.offset = -1000.0; c.eps = 0.1f; c.weights = true; }
                if (variant == 3) { c.masked = 3; c.mask_target = true; c.all_masked = true; c.red = XENT_REDUCTION_NONE; }
                if (dt == XENT_F16 && variant == 1) c.offset = 100.0;       // fp16 ulp at 1000 is 0.5: keep digits
                if (dt == XENT_F16 && variant == 2) c.offset = -100.0;
                run_hard(c);
            }
        }
}

TEST_CASE(hard_bad_label) {
    uint64_t seed = 600;
    for (int dt : {XENT_F32, XENT_BF16})
        for (const Layout& L : {dense(10, 41), dense(9, 3000), Layout{6, 5, 3, 15}, dense(5, 20000)}) {
            HardCase c;
            c.dt = dt;
            c.L = L;
            c.bad_label = true;
            c.seed = seed++;
            run_hard(c);
        }
}

TEST_CASE(hard_all_ignored_and_empty) {
    // every row ignored: MEAN is 0/0 = NaN, gradients 0
    {
        HardCase c;
        c.L = dense(6, 41);
        c.ignore_frac = 1.0;
        c.ignore = 0;  // rows 0 and 1 keep labels 0 and C-1; label 0 is the ignore_index
        c.seed = 700;
        run_hard(c);
    }
    // N = 0: every call succeeds, SUM = 0, MEAN = NaN
    for (int red : {XENT_REDUCTION_SUM, XENT_REDUCTION_MEAN}) {
        Dev ws(xent_workspace_floats(0, 10) * 4), x(16), g(16), lab(16), loss(16), lse(16);
        const xent_tensor t = abi::tensor(XENT_F32, x.p, 0, 10, 1, 10);
        const xent_targets y = abi::class_targets(XENT_I64, lab.p);
        const xent_ce_options o = abi::ce_options(nullptr, -100, 0, 1, 0, 0, red);
        const xent_ce_outputs out = abi::ce_outputs(nullptr, loss.f(), nullptr, lse.f(), ws.f(), nullptr);
        CHECK_EQ(xent_ce(XENT_FORWARD, &t, &y, &o, nullptr, &out, nullptr), 0);
        std::vector<float> w = ws.get<float>(2);
        if (red == XENT_REDUCTION_SUM) EXPECT_VALUE("empty SUM", w[0], 0.0, 0, 0);
        else CHECK(std::isnan(w[0]));
        const xent_tensor none16 = abi::tensor(XENT_BF16, nullptr, 0, 10, 1, 10);
        const xent_targets no_labels = abi::class_targets(XENT_I64, nullptr);
        const xent_ce_outputs ws_only = abi::ce_outputs(nullptr, nullptr, nullptr, nullptr, ws.f(), nullptr);
        CHECK_EQ(xent_ce(XENT_FORWARD_BACKWARD, &none16, &no_labels, &o, nullptr, &ws_only, nullptr), 0);
        const xent_tensor f16 = abi::tensor(XENT_F16, x.p, 0, 10, 1, 10);
        const xent_targets y32 = abi::class_targets(XENT_I32, lab.p);
        const xent_ce_outputs bwd = abi::ce_outputs(g.p, nullptr, nullptr, lse.f(), ws.f(), nullptr);
        CHECK_EQ(xent_ce(XENT_BACKWARD, &f16, &y32, &o, nullptr, &bwd, nullptr), 0);
        const xent_tensor no_inner = abi::tensor(XENT_F32, x.p, 5, 10, 0, 0);
        const xent_targets soft = abi::probability_targets(x.p);
        const xent_ce_outputs fused = abi::ce_outputs(g.p, nullptr, nullptr, nullptr, ws.f(), nullptr);
        CHECK_EQ(xent_ce(XENT_FORWARD_BACKWARD, &no_inner, &soft, &o, nullptr, &fused, nullptr), 0);
        CHECK_EQ(xent_softmax(XENT_SOFTMAX, &t, g.p, nullptr), 0);
        CHECK_EQ(xent_softmax(XENT_LOGSUMEXP, &t, lse.f(), nullptr), 0);
    }
}

TEST_CASE(hard_split_rows) {
    // few rows, huge C: the split-row kernels (and chunked backward)
    uint64_t seed = 800;
    HardCase a;
    a.dt = XENT_F32; a.L = dense(3, 100003); a.eps = 0.1f; a.weights = true; a.seed = seed++; a.red = XENT_REDUCTION_SUM;
    run_hard(a);
    HardCase b;
    b.dt = XENT_BF16; b.L = dense(2, 262144); b.inplace = true; b.seed = seed++; b.scale = 5.0;
    run_hard(b);
    HardCase c;
    c.dt = XENT_F16; c.L = Layout{4, 30001, 1, 30007}; c.seed = seed++; c.lt = XENT_I32; c.upstream = true;
    c.red = XENT_REDUCTION_NONE;
    run_hard(c);
}

TEST_CASE(hard_big_rows_streaming) {
    // >= 128 rows with C above the register-resident limit: the streaming block kernel
    HardCase c;
    c.dt = XENT_F32;
    c.L = dense(128, 16500);
    c.eps = 0.1f;
    c.ignore_frac = 0.2;
    c.seed = 900;
    c.inplace = true;
    run_hard(c);
}

TEST_CASE(soft_targets) {
    uint64_t seed = 1000;
    for (int dt : {XENT_F32, XENT_BF16, XENT_F16})
        for (const Layout& L : {dense(17, 1), dense(17, 41), dense(6, 3000), Layout{9, 41, 1, 47},
                                Layout{3, 12, 5, 60}, dense(2, 20000)}) {
            SoftCase c;
            c.dt = dt;
            c.L = L;
            c.weights = (seed % 2) == 0;
            c.eps = (seed % 3) == 0 ? 0.1f : 0.0f;
            c.red = (int)(seed % 3);
            c.upstream = (seed % 4) == 1;
            c.inplace = (seed % 5) == 2;
            c.scale = (seed % 7) == 3 ? 20.0 : 1.0;
            c.seed = seed++;
            run_soft(c);
        }
}

TEST_CASE(ce_extras) {
    // logit scale, soft-cap and z-loss through every kernel shape: warp / block rows (resident-eligible
    // shapes, which the extras route to streaming), split rows, strided (N, C, d), probability targets
    uint64_t seed = 1200;
    const Extras all{1.3, 4.0, 5e-3}, cap_only{1.0, 2.5, 0.0}, z_only{1.0, 0.0, 1e-2}, scale_only{0.6, 0.0, 0.0};
    for (const Extras& ex : {all, cap_only, z_only, scale_only})
        for (int dt : {XENT_F32, XENT_BF16, XENT_F16})
            for (const Layout& L : {dense(19, 7), dense(9, 1000), dense(5, 3000), dense(3, 20000), Layout{3, 11, 4, 50}}) {
                HardCase h;
                h.dt = dt;
                h.L = L;
                h.ex = ex;
                h.weights = (seed % 2) == 0;
                h.eps = (seed % 3) == 0 ? 0.1f : 0.0f;
                h.red = (int)(seed % 3);
                h.upstream = (seed % 4) == 1;
                h.inplace = (seed % 5) == 2;
                h.masked = 2;
                h.scale = 3.0;
                h.seed = seed++;
                run_hard(h);
                SoftCase s;
                s.dt = dt;
                s.L = L;
                s.ex = ex;
                s.weights = h.weights;
                s.eps = h.eps;
                s.red = h.red;
                s.upstream = h.upstream;
                s.inplace = h.inplace;
                s.scale = 3.0;
                s.seed = seed++;
                run_soft(s);
            }
    // saturated soft-cap: |z| ~ 1000 against a cap of 5, gradients vanish
    HardCase sat;
    sat.L = dense(6, 300);
    sat.scale = 1000.0;
    sat.ex = Extras{1.0, 5.0, 1e-3};
    sat.seed = seed++;
    run_hard(sat);
}

TEST_CASE(ce_extras_invalid) {
    Dev x(40 * 4), lab(4 * 8), loss(4 * 4), lse(4 * 4), ws(64 * 4);
    float* W = ws.f();
    auto fwd = [&](float ls, float cap, float zl) {
        const xent_tensor t = abi::tensor(XENT_F32, x.p, 4, 10, 1, 10);
        const xent_targets y = abi::class_targets(XENT_I64, lab.p);
        const xent_ce_options o = abi::ce_options(nullptr, -100, 0, ls, cap, zl, 2);
        const xent_ce_outputs out = abi::ce_outputs(nullptr, loss.f(), nullptr, lse.f(), W, nullptr);
        return xent_ce(XENT_FORWARD, &t, &y, &o, nullptr, &out, nullptr);
    };
    const int32_t INV = XENT_ERROR_INVALID_ARGUMENT;
    CHECK_EQ(fwd(0.0f, 0.0f, 0.0f), INV);
    CHECK(msg_has("logit_scale"));
    CHECK_EQ(fwd(NAN, 0.0f, 0.0f), INV);
    CHECK(msg_has("logit_scale"));
    CHECK_EQ(fwd(INFINITY, 0.0f, 0.0f), INV);
    CHECK_EQ(fwd(1.0f, -1.0f, 0.0f), INV);
    CHECK(msg_has("softcap"));
    CHECK_EQ(fwd(1.0f, INFINITY, 0.0f), INV);
    CHECK_EQ(fwd(1.0f, 0.0f, -1e-3f), INV);
    CHECK(msg_has("z_loss"));
    CHECK_EQ(fwd(1.0f, 0.0f, NAN), INV);
    const xent_tensor t = abi::tensor(XENT_F32, x.p, 4, 10, 1, 10);
    const xent_targets soft = abi::probability_targets(x.p);
    const xent_ce_options o = abi::ce_options(nullptr, -100, 0, -2.0f, 0, 0, 2);
    const xent_ce_outputs out = abi::ce_outputs(x.p, nullptr, nullptr, lse.f(), W, nullptr);
    CHECK_EQ(xent_ce(XENT_BACKWARD, &t, &soft, &o, nullptr, &out, nullptr), INV);
    CHECK(msg_has("logit_scale"));
}

TEST_CASE(softmax_family) {
    uint64_t seed = 1100;
    for (int dt : {XENT_F32, XENT_BF16, XENT_F16})
        for (const Layout& L : {dense(9, 1), dense(33, 7), dense(20, 41), dense(5, 4098), Layout{6, 1000, 1, 1001},
                                Layout{4, 10, 6, 61}, dense(2, 50257)}) {
            run_softmax_family(dt, L, (seed % 2) ? 20.0 : 1.0, (seed % 3) == 0, seed);
            ++seed;
        }
}

// ---- row statistics (evaluation) ----------------------------------------------------------------

// Per-row statistics at logit scale s against the float64 definitions; labels: ignore_index on
// every 5th row; a -inf logit in row 1; with `bad`, row 2 gets an out-of-range label.
void run_row_stats(int dt, const Layout& L, float s, bool bad, uint64_t seed) {
    const int64_t N = L.rows(), C = L.C, span = L.span();
    char buf[200];
    std::snprintf(buf, sizeof buf, "[row_stats %s %s s=%g bad=%d seed=%llu]", dname(dt), L.str().c_str(), (double)s, bad,
                  (unsigned long long)seed);
    const std::string ctx = buf;
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> normal(0.0, 3.0);
    std::vector<float> xf((size_t)span);
    for (auto& v : xf) v = (float)normal(rng);
    if (N > 1 && C > 2) xf[L.at(1, 2)] = -INFINITY;
    std::vector<double> x;
    const std::vector<uint8_t> xb = encode(dt, xf, &x);
    std::vector<int64_t> y((size_t)N);
    for (int64_t r = 0; r < N; ++r) y[r] = r % 5 == 4 ? -100 : (int64_t)(rng() % (uint64_t)C);
    if (bad && N > 2) y[2] = C;
    Dev dx(span * esize(dt)), dy(N * 8), dstats(N * XENT_ROW_STATS_FLOATS * 4), didx(N * 16), derr(16);
    dx.put(xb);
    dy.put(y);
    const xent_tensor logits = abi::tensor(dt, dx.p, L.outer, C, L.inner, L.ostride);
    const xent_targets labels = abi::class_targets(XENT_I64, dy.p);
    const xent_row_stats_options opt{-100, s};
    const xent_row_stats_outputs out{dstats.f(), static_cast<int64_t*>(didx.p), static_cast<int64_t*>(derr.p)};
    CHECK_EQ(xent_row_stats(&logits, &labels, &opt, &out, nullptr), 0);
    const std::vector<float> st = dstats.get<float>(N * XENT_ROW_STATS_FLOATS);
    const std::vector<int64_t> ix = didx.get<int64_t>(2 * N);
    const std::vector<int64_t> err = derr.get<int64_t>(2);
    if (bad && N > 2) {
        CHECK_EQ(err[0], 2);
        CHECK_EQ(err[1], C);
    } else {
        CHECK_EQ(err[0], -1);
    }
    for (int64_t r = 0; r < N; ++r) {
        std::vector<double> z(C), sz(C);
        double m = -INF, range = 1;
        int64_t arg = 0;
        for (int64_t k = 0; k < C; ++k) {
            z[k] = x[L.at(r, k)];
            sz[k] = s * z[k];
            if (z[k] > m) { m = z[k]; arg = k; }
            if (std::isfinite(z[k])) range = std::max(range, std::fabs(z[k]));
        }
        const double lse = ref_lse(sz);
        double mean = 0, var = 0;
        for (int64_t k = 0; k < C; ++k) if (std::isfinite(z[k])) mean += std::exp(sz[k] - lse) * z[k];
        for (int64_t k = 0; k < C; ++k) if (std::isfinite(z[k])) var += std::exp(sz[k] - lse) * (z[k] - mean) * (z[k] - mean);
        const bool counted = y[r] >= 0 && y[r] < C;
        int64_t rank = -1;
        double loss = 0;
        if (counted) {
            rank = 0;
            for (int64_t k = 0; k < C; ++k) rank += (z[k] > z[y[r]] || (z[k] == z[y[r]] && k < y[r])) ? 1 : 0;
            loss = lse - sz[y[r]];
        }
        const std::string at = ctx + " row " + std::to_string(r);
        const double atol = 3e-6 * s * range + 1e-6;
        EXPECT_VALUE("lse " + at, st[XENT_STAT_LSE * N + r], lse, atol, 2e-5);
        EXPECT_VALUE("loss " + at, st[XENT_STAT_LOSS * N + r], loss, atol, 2e-5);
        EXPECT_VALUE("confidence " + at, st[XENT_STAT_CONFIDENCE * N + r], std::exp(s * m - lse), 1e-6, 2e-5);
        EXPECT_VALUE("mean " + at, st[XENT_STAT_MEAN * N + r], mean, 3e-6 * range + 1e-6, 2e-5);
        EXPECT_VALUE("variance " + at, st[XENT_STAT_VARIANCE * N + r], var, 1e-5 * range * range + 1e-6, 2e-5);
        CHECK_EQ(ix[r], rank);
        CHECK_EQ(ix[N + r], arg);
    }
}

TEST_CASE(row_stats) {
    uint64_t seed = 1300;
    for (int dt : {XENT_F32, XENT_BF16, XENT_F16})
        for (const Layout& L : {dense(9, 1), dense(33, 7), dense(5, 3000), Layout{6, 1000, 1, 1001}, Layout{4, 10, 6, 61}}) {
            run_row_stats(dt, L, (seed % 2) ? 1.0f : 0.4f, false, seed);
            ++seed;
        }
    run_row_stats(XENT_F32, dense(12, 40), 1.0f, true, seed++);
    run_row_stats(XENT_BF16, dense(6, 3000), 2.0f, true, seed++);
    run_row_stats(XENT_F32, Layout{3, 5, 4, 20}, 1.0f, true, seed++);
}

TEST_CASE(row_stats_argument_errors) {
    const int INV = XENT_ERROR_INVALID_ARGUMENT;
    Dev x(4 * 40), lab(8 * 4), stats(4 * 4 * XENT_ROW_STATS_FLOATS), idx(8 * 8);
    int64_t* I = static_cast<int64_t*>(idx.p);
    auto rs = [&](int32_t dt, const void* lg, int64_t outer, int64_t stride, int32_t it, const void* lb, float sc,
                  float* st, int64_t* ix) {
        const xent_tensor t = abi::tensor(dt, lg, outer, 10, 1, stride);
        const xent_targets y = abi::class_targets(it, lb);
        const xent_row_stats_options o{-100, sc};
        const xent_row_stats_outputs out{st, ix, nullptr};
        return xent_row_stats(&t, &y, &o, &out, nullptr);
    };
    CHECK_EQ(rs(XENT_F32, x.p, 4, 10, XENT_I64, lab.p, 0.0f, stats.f(), I), INV);
    CHECK(msg_has("logit_scale must be finite and > 0"));
    CHECK_EQ(rs(XENT_F32, x.p, 4, 10, XENT_I64, lab.p, NAN, stats.f(), I), INV);
    CHECK_EQ(rs(XENT_F32, x.p, 4, 10, XENT_I64, lab.p, INFINITY, stats.f(), I), INV);
    CHECK_EQ(rs(XENT_F32, x.p, 4, 10, XENT_I64, lab.p, 1.0f, nullptr, I), INV);
    CHECK(msg_has("stats is null"));
    CHECK_EQ(rs(XENT_F32, x.p, 4, 10, XENT_I64, lab.p, 1.0f, stats.f(), nullptr), INV);
    CHECK(msg_has("indices is null"));
    CHECK_EQ(rs(XENT_F32, x.p, 4, 10, 7, lab.p, 1.0f, stats.f(), I), INV);
    CHECK(msg_has("index_type"));
    CHECK_EQ(rs(9, x.p, 4, 10, XENT_I64, lab.p, 1.0f, stats.f(), I), INV);
    CHECK_EQ(rs(XENT_F32, x.p, 4, 9, XENT_I64, lab.p, 1.0f, stats.f(), I), INV);
    CHECK(msg_has("outer_stride"));
    const xent_targets probs = abi::probability_targets(x.p);
    const xent_tensor t4 = abi::tensor(XENT_F32, x.p, 4, 10, 1, 10);
    const xent_row_stats_options o1{-100, 1.0f};
    const xent_row_stats_outputs out1{stats.f(), I, nullptr};
    CHECK_EQ(xent_row_stats(&t4, &probs, &o1, &out1, nullptr), INV);
    CHECK(msg_has("targets.kind"));
    // no rows: nothing is touched, null buffers are fine
    CHECK_EQ(rs(XENT_F32, nullptr, 0, 10, XENT_I64, nullptr, 1.0f, nullptr, nullptr), 0);
}

TEST_CASE(gpu_int64_indexing) {
    // N * C > 2^31 elements (4.3 GB of bf16): only on a real GPU
    if (xent_is_emulator()) {
        std::printf("gpu_int64_indexing: skipped on the emulator\n");
        return;
    }
    if (std::getenv("XENT_TEST_QUICK") != nullptr) {  // set by bench/gpu/run.sh for the sanitizer runs
        std::printf("gpu_int64_indexing: skipped, XENT_TEST_QUICK is set\n");
        return;
    }
    const int64_t C = 50257, N = (int64_t(1) << 31) / C + 3, span = N * C;
    void* x = nullptr;
    if (xent_malloc(&x, span * 2) != 0) {
        std::printf("gpu_int64_indexing: skipped, cannot allocate %lld bytes (%s)\n", (long long)(span * 2),
                    xent_last_error());
        return;
    }
    // every row is the same ramp, so any row can be checked against one reference row
    std::vector<float> rowf(C);
    for (int64_t k = 0; k < C; ++k) rowf[k] = (float)std::sin(0.001 * k) * 4.0f;
    std::vector<double> row;
    const std::vector<uint8_t> rb = encode(XENT_BF16, rowf, &row);
    for (int64_t r = 0; r < N; ++r) CHECK_EQ(xent_copy_to_device((char*)x + r * C * 2, rb.data(), C * 2, nullptr), 0);
    std::vector<int64_t> y(N);
    for (int64_t r = 0; r < N; ++r) y[r] = (r * 7919) % C;
    Dev lab(N * 8), loss(N * 4), lse(N * 4), ws(xent_workspace_floats(N, C) * 4);
    lab.put(y);
    const xent_tensor logits = abi::tensor(XENT_BF16, x, N, C, 1, C);
    const xent_targets labels = abi::class_targets(XENT_I64, lab.p);
    const xent_ce_options opt = abi::ce_options(nullptr, -100, 0.0f, 1.0f, 0.0f, 0.0f, XENT_REDUCTION_SUM);
    const xent_ce_outputs out = abi::ce_outputs(x, loss.f(), nullptr, lse.f(), ws.f(), nullptr);
    CHECK_EQ(xent_ce(XENT_FORWARD_BACKWARD, &logits, &labels, &opt, nullptr, &out, nullptr), 0);
    const double ref_lse_v = ref_lse(row);
    std::vector<float> l = loss.get<float>(N);
    for (int64_t r : {int64_t(0), N / 2, N - 2, N - 1}) {
        EXPECT_VALUE("int64 loss row " + std::to_string(r), l[r], ref_lse_v - row[y[r]], 1e-5, 1e-5);
        std::vector<uint16_t> g(C);
        CHECK_EQ(xent_copy_to_host(g.data(), (char*)x + r * C * 2, C * 2, nullptr), 0);
        int64_t bad = 0;
        for (int64_t k = 0; k < C; ++k) {
            const double want = std::exp(row[k] - ref_lse_v) - (k == y[r] ? 1.0 : 0.0);
            if (!check::near(from_bf16(g[k]), want, 1e-7 + 8e-3 * std::fabs(want))) ++bad;
        }
        check::report(bad == 0, __FILE__, __LINE__, "int64 grad row " + std::to_string(r) + ": " + std::to_string(bad) + " bad");
    }
    xent_free(x);
}

// ---- element-wise losses ----------------------------------------------------------------------

// {loss, d loss / d x, d loss / d aux} of one element from the distributions' definitions.
struct EwRef {
    double loss, dx, daux;
};
double log_sigmoid(double x) { return x >= 0 ? -std::log1p(std::exp(-x)) : x - std::log1p(std::exp(x)); }
double sigmoid(double x) { return std::exp(log_sigmoid(x)); }

struct EwCase {
    int op;  // 0 BCE (per-class weight, pos_weight), 1 Gaussian (learned per-element var, full),
             // 2 Laplace (per-row scale), 3 Poisson (rate, full)
    int dt;
    int reduction;
    int64_t rows, last;
    uint64_t seed;
};

void run_elementwise(const EwCase& c) {
    const int64_t n = c.rows * c.last;
    std::mt19937_64 rng(c.seed);
    std::normal_distribution<double> normal(0.0, 1.0);
    std::uniform_real_distribution<double> uni(0.0, 1.0);
    std::vector<float> xf(n), tf(n), aux, w, pw, up;
    for (int64_t i = 0; i < n; ++i) {
        switch (c.op) {
            case 0: xf[i] = (float)(3 * normal(rng)); tf[i] = (float)(i % 3 == 0 ? uni(rng) : i % 2); break;
            case 1: case 2: xf[i] = (float)normal(rng); tf[i] = i % 7 == 3 ? xf[i] : (float)(xf[i] + normal(rng)); break;
            default: xf[i] = (float)(3 * uni(rng)); tf[i] = (float)(int)(6 * uni(rng)); break;
        }
    }
    if (c.op == 0) {
        for (int64_t k = 0; k < c.last; ++k) w.push_back((float)(0.2 + uni(rng)));
        for (int64_t k = 0; k < c.last; ++k) pw.push_back((float)(0.5 + 2 * uni(rng)));
    }
    if (c.op == 1) for (int64_t i = 0; i < n; ++i) aux.push_back((float)(0.05 + 2 * uni(rng)));
    if (c.op == 2) for (int64_t r = 0; r < c.rows; ++r) aux.push_back((float)(0.05 + 2 * uni(rng)));
    const bool none = c.reduction == XENT_REDUCTION_NONE;
    for (int64_t i = 0; i < (none ? n : 1); ++i) up.push_back((float)(0.5 + uni(rng)));
    std::vector<double> x, t;
    const std::vector<uint8_t> xb = encode(c.dt, xf, &x), tb = encode(c.dt, tf, &t);
    Dev dx(n * esize(c.dt)), dt_(n * esize(c.dt)), dg(n * esize(c.dt)), dloss(n * 4), dup((int64_t)up.size() * 4),
        daux((int64_t)std::max<size_t>(aux.size(), 1) * 4), dw(c.last * 4), dpw(c.last * 4), dauxg(n * 4),
        ws(xent_elementwise_workspace_floats(n) * 4), err(16);
    dx.put(xb);
    dt_.put(tb);
    dup.put(up);
    daux.put(aux);
    dw.put(w);
    dpw.put(pw);
    const xent_tensor in = abi::dense(c.dt, dx.p, n, c.last);
    xent_elementwise_options o{};
    xent_elementwise_outputs out{dg.p, nullptr, dloss.f(), ws.f(), (int64_t*)err.p};
    int32_t st;
    switch (c.op) {
        case 0: o = xent_elementwise_options{XENT_BCE_WITH_LOGITS, c.reduction, dw.f(), XENT_PER_LAST, dpw.f(), nullptr,
                                             XENT_PER_ELEMENT, 0, 0.0f, 0}; break;
        case 1: o = xent_elementwise_options{XENT_GAUSSIAN_NLL, c.reduction, nullptr, XENT_PER_ELEMENT, nullptr, daux.f(),
                                             XENT_PER_ELEMENT, 1, 1e-6f, 0};
                out.scale_grad = dauxg.f(); break;
        case 2: o = xent_elementwise_options{XENT_LAPLACE_NLL, c.reduction, nullptr, XENT_PER_ELEMENT, nullptr, daux.f(),
                                             XENT_PER_ROW, 0, 1e-6f, 0}; break;
        default: o = xent_elementwise_options{XENT_POISSON_NLL, c.reduction, nullptr, XENT_PER_ELEMENT, nullptr, nullptr,
                                              XENT_PER_ELEMENT, 1, 1e-8f, 0}; break;
    }
    st = xent_elementwise(XENT_FORWARD_BACKWARD, &in, dt_.p, &o, dup.f(), &out, nullptr);
    CHECK_EQ(st, 0);
    std::vector<EwRef> ref(n);
    double sum = 0, mag = 0;
    for (int64_t i = 0; i < n; ++i) {
        EwRef r{};
        const double d = x[i] - t[i];
        switch (c.op) {
            case 0: {
                const double wi = w[i % c.last], p = pw[i % c.last];
                r.loss = -wi * (p * t[i] * log_sigmoid(x[i]) + (1 - t[i]) * log_sigmoid(-x[i]));
                r.dx = -wi * (p * t[i] * sigmoid(-x[i]) - (1 - t[i]) * sigmoid(x[i]));
                break;
            }
            case 1: {
                const double v = std::max((double)aux[i], 1e-6);
                r.loss = 0.5 * std::log(2 * M_PI * v) + d * d / (2 * v);
                r.dx = d / v;
                r.daux = 0.5 / v - d * d / (2 * v * v);
                break;
            }
            case 2: {
                const double b = aux[i / c.last];
                r.loss = std::log(b) + std::fabs(d) / b;
                r.dx = ((d > 0) - (d < 0)) / b;
                break;
            }
            default: {
                r.loss = x[i] - t[i] * std::log(x[i] + 1e-8);
                if (t[i] > 1) r.loss += t[i] * std::log(t[i]) - t[i] + 0.5 * std::log(2 * M_PI * t[i]);
                r.dx = 1 - t[i] / (x[i] + 1e-8);
                break;
            }
        }
        ref[i] = r;
        sum += r.loss;
        mag += std::fabs(r.loss);
    }
    const std::string what = "elementwise op " + std::to_string(c.op) + " " + dname(c.dt) + " reduction " +
                             std::to_string(c.reduction) + " n=" + std::to_string(n);
    const std::vector<float> l = dloss.get<float>(n);
    EXPECT_ALL(what + " loss", n, [&](int64_t i) { return l[i]; }, [&](int64_t i) { return ref[i].loss; }, 1e-5, 2e-5);
    const std::vector<float> wsv = ws.get<float>(2);
    const double want = c.reduction == XENT_REDUCTION_MEAN ? sum / n : sum;
    EXPECT_VALUE(what + " reduced", wsv[0], want, 1e-5 * (c.reduction == XENT_REDUCTION_MEAN ? mag / n : mag), 1e-6);
    EXPECT_VALUE(what + " count", wsv[1], (double)n, 0, 0);
    const std::vector<uint8_t> g = dg.get_bytes();
    const double rt = c.dt == XENT_F32 ? 2e-5 : c.dt == XENT_BF16 ? 8e-3 : 1e-3;
    auto scale = [&](int64_t i) {
        return none ? (double)up[i] : c.reduction == XENT_REDUCTION_MEAN ? up[0] / (double)n : (double)up[0];
    };
    EXPECT_ALL(what + " grad", n, [&](int64_t i) { return decode(c.dt, g, i); },
               [&](int64_t i) { return scale(i) * ref[i].dx; }, 1e-6 * std::max(1.0, 1.0 / n), rt);
    if (c.op == 1) {
        const std::vector<float> ag = dauxg.get<float>(n);
        EXPECT_ALL(what + " var grad", n, [&](int64_t i) { return ag[i]; }, [&](int64_t i) { return scale(i) * ref[i].daux; },
                   1e-6, 1e-4);
    }
    const std::vector<int64_t> e = err.get<int64_t>(2);
    CHECK_EQ(e[0], int64_t(-1));
}

TEST_CASE(elementwise_losses) {
    uint64_t seed = 900;
    for (int op = 0; op < 4; ++op)
        for (int dt : {XENT_F32, XENT_BF16, XENT_F16})
            for (int red : {XENT_REDUCTION_NONE, XENT_REDUCTION_SUM, XENT_REDUCTION_MEAN})
                for (int64_t last : {int64_t(59), int64_t(1)}) run_elementwise(EwCase{op, dt, red, 17, last, seed++});
}

TEST_CASE(elementwise_bad_values_and_arguments) {
    // a BCE target of 1.5 at element 5: error_info = (5, target << 32 | bits of 1.5), loss 0 there
    std::vector<float> x(9, 0.5f), y(9, 1.0f);
    y[5] = 1.5f;
    Dev dx(36), dy(36), ws(xent_elementwise_workspace_floats(9) * 4), err(16), loss(36);
    dx.put(x);
    dy.put(y);
    const xent_tensor in = abi::dense(XENT_F32, dx.p, 9, 3);
    const xent_elementwise_options bce{XENT_BCE_WITH_LOGITS, XENT_REDUCTION_NONE, nullptr, XENT_PER_ELEMENT, nullptr,
                                       nullptr, XENT_PER_ELEMENT, 0, 0.0f, 0};
    const xent_elementwise_outputs bce_out{nullptr, nullptr, loss.f(), ws.f(), (int64_t*)err.p};
    CHECK_EQ(xent_elementwise(XENT_FORWARD, &in, dy.p, &bce, nullptr, &bce_out, nullptr), 0);
    const std::vector<int64_t> e = err.get<int64_t>(2);
    CHECK_EQ(e[0], int64_t(5));
    CHECK_EQ(e[1], (int64_t)f2u(1.5f));
    CHECK_EQ(loss.get<float>(9)[5], 0.0f);
    // a negative variance: tensor 1
    std::vector<float> var = {1, 1, -2};
    Dev dv(12), err2(16);
    dv.put(var);
    const xent_elementwise_options gauss{XENT_GAUSSIAN_NLL, XENT_REDUCTION_SUM, nullptr, XENT_PER_ELEMENT, nullptr,
                                         dv.f(), XENT_PER_ROW, 0, 1e-6f, 0};
    const xent_elementwise_outputs gauss_out{nullptr, nullptr, nullptr, ws.f(), (int64_t*)err2.p};
    CHECK_EQ(xent_elementwise(XENT_FORWARD, &in, dy.p, &gauss, nullptr, &gauss_out, nullptr), 0);
    const std::vector<int64_t> e2 = err2.get<int64_t>(2);
    CHECK(e2[0] >= 6 && e2[0] <= 8);
    CHECK_EQ(e2[1], ((int64_t)1 << 32) | (int64_t)f2u(-2.0f));
    // argument errors name the function and the argument
    const xent_elementwise_outputs ws_only{nullptr, nullptr, nullptr, ws.f(), nullptr};
    const xent_tensor strided = abi::tensor(XENT_F32, dx.p, 3, 2, 1, 3);  // not dense
    CHECK_EQ(xent_elementwise(XENT_FORWARD, &strided, dy.p, &bce, nullptr, &ws_only, nullptr), XENT_ERROR_INVALID_ARGUMENT);
    CHECK(std::string(xent_last_error()).find("dense") != std::string::npos);
    const xent_elementwise_outputs row_scale_grad{dv.f(), dv.f(), nullptr, ws.f(), nullptr};
    CHECK_EQ(xent_elementwise(XENT_FORWARD_BACKWARD, &in, dy.p, &gauss, nullptr, &row_scale_grad, nullptr),
             XENT_ERROR_INVALID_ARGUMENT);
    CHECK(std::string(xent_last_error()).find("scale_grad") != std::string::npos);
    const xent_elementwise_options poisson_bad_red{XENT_POISSON_NLL, 7, nullptr, XENT_PER_ELEMENT, nullptr, nullptr,
                                                   XENT_PER_ELEMENT, 0, 1e-8f, 1};
    CHECK_EQ(xent_elementwise(XENT_FORWARD, &in, dy.p, &poisson_bad_red, nullptr, &ws_only, nullptr),
             XENT_ERROR_INVALID_ARGUMENT);
    CHECK(std::string(xent_last_error()).find("reduction") != std::string::npos);
    const xent_elementwise_options laplace_no_scale{XENT_LAPLACE_NLL, XENT_REDUCTION_SUM, nullptr, XENT_PER_ELEMENT,
                                                    nullptr, nullptr, XENT_SCALAR, 0, 1e-6f, 0};
    CHECK_EQ(xent_elementwise(XENT_FORWARD, &in, dy.p, &laplace_no_scale, nullptr, &ws_only, nullptr),
             XENT_ERROR_INVALID_ARGUMENT);
    CHECK(std::string(xent_last_error()).find("scale is null") != std::string::npos);
    const xent_elementwise_options bad_op{9, XENT_REDUCTION_SUM, nullptr, XENT_PER_ELEMENT, nullptr, nullptr,
                                          XENT_PER_ELEMENT, 0, 0.0f, 0};
    CHECK_EQ(xent_elementwise(XENT_FORWARD, &in, dy.p, &bad_op, nullptr, &ws_only, nullptr), XENT_ERROR_INVALID_ARGUMENT);
    CHECK(std::string(xent_last_error()).find("options.op: unknown value 9") != std::string::npos);
    CHECK_EQ(xent_elementwise(XENT_BACKWARD, &in, dy.p, &bce, nullptr, &ws_only, nullptr), XENT_ERROR_INVALID_ARGUMENT);
    CHECK(std::string(xent_last_error()).find("XENT_BACKWARD does not exist") != std::string::npos);
}

}  // namespace

CHECK_MAIN()
