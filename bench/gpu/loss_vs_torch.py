"""`xent loss` against PyTorch's F.cross_entropy on cases drawn here, for every engine given.

Writes .npy inputs, runs the xent command line, and compares its loss, gradient (of the reduced
loss, upstream 1; for reduction none, of the sum), log-sum-exp and log-probabilities with PyTorch
computed in float64 from the same float32 inputs. Prints one line per case and engine, the largest
relative error of each output, and exits 1 if any exceeds 1e-5.

Usage: python3 loss_vs_torch.py --java JRE/bin/java --jar xent-cli.jar [--engines java,cuda,cuda-emu]
"""
import os
import sys
import tempfile

import numpy as np
import torch
import torch.nn.functional as F

from xent_cli import TOLERANCE, arguments, failure, rel, xent_loss


def cases(rng):
    def logits(*shape):
        return (rng.standard_normal(shape) * 3).astype(np.float32)

    def labels(n_shape, c, ignore=None, frac=0.2):
        y = rng.integers(0, c, size=n_shape).astype(np.int64)
        if ignore is not None:
            y[rng.random(n_shape) < frac] = ignore
        return y

    yield "weights, ignore -100, mean", logits(64, 100), labels((64,), 100, -100), rng.random(100) + 0.5, dict(reduction="mean", ignore_index=-100)
    yield "ignore inside [0,C), sum", logits(48, 37), labels((48,), 37, 3), None, dict(reduction="sum", ignore_index=3)
    yield "ignore >= C, none", logits(40, 150), labels((40,), 150, 150), None, dict(reduction="none", ignore_index=150)
    yield "(N,C,d1,d2), weights, smoothing, ignore -1", logits(8, 11, 5, 3), labels((8, 5, 3), 11, -1), rng.random(11) + 0.5, dict(reduction="mean", ignore_index=-1, label_smoothing=0.1)
    yield "int32 labels, weights, smoothing 0.2", logits(33, 1000), labels((33,), 1000).astype(np.int32), rng.random(1000) + 0.5, dict(reduction="mean", label_smoothing=0.2)
    p = rng.random((32, 50)).astype(np.float32)
    yield "probability targets, smoothing 0.05", logits(32, 50), (p / p.sum(1, keepdims=True)).astype(np.float32), None, dict(reduction="mean", label_smoothing=0.05)
    yield "large C, one row offset by 1000", logits(4, 50257) + np.float32(1000), labels((4,), 50257), None, dict(reduction="mean")


def reference(z, y, w, opts):
    x = torch.tensor(z, dtype=torch.float64, requires_grad=True)
    target = torch.tensor(y) if y.dtype.kind in "iu" else torch.tensor(y, dtype=torch.float64)
    if target.dtype == torch.int32:
        target = target.long()
    weight = None if w is None else torch.tensor(w, dtype=torch.float64)
    loss = F.cross_entropy(x, target, weight=weight, **opts)
    (loss.sum() if opts["reduction"] == "none" else loss).backward()
    lse = torch.logsumexp(x.detach(), dim=1)
    return loss.detach().numpy(), x.grad.numpy(), lse.numpy(), F.log_softmax(x.detach(), dim=1).numpy()


def main():
    args = arguments()
    rng = np.random.default_rng(20261123)
    worst = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        for i, (name, z, y, w, opts) in enumerate(cases(rng)):
            ref = reference(z, y, w, opts)
            f = lambda s: os.path.join(tmp, "%d-%s.npy" % (i, s))
            np.save(f("z"), z)
            np.save(f("y"), y)
            cmd_common = ["--logits", f("z"), "--target", f("y"), "--reduction", opts["reduction"]]
            if w is not None:
                np.save(f("w"), w.astype(np.float32))
                cmd_common += ["--weight", f("w")]
            if "ignore_index" in opts:
                cmd_common += ["--ignore-index", str(opts["ignore_index"])]
            if "label_smoothing" in opts:
                cmd_common += ["--label-smoothing", str(opts["label_smoothing"])]
            # the reference saw float32 weights too
            if w is not None:
                ref = reference(z, y, w.astype(np.float32).astype(np.float64), opts)
            for engine in args.engines.split(","):
                outs = [f(engine + s) for s in ("loss", "grad", "lse", "lp")]
                run = xent_loss(args, cmd_common + ["--out-loss", outs[0], "--out-grad", outs[1], "--out-lse", outs[2],
                                                    "--out-log-probs", outs[3]], engine)
                if run.returncode != 0:
                    print("%-45s %-8s FAILED: %s" % (name, engine, failure(run)))
                    worst = float("inf")
                    continue
                errs = [rel(np.load(o), r) for o, r in zip(outs, ref)]
                worst = max(worst, *errs)
                print("%-45s %-8s loss %.1e  grad %.1e  lse %.1e  log-probs %.1e" % (name, engine, *errs))
    print("largest relative error: %.2e (tolerance %.0e)" % (worst, TOLERANCE))
    return 0 if worst <= TOLERANCE else 1


if __name__ == "__main__":
    sys.exit(main())
