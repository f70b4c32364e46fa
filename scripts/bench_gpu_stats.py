#!/usr/bin/python3
"""bench_gpu_stats.py: NAS-Bench-201 statistics per second on one GPU,
zcevo's CUDA backend (build/tests/cuda_bench stats) against PyTorch eager on
the same GPU with the hooks the EZNAS reference uses (22 terminals cloned,
three passes), at several batch sizes. Prints one JSON line per batch size
and writes them to --json.

usage: scripts/bench_gpu_stats.py --bench BUILD/tests/cuda_bench
           [--data DIR] [--cells 32] [--batches 1,16,64] [--json out.jsonl]
"""
import argparse
import csv
import json
import os
import random
import subprocess
import sys
import tempfile
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
from bench_stats import init_like_reference, torch_statistics  # noqa: E402
from torch_stats_ref import build_network  # noqa: E402


def torch_rate(cells, batch, device):
    x = torch.randn(batch, 3, 32, 32, device=device)
    inputs = [x, torch.randn_like(x), x + 0.01 * torch.randn_like(x)]

    def one(arch):
        net, blocks = build_network("nb201", arch, 10)
        init_like_reference(net)
        net.to(device).train()
        torch_statistics(net, blocks, inputs)

    one(cells[0])  # warm-up (cuDNN handles, allocator)
    torch.cuda.synchronize()
    t0 = time.perf_counter()
    for a in cells:
        one(a)
    torch.cuda.synchronize()
    return len(cells) / (time.perf_counter() - t0)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bench", required=True)
    ap.add_argument("--data", default=os.environ.get("ZCEVO_DATA", "../shared/data"))
    ap.add_argument("--cells", type=int, default=32)
    ap.add_argument("--batches", default="1,16,64")
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    with open(os.path.join(args.data, "nb201", "nb201.csv")) as f:
        rows = list(csv.DictReader(f))
    random.seed(0)
    cells = [r["arch_str"] for r in random.sample(rows, args.cells)]
    have_gpu_torch = torch.cuda.is_available()
    out = open(args.json, "a") if args.json else None
    with tempfile.TemporaryDirectory() as tmp:
        arch_file = os.path.join(tmp, "archs.txt")
        with open(arch_file, "w") as f:
            f.write("\n".join(cells) + "\n")
        for batch in [int(b) for b in args.batches.split(",")]:
            res = subprocess.run([args.bench, "stats", "nb201", arch_file, str(batch), "10", "32"],
                                 check=True, capture_output=True, text=True)
            zc = json.loads(res.stdout.strip().splitlines()[-1])
            th = torch_rate(cells, batch, "cuda") if have_gpu_torch else float("nan")
            rec = {"mode": "stats_vs_torch", "batch": batch, "cells": args.cells,
                   "zcevo_archs_per_s": zc["archs_per_s"],
                   "zcevo_gpu_passes_archs_per_s": zc["gpu_passes_archs_per_s"],
                   "torch_archs_per_s": th, "ratio": zc["archs_per_s"] / th,
                   "torch": torch.__version__, "torch_cuda": have_gpu_torch}
            print(json.dumps(rec), flush=True)
            if out:
                out.write(json.dumps(rec) + "\n")
    if out:
        out.close()


if __name__ == "__main__":
    main()
