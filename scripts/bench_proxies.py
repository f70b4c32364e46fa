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

usage: scripts/bench_proxies.py [--zcevo build/zcevo] [--data DIR] [--cells 8]
                                [--batch 16] [--threads 2]
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
    args = ap.parse_args()
    cells = sample_cells(args.data, args.cells)
    torch.set_num_threads(args.threads)
    print(f"# NAS-Bench-201 hand-crafted proxies ({PROXIES.count(',') + 1} values), "
          f"{args.cells} random cells, batch {args.batch}, {args.threads} threads, torch "
          f"{torch.__version__}")
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [args.zcevo, "proxies", "--data", args.data, "--batch", str(args.batch),
               "--threads", str(args.threads), "--proxies", PROXIES, "--quiet",
               "--out-csv", os.path.join(tmp, "p.csv")]
        for r in cells:
            cmd += ["--arch", r["arch_index"]]
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        zc = time.perf_counter() - t0
    x = cifar_batch(args.data, args.batch, 1).numpy()
    rng = np.random.default_rng(1)
    dump = {"x": x, "labels": rng.integers(0, 10, args.batch),
            "zen_x1": rng.standard_normal(x.shape).astype(np.float32),
            "zen_x2": rng.standard_normal(x.shape).astype(np.float32)}
    t0 = time.perf_counter()
    for r in cells:
        reference(dump, r["arch_str"], 10)
    th = time.perf_counter() - t0
    print(f"{'':>10} {'seconds':>9} {'arch/s':>8}")
    print(f"{'zcevo':>10} {zc:>9.2f} {args.cells / zc:>8.2f}")
    print(f"{'pytorch':>10} {th:>9.2f} {args.cells / th:>8.2f}")
    print(f"ratio (zcevo / pytorch arch/s): {th / zc:.2f}x")


if __name__ == "__main__":
    main()
