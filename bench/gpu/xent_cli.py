"""What the comparisons of `xent loss` with PyTorch share: the command line, running it, the error measure."""
import argparse
import subprocess

import numpy as np

TOLERANCE = 1e-5


def arguments():
    ap = argparse.ArgumentParser()
    ap.add_argument("--java", required=True)
    ap.add_argument("--jar", required=True)
    ap.add_argument("--engines", default="java,cuda-emu")
    return ap.parse_args()


def xent_loss(args, options, engine):
    """Runs `xent loss OPTIONS --engine ENGINE`; returns the completed process."""
    cmd = [args.java, "--enable-native-access=ALL-UNNAMED", "--add-modules", "jdk.incubator.vector",
           "-jar", args.jar, "loss"] + options + ["--engine", engine]
    return subprocess.run(cmd, capture_output=True, text=True)


def failure(run):
    """The last line xent printed on stderr."""
    return run.stderr.strip().splitlines()[-1:]


def rel(a, b):
    """Relative error ||a - b|| / ||b||; inf when the shapes differ."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if a.shape != b.shape:
        return float("inf")
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(b), 1e-300))
