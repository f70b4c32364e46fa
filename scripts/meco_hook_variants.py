#!/usr/bin/python3
"""meco_hook_variants.py: how much MeCo's ranking depends on which outputs are
summed, measured in PyTorch on NAS-Bench-201 cells (docs/proxies.md, MeCo).

  layers    every layer once (the paper's sum over layers; what zcevo does:
            conv, BN, ReLU, pooling, zero, node sums, linear, ...)
  modules   a forward hook on every module, containers included, as the
            authors' code registers them (an output returned by a ReLUConvBN,
            its nn.Sequential and its BN counts three times; node sums inside
            a cell count only as the cell's output)

Both on the same networks (PyTorch's default initialisation, seeded per
cell), the same first CIFAR image, batch 1, training-mode BN, float32 as the
authors. Prints Kendall tau / Spearman rho of both against the accuracy
columns and their rank correlation with each other.

usage: scripts/meco_hook_variants.py [--data ../shared/data] [--cells 1000]
           [--dataset cifar10|cifar100] [--seed 1]
"""
import argparse
import csv
import os
import random
import sys

import numpy as np
import torch
import torch.nn as nn
from scipy.stats import kendalltau, spearmanr

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests"))
from torch_modern_proxies_ref import record_layers  # noqa: E402
from torch_stats_ref import build_network  # noqa: E402

MEANS = {"cifar10": ([0.4914, 0.4822, 0.4465], [0.2470, 0.2435, 0.2616]),
         "cifar100": ([0.5071, 0.4865, 0.4409], [0.2673, 0.2564, 0.2762])}


def first_image(data_dir, dataset):
    raw = np.fromfile(os.path.join(data_dir, dataset, "train.bin"), dtype=np.uint8)
    width = 3073 if dataset == "cifar10" else 3074
    x = raw[:width][width - 3072:].reshape(1, 3, 32, 32).astype(np.float32) / 255.0
    mean, std = (np.array(v, np.float32).reshape(1, 3, 1, 1) for v in MEANS[dataset])
    return torch.from_numpy((x - mean) / std)


def lambda_min(out):
    """MeCo's term for one output: smallest eigenvalue of the channel
    correlation of the first sample, NaN -> 0; None for non-tensors."""
    if not torch.is_tensor(out) or out.dim() < 2:
        return None
    f = out[0].reshape(out.shape[1], -1).detach()
    corr = torch.corrcoef(f) if f.shape[1] > 1 else torch.zeros(f.shape[0], f.shape[0])
    corr[torch.isnan(corr)] = 0
    v = float(torch.linalg.eigvalsh(corr).min())
    return v if np.isfinite(v) else 0.0


def both_variants(arch, classes, x, seed):
    torch.manual_seed(seed)
    net, _ = build_network("nb201", arch, classes)
    net.train()
    outs = []
    record_layers(net, outs)
    module_terms = []
    for m in net.modules():
        m.register_forward_hook(lambda mod, inp, out: module_terms.append(lambda_min(out)))
    with torch.no_grad():
        net(x)
    layers = sum(v for v in (lambda_min(o) for o in outs) if v is not None)
    modules = sum(v for v in module_terms if v is not None)
    return layers, modules


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default=os.environ.get("ZCEVO_DATA", "../shared/data"))
    ap.add_argument("--cells", type=int, default=1000)
    ap.add_argument("--dataset", default="cifar10", choices=("cifar10", "cifar100"))
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(1)
    rows = list(csv.DictReader(open(os.path.join(args.data, "nb201", "nb201.csv"))))
    random.seed(args.seed)
    rows = random.sample(rows, args.cells)
    x = first_image(args.data, args.dataset)
    classes = 10 if args.dataset == "cifar10" else 100
    lay, mod = [], []
    for i, r in enumerate(rows):
        a, b = both_variants(r["arch_str"], classes, x, args.seed * 100003 + i)
        lay.append(a)
        mod.append(b)
    cols = ["cifar10_test", "cifar10valid_valid"] if args.dataset == "cifar10" \
        else ["cifar100_test"]
    print(f"# MeCo, {args.cells} random NB201 cells, {args.dataset} first image, "
          f"PyTorch default init, torch {torch.__version__}")
    print("| variant | " + " | ".join(f"{c} tau / rho" for c in cols) + " |")
    print("|---|" + "---:|" * len(cols))
    for name, v in (("layers (each once)", lay), ("modules (every hook)", mod)):
        cells = []
        for c in cols:
            acc = [float(r[c]) for r in rows]
            cells.append(f"{kendalltau(v, acc)[0]:.3f} / {spearmanr(v, acc)[0]:.3f}")
        print(f"| {name} | " + " | ".join(cells) + " |")
    print(f"rank correlation of the two variants: tau {kendalltau(lay, mod)[0]:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
