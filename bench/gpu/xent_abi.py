"""ctypes mirror of native/include/xent.h (C ABI 3) for the GPU bench scripts: the enums, the
structs (Structures laid out by ctypes with the C rules, as the header's are) and load(), which
declares every function the scripts call.

Run it alone to check the mirror without a GPU, against the emulator build of the same ABI
(libxent_emu.so, whose device addresses are host addresses):

    python3 bench/gpu/xent_abi.py --lib build/lib/libxent_emu.so

It compares the library's ABI version with ABI_VERSION, then runs xent_ce (FORWARD_BACKWARD,
fp32, int64 labels, an ignored row, MEAN) on host arrays and checks loss, per-row loss, lse and
gradient against a float64 reference computed here. A field out of place in any struct it uses
gives wrong numbers or an INVALID_ARGUMENT, so the check fails.
"""
import ctypes
import math
import random
import sys

ABI_VERSION = 3

F32, BF16, F16 = 0, 1, 2
I32, I64 = 0, 1
REDUCTION_NONE, REDUCTION_SUM, REDUCTION_MEAN = 0, 1, 2
FORWARD, BACKWARD, FORWARD_BACKWARD = 0, 1, 2
TARGET_CLASSES, TARGET_PROBABILITIES = 0, 1

c_int32, c_int64, c_float, c_void_p = ctypes.c_int32, ctypes.c_int64, ctypes.c_float, ctypes.c_void_p


class Tensor(ctypes.Structure):
    _fields_ = [("data", c_void_p), ("dtype", c_int32), ("outer", c_int64), ("classes", c_int64),
                ("inner", c_int64), ("outer_stride", c_int64)]

    @classmethod
    def rows(cls, data, dtype, n, c, row_stride):
        """An (N, C) tensor of rows row_stride elements apart."""
        return cls(data, dtype, n, c, 1, row_stride)


class Targets(ctypes.Structure):
    _fields_ = [("kind", c_int32), ("index_type", c_int32), ("data", c_void_p)]


class CeOptions(ctypes.Structure):
    _fields_ = [("weight", c_void_p), ("ignore_index", c_int64), ("label_smoothing", c_float),
                ("logit_scale", c_float), ("softcap", c_float), ("z_loss", c_float), ("reduction", c_int32)]


class CeOutputs(ctypes.Structure):
    _fields_ = [("grad", c_void_p), ("row_loss", c_void_p), ("row_z_loss", c_void_p), ("lse", c_void_p),
                ("workspace", c_void_p), ("error_info", c_void_p)]


def load(path):
    """The library at path with the functions the scripts call declared; refuses another ABI."""
    lib = ctypes.CDLL(path)
    lib.xent_abi_version.restype = c_int32
    lib.xent_last_error.restype = ctypes.c_char_p
    lib.xent_workspace_floats.restype = c_int64
    lib.xent_workspace_floats.argtypes = [c_int64, c_int64]
    lib.xent_ce.restype = c_int32
    lib.xent_ce.argtypes = [c_int32, ctypes.POINTER(Tensor), ctypes.POINTER(Targets), ctypes.POINTER(CeOptions),
                            c_void_p, ctypes.POINTER(CeOutputs), c_void_p]
    abi = lib.xent_abi_version()
    if abi != ABI_VERSION:
        raise RuntimeError("%s has ABI version %d; this mirror is of ABI %d" % (path, abi, ABI_VERSION))
    return lib


def check(lib, status, what):
    if status != 0:
        raise RuntimeError("%s: status %d: %s" % (what, status, lib.xent_last_error().decode()))


def self_check(path):
    """xent_ce on host arrays through the emulator against a float64 reference; returns failures."""
    lib = load(path)
    n, c, ignore = 7, 13, -100
    rnd = random.Random(20241207)
    z = [rnd.gauss(0, 3) for _ in range(n * c)]
    y = [0, c - 1] + [rnd.randrange(c) for _ in range(n - 3)] + [ignore]
    zs = (c_float * (n * c))(*z)
    ys = (c_int64 * n)(*y)
    grad = (c_float * (n * c))(*([float("nan")] * (n * c)))
    row_loss = (c_float * n)(*([float("nan")] * n))
    lse = (c_float * n)(*([float("nan")] * n))
    workspace = (c_float * lib.xent_workspace_floats(n, c))()
    error_info = (c_int64 * 2)(-1, -1)
    outputs = CeOutputs(ctypes.addressof(grad), ctypes.addressof(row_loss), None, ctypes.addressof(lse),
                        ctypes.addressof(workspace), ctypes.addressof(error_info))
    check(lib, lib.xent_ce(FORWARD_BACKWARD, Tensor.rows(ctypes.addressof(zs), F32, n, c, c),
                           Targets(TARGET_CLASSES, I64, ctypes.addressof(ys)),
                           CeOptions(None, ignore, 0.0, 1.0, 0.0, 0.0, REDUCTION_MEAN), None, outputs, None), "xent_ce")

    failures = []

    def close(what, expected, actual):
        if not abs(expected - actual) <= 1e-6 + 1e-5 * abs(expected):
            failures.append("%s: expected %r, got %r" % (what, expected, actual))

    counted = [i for i in range(n) if y[i] != ignore]
    total = 0.0
    for i in range(n):
        row = z[i * c:(i + 1) * c]
        m = max(row)
        ref_lse = m + math.log(sum(math.exp(v - m) for v in row))
        close("lse[%d]" % i, ref_lse, lse[i])
        ref_loss = ref_lse - row[y[i]] if y[i] != ignore else 0.0
        close("row_loss[%d]" % i, ref_loss, row_loss[i])
        total += ref_loss
        for k in range(c):
            ref_grad = (math.exp(row[k] - ref_lse) - (k == y[i])) / len(counted) if y[i] != ignore else 0.0
            close("grad[%d, %d]" % (i, k), ref_grad, grad[i * c + k])
    close("mean loss (workspace[0])", total / len(counted), workspace[0])
    close("denominator (workspace[1])", float(len(counted)), workspace[1])
    if list(error_info) != [-1, -1]:
        failures.append("error_info set without a bad label: %r" % list(error_info))
    return failures


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] != "--lib":
        sys.exit("usage: python3 xent_abi.py --lib path/to/libxent_emu.so")
    problems = self_check(sys.argv[2])
    for p in problems:
        print("FAIL " + p)
    print("xent_abi self-check: %s (xent_ce through %s)" % ("FAILED" if problems else "ok", sys.argv[2]))
    sys.exit(1 if problems else 0)
