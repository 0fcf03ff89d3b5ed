// test_distill.cpp: distillation (xent_distill, FORWARD and FORWARD_BACKWARD, with and without hard
// labels and their class weights, its workspace size), entropy (xent_entropy, with and without the
// gradient) and Jensen-Shannon (xent_js, with and without the gradients). Through the C ABI only,
// against a float64 reference written for clarity
// (see kernel_support.h). Built twice: against libxent_emu.so (test_distill_emu) and
// libxent_cuda.so (test_distill_cuda, on a GPU).
#include "kernel_support.h"

namespace {

// softmax(z / tau) of one row in float64; -inf entries get 0.
std::vector<double> ref_softmax(const std::vector<double>& z, double tau) {
    std::vector<double> a(z.size());
    for (size_t k = 0; k < z.size(); ++k) a[k] = z[k] / tau;
    const double lse = ref_lse(a);
    for (auto& v : a) v = std::exp(v - lse);
    return a;
}
double plogp_ratio(double p, double q) { return p == 0.0 ? 0.0 : p * (std::log(p) - std::log(q)); }

struct Rows {
    Layout L;
    std::vector<double> t, s;        // rounded, at the layout's offsets
    std::vector<uint8_t> tb, sb;
    std::vector<double> row(const std::vector<double>& v, int64_t r) const {
        std::vector<double> z((size_t)L.C);
        for (int64_t k = 0; k < L.C; ++k) z[k] = v[(size_t)L.at(r, k)];
        return z;
    }
};

// Teacher and student logits: x20 scale on row 0, +1000 offset on row 1 (both), a -inf (masked)
// teacher class on row 2.
Rows make_rows(int dt, const Layout& L, uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> normal;
    std::vector<float> tf((size_t)L.span(), 0.0f), sf((size_t)L.span(), 0.0f);
    for (int64_t r = 0; r < L.rows(); ++r)
        for (int64_t k = 0; k < L.C; ++k) {
            const double scale = r == 0 ? 20.0 : 1.5, offset = r == 1 ? 1000.0 : 0.0;
            tf[(size_t)L.at(r, k)] = (float)(scale * normal(rng) + offset);
            sf[(size_t)L.at(r, k)] = (float)(scale * normal(rng) + offset);
        }
    if (L.rows() > 2 && L.C > 1) tf[(size_t)L.at(2, L.C / 2)] = -INFINITY;
    Rows R{L, {}, {}, {}, {}};
    R.tb = encode(dt, tf, &R.t);
    R.sb = encode(dt, sf, &R.s);
    return R;
}

double loss_tol(int dt) { return dt == XENT_F32 ? 2e-5 : 4e-5; }
double grad_tol(int dt) { return dt == XENT_F32 ? 1e-4 : dt == XENT_BF16 ? 8e-3 : 1.2e-3; }

// weighted: class weights w_k = 0.25 + 0.6 (k mod 5) on the hard term (class 0 the lightest).
void run_distill(int dt, const Layout& L, float tau, float alpha, int red, bool weighted, uint64_t seed) {
    const int64_t N = L.rows(), C = L.C, span = L.span();
    const std::string ctx = std::string(dname(dt)) + " " + L.str() + " tau=" + std::to_string(tau) +
                            " alpha=" + std::to_string(alpha) + " red=" + std::to_string(red) +
                            (weighted ? " weighted" : "") + " seed=" + std::to_string(seed);
    std::vector<float> w((size_t)C, 1.0f);
    if (weighted)
        for (int64_t k = 0; k < C; ++k) w[(size_t)k] = 0.25f + 0.6f * (float)(k % 5);
    const Rows R = make_rows(dt, L, seed);
    const bool hard = alpha < 1.0f;
    const int64_t ignore = -100;
    std::vector<int32_t> y((size_t)N);
    for (int64_t r = 0; r < N; ++r) y[r] = r % 4 == 3 ? (int32_t)ignore : (int32_t)((r * 3 + 1) % C);
    if (N > 2) y[0] = 0, y[(size_t)N - 1] = (int32_t)(C - 1);  // the first and the last class
    const int64_t bad_row = hard && N > 4 ? 4 : -1;
    if (bad_row >= 0) y[(size_t)bad_row] = -7;
    std::vector<float> up(red == XENT_REDUCTION_NONE ? (size_t)std::max<int64_t>(N, 1) : 1);
    for (size_t i = 0; i < up.size(); ++i) up[i] = (float)(0.5 + 0.25 * (double)i);

    // reference
    std::vector<double> kl((size_t)N), ent((size_t)N), ce((size_t)N, 0.0), loss((size_t)N), grad((size_t)span, 0.0);
    double kl_sum = 0, ce_sum = 0, active = 0;  // active: the sum of w[y] over rows not ignored
    for (int64_t r = 0; r < N; ++r) {
        const std::vector<double> zt = R.row(R.t, r), zs = R.row(R.s, r);
        const std::vector<double> p = ref_softmax(zt, tau), q = ref_softmax(zs, tau);
        double k_ = 0, h = 0;
        for (int64_t k = 0; k < C; ++k) {
            k_ += plogp_ratio(p[k], q[k]);
            if (p[k] > 0) h -= p[k] * std::log(p[k]);
        }
        kl[r] = k_;
        ent[r] = h;
        kl_sum += k_;
        const bool act = hard && y[r] != ignore && y[r] >= 0 && y[r] < C;
        if (act) {
            ce[r] = w[(size_t)y[r]] * (ref_lse(zs) - zs[(size_t)y[r]]);
            ce_sum += ce[r];
            active += w[(size_t)y[r]];
        }
        loss[r] = alpha * tau * tau * kl[r] + (hard ? (1 - alpha) * ce[r] : 0.0);
    }
    const double outer = (double)L.outer;
    double reduced = 0;
    if (red == XENT_REDUCTION_MEAN) reduced = alpha * tau * tau * kl_sum / outer + (hard ? (1 - alpha) * ce_sum / active : 0);
    else reduced = alpha * tau * tau * kl_sum + (hard ? (1 - alpha) * ce_sum : 0);
    for (int64_t r = 0; r < N; ++r) {
        const std::vector<double> zt = R.row(R.t, r), zs = R.row(R.s, r);
        const std::vector<double> p = ref_softmax(zt, tau), q = ref_softmax(zs, tau), s1 = ref_softmax(zs, 1.0);
        const double u = red == XENT_REDUCTION_NONE ? up[r] : up[0];
        const double skl = red == XENT_REDUCTION_MEAN ? u / outer : u;
        const double sce = red == XENT_REDUCTION_MEAN ? u / active : u;
        const bool act = hard && y[r] != ignore && y[r] >= 0 && y[r] < C;
        for (int64_t k = 0; k < C; ++k) {
            double g = alpha * tau * skl * (q[k] - p[k]);
            if (act) g += (1 - alpha) * sce * w[(size_t)y[r]] * (s1[k] - (k == y[r] ? 1.0 : 0.0));
            grad[(size_t)L.at(r, k)] = g;
        }
    }

    CHECK(xent_distill_workspace_floats(N) >= 3);
    Dev dt_(span * esize(dt)), ds(span * esize(dt)), dg(span * esize(dt)), dy(N * 4), dup((int64_t)up.size() * 4),
        dloss(N * 4), dkl(N * 4), dsce(N * 4), dent(N * 4), dws(xent_distill_workspace_floats(N) * 4), derr(16),
        dw(C * 4);
    dt_.put(R.tb);
    ds.put(R.sb);
    dy.put(y);
    dup.put(up);
    dw.put(w);
    const xent_tensor teacher = abi::tensor(dt, dt_.p, L.outer, C, L.inner, L.ostride);
    const xent_tensor student = abi::tensor(dt, ds.p, L.outer, C, L.inner, L.ostride);
    const xent_targets labels = abi::class_targets(XENT_I32, dy.p);
    const xent_distill_options opt{tau, alpha, ignore, red, weighted ? dw.f() : nullptr};
    const std::vector<char> mask = L.in_rows();
    for (int pass : {XENT_FORWARD, XENT_FORWARD_BACKWARD}) {
        const std::string what = (pass == XENT_FORWARD ? "forward " : "forward_backward ") + ctx;
        for (Dev* d : {&dloss, &dkl, &dsce, &dent, &dws, &dg, &derr}) d->poison();
        const xent_distill_outputs out{dg.p, dloss.f(), dkl.f(), dsce.f(), dent.f(), dws.f(),
                                       static_cast<int64_t*>(derr.p)};
        CHECK_EQ(xent_distill(pass, &teacher, &student, hard ? &labels : nullptr, &opt, dup.f(), &out, nullptr), 0);
        const std::vector<float> l = dloss.get<float>(N), k = dkl.get<float>(N), sc = dsce.get<float>(N),
                                 e = dent.get<float>(N), ws = dws.get<float>(3);
        const double tol = loss_tol(dt);
        EXPECT_ALL("row_loss " + what, N, [&](int64_t i) { return l[i]; }, [&](int64_t i) { return loss[i]; }, tol, tol);
        EXPECT_ALL("row_kl " + what, N, [&](int64_t i) { return k[i]; }, [&](int64_t i) { return kl[i]; }, tol, tol);
        EXPECT_ALL("row_soft_ce " + what, N, [&](int64_t i) { return sc[i]; },
                   [&](int64_t i) { return kl[i] + ent[i]; }, tol, tol);
        EXPECT_ALL("row_teacher_entropy " + what, N, [&](int64_t i) { return e[i]; }, [&](int64_t i) { return ent[i]; },
                   tol, tol);
        EXPECT_VALUE("reduced " + what, ws[0], reduced, tol, tol);
        if (hard) EXPECT_VALUE("hard denominator " + what, ws[2], red == XENT_REDUCTION_MEAN ? active : 1.0, 0, 1e-7);
        const std::vector<int64_t> err = derr.get<int64_t>(2);
        CHECK_EQ(err[0], bad_row);
        CHECK_EQ(err[1], bad_row >= 0 ? int64_t(-7) : int64_t(-1));
        if (pass == XENT_FORWARD_BACKWARD) {
            const std::vector<uint8_t> gb = dg.get_bytes();
            EXPECT_ALL("grad " + what, span,
                       [&](int64_t i) { return mask[i] ? decode(dt, gb, i) : (double)is_poison(dt, gb, i); },
                       [&](int64_t i) { return mask[i] ? grad[i] : 1.0; }, 1e-6, grad_tol(dt));
        }
    }
}

TEST_CASE(distill_matrix) {
    uint64_t seed = 100;
    for (int dt : {XENT_F32, XENT_BF16, XENT_F16})
        for (int red : {XENT_REDUCTION_NONE, XENT_REDUCTION_SUM, XENT_REDUCTION_MEAN}) {
            run_distill(dt, Layout{7, 41, 1, 44}, 2.0f, 0.7f, red, false, seed++);
            run_distill(dt, Layout{3, 9, 3, 27}, 1.0f, 1.0f, red, false, seed++);  // (N, C, d), soft term only
            run_distill(dt, Layout{7, 41, 1, 44}, 2.0f, 0.3f, red, true, seed++);
            run_distill(dt, Layout{3, 9, 3, 27}, 1.5f, 0.0f, red, true, seed++);  // (N, C, d), hard term only
        }
    run_distill(XENT_F32, Layout{5, 1, 1, 1}, 3.0f, 0.5f, XENT_REDUCTION_MEAN, false, seed++);  // C = 1
    run_distill(XENT_F32, Layout{2, 1030, 1, 1030}, 4.0f, 0.25f, XENT_REDUCTION_SUM, false, seed++);  // a block per row
    run_distill(XENT_F32, Layout{3, 1030, 1, 1030}, 4.0f, 0.25f, XENT_REDUCTION_MEAN, true, seed++);
    run_distill(XENT_F32, Layout{3, 1, 1, 1}, 1.0f, 1.0f, XENT_REDUCTION_MEAN, true, seed++);  // weights unused at alpha 1
}

// Weighted MEAN whose hard denominator is 0 (every label ignored or weighted 0) gives NaN, as
// PyTorch's; SUM gives 0 for the hard term.
TEST_CASE(distill_zero_weight_sum) {
    const int64_t N = 3, C = 4;
    std::vector<float> z((size_t)(N * C));
    for (size_t i = 0; i < z.size(); ++i) z[i] = (float)i * 0.3f;
    const std::vector<float> w{0.0f, 2.0f, 1.0f, 0.5f};
    const std::vector<int32_t> y{0, -100, 0};
    Dev dz(N * C * 4), dy(N * 4), dw(C * 4), dws(xent_distill_workspace_floats(N) * 4);
    dz.put(z);
    dy.put(y);
    dw.put(w);
    const xent_tensor t = abi::tensor(XENT_F32, dz.p, N, C, 1, C);
    const xent_targets labels = abi::class_targets(XENT_I32, dy.p);
    const xent_distill_outputs out{nullptr, nullptr, nullptr, nullptr, nullptr, dws.f(), nullptr};
    const xent_distill_options mean{1.0f, 0.0f, -100, XENT_REDUCTION_MEAN, dw.f()};
    CHECK_EQ(xent_distill(XENT_FORWARD, &t, &t, &labels, &mean, nullptr, &out, nullptr), 0);
    CHECK(std::isnan(dws.get<float>(1)[0]));
    const xent_distill_options sum{1.0f, 0.0f, -100, XENT_REDUCTION_SUM, dw.f()};
    CHECK_EQ(xent_distill(XENT_FORWARD, &t, &t, &labels, &sum, nullptr, &out, nullptr), 0);
    CHECK_EQ(dws.get<float>(1)[0], 0.0f);
}

// Rows offset by +1000 at temperatures whose inverse is not a power of two (issue #11): the kernels
// take differences between raw logits before they scale them, so the KL of an unrelated student
// keeps 1e-6 relative, a student close to its teacher gives a KL >= 0 within the fp32 floor of
// X / S_a - log S_a + log S_b (2^-20), and the gradient tau (q - p) / N keeps its digits.
void run_distill_offset(int64_t C, float tau, uint64_t seed) {
    const int64_t N = 4;
    const Layout L{N, C, 1, C};
    const std::string ctx = "C=" + std::to_string(C) + " tau=" + std::to_string(tau);
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> normal;
    std::vector<float> tf((size_t)(N * C)), sf((size_t)(N * C));
    for (int64_t r = 0; r < N; ++r)
        for (int64_t k = 0; k < C; ++k) {
            const float t = (float)(1000.0 + normal(rng));
            tf[(size_t)(r * C + k)] = t;
            sf[(size_t)(r * C + k)] = r < 2 ? (float)(t + 0.01 * normal(rng)) : (float)(1000.0 + normal(rng));
        }
    std::vector<double> t, s, kl((size_t)N), grad((size_t)(N * C)), gscale((size_t)N, 0.0);
    const std::vector<uint8_t> tb = encode(XENT_F32, tf, &t), sb = encode(XENT_F32, sf, &s);
    for (int64_t r = 0; r < N; ++r) {
        const std::vector<double> zt(t.begin() + r * C, t.begin() + (r + 1) * C), zs(s.begin() + r * C, s.begin() + (r + 1) * C);
        const std::vector<double> p = ref_softmax(zt, tau), q = ref_softmax(zs, tau);
        for (int64_t k = 0; k < C; ++k) {
            kl[r] += plogp_ratio(p[k], q[k]);
            grad[(size_t)(r * C + k)] = tau * (q[k] - p[k]) / (double)N;
            gscale[r] = std::max(gscale[r], tau * (p[k] + q[k]) / (double)N);
        }
    }
    Dev dt_(N * C * 4), ds(N * C * 4), dg(N * C * 4), dkl(N * 4), dws(xent_distill_workspace_floats(N) * 4), derr(16);
    dt_.put(tb);
    ds.put(sb);
    const xent_tensor teacher = abi::tensor(XENT_F32, dt_.p, N, C, 1, C);
    const xent_tensor student = abi::tensor(XENT_F32, ds.p, N, C, 1, C);
    const xent_distill_options opt{tau, 1.0f, -100, XENT_REDUCTION_MEAN, nullptr};
    for (Dev* d : {&dg, &dkl, &dws, &derr}) d->poison();
    const xent_distill_outputs out{dg.p, nullptr, dkl.f(), nullptr, nullptr, dws.f(), static_cast<int64_t*>(derr.p)};
    CHECK_EQ(xent_distill(XENT_FORWARD_BACKWARD, &teacher, &student, nullptr, &opt, nullptr, &out, nullptr), 0);
    const std::vector<float> k = dkl.get<float>(N), g = dg.get<float>(N * C);
    EXPECT_ALL("row_kl " + ctx, N, [&](int64_t i) { return k[i]; }, [&](int64_t i) { return kl[i]; }, 0x1p-20, 1e-6);
    for (int64_t r = 0; r < N; ++r) CHECK(k[r] >= 0.0f);
    for (int64_t r = 0; r < N; ++r)
        EXPECT_ALL("grad row " + std::to_string(r) + " " + ctx, C, [&](int64_t i) { return g[(size_t)(r * C + i)]; },
                   [&](int64_t i) { return grad[(size_t)(r * C + i)]; }, 0x1p-20 * gscale[r], 0.0);
}

TEST_CASE(distill_offset_precision) {
    uint64_t seed = 300;
    for (int64_t C : {41, 1030})
        for (float tau : {3.0f, 0.7f}) run_distill_offset(C, tau, seed++);
}

void run_entropy(int dt, const Layout& L, uint64_t seed) {
    const int64_t N = L.rows(), C = L.C, span = L.span();
    const std::string ctx = std::string(dname(dt)) + " " + L.str() + " seed=" + std::to_string(seed);
    const Rows R = make_rows(dt, L, seed);
    std::vector<float> up((size_t)std::max<int64_t>(N, 1));
    for (size_t i = 0; i < up.size(); ++i) up[i] = (float)(1.5 - 0.1 * (double)i);
    std::vector<double> ent((size_t)N), grad((size_t)span, 0.0);
    for (int64_t r = 0; r < N; ++r) {
        const std::vector<double> zt = R.row(R.t, r);
        const std::vector<double> p = ref_softmax(zt, 1.0);
        double h = 0, mean = 0;
        for (int64_t k = 0; k < C; ++k) {
            if (p[k] > 0) {
                h -= p[k] * std::log(p[k]);
                mean += p[k] * zt[k];
            }
        }
        ent[r] = h;
        for (int64_t k = 0; k < C; ++k) grad[(size_t)L.at(r, k)] = p[k] > 0 ? -up[r] * p[k] * (zt[k] - mean) : 0.0;
    }
    Dev dx(span * esize(dt)), dg(span * esize(dt)), dup((int64_t)up.size() * 4), dout(N * 4);
    dx.put(R.tb);
    dup.put(up);
    const xent_tensor logits = abi::tensor(dt, dx.p, L.outer, C, L.inner, L.ostride);
    const double tol = loss_tol(dt);
    const std::vector<char> mask = L.in_rows();
    for (int pass : {XENT_FORWARD, XENT_FORWARD_BACKWARD}) {
        dout.poison();
        dg.poison();
        CHECK_EQ(xent_entropy(pass, &logits, dup.f(), dout.f(), dg.p, nullptr), 0);
        const std::vector<float> e = dout.get<float>(N);
        EXPECT_ALL("entropy " + ctx, N, [&](int64_t i) { return e[i]; }, [&](int64_t i) { return ent[i]; }, tol, tol);
        const std::vector<uint8_t> gb = dg.get_bytes();
        if (pass == XENT_FORWARD) {
            EXPECT_ALL("entropy forward leaves grad " + ctx, span, [&](int64_t i) { return (double)is_poison(dt, gb, i); },
                       [&](int64_t) { return 1.0; }, 0, 0);
        } else {
            EXPECT_ALL("entropy grad " + ctx, span,
                       [&](int64_t i) { return mask[i] ? decode(dt, gb, i) : (double)is_poison(dt, gb, i); },
                       [&](int64_t i) { return mask[i] ? grad[i] : 1.0; }, 2e-6, grad_tol(dt));
        }
    }
}

// JS of p = softmax(z_t), q = softmax(z_s) (make_rows, plus a class masked in q only on row 3 and in
// both on row 2) and its gradients: FORWARD, then FORWARD_BACKWARD with both gradients, each alone,
// and both in place.
void run_js(int dt, const Layout& L, uint64_t seed) {
    const int64_t N = L.rows(), C = L.C, span = L.span();
    const std::string ctx = std::string(dname(dt)) + " " + L.str() + " seed=" + std::to_string(seed);
    Rows R = make_rows(dt, L, seed);
    if (N > 3 && C > 2) {
        std::vector<float> sf(R.s.begin(), R.s.end());  // already representable in dt
        sf[(size_t)L.at(3, C / 3)] = -INFINITY;
        sf[(size_t)L.at(2, C / 2)] = -INFINITY;  // masked in the teacher too
        R.sb = encode(dt, sf, &R.s);
    }
    std::vector<float> up((size_t)std::max<int64_t>(N, 1));
    for (size_t i = 0; i < up.size(); ++i) up[i] = (float)(0.75 + 0.2 * (double)i);
    // reference: JS = (A + B) / 2, A = sum p log(p / m), B = sum q log(q / m);
    // d JS / d zp_k = u / 2 p_k (log(p_k / m_k) - A), d JS / d zq_k = u / 2 q_k (log(q_k / m_k) - B)
    std::vector<double> js((size_t)N), gp((size_t)span, 0.0), gq((size_t)span, 0.0);
    for (int64_t r = 0; r < N; ++r) {
        const std::vector<double> p = ref_softmax(R.row(R.t, r), 1.0), q = ref_softmax(R.row(R.s, r), 1.0);
        double a = 0, b = 0;
        for (int64_t k = 0; k < C; ++k) {
            const double m = 0.5 * (p[k] + q[k]);
            a += plogp_ratio(p[k], m);
            b += plogp_ratio(q[k], m);
        }
        js[r] = 0.5 * (a + b);
        for (int64_t k = 0; k < C; ++k) {
            const double m = 0.5 * (p[k] + q[k]);
            gp[(size_t)L.at(r, k)] = p[k] > 0 ? 0.5 * up[r] * p[k] * (std::log(p[k] / m) - a) : 0.0;
            gq[(size_t)L.at(r, k)] = q[k] > 0 ? 0.5 * up[r] * q[k] * (std::log(q[k] / m) - b) : 0.0;
        }
    }
    const int64_t bytes = span * esize(dt);
    Dev dp(bytes), dq(bytes), dgp(bytes), dgq(bytes), dup((int64_t)up.size() * 4), dout(N * 4);
    dup.put(up);
    const xent_tensor p_logits = abi::tensor(dt, dp.p, L.outer, C, L.inner, L.ostride);
    const xent_tensor q_logits = abi::tensor(dt, dq.p, L.outer, C, L.inner, L.ostride);
    const double tol = loss_tol(dt);
    const std::vector<char> mask = L.in_rows();
    // A gradient buffer's elements as the reference; elsewhere (or not wanted) poison, or, written in
    // place, the padding the logits had (the bytes `before`).
    auto expect_grad = [&](const std::string& what, const Dev& d, const std::vector<double>* ref,
                           const std::vector<uint8_t>* before) {
        const std::vector<uint8_t> gb = d.get_bytes();
        auto untouched = [&](int64_t i) {
            return before ? std::memcmp(&gb[(size_t)(i * esize(dt))], &(*before)[(size_t)(i * esize(dt))], (size_t)esize(dt)) == 0
                          : is_poison(dt, gb, i);
        };
        EXPECT_ALL(what + " " + ctx, span, [&](int64_t i) { return ref && mask[i] ? decode(dt, gb, i) : (double)untouched(i); },
                   [&](int64_t i) { return ref && mask[i] ? (*ref)[i] : 1.0; }, 2e-6, grad_tol(dt));
    };
    struct Case {
        const char* name;
        int pass;
        bool want_p, want_q, in_place;
    };
    for (const Case& c : {Case{"forward", XENT_FORWARD, true, true, false}, Case{"both", XENT_FORWARD_BACKWARD, true, true, false},
                          Case{"grad_p", XENT_FORWARD_BACKWARD, true, false, false},
                          Case{"grad_q", XENT_FORWARD_BACKWARD, false, true, false},
                          Case{"in place", XENT_FORWARD_BACKWARD, true, true, true}}) {
        dp.put(R.tb);
        dq.put(R.sb);
        dout.poison();
        dgp.poison();
        dgq.poison();
        void* gpp = !c.want_p ? nullptr : c.in_place ? dp.p : dgp.p;
        void* gqp = !c.want_q ? nullptr : c.in_place ? dq.p : dgq.p;
        CHECK_EQ(xent_js(c.pass, &p_logits, &q_logits, dup.f(), dout.f(), gpp, gqp, nullptr), 0);
        const std::string what = std::string("js ") + c.name;
        const std::vector<float> j = dout.get<float>(N);
        EXPECT_ALL(what + " " + ctx, N, [&](int64_t i) { return j[i]; }, [&](int64_t i) { return js[i]; }, tol, tol);
        for (int64_t r = 0; r < N; ++r) CHECK(j[r] >= 0.0f);
        const bool grads = c.pass == XENT_FORWARD_BACKWARD;
        if (c.in_place) {
            expect_grad(what + " grad_p", dp, &gp, &R.tb);
            expect_grad(what + " grad_q", dq, &gq, &R.sb);
        } else {
            expect_grad(what + " grad_p", dgp, grads && c.want_p ? &gp : nullptr, nullptr);
            expect_grad(what + " grad_q", dgq, grads && c.want_q ? &gq : nullptr, nullptr);
        }
    }
}

TEST_CASE(entropy_and_js) {
    uint64_t seed = 200;
    for (int dt : {XENT_F32, XENT_BF16, XENT_F16}) {
        for (const Layout& L : {Layout{5, 41, 1, 43}, Layout{2, 7, 3, 21}}) {
            run_entropy(dt, L, seed++);
            run_js(dt, L, seed++);
        }
        run_js(dt, Layout{5, 1030, 1, 1030}, seed++);  // a block per row, with the masks
    }
    run_entropy(XENT_F32, Layout{3, 1, 1, 1}, seed++);       // C = 1: H = 0, JS = 0
    run_js(XENT_F32, Layout{3, 1, 1, 1}, seed++);
    run_entropy(XENT_F32, Layout{2, 1030, 1, 1030}, seed++);  // a block per row
}

TEST_CASE(distill_arguments) {
    const int INV = XENT_ERROR_INVALID_ARGUMENT;
    Dev t(160), s(160), g(160), ws(xent_distill_workspace_floats(4) * 4), out(16);
    const xent_tensor teacher = abi::tensor(XENT_F32, t.p, 4, 10, 1, 10);
    const xent_tensor student = abi::tensor(XENT_F32, s.p, 4, 10, 1, 10);
    const xent_tensor other = abi::tensor(XENT_BF16, s.p, 4, 10, 1, 10);
    const xent_distill_options opt{2.0f, 1.0f, -100, XENT_REDUCTION_MEAN, nullptr};
    const xent_distill_outputs o{g.p, nullptr, nullptr, nullptr, nullptr, ws.f(), nullptr};
    CHECK_EQ(xent_distill(XENT_BACKWARD, &teacher, &student, nullptr, &opt, nullptr, &o, nullptr), INV);
    CHECK(msg_has("xent_distill: pass: XENT_BACKWARD does not exist"));
    CHECK_EQ(xent_distill(XENT_FORWARD, &teacher, &other, nullptr, &opt, nullptr, &o, nullptr), INV);
    CHECK(msg_has("student must have the dtype and layout of teacher"));
    const xent_distill_options hard{2.0f, 0.5f, -100, XENT_REDUCTION_MEAN, nullptr};
    CHECK_EQ(xent_distill(XENT_FORWARD, &teacher, &student, nullptr, &hard, nullptr, &o, nullptr), INV);
    CHECK(msg_has("targets is null but options.alpha < 1"));
    const xent_distill_options cold{0.0f, 1.0f, -100, XENT_REDUCTION_MEAN, nullptr};
    CHECK_EQ(xent_distill(XENT_FORWARD, &teacher, &student, nullptr, &cold, nullptr, &o, nullptr), INV);
    CHECK(msg_has("options.temperature"));
    CHECK_EQ(xent_entropy(XENT_BACKWARD, &teacher, nullptr, out.f(), g.p, nullptr), INV);
    CHECK(msg_has("xent_entropy: pass: XENT_BACKWARD does not exist"));
    CHECK_EQ(xent_entropy(XENT_FORWARD_BACKWARD, &teacher, nullptr, out.f(), nullptr, nullptr), INV);
    CHECK(msg_has("grad is null"));
    CHECK_EQ(xent_js(XENT_FORWARD, &teacher, &other, nullptr, out.f(), nullptr, nullptr, nullptr), INV);
    CHECK(msg_has("q_logits must have the dtype and layout of p_logits"));
    CHECK_EQ(xent_js(XENT_BACKWARD, &teacher, &student, nullptr, out.f(), g.p, nullptr, nullptr), INV);
    CHECK(msg_has("xent_js: pass: XENT_BACKWARD does not exist"));
    CHECK_EQ(xent_js(XENT_FORWARD_BACKWARD, &teacher, &student, nullptr, out.f(), nullptr, nullptr, nullptr), INV);
    CHECK(msg_has("grad_p and grad_q are both null"));
}

}  // namespace

CHECK_MAIN()
