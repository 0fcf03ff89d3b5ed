// test_softmax.cpp: the softmax family (xent_softmax: log-softmax, softmax, log-sum-exp), the library and memory functions, and argument errors of the shared checks.
// Through the C ABI only, against a float64 reference written for clarity (see kernel_support.h).
// Built twice: against libxent_emu.so (test_softmax_emu) and libxent_cuda.so (test_softmax_cuda, on
// a GPU). Run one group with `test_softmax_emu <substring of a test name>`.
#include "kernel_support.h"

namespace {

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
}  // namespace

CHECK_MAIN()
