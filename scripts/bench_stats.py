#!/usr/bin/python3
"""bench_stats.py: architectures per second of `zcevo stats` against PyTorch
(CPU, eager, forward/backward hooks as the EZNAS reference collects them) on
the same NAS-Bench-201 cells, batch sizes and thread count.

zcevo is timed end to end as a process (start, data loading, the three
passes), once keeping the 22 terminals in memory (--discard) and once also
writing them to HDF5; PyTorch is timed for building, initialising and running
the three passes with hooks that clone the 7 tensors per block (no file
written). The ratio compares like with like: zcevo in memory vs PyTorch. Both see real CIFAR-10 images of the same batch size.

usage: scripts/bench_stats.py [--zcevo build/zcevo] [--data DIR] [--cells 16]
                              [--batches 1,16] [--threads 2]
"""
import argparse
import csv
import os
import random
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch
import torch.nn as nn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
from torch_stats_ref import build_network  # noqa: E402  (the test's PyTorch networks)


def init_like_reference(net):
    for m in net.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, 0, 0.01)
            nn.init.zeros_(m.bias)


def torch_statistics(net, blocks, inputs):
    """Three passes with module hooks, cloning every tensor as the reference."""
    store = []
    for x in inputs:
        rec = {}
        handles = []
        for b in blocks:
            relu, conv, bn = b.op

            def fwd_relu(m, i, o, n=b.block_name):
                rec.setdefault(n, {})["inpact"] = i[0].detach().clone()
                rec[n]["preact"] = o.detach().clone()

            def fwd_bn(m, i, o, n=b.block_name):
                rec.setdefault(n, {})["act"] = o.detach().clone()

            def bwd_relu(m, gi, go, n=b.block_name):
                rec[n]["inpact_grad"] = gi[0].detach().clone()
                rec[n]["preact_grad"] = go[0].detach().clone()

            def bwd_bn(m, gi, go, n=b.block_name):
                rec[n]["act_grad"] = go[0].detach().clone()

            handles += [relu.register_forward_hook(fwd_relu), bn.register_forward_hook(fwd_bn),
                        relu.register_full_backward_hook(bwd_relu),
                        bn.register_full_backward_hook(bwd_bn)]
        net.zero_grad(set_to_none=True)
        logits = net(x)
        logits.backward(torch.ones_like(logits))
        for b in blocks:
            w = b.op[1].weight
            rec[b.block_name]["wt_grad"] = (w.grad.detach().clone() if w.grad is not None
                                            else torch.zeros_like(w))
        for h in handles:
            h.remove()
        store.append(rec)
    return store


def sample_cells(data_dir, n):
    """n NAS-Bench-201 rows (arch_index, arch_str, ...), a fixed random sample."""
    with open(os.path.join(data_dir, "nb201", "nb201.csv")) as f:
        rows = list(csv.DictReader(f))
    random.seed(0)
    return random.sample(rows, n)


def cifar_batch(data_dir, batch, seed):
    raw = np.fromfile(os.path.join(data_dir, "cifar10", "train.bin"), dtype=np.uint8)
    raw = raw.reshape(-1, 3073)
    rng = np.random.default_rng(seed)
    idx = rng.choice(raw.shape[0], batch, replace=False)
    x = raw[idx, 1:].reshape(batch, 3, 32, 32).astype(np.float32) / 255.0
    mean = np.array([0.4914, 0.4822, 0.4465], np.float32).reshape(1, 3, 1, 1)
    std = np.array([0.2470, 0.2435, 0.2616], np.float32).reshape(1, 3, 1, 1)
    return torch.from_numpy((x - mean) / std)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--zcevo", default="build/zcevo")
    ap.add_argument("--data", default=os.environ.get("ZCEVO_DATA", "../shared/data"))
    ap.add_argument("--cells", type=int, default=16)
    ap.add_argument("--batches", default="1,16")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()

    cells = sample_cells(args.data, args.cells)
    torch.set_num_threads(args.threads)
    print(f"# NAS-Bench-201 statistics (22 terminals), {args.cells} random cells, "
          f"{args.threads} threads, CPU: {os.uname().machine}, torch {torch.__version__}")
    print(f"{'batch':>5} {'zcevo arch/s':>13} {'(+HDF5 write)':>14} {'torch arch/s':>13} "
          f"{'ratio':>7}")
    with tempfile.TemporaryDirectory() as tmp:
        arch_file = os.path.join(tmp, "archs.txt")
        with open(arch_file, "w") as f:
            for r in cells:
                f.write(r["arch_index"] + "\n")
        for batch in [int(b) for b in args.batches.split(",")]:
            out = os.path.join(tmp, f"b{batch}.h5")
            cmd = [args.zcevo, "stats", "--data", args.data, "--arch-file", arch_file,
                   "--batch", str(batch), "--threads", str(args.threads), "--quiet"]
            t0 = time.perf_counter()
            subprocess.run(cmd + ["--discard"], check=True)
            zc_rate = args.cells / (time.perf_counter() - t0)
            t0 = time.perf_counter()
            subprocess.run(cmd + ["--out", out], check=True)
            zc_write_rate = args.cells / (time.perf_counter() - t0)
            os.unlink(out)
            x = cifar_batch(args.data, batch, 1)
            inputs = [x, torch.randn_like(x), x + 0.1 * torch.randn_like(x)]
            t0 = time.perf_counter()
            for r in cells:
                net, blocks = build_network("nb201", r["arch_str"], 10)
                init_like_reference(net)
                net.train()
                torch_statistics(net, blocks, inputs)
            th_rate = args.cells / (time.perf_counter() - t0)
            print(f"{batch:>5} {zc_rate:>13.2f} {zc_write_rate:>14.2f} {th_rate:>13.2f} "
                  f"{zc_rate / th_rate:>6.2f}x", flush=True)


if __name__ == "__main__":
    main()
