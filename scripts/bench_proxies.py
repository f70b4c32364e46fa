#!/usr/bin/python3
"""bench_proxies.py: architectures per second of `zcevo proxies` against
PyTorch computing the same hand-crafted proxies the way NASLib's measures do
(tests/torch_proxies_ref.py: autograd, a true double backward for grasp,
float64 synflow, numpy corrcoef / eig / slogdet) on the same NAS-Bench-201
cells, batch and thread count.

zcevo is timed end to end as a process (start, data loading, networks, all
proxies but eznas_a, CSV); PyTorch for building each network and computing
the same 15 values (13 proxies and the two T-CET forms) on a CIFAR-10 batch
of the same size. Threads: zcevo computes --threads architectures at once,
PyTorch uses --threads intra-op threads.

With --proxies modern: the proxies of 2023-2024 (AZ-NAS's components and
aggregate, ZiCo, MeCo, MeCo_opt, SWAP and its regularised form; zcevo with
--init torch) against tests/torch_modern_proxies_ref.py's from-scratch
float32 PyTorch implementation (modern_from_scratch: the authors' recipes,
two minibatches for ZiCo, 32 weight draws for SWAP).

usage: scripts/bench_proxies.py [--zcevo build/zcevo] [--data DIR] [--cells 8]
                                [--batch 16] [--threads 2] [--proxies classic|modern]
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests"))
sys.path.insert(0, HERE)
from torch_proxies_ref import reference  # noqa: E402  (the test's PyTorch proxies)
from torch_modern_proxies_ref import modern_from_scratch  # noqa: E402
from bench_stats import cifar_batch, sample_cells  # noqa: E402

PROXIES = ("grad_norm,snip,grasp,fisher,synflow,plain,l2_norm,jacov,nwot,epe_nas,zen,params,"
           "flops,tcet_snip,tcet_synflow")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--zcevo", default="build/zcevo")
    ap.add_argument("--data", default=os.environ.get("ZCEVO_DATA", "../shared/data"))
    ap.add_argument("--cells", type=int, default=8)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--proxies", choices=("classic", "modern"), default="classic")
    args = ap.parse_args()
    cells = sample_cells(args.data, args.cells)
    torch.set_num_threads(args.threads)
    modern = args.proxies == "modern"
    what = ("proxies of 2023-2024 (az_* x4 + az_nas, zico, meco, meco_opt, swap, swap_reg)"
            if modern else f"hand-crafted proxies ({PROXIES.count(',') + 1} values)")
    print(f"# NAS-Bench-201 {what}, {args.cells} random cells, batch {args.batch}, "
          f"{args.threads} threads, torch {torch.__version__}")
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [args.zcevo, "proxies", "--data", args.data, "--batch", str(args.batch),
               "--threads", str(args.threads), "--proxies", "modern" if modern else PROXIES,
               "--quiet", "--out-csv", os.path.join(tmp, "p.csv")]
        if modern:
            cmd += ["--init", "torch"]
        for r in cells:
            cmd += ["--arch", r["arch_index"]]
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        zc = time.perf_counter() - t0
    if modern:
        x, x2 = cifar_batch(args.data, args.batch, 1), cifar_batch(args.data, args.batch, 2)
        rng = np.random.default_rng(1)
        labels = torch.from_numpy(rng.integers(0, 10, args.batch))
        labels2 = torch.from_numpy(rng.integers(0, 10, args.batch))
        gauss = torch.randn(x.shape)
        t0 = time.perf_counter()
        for r in cells:
            modern_from_scratch(r["arch_str"], 10, x, labels, x2, labels2, gauss)
        th = time.perf_counter() - t0
        report(args.cells, zc, th)
        return
    x = cifar_batch(args.data, args.batch, 1).numpy()
    rng = np.random.default_rng(1)
    dump = {"x": x, "labels": rng.integers(0, 10, args.batch),
            "zen_x1": rng.standard_normal(x.shape).astype(np.float32),
            "zen_x2": rng.standard_normal(x.shape).astype(np.float32)}
    t0 = time.perf_counter()
    for r in cells:
        reference(dump, r["arch_str"], 10)
    th = time.perf_counter() - t0
    report(args.cells, zc, th)


def report(cells, zc, th):
    print(f"{'':>10} {'seconds':>9} {'arch/s':>8}")
    print(f"{'zcevo':>10} {zc:>9.2f} {cells / zc:>8.2f}")
    print(f"{'pytorch':>10} {th:>9.2f} {cells / th:>8.2f}")
    print(f"ratio (zcevo / pytorch arch/s): {th / zc:.2f}x")


if __name__ == "__main__":
    main()
