// test_nll.cpp: NLL loss on log-probabilities (xent_nll), FORWARD and FORWARD_BACKWARD, every
// reduction, class weights, ignore_index, a bad label reaching error_info, (N, C, d) layouts.
// Through the C ABI only, against a float64 reference written for clarity (see kernel_support.h).
// Built twice: against libxent_emu.so (test_nll_emu) and libxent_cuda.so (test_nll_cuda, on a GPU).
#include "kernel_support.h"

namespace {

struct NllCase {
    int dt;
    Layout L;
    int red;
    bool weighted;
    int64_t bad_row;  // -1: none
    uint64_t seed;
};

void run_nll(const NllCase& c) {
    const Layout& L = c.L;
    const int64_t N = L.rows(), C = L.C, span = L.span();
    const std::string ctx = std::string(dname(c.dt)) + " " + L.str() + " red=" + std::to_string(c.red) +
                            (c.weighted ? " weighted" : "") + " seed=" + std::to_string(c.seed);
    std::mt19937_64 rng(c.seed);
    std::normal_distribution<double> normal;
    std::uniform_real_distribution<double> uni(0.2, 2.0);
    // log-probabilities of a random softmax at scale x4, offset -1000 on one row (values as given)
    std::vector<float> xf((size_t)span, 0.0f);
    for (int64_t r = 0; r < N; ++r)
        for (int64_t k = 0; k < C; ++k) xf[(size_t)L.at(r, k)] = (float)(-std::fabs(4 * normal(rng)) - (r == 1 ? 1000 : 0));
    std::vector<double> x;
    const std::vector<uint8_t> xb = encode(c.dt, xf, &x);
    const int64_t ignore = -100;
    std::vector<int64_t> y((size_t)N);
    for (int64_t r = 0; r < N; ++r) y[r] = r % 5 == 3 ? ignore : (r * 7 + 1) % C;
    if (N > 0) y[0] = C - 1;
    if (c.bad_row >= 0) y[(size_t)c.bad_row] = C + 3;
    std::vector<float> w;
    if (c.weighted) for (int64_t k = 0; k < C; ++k) w.push_back((float)uni(rng));
    std::vector<float> up(c.red == XENT_REDUCTION_NONE ? (size_t)std::max<int64_t>(N, 1) : 1);
    for (auto& u : up) u = (float)uni(rng);

    // reference
    std::vector<double> loss((size_t)N, 0.0), grad((size_t)span, 0.0);
    double total = 0, den = 0;
    for (int64_t r = 0; r < N; ++r) {
        if (y[r] == ignore || y[r] < 0 || y[r] >= C) continue;
        const double wy = c.weighted ? w[(size_t)y[r]] : 1.0;
        loss[r] = -wy * x[(size_t)L.at(r, y[r])];
        total += loss[r];
        den += wy;
    }
    const double reduced = c.red == XENT_REDUCTION_MEAN ? total / den : total;
    for (int64_t r = 0; r < N; ++r) {
        if (y[r] == ignore || y[r] < 0 || y[r] >= C) continue;
        const double wy = c.weighted ? w[(size_t)y[r]] : 1.0;
        const double s = c.red == XENT_REDUCTION_NONE ? up[r] : c.red == XENT_REDUCTION_MEAN ? up[0] / den : up[0];
        grad[(size_t)L.at(r, y[r])] = -s * wy;
    }

    Dev dx(span * esize(c.dt)), dg(span * esize(c.dt)), dy(N * 8), dw(C * 4), dup((int64_t)up.size() * 4), dloss(N * 4),
        dws(xent_workspace_floats(N, C) * 4), derr(16);
    dx.put(xb);
    dy.put(y);
    dw.put(w);
    dup.put(up);
    const xent_tensor in = abi::tensor(c.dt, dx.p, L.outer, C, L.inner, L.ostride);
    const xent_targets labels = abi::class_targets(XENT_I64, dy.p);
    const xent_nll_options opt{c.weighted ? dw.f() : nullptr, ignore, c.red};
    const std::vector<char> mask = L.in_rows();
    for (int pass : {XENT_FORWARD, XENT_FORWARD_BACKWARD}) {
        const std::string what = (pass == XENT_FORWARD ? "forward " : "forward_backward ") + ctx;
        dloss.poison();
        dws.poison();
        dg.poison();
        derr.poison();
        const xent_nll_outputs out{dg.p, dloss.f(), dws.f(), static_cast<int64_t*>(derr.p)};
        CHECK_EQ(xent_nll(pass, &in, &labels, &opt, dup.f(), &out, nullptr), 0);
        const std::vector<float> l = dloss.get<float>(N), ws = dws.get<float>(2);
        EXPECT_ALL("loss " + what, N, [&](int64_t i) { return l[i]; }, [&](int64_t i) { return loss[i]; }, 0, 1e-6);
        EXPECT_VALUE("reduced " + what, ws[0], reduced, 1e-6, 1e-5);
        EXPECT_VALUE("denominator " + what, ws[1], c.red == XENT_REDUCTION_MEAN ? den : 1.0, 0, 1e-6);
        const std::vector<int64_t> err = derr.get<int64_t>(2);
        CHECK_EQ(err[0], c.bad_row);
        CHECK_EQ(err[1], c.bad_row >= 0 ? C + 3 : int64_t(-1));
        const std::vector<uint8_t> gb = dg.get_bytes();
        if (pass == XENT_FORWARD) {
            EXPECT_ALL("grad untouched " + what, span, [&](int64_t i) { return (double)is_poison(c.dt, gb, i); },
                       [&](int64_t) { return 1.0; }, 0, 0);
        } else {
            EXPECT_ALL("grad " + what, span,
                       [&](int64_t i) { return mask[i] ? decode(c.dt, gb, i) : (double)is_poison(c.dt, gb, i); },
                       [&](int64_t i) { return mask[i] ? grad[i] : 1.0; }, 0, c.dt == XENT_F32 ? 1e-6 : 8e-3);
        }
    }
}

TEST_CASE(nll_matrix) {
    uint64_t seed = 1;
    for (int dt : {XENT_F32, XENT_BF16, XENT_F16})
        for (int red : {XENT_REDUCTION_NONE, XENT_REDUCTION_SUM, XENT_REDUCTION_MEAN})
            for (bool weighted : {false, true}) {
                run_nll({dt, Layout{6, 41, 1, 48}, red, weighted, -1, seed++});
                run_nll({dt, Layout{3, 5, 4, 20}, red, weighted, 7, seed++});  // (N, C, d), a bad label
            }
    run_nll({XENT_F32, Layout{4, 1, 1, 1}, XENT_REDUCTION_MEAN, false, -1, seed++});  // C = 1
}

TEST_CASE(nll_arguments) {
    const int INV = XENT_ERROR_INVALID_ARGUMENT;
    Dev x(160), lab(32), ws(xent_workspace_floats(4, 10) * 4), g(160);
    const xent_tensor in = abi::tensor(XENT_F32, x.p, 4, 10, 1, 10);
    const xent_targets labels = abi::class_targets(XENT_I64, lab.p);
    const xent_nll_options opt{nullptr, -100, XENT_REDUCTION_MEAN};
    const xent_nll_outputs out{g.p, nullptr, ws.f(), nullptr};
    CHECK_EQ(xent_nll(XENT_BACKWARD, &in, &labels, &opt, nullptr, &out, nullptr), INV);
    CHECK(msg_has("xent_nll: pass: XENT_BACKWARD does not exist"));
    CHECK_EQ(xent_nll(5, &in, &labels, &opt, nullptr, &out, nullptr), INV);
    CHECK(msg_has("pass: unknown value 5"));
    const xent_targets probs = abi::probability_targets(x.p);
    CHECK_EQ(xent_nll(XENT_FORWARD, &in, &probs, &opt, nullptr, &out, nullptr), INV);
    CHECK(msg_has("targets.kind"));
    const xent_nll_outputs no_grad{nullptr, nullptr, ws.f(), nullptr};
    CHECK_EQ(xent_nll(XENT_FORWARD_BACKWARD, &in, &labels, &opt, nullptr, &no_grad, nullptr), INV);
    CHECK(msg_has("outputs.grad is null"));
    const xent_nll_outputs no_ws{g.p, nullptr, nullptr, nullptr};
    CHECK_EQ(xent_nll(XENT_FORWARD, &in, &labels, &opt, nullptr, &no_ws, nullptr), INV);
    CHECK(msg_has("outputs.workspace is null"));
    const xent_nll_options bad_red{nullptr, -100, 4};
    CHECK_EQ(xent_nll(XENT_FORWARD, &in, &labels, &bad_red, nullptr, &out, nullptr), INV);
    CHECK(msg_has("options.reduction: unknown value 4"));
}

}  // namespace

CHECK_MAIN()
