#!/usr/bin/python3
"""rerank_proxies.py: Kendall tau and Spearman rho of the proxies in one or
more `zcevo proxies` CSVs against any accuracy column of the benchmark
table, with the set-dependent AZ-NAS aggregate recomputed over exactly the
rows scored (or a subset), and AZ-NAS variants from its components.

The CSV keeps AZ-NAS's four per-architecture components (az_expressivity,
az_progressivity, az_trainability, az_complexity); az_nas over a set of n
networks is sum_k log(rank_k / n) (scipy average ranks, NaN as -inf), so
any set can be re-ranked here: --rows N keeps the first N rows (in the
CSV's order), --drop COMPONENT recomputes the aggregate without one.

usage: scripts/rerank_proxies.py CSV [--table ../shared/data/nb201/nb201.csv]
           [--acc-column cifar10_test[,cifar10valid_valid...]] [--rows N]
           [--drop az_complexity] [--proxies az_nas,zico,...]
Prints a Markdown table: proxy, then tau / rho per accuracy column, with n.
"""
import argparse
import csv
import math
import os
import sys

import numpy as np
from scipy.stats import kendalltau, rankdata, spearmanr

AZ = ("az_expressivity", "az_progressivity", "az_trainability", "az_complexity")


def az_aggregate(rows, components):
    n = len(rows)
    agg = np.zeros(n)
    for c in components:
        v = np.array([float(r[c]) for r in rows])
        v[np.isnan(v)] = -np.inf
        agg += np.log(rankdata(v) / n)
    return agg


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("csv")
    ap.add_argument("--table", default=os.path.join(here, "..", "..", "shared", "data", "nb201",
                                                    "nb201.csv"))
    ap.add_argument("--acc-column", default="cifar10_test",
                    help="comma-separated columns of the table")
    ap.add_argument("--rows", type=int, default=0, help="keep the first N rows (0: all)")
    ap.add_argument("--drop", default="", help="AZ-NAS components left out of the aggregate")
    ap.add_argument("--proxies", default="", help="columns to report (default: all)")
    args = ap.parse_args()
    rows = list(csv.DictReader(open(args.csv)))
    if args.rows:
        rows = rows[:args.rows]
    table = {r["arch_index"]: r for r in csv.DictReader(open(args.table))}
    cols = args.acc_column.split(",")
    for c in cols:
        if c not in next(iter(table.values())):
            sys.exit(f"rerank_proxies.py: error: no column '{c}' in '{args.table}'")
    fixed = {"arch_index", "arch_str", "accuracy"}
    proxies = args.proxies.split(",") if args.proxies else \
        [k for k in rows[0] if k not in fixed]
    values = {p: np.array([float(r[p]) for r in rows]) for p in proxies if p in rows[0]}
    if all(c in rows[0] for c in AZ):
        drop = set(filter(None, args.drop.split(",")))
        name = "az_nas" if not drop else "az_nas without " + "+".join(sorted(drop))
        values[name] = az_aggregate(rows, [c for c in AZ if c not in drop])
    acc = {c: np.array([float(table[r["arch_index"]][c]) for r in rows]) for c in cols}
    print("| proxy | " + " | ".join(f"{c} tau / rho" for c in cols) + " | n |")
    print("|---|" + "---:|" * (len(cols) + 1))
    for p, v in values.items():
        cells = []
        ok = np.isfinite(v)
        for c in cols:
            m = ok & np.isfinite(acc[c])
            tau = kendalltau(v[m], acc[c][m])[0]
            rho = spearmanr(v[m], acc[c][m])[0]
            cells.append("const." if math.isnan(tau) else f"{tau:.3f} / {rho:.3f}")
        print(f"| {p} | " + " | ".join(cells) + f" | {int(ok.sum())} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
