// test_ce.cpp: cross-entropy (xent_ce): class-index and probability targets, every pass, the logit transforms and z-loss, layouts, extreme values, split rows.
// Through the C ABI only, against a float64 reference written for clarity (see kernel_support.h).
// Built twice: against libxent_emu.so (test_ce_emu) and libxent_cuda.so (test_ce_cuda, on
// a GPU). Run one group with `test_ce_emu <substring of a test name>`.
#include "kernel_support.h"

namespace {

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

    const RandomFloats weights = random_floats(c.weights ? C : 0, 0.25, 1.75, rng);
    const std::vector<float>& wf = weights.f;
    const std::vector<double>& w = weights.d;
    const RandomFloats upstream = random_floats(c.upstream ? (c.red == XENT_REDUCTION_NONE ? N : 1) : 0, 0.5, 1.0, rng);
    const std::vector<float>& upf = upstream.f;
    const std::vector<double>& up = upstream.d;
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
    const RandomFloats weights = random_floats(c.weights ? C : 0, 0.25, 1.75, rng);
    const std::vector<float>& wf = weights.f;
    const std::vector<double>& w = weights.d;
    const RandomFloats upstream = random_floats(c.upstream ? (c.red == XENT_REDUCTION_NONE ? N : 1) : 0, 0.5, 1.0, rng);
    const std::vector<float>& upf = upstream.f;
    const std::vector<double>& up = upstream.d;
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
}  // namespace

CHECK_MAIN()
