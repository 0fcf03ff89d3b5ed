// kernel_support.h: what the native kernel tests (one file per op family, test_<family>.cpp) share:
// dtype conversion independent of the library's, device buffers through the C ABI only (memory from
// xent_malloc, copies with xent_copy_to_device / xent_copy_to_host), comparisons that report the
// first mismatch, the layout of a tensor, a float64 log-sum-exp and the tolerances by dtype.
//
// Every output buffer is poisoned (all bytes 0xFF: NaN in every dtype) before a call, and every
// element is checked afterwards, including the padding between rows that must stay untouched.
// 16-bit inputs are rounded first and the reference is computed from the rounded values.
// Each test file is its own executable (this header's definitions live in one translation unit).
#pragma once

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

// A dense (N, C) layout.
Layout dense(int64_t n, int64_t c) { return Layout{n, c, 1, c}; }

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
// ---- tolerances ------------------------------------------------------------------------------

// Losses are fp32 computed from the (rounded) inputs whatever the dtype.
const double LOSS_ATOL = 3e-6, LOSS_RTOL = 3e-6;
// Gradients: fp32 arithmetic (GPU exp is ex2.approx), then rounded to the dtype.
double grad_rtol(int dt) { return dt == XENT_F32 ? 1e-4 : dt == XENT_BF16 ? 8e-3 : 1.2e-3; }
double grad_atol(int dt, double scale) { return 2e-6 * scale + (dt == XENT_F16 ? 6e-8 : 0.0); }

bool msg_has(const char* needle) { return std::strstr(xent_last_error(), needle) != nullptr; }

// n random fp32 values lo + span * U(0, 1) (class weights, upstream gradients), with their exact
// float64 copy for the reference; draws from rng in index order.
struct RandomFloats {
    std::vector<float> f;
    std::vector<double> d;
};
inline RandomFloats random_floats(int64_t n, double lo, double span, std::mt19937_64& rng) {
    std::uniform_real_distribution<double> uni(0.0, 1.0);
    RandomFloats r;
    for (int64_t i = 0; i < n; ++i) r.f.push_back((float)(lo + span * uni(rng)));
    r.d.assign(r.f.begin(), r.f.end());
    return r;
}

}  // namespace
