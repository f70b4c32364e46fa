#!/usr/bin/env python3
"""report.py: figures and a Markdown page from zcevo run folders (called by
`zcevo report RUN_DIR... [--out DIR] [--scatter P1,P2,...]`).

A run folder may hold:
  *.csv with columns arch_index,arch_str,accuracy,<proxy>...  (zcevo proxies)
  log.csv with columns generation,best,mean,...                (zcevo evolve)
A file given instead of a folder is read the same way.

Writes into --out (default: RUN_DIR[0]/report):
  scatter_<task>_<proxy>.png   proxy score vs accuracy, coloured by accuracy rank
  tau_by_task.png              Kendall tau of every proxy per task, grouped bars
  gp_progress_<run>.png        best and mean fitness per generation
  report.md                    the page embedding them, with the tables
Missing pieces (no evolve log, no proxies CSV) are noted on the page.
"""
import argparse
import csv
import glob
import math
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from scipy.stats import kendalltau, spearmanr  # noqa: E402

ID_COLUMNS = {"arch_index", "arch_str", "accuracy"}


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def to_float(v):
    try:
        return float(v)
    except (TypeError, ValueError):
        return float("nan")


def find_inputs(paths):
    proxies, logs = [], []
    for p in paths:
        files = [p] if os.path.isfile(p) else sorted(glob.glob(os.path.join(p, "*.csv")))
        for f in files:
            with open(f, newline="") as fh:
                header = fh.readline().strip().split(",")
            if os.path.basename(f) == "log.csv" or {"generation", "best", "mean"} <= set(header):
                logs.append(f)
            elif {"arch_index", "accuracy"} <= set(header):
                proxies.append(f)
    return proxies, logs


def task_name(path):
    return os.path.splitext(os.path.basename(path))[0]


def correlations(rows, proxy):
    x = np.array([to_float(r[proxy]) for r in rows])
    y = np.array([to_float(r["accuracy"]) for r in rows])
    ok = np.isfinite(x) & np.isfinite(y)
    if ok.sum() < 3:
        return float("nan"), float("nan"), int(ok.sum()), int(len(rows) - ok.sum())
    return (float(kendalltau(x[ok], y[ok]).correlation),
            float(spearmanr(x[ok], y[ok]).correlation), int(ok.sum()),
            int(len(rows) - ok.sum()))


def scatter(rows, proxy, task, out_dir):
    x = np.array([to_float(r["accuracy"]) for r in rows])
    y = np.array([to_float(r[proxy]) for r in rows])
    ok = np.isfinite(x) & np.isfinite(y)
    if ok.sum() < 2:
        return None
    x, y = x[ok], y[ok]
    rank = np.argsort(np.argsort(x))
    tau = kendalltau(x, y).correlation
    fig, ax = plt.subplots(figsize=(5.5, 4.2))
    sc = ax.scatter(x, y, c=rank, cmap="viridis", s=12)
    cb = fig.colorbar(sc, ax=ax)
    cb.set_label("accuracy rank (0 = worst)")
    ax.set_xlabel("accuracy (%)")
    ax.set_ylabel(f"{proxy} score")
    ax.set_title(f"{proxy} vs accuracy: {task} (n={ok.sum()}, tau={tau:.3f})")
    fig.tight_layout()
    name = f"scatter_{task}_{proxy}.png"
    fig.savefig(os.path.join(out_dir, name), dpi=110)
    plt.close(fig)
    return name


def tau_bars(table, proxies, tasks, out_dir):
    fig, ax = plt.subplots(figsize=(max(6, 0.55 * len(proxies) * max(1, len(tasks)) / 2 + 3),
                                    4.5))
    width = 0.8 / max(1, len(tasks))
    xs = np.arange(len(proxies))
    for i, t in enumerate(tasks):
        vals = [table.get((t, p), (float("nan"),))[0] for p in proxies]
        ax.bar(xs + i * width - 0.4 + width / 2, np.nan_to_num(vals), width, label=t)
    ax.axhline(0, color="black", linewidth=0.6)
    ax.set_xticks(xs)
    ax.set_xticklabels(proxies, rotation=45, ha="right")
    ax.set_ylabel("Kendall tau with accuracy")
    ax.set_title("Rank correlation of every proxy per task")
    ax.legend(fontsize=8)
    fig.tight_layout()
    name = "tau_by_task.png"
    fig.savefig(os.path.join(out_dir, name), dpi=110)
    plt.close(fig)
    return name


