#!/usr/bin/env python3
"""validate_proxies.py: Spearman rho between zcevo's proxies and the
reference scores in the data folder, on the same NAS-Bench-201 cells.

  naslib:  zc_reference/naslib_zc_nasbench201.csv (NASLib / NAS-Bench-Suite-
           Zero, per dataset) against `zcevo proxies --init torch` (PyTorch's
           default init, as NASLib's networks had)
  naswot:  zc_reference/naswot_nb201_cifar10.csv (NASWOT authors, CIFAR-10)
           against our nwot and jacov

Usage: validate_proxies.py --zcevo BUILD/zcevo [--data DIR] [--n 50]
           [--datasets cifar10,cifar100,imagenet16] [--naswot-n 2000]
           [--threads 2] [--batch 64] [--out results.md]
Prints Markdown tables (and writes them to --out).
"""
import argparse
import csv
import math
import os
import random
import subprocess
import sys
import tempfile

import numpy as np
from scipy.stats import spearmanr

NASLIB_PROXIES = ["flops", "params", "synflow", "grasp", "fisher", "grad_norm", "l2_norm",
                  "plain", "nwot", "epe_nas", "jacov", "snip"]
DATASETS = {"cifar10": "cifar10", "cifar100": "cifar100", "ImageNet16-120": "imagenet16"}


def run_zcevo(zcevo, data, dataset, archs, proxies, args, init):
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "p.csv")
        cmd = [zcevo, "proxies", "--data", data, "--space", "nb201", "--dataset", dataset,
               "--batch", str(args.batch), "--threads", str(args.threads), "--seed",
               str(args.seed), "--init", init, "--proxies", ",".join(proxies), "--out-csv",
               out, "--quiet"]
        for a in archs:
            cmd += ["--arch", a]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        with open(out) as f:
            return {r["arch_str"]: r for r in csv.DictReader(f)}


def to_num(v):
    try:
        return float(v)
    except ValueError:
        return float("nan")


def rho(a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    ok = np.isfinite(a) & np.isfinite(b)
    if ok.sum() < 3:
        return float("nan"), int(ok.sum())
    return float(spearmanr(a[ok], b[ok]).correlation), int(ok.sum())


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--zcevo", required=True)
    ap.add_argument("--data", default=os.environ.get("ZCEVO_DATA", "../shared/data"))
    ap.add_argument("--n", type=int, default=50, help="cells per dataset (NASLib)")
    ap.add_argument("--datasets", default="cifar10,cifar100,imagenet16")
    ap.add_argument("--naswot-n", type=int, default=0, help="cells for NASWOT (0: skip)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    lines = []
    with open(os.path.join(args.data, "zc_reference", "naslib_zc_nasbench201.csv")) as f:
        ref = list(csv.DictReader(f))
    wanted = args.datasets.split(",")
    lines.append(f"| dataset | cells | " + " | ".join(NASLIB_PROXIES) + " |")
    lines.append("|---|---:|" + "---:|" * len(NASLIB_PROXIES))
    for ref_name, ours in DATASETS.items():
        if ours not in wanted:
            continue
        rows = [r for r in ref if r["dataset"] == ref_name]
        rows = rng.sample(rows, min(args.n, len(rows)))
        got = run_zcevo(args.zcevo, args.data, ours, [r["arch_str"] for r in rows],
                        NASLIB_PROXIES, args, "torch")
        cells = []
        for p in NASLIB_PROXIES:
            a = [float(got[r["arch_str"]][p]) for r in rows]
            b = [float(r[p]) for r in rows]
            rv, n = rho(a, b)
            cells.append(f"{rv:.3f}")
        lines.append(f"| {ours} | {len(rows)} | " + " | ".join(cells) + " |")
        print("\n".join(lines[-1:]), flush=True)
    if args.naswot_n > 0:
        with open(os.path.join(args.data, "zc_reference", "naswot_nb201_cifar10.csv")) as f:
            nw = [r for r in csv.DictReader(f) if math.isfinite(to_num(r["naswot_score"]))]
        nw = rng.sample(nw, min(args.naswot_n, len(nw)))
        got = run_zcevo(args.zcevo, args.data, "cifar10", [r["arch_str"] for r in nw],
                        ["nwot", "jacov"], args, "xautodl")
        lines.append("")
        lines.append("| NASWOT authors' score vs | cells | Spearman rho |")
        lines.append("|---|---:|---:|")
        for p in ["nwot", "jacov"]:
            rv, n = rho([float(got[r["arch_str"]][p]) for r in nw],
                        [float(r["naswot_score"]) for r in nw])
            lines.append(f"| zcevo {p} | {n} | {rv:.3f} |")
    text = "\n".join(lines)
    print(text)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
