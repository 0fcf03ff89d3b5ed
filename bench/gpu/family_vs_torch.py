"""`xent loss --op ...` for the rest of the loss family against PyTorch, for every engine given.

For each case: writes .npy inputs, runs the xent command line, and compares its loss and its
gradient with respect to --logits (of the reduced loss, upstream 1; for reduction none, of the
sum) with PyTorch's own functions evaluated in float64 on the same float32 inputs:
bce (F.binary_cross_entropy_with_logits), nll (F.nll_loss), kl (F.kl_div, batchmean, times T^2),
distill (alpha * kl + (1 - alpha) * F.cross_entropy), gaussian-nll (F.gaussian_nll_loss),
poisson-nll (F.poisson_nll_loss) and laplace-nll (no PyTorch function: log(b) + |x - t| / b,
written here in torch). Prints one line per case and engine and exits 1 if a relative error
exceeds 1e-5.

Usage: python3 family_vs_torch.py --java JRE/bin/java --jar xent-cli.jar [--engines java,cuda,cuda-emu]
"""
import math
import os
import sys
import tempfile

import numpy as np
import torch
import torch.nn.functional as F

from xent_cli import TOLERANCE, arguments, failure, rel, xent_loss


def f64(a):
    return torch.tensor(np.asarray(a), dtype=torch.float64)


def cases(rng):
    """(name, op, files {option: array}, flags [str], torch function of the float64 input x)."""

    def normal(*shape, scale=3.0):
        return (rng.standard_normal(shape) * scale).astype(np.float32)

    def uniform(*shape):
        return rng.random(shape).astype(np.float32)

    # bce: multi-label with probabilities, exact 0 and 1 targets, broadcast and per-element weights
    x, t = normal(64, 20), uniform(64, 20)
    t[::3] = np.round(t[::3])
    w, pw = uniform(20) + 0.5, uniform(20) * 3
    for red in ("mean", "sum", "none"):
        yield ("bce, weight (C,), pos_weight, " + red, "bce", {"--logits": x, "--target": t, "--weight": w, "--pos-weight": pw},
               ["--reduction", red],
               lambda x, t=t, w=w, pw=pw, red=red: F.binary_cross_entropy_with_logits(x, f64(t), weight=f64(w), pos_weight=f64(pw), reduction=red))
    xe, te, we = normal(7, 5, 9), uniform(7, 5, 9), uniform(7, 5, 9) + 0.1
    yield ("bce, per-element weight, (7,5,9), large logits", "bce", {"--logits": xe * 20, "--target": te, "--weight": we}, [],
           lambda x, te=te, we=we: F.binary_cross_entropy_with_logits(x, f64(te), weight=f64(we)))

    # nll on log-probabilities
    lp = torch.log_softmax(torch.tensor(normal(50, 30)), 1).numpy()
    y = rng.integers(0, 30, 50)
    y[rng.random(50) < 0.2] = -100
    wn = uniform(30) + 0.5
    for red in ("mean", "sum", "none"):
        yield ("nll, weights, ignore -100, " + red, "nll", {"--logits": lp, "--target": y, "--weight": wn}, ["--reduction", red],
               lambda x, y=y, wn=wn, red=red: F.nll_loss(x, torch.tensor(y), weight=f64(wn), reduction=red))
    lp3 = torch.log_softmax(torch.tensor(normal(6, 11, 4, 3)), 1).numpy()
    y3 = rng.integers(0, 11, (6, 4, 3))
    yield ("nll, (N,C,d1,d2), ignore 2", "nll", {"--logits": lp3, "--target": y3}, ["--ignore-index", "2"],
           lambda x, y3=y3: F.nll_loss(x, torch.tensor(y3), ignore_index=2))

    # kl and distill, temperature 2, teacher with a masked class
    s, te_logits = normal(32, 100), normal(32, 100)
    te_logits[:, 7] = -np.inf

    def kl(x, te_logits=te_logits, temp=2.0, red="batchmean"):
        per = F.kl_div(F.log_softmax(x / temp, 1), F.log_softmax(f64(te_logits) / temp, 1), reduction="none", log_target=True)
        per = torch.nan_to_num(per, nan=0.0).sum(1) * temp * temp  # p = 0 terms are 0 (torch gives nan for -inf - -inf)
        return {"batchmean": per.mean(), "sum": per.sum(), "none": per}[red]

    for red, tr in (("mean", "batchmean"), ("sum", "sum"), ("none", "none")):
        yield ("kl, T = 2, masked teacher class, " + red, "kl", {"--logits": s, "--teacher-logits": te_logits},
               ["--temperature", "2", "--reduction", red], lambda x, tr=tr: kl(x, red=tr))
    yd = rng.integers(0, 100, 32)
    yd[::5] = -100
    yield ("distill, T = 2, alpha 0.7, ignore -100", "distill", {"--logits": s, "--teacher-logits": te_logits, "--target": yd},
           ["--temperature", "2", "--alpha", "0.7"],
           lambda x, yd=yd: 0.7 * kl(x) + 0.3 * F.cross_entropy(x, torch.tensor(yd), ignore_index=-100))

    # gaussian nll: per-element, per-row and clamped variances
    xg, tg = normal(40, 8), normal(40, 8)
    ve, vr = uniform(40, 8) + 0.05, uniform(40, 1) + 0.05
    ve[0, :3] = 1e-9  # clamped at eps
    yield ("gaussian-nll, var per element, full", "gaussian-nll", {"--logits": xg, "--target": tg, "--var": ve}, ["--full"],
           lambda x, tg=tg, ve=ve: F.gaussian_nll_loss(x, f64(tg), f64(ve), full=True))
    yield ("gaussian-nll, var per row, sum", "gaussian-nll", {"--logits": xg, "--target": tg, "--var": vr}, ["--reduction", "sum"],
           lambda x, tg=tg, vr=vr: F.gaussian_nll_loss(x, f64(tg), f64(vr), reduction="sum"))

    # poisson nll: log-rate and rate inputs, Stirling term
    counts = rng.poisson(3.0, (30, 6)).astype(np.float32)
    xl = normal(30, 6, scale=1.0)
    for full in (False, True):
        flags = ["--log-input", "true"] + (["--full"] if full else [])
        yield ("poisson-nll, log input, full=%s" % full, "poisson-nll", {"--logits": xl, "--target": counts}, flags,
               lambda x, full=full: F.poisson_nll_loss(x, f64(counts), log_input=True, full=full))
    rate = uniform(30, 6) * 5
    yield ("poisson-nll, rate input, none", "poisson-nll", {"--logits": rate, "--target": counts}, ["--log-input", "false", "--reduction", "none"],
           lambda x: F.poisson_nll_loss(x, f64(counts), log_input=False, reduction="none"))

    # laplace nll with a fixed scale of 1: MAE + log 2 under --full
    xa, ta = normal(25, 4), normal(25, 4)
    yield ("laplace-nll, scale 1, full", "laplace-nll", {"--logits": xa, "--target": ta}, ["--full"],
           lambda x, ta=ta: (torch.abs(x - f64(ta)) + math.log(2.0)).mean())


