"""Fused cross-entropy forward+backward on a GPU: xent (libxent_cuda.so through ctypes, xent_abi.py) against
PyTorch, eager and torch.compile'd, with a device-to-device copy of the same bytes as the floor.

Every timing is the median of CUDA-event-timed repetitions after a warm-up. Correctness is checked
against a float64 PyTorch reference on the same inputs before anything is timed.

Usage: python3 bench_ce.py --lib build-gpu/lib/libxent_cuda.so [--json out.json] [--quick]
"""
import argparse
import ctypes
import json
import statistics
import sys

import torch
import torch.nn.functional as F

import xent_abi as abi

DTYPES = {"fp32": (torch.float32, abi.F32), "bf16": (torch.bfloat16, abi.BF16)}
SHAPES = [(8192, 32768), (8192, 131072), (4096, 262144)]


class Xent:
    """One problem's buffers and xent_ce's structs, made once, so that a timed call only launches kernels."""

    def __init__(self, lib, logits, labels, grad, code):
        self.lib, self.logits, self.labels, self.grad = lib, logits, labels, grad
        n, c = logits.shape
        dev = logits.device
        self.row_loss = torch.empty(n, dtype=torch.float32, device=dev)
        self.lse = torch.empty(n, dtype=torch.float32, device=dev)
        self.workspace = torch.empty(lib.xent_workspace_floats(n, c), dtype=torch.float32, device=dev)
        self.error_info = torch.full((2,), -1, dtype=torch.int64, device=dev)
        self.tensor = abi.Tensor.rows(logits.data_ptr(), code, n, c, logits.stride(0))
        self.targets = abi.Targets(abi.TARGET_CLASSES, abi.I64, labels.data_ptr())
        # no class weights, label smoothing, logit scale, soft-cap or z-loss
        self.options = abi.CeOptions(None, -100, 0.0, 1.0, 0.0, 0.0, abi.REDUCTION_MEAN)
        self.outputs = abi.CeOutputs(grad.data_ptr(), self.row_loss.data_ptr(), None, self.lse.data_ptr(),
                                     self.workspace.data_ptr(), self.error_info.data_ptr())

    def __call__(self):
        status = self.lib.xent_ce(abi.FORWARD_BACKWARD, self.tensor, self.targets, self.options, None, self.outputs,
                                  ctypes.c_void_p(torch.cuda.current_stream().cuda_stream))
        abi.check(self.lib, status, "xent_ce(FORWARD_BACKWARD)")

    def loss(self):
        return self.workspace[0]


def median_ms(fn, reps, warmup=3):
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(reps):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        end.record()
        end.synchronize()
        times.append(start.elapsed_time(end))
    return statistics.median(times), min(times), max(times)


def torch_eager(x, y):
    def step():
        x.grad = None
        F.cross_entropy(x, y).backward()
    return step


def torch_compiled(x, y):
    compiled = torch.compile(lambda a, b: F.cross_entropy(a, b))

    def step():
        x.grad = None
        compiled(x, y).backward()
    return step


def rel_err(a, b):
    a, b = a.double(), b.double()
    return ((a - b).norm() / b.norm().clamp_min(1e-300)).item()


