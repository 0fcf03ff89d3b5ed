// test_elementwise.cpp: the element-wise losses (xent_elementwise: BCE with logits, Gaussian, Laplace, Poisson NLL).
// Through the C ABI only, against a float64 reference written for clarity (see kernel_support.h).
// Built twice: against libxent_emu.so (test_elementwise_emu) and libxent_cuda.so (test_elementwise_cuda, on
// a GPU). Run one group with `test_elementwise_emu <substring of a test name>`.
#include "kernel_support.h"

namespace {

struct EwRef {
    double loss, dx, daux;
    double daux_mag;  // |1/v-like term| + |(x-t)^2/v^2-like term|: the scale d/daux is accurate to
};
double log_sigmoid(double x) { return x >= 0 ? -std::log1p(std::exp(-x)) : x - std::log1p(std::exp(x)); }
double sigmoid(double x) { return std::exp(log_sigmoid(x)); }

struct EwCase {
    int op;  // 0 BCE (per-class weight, pos_weight), 1 Gaussian (learned var, full),
             // 2 Laplace (learned scale), 3 Poisson (rate, full)
    int dt;
    int reduction;
    int64_t rows, last;
    uint64_t seed;
    int spread = XENT_PER_ELEMENT;  // Gaussian, Laplace: how var / scale (and its gradient) is shaped
};

// The number of var / scale entries and the entry element i uses.
int64_t spread_count(const EwCase& c) {
    return c.spread == XENT_PER_ELEMENT ? c.rows * c.last : c.spread == XENT_PER_ROW ? c.rows : 1;
}
int64_t spread_index(const EwCase& c, int64_t i) {
    return c.spread == XENT_PER_ELEMENT ? i : c.spread == XENT_PER_ROW ? i / c.last : 0;
}

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
    const bool spread = c.op == 1 || c.op == 2;
    const int64_t m = spread ? spread_count(c) : 0;
    for (int64_t k = 0; k < m; ++k) aux.push_back((float)(0.05 + 2 * uni(rng)));
    // below eps: clamped, the gradients taken at eps (d/dx ~ 1e6: past fp16's range, so not there)
    if (m > 2 && c.dt != XENT_F16) aux[m / 2] = 0.0f, aux[m / 3] = 3e-7f;
    const bool none = c.reduction == XENT_REDUCTION_NONE;
    for (int64_t i = 0; i < (none ? n : 1); ++i) up.push_back((float)(0.5 + uni(rng)));
    std::vector<double> x, t;
    const std::vector<uint8_t> xb = encode(c.dt, xf, &x), tb = encode(c.dt, tf, &t);
    Dev dx(n * esize(c.dt)), dt_(n * esize(c.dt)), dg(n * esize(c.dt)), dloss(n * 4), dup((int64_t)up.size() * 4),
        daux((int64_t)std::max<size_t>(aux.size(), 1) * 4), dw(c.last * 4), dpw(c.last * 4), dauxg(m * 4),
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
                                             c.spread, 1, 1e-6f, 0};
                out.scale_grad = dauxg.f(); break;
        case 2: o = xent_elementwise_options{XENT_LAPLACE_NLL, c.reduction, nullptr, XENT_PER_ELEMENT, nullptr, daux.f(),
                                             c.spread, 0, 1e-6f, 0};
                out.scale_grad = dauxg.f(); break;
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
                const double v = std::max((double)aux[spread_index(c, i)], (double)1e-6f);
                r.loss = 0.5 * std::log(2 * M_PI * v) + d * d / (2 * v);
                r.dx = d / v;
                r.daux = 0.5 / v - d * d / (2 * v * v);
                r.daux_mag = 0.5 / v + d * d / (2 * v * v);
                break;
            }
            case 2: {
                const double b = std::max((double)aux[spread_index(c, i)], (double)1e-6f);
                r.loss = std::log(b) + std::fabs(d) / b;
                r.dx = ((d > 0) - (d < 0)) / b;
                r.daux = 1 / b - std::fabs(d) / (b * b);
                r.daux_mag = 1 / b + std::fabs(d) / (b * b);
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
                             std::to_string(c.reduction) + " spread " + std::to_string(c.spread) + " " +
                             std::to_string(c.rows) + "x" + std::to_string(c.last);
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
    if (spread) {
        // entry k: the sum of its elements' gradients, to fp32 accuracy relative to the sum of their
        // terms' magnitudes (1/v against (x-t)^2/v^2 cancel; the clamped ones reach 1e12)
        std::vector<double> want_g(m, 0.0), mag_g(m, 0.0);
        for (int64_t i = 0; i < n; ++i) {
            want_g[spread_index(c, i)] += scale(i) * ref[i].daux;
            mag_g[spread_index(c, i)] += std::fabs(scale(i)) * ref[i].daux_mag;
        }
        const std::vector<float> ag = dauxg.get<float>(m);
        for (int64_t k = 0; k < m; ++k)
            EXPECT_VALUE(what + " spread grad[" + std::to_string(k) + "]", ag[k], want_g[k], 2e-5 * mag_g[k] + 1e-30, 0);
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

// A broadcast var / scale gets the sum of its elements' gradients: one value (block partials
// reduced in a fixed order) and one per row at each group size (a thread per row below 32, a
// warp, the block above 4096; more rows than the grid holds), every reduction and upstream.
TEST_CASE(elementwise_broadcast_spread_gradient) {
    uint64_t seed = 2000;
    const int64_t shapes[][2] = {{17, 59}, {3000, 3}, {5, 5000}, {300, 301}, {1, 1}};
    for (int op : {1, 2})
        for (int spread : {XENT_PER_ROW, XENT_SCALAR})
            for (const auto& shape : shapes)
                for (int red : {XENT_REDUCTION_NONE, XENT_REDUCTION_SUM, XENT_REDUCTION_MEAN})
                    run_elementwise(EwCase{op, XENT_F32, red, shape[0], shape[1], seed++, spread});
    for (int dt : {XENT_BF16, XENT_F16})
        for (int spread : {XENT_PER_ROW, XENT_SCALAR})
            run_elementwise(EwCase{1, dt, XENT_REDUCTION_MEAN, 40, 37, seed++, spread});
}

// Two runs give the same bits: the broadcast sums use no atomics.
TEST_CASE(elementwise_spread_gradient_is_reproducible) {
    const int64_t rows = 700, last = 129, n = rows * last;
    std::vector<float> x(n), t(n), var(rows);
    std::mt19937_64 rng(77);
    std::normal_distribution<double> normal(0.0, 1.0);
    for (int64_t i = 0; i < n; ++i) x[i] = (float)normal(rng), t[i] = (float)normal(rng);
    for (int64_t r = 0; r < rows; ++r) var[r] = (float)(0.1 + std::fabs(normal(rng)));
    Dev dx(n * 4), dt_(n * 4), dv(rows * 4), dg(n * 4), ws(xent_elementwise_workspace_floats(n) * 4);
    dx.put(x);
    dt_.put(t);
    dv.put(var);
    const xent_tensor in = abi::dense(XENT_F32, dx.p, n, last);
    for (int spread : {XENT_PER_ROW, XENT_SCALAR}) {
        const int64_t m = spread == XENT_PER_ROW ? rows : 1;
        std::vector<float> first;
        for (int run = 0; run < 2; ++run) {
            Dev dsg(m * 4);
            const xent_elementwise_options o{XENT_GAUSSIAN_NLL, XENT_REDUCTION_SUM, nullptr, XENT_PER_ELEMENT, nullptr,
                                             dv.f(), spread, 0, 1e-6f, 0};
            const xent_elementwise_outputs out{dg.p, dsg.f(), nullptr, ws.f(), nullptr};
            CHECK_EQ(xent_elementwise(XENT_FORWARD_BACKWARD, &in, dt_.p, &o, nullptr, &out, nullptr), 0);
            const std::vector<float> got = dsg.get<float>(m);
            if (run == 0) first = got;
            for (int64_t k = 0; k < m; ++k) CHECK_EQ(f2u(got[k]), f2u(first[k]));
        }
    }
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
    const xent_elementwise_outputs forward_scale_grad{nullptr, dv.f(), nullptr, ws.f(), nullptr};
    CHECK_EQ(xent_elementwise(XENT_FORWARD, &in, dy.p, &gauss, nullptr, &forward_scale_grad, nullptr),
             XENT_ERROR_INVALID_ARGUMENT);
    CHECK(std::string(xent_last_error()).find("scale_grad needs pass XENT_FORWARD_BACKWARD") != std::string::npos);
    const xent_elementwise_outputs bce_scale_grad{dv.f(), dv.f(), nullptr, ws.f(), nullptr};
    CHECK_EQ(xent_elementwise(XENT_FORWARD_BACKWARD, &in, dy.p, &bce, nullptr, &bce_scale_grad, nullptr),
             XENT_ERROR_INVALID_ARGUMENT);
    CHECK(std::string(xent_last_error()).find("scale_grad needs a Gaussian or Laplace loss") != std::string::npos);
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