def gp_progress(log_path, out_dir, index):
    rows = read_csv(log_path)
    if not rows:
        return None
    g = [to_float(r["generation"]) for r in rows]
    fig, ax = plt.subplots(figsize=(5.5, 4))
    ax.plot(g, [to_float(r["best"]) for r in rows], marker="o", ms=3, label="best")
    ax.plot(g, [to_float(r["mean"]) for r in rows], marker="s", ms=3, label="mean (valid)")
    ax.set_xlabel("generation")
    ax.set_ylabel("fitness (Kendall tau)")
    run = os.path.basename(os.path.dirname(os.path.abspath(log_path)))
    ax.set_title(f"GP progress: {run}")
    ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    name = f"gp_progress_{index}_{run}.png"
    fig.savefig(os.path.join(out_dir, name), dpi=110)
    plt.close(fig)
    return name


def main(argv=None):
    ap = argparse.ArgumentParser(prog="zcevo report", description=__doc__.split("\n")[0])
    ap.add_argument("runs", nargs="+", help="run folders or CSV files")
    ap.add_argument("--out", help="output folder (default RUN_DIR[0]/report)")
    ap.add_argument("--scatter", default="synflow,nwot,jacov,snip,eznas_a",
                    help="proxies to draw as scatter plots (comma-separated)")
    args = ap.parse_args(argv)
    for r in args.runs:
        if not os.path.exists(r):
            print(f"zcevo: error: run folder '{r}' does not exist", file=sys.stderr)
            return 1
    first = args.runs[0] if os.path.isdir(args.runs[0]) else os.path.dirname(args.runs[0])
    out_dir = args.out or os.path.join(first or ".", "report")
    os.makedirs(out_dir, exist_ok=True)
    proxies_files, logs = find_inputs(args.runs)
    md = ["# zcevo report", ""]
    table, tasks, all_proxies = {}, [], []
    figures = []
    for f in proxies_files:
        rows = read_csv(f)
        t = task_name(f)
        tasks.append(t)
        cols = [c for c in rows[0].keys() if c not in ID_COLUMNS] if rows else []
        md += [f"## {t}", "", f"{len(rows)} architectures from `{f}`.", "",
               "| proxy | Kendall tau | Spearman rho | n | invalid |", "|---|---:|---:|---:|---:|"]
        for p in cols:
            if p not in all_proxies:
                all_proxies.append(p)
            tau, rho, n, bad = correlations(rows, p)
            table[(t, p)] = (tau, rho, n, bad)
            md.append(f"| {p} | {tau:.4f} | {rho:.4f} | {n} | {bad} |")
        md.append("")
        for p in args.scatter.split(","):
            if p in cols:
                name = scatter(rows, p, t, out_dir)
                if name:
                    md += [f"![{p} vs accuracy on {t}]({name})", ""]
                    figures.append(name)
    if tasks:
        name = tau_bars(table, all_proxies, tasks, out_dir)
        md = md[:2] + ["## Kendall tau per proxy and task", "", f"![tau by task]({name})", ""] + md[2:]
        figures.append(name)
    else:
        md += ["No proxies CSV found in the run folders.", ""]
    md += ["## GP progress", ""]
    if not logs:
        md += ["No evolve log (log.csv) found in the run folders.", ""]
    for i, log in enumerate(logs):
        try:
            name = gp_progress(log, out_dir, i)
        except (KeyError, ValueError) as e:
            md += [f"Could not read `{log}`: {e}", ""]
            continue
        if name:
            md += [f"![GP progress]({name})", ""]
            figures.append(name)
    with open(os.path.join(out_dir, "report.md"), "w") as f:
        f.write("\n".join(md) + "\n")
    print(f"report: wrote {len(figures)} figures and {os.path.join(out_dir, 'report.md')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