def check(lib, n, c, tdtype, code):
    """xent against float64 PyTorch on fresh inputs, poisoned outputs, all elements written."""
    g = torch.Generator(device="cuda").manual_seed(n * 31 + c)
    x = (torch.randn(n, c, device="cuda", generator=g) * 3).to(tdtype)
    y = torch.randint(0, c, (n,), device="cuda", generator=g)
    y[::97] = -100
    grad = torch.full_like(x, float("nan"))
    op = Xent(lib, x, y, grad, code)
    op()
    torch.cuda.synchronize()
    x64 = x.double().requires_grad_(True)
    ref = F.cross_entropy(x64, y)
    ref.backward()
    loss_err = abs(op.loss().item() - ref.item()) / abs(ref.item())
    grad_err = rel_err(grad.float(), x64.grad)
    finite = bool(torch.isfinite(grad).all().item())
    bad_label = int(op.error_info[0].item())
    return loss_err, grad_err, finite and bad_label == -1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lib", required=True)
    ap.add_argument("--json")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--reps", type=int, default=20)
    args = ap.parse_args()

    lib = abi.load(args.lib)
    props = torch.cuda.get_device_properties(0)
    print("device: %s, %d SMs, torch %s, xent ABI %d" % (props.name, props.multi_processor_count, torch.__version__, lib.xent_abi_version()))
    shapes = SHAPES[:1] if args.quick else SHAPES
    rows = []
    failures = 0
    for (n, c) in shapes:
        for name, (tdtype, code) in DTYPES.items():
            loss_err, grad_err, clean = check(lib, min(n, 512), c, tdtype, code)
            tol_loss, tol_grad = (1e-5, 1e-5) if tdtype == torch.float32 else (1e-5, 1e-2)
            ok = loss_err < tol_loss and grad_err < tol_grad and clean
            failures += 0 if ok else 1

            x = (torch.randn(n, c, device="cuda") * 3).to(tdtype)
            y = torch.randint(0, c, (n,), device="cuda")
            logit_bytes = n * c * x.element_size()
            copy_dst = torch.empty_like(x)
            copy_ms = median_ms(lambda: copy_dst.copy_(x), args.reps)[0]
            bandwidth = 2 * logit_bytes / (copy_ms * 1e-3)  # read + write, bytes/s
            grad = torch.empty_like(x)
            xent_ms = median_ms(Xent(lib, x, y, grad, code), args.reps)
            del grad, copy_dst
            inplace_ms = median_ms(Xent(lib, x, y, x, code), args.reps)
            xr = x.detach().clone().requires_grad_(True)
            eager_ms = median_ms(torch_eager(xr, y), args.reps)
            try:
                compiled_ms = median_ms(torch_compiled(xr, y), args.reps)[0]
            except Exception as e:  # torch.compile needs a working Triton; report, do not hide
                print("torch.compile peer failed: %s" % e, file=sys.stderr)
                compiled_ms = float("nan")
            del xr
            floor_ms = 2 * logit_bytes / bandwidth * 1e3
            row = dict(n=n, c=c, dtype=name, loss_rel_err=loss_err, grad_rel_err=grad_err, correct=ok,
                       copy_ms=copy_ms, copy_TBps=bandwidth / 1e12, floor_ms=floor_ms,
                       xent_ms=xent_ms[0], xent_min_ms=xent_ms[1], xent_max_ms=xent_ms[2],
                       xent_inplace_ms=inplace_ms[0], torch_eager_ms=eager_ms[0], torch_compile_ms=compiled_ms,
                       xent_TBps=2 * logit_bytes / (xent_ms[0] * 1e-3) / 1e12)
            rows.append(row)
            torch.cuda.empty_cache()

    header = "| N | C | dtype | correct (loss/grad rel err) | copy floor ms | xent ms | xent in-place ms | xent TB/s | xent/floor | torch eager ms | torch.compile ms | eager/xent | compile/xent |"
    print()
    print(header)
    print("|" + "---|" * 13)
    for r in rows:
        print("| %d | %d | %s | %s (%.1e/%.1e) | %.3f | %.3f | %.3f | %.2f | %.2fx | %.3f | %.3f | %.2fx | %.2fx |" % (
            r["n"], r["c"], r["dtype"], "yes" if r["correct"] else "NO", r["loss_rel_err"], r["grad_rel_err"],
            r["floor_ms"], r["xent_ms"], r["xent_inplace_ms"], r["xent_TBps"], r["xent_ms"] / r["floor_ms"],
            r["torch_eager_ms"], r["torch_compile_ms"], r["torch_eager_ms"] / r["xent_ms"],
            r["torch_compile_ms"] / r["xent_ms"]))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(dict(device=props.name, torch=torch.__version__, rows=rows), f, indent=1)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