def main():
    args = arguments()
    rng = np.random.default_rng(20261124)
    worst = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        for i, (name, op, files, flags, fn) in enumerate(cases(rng)):
            x = f64(files["--logits"]).requires_grad_(True)
            loss = fn(x)
            (loss.sum() if loss.dim() > 0 else loss).backward()
            ref = (loss.detach().numpy(), x.grad.numpy())
            cmd_common = ["--op", op] + flags
            for opt, arr in files.items():
                path = os.path.join(tmp, "%d%s.npy" % (i, opt))
                np.save(path, arr)
                cmd_common += [opt, path]
            for engine in args.engines.split(","):
                outs = [os.path.join(tmp, "%d-%s-%s.npy" % (i, engine, s)) for s in ("loss", "grad")]
                run = xent_loss(args, cmd_common + ["--out-loss", outs[0], "--out-grad", outs[1]], engine)
                if run.returncode != 0:
                    print("%-50s %-8s FAILED: %s" % (name, engine, failure(run)))
                    worst = float("inf")
                    continue
                errs = [rel(np.load(o), r) for o, r in zip(outs, ref)]
                worst = max(worst, *errs)
                print("%-50s %-8s loss %.1e  grad %.1e" % (name, engine, *errs))
    print("largest relative error: %.2e (tolerance %.0e)" % (worst, TOLERANCE))
    return 0 if worst <= TOLERANCE else 1


if __name__ == "__main__":
    sys.exit(main())
