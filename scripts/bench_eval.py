#!/usr/bin/python3
"""bench_eval.py: program evaluation throughput of zcevo against a PyTorch
evaluator of the same programs over the same HDF5 tensors (the EZNAS
reference's way: terminals as torch tensors, each program a tree of torch
operations, per-layer mean, mean over layers).

It runs `zcevo bench eval` (which draws N programs valid on every
architecture, times them, and writes them out), then evaluates exactly those
programs with PyTorch on the same machine and thread count, checks that the
two agree, and prints both rates and their ratio.

usage: scripts/bench_eval.py STATS.h5 [--zcevo build/zcevo] [--programs 100]
                             [--kind random|elementwise] [--threads 2]
"""
import argparse
import math
import os
import re
import subprocess
import sys
import tempfile
import time

import h5py
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
from gen_primitive_fixtures import OPS  # noqa: E402  (torch semantics of every primitive)

TOKEN = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*|\(|\)|,)")


def parse(text):
    """Program text -> nested (name, [args]) / terminal name."""
    tokens = TOKEN.findall(text)
    pos = 0

    def expr():
        nonlocal pos
        name = tokens[pos]
        pos += 1
        if pos < len(tokens) and tokens[pos] == "(":
            pos += 1
            args = [expr()]
            while tokens[pos] == ",":
                pos += 1
                args.append(expr())
            pos += 1  # ')'
            return (name, args)
        return name

    return expr()


def terminals_of(tree, acc):
    if isinstance(tree, str):
        acc.add(tree)
    else:
        for a in tree[1]:
            terminals_of(a, acc)
    return acc


def evaluate(tree, layer):
    if isinstance(tree, str):
        return layer[tree]
    args = [evaluate(a, layer) for a in tree[1]]
    return OPS[tree[0]](*args)


def score(tree, layers):
    total = 0.0
    for layer in layers:
        try:
            v = evaluate(tree, layer).double().mean().item()
        except RuntimeError:
            return math.nan
        if not math.isfinite(v):
            return math.nan
        total += v
    return total / len(layers)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("stats")
    ap.add_argument("--zcevo", default="build/zcevo")
    ap.add_argument("--programs", type=int, default=100)
    ap.add_argument("--kind", default="random", choices=["random", "elementwise"])
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)

    with tempfile.TemporaryDirectory() as tmp:
        prog_file = os.path.join(tmp, "programs.txt")
        out = subprocess.run([args.zcevo, "bench", "eval", "--stats", args.stats, "--programs",
                              str(args.programs), "--kind", args.kind, "--threads",
                              str(args.threads), "--write-programs", prog_file],
                             check=True, capture_output=True, text=True).stdout
        texts = [l.strip() for l in open(prog_file) if l.strip()]
    print(out, end="")
    zc_rate = float(re.search(r"evaluations/s\s+([0-9.]+)", out).group(1))
    zc_checksum = float(re.search(r"checksum\s+(\S+)", out).group(1))

    trees = [parse(t) for t in texts]
    needed = set()
    for t in trees:
        terminals_of(t, needed)
    archs = []
    with h5py.File(args.stats, "r") as f:
        for key in sorted(f["archs"].keys()):
            g = f["archs"][key]
            if int(g.attrs.get("complete", 0)) != 1:
                continue
            layers = []
            for lk in sorted(g["layers"].keys()):
                lg = g["layers"][lk]
                layers.append({n: torch.from_numpy(lg[n][()]) for n in needed})
            archs.append(layers)
    t0 = time.perf_counter()
    checksum = 0.0
    for tree in trees:
        for layers in archs:
            s = score(tree, layers)
            checksum += s if math.isfinite(s) else 0.0
    secs = time.perf_counter() - t0
    th_rate = len(trees) * len(archs) / secs
    print(f"PyTorch {torch.__version__} evaluator: {th_rate:.1f} evaluations/s "
          f"({len(trees)} programs x {len(archs)} architectures in {secs:.2f} s, "
          f"{args.threads} threads); checksum {checksum:.9g}")
    rel = abs(checksum - zc_checksum) / max(abs(zc_checksum), 1e-30)
    print(f"agreement: checksums differ by {rel:.2e} (relative)")
    print(f"ratio zcevo / PyTorch: {zc_rate / th_rate:.1f}x")


if __name__ == "__main__":
    main()
