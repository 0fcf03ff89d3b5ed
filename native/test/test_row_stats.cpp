// test_row_stats.cpp: per-row evaluation statistics (xent_row_stats).
// Through the C ABI only, against a float64 reference written for clarity (see kernel_support.h).
// Built twice: against libxent_emu.so (test_row_stats_emu) and libxent_cuda.so (test_row_stats_cuda, on
// a GPU). Run one group with `test_row_stats_emu <substring of a test name>`.
#include "kernel_support.h"

namespace {

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

}  // namespace

CHECK_MAIN()
