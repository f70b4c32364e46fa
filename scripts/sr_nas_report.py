#!/usr/bin/python3
"""sr_nas_report.py: the result tables of docs/sr_nas.md from the runs of
scripts/run_sr_nas.sh.

Usage: sr_nas_report.py --zcevo ZCEVO --proxies PX_DIR --runs RUNS_DIR --doc FILE|-

Reads RUNS_DIR/<split>/seed_<s>/ (config.txt, result.txt, final.csv) and
the proxies files of PX_DIR; scores every single proxy on every file with
`zcevo score --proxies` (the same Kendall tau-b, invalid architectures left
out as the SR fitness does); writes Markdown tables between the lines
"<!-- sr_nas results: begin -->" and "<!-- sr_nas results: end -->" of FILE
(temporary file, then renamed; FILE must have both markers), or prints them
with --doc -.

Per split: the training fitness (mean tau over the training tasks, on their
evolution architectures) over the seeds; per test task the tau of each
seed's best formula (hall of fame rank 1) as mean +- standard deviation,
beside the best single proxy on that task (chosen on the task itself: an
oracle), the single proxy with the best mean tau on the training tasks
(chosen fairly), and EZNAS-A (the eznas_a column: the layer-level program);
per training task the same on its held-out architectures (single proxies:
on all of the file's architectures).
"""
import argparse
import csv
import math
import os
import re
import statistics
import subprocess
import sys

BEGIN = "<!-- sr_nas results: begin -->"
END = "<!-- sr_nas results: end -->"
SR_TERMINALS = ["grad_norm", "snip", "grasp", "fisher", "synflow", "plain", "l2_norm", "jacov",
                "nwot", "epe_nas", "zen", "params", "flops"]


def task_of(path):
    return os.path.basename(path).split(" ")[0].removesuffix(".h5")


def single_proxy_taus(zcevo, path, columns):
    """{column: (tau, n_valid)} over all architectures of the file."""
    cmd = [zcevo, "score", "--quiet", "--proxies", path]
    for c in columns:
        cmd += ["--program", c]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    taus = {}
    for line in out.splitlines()[1:]:
        f = line.split()
        if len(f) >= 6 and f[1] in columns:
            taus[f[1]] = (float(f[-2]), int(f[-4]) - int(f[-3]))
    return taus


def columns_of(path):
    import h5py
    with h5py.File(path) as f:
        return f["values"].attrs["proxy_names"].decode().split(",")


def read_run(d):
    cfg = open(os.path.join(d, "config.txt")).read()
    train = [task_of(v) for v in re.findall(r"^proxies=(.*)$", cfg, re.M)]
    test = [task_of(v) for v in re.findall(r"^test_proxies=(.*)$", cfg, re.M)]
    rows = list(csv.DictReader(open(os.path.join(d, "final.csv"))))
    best_fit = max(float(r["fitness"]) for r in rows)
    best = next(r["program"] for r in rows if float(r["fitness"]) == best_fit)
    tau = {}
    for r in rows:
        if r["program"] == best:
            kind = "test" if "(test" in r["task"] else "held-out"
            tau[(task_of(r["task"]), kind)] = (float(r["tau"]), int(r["n"]), int(r["invalid"]))
    res = open(os.path.join(d, "result.txt")).read()
    secs = re.search(r"total ([0-9.]+) s", res)
    return {"train": train, "test": test, "fitness": best_fit, "program": best, "tau": tau,
            "seconds": float(secs.group(1)) if secs else math.nan}


def fmt(values):
    values = [v for v in values if not math.isnan(v)]
    if not values:
        return "-"
    if len(values) == 1:
        return f"{values[0]:.3f}"
    return f"{statistics.mean(values):.3f} ± {statistics.stdev(values):.3f}"


def split_tables(name, runs, px, taus):
    train, test = runs[0]["train"], runs[0]["test"]
    lines = [f"### Split `{name}`: evolved on {', '.join(train)}", ""]
    lines.append(f"{len(runs)} seeds; training fitness (mean tau over the training tasks, their "
                 f"evolution architectures): {fmt([r['fitness'] for r in runs])}; run time "
                 f"{fmt([r['seconds'] for r in runs])} s per run.")
    lines.append("")
    # single proxy chosen on the training tasks
    mean_train = {c: statistics.mean(taus[t][c][0] for t in train) for c in SR_TERMINALS
                  if all(c in taus[t] and not math.isnan(taus[t][c][0]) for t in train)}
    chosen = max(mean_train, key=mean_train.get)
    lines.append(f"Single proxy with the best mean tau on the training tasks: `{chosen}` "
                 f"({mean_train[chosen]:.3f}).")
    lines.append("")
    lines.append("| task | architectures | SR formula (mean ± sd over seeds) | best single proxy "
                 f"on the task (oracle) | `{chosen}` (chosen on training) | EZNAS-A (`eznas_a`) |")
    lines.append("|---|---|---|---|---|---|")
    for kind, tasks in (("test", test), ("held-out", train)):
        for t in tasks:
            sr = [r["tau"].get((t, kind), (math.nan, 0, 0))[0] for r in runs]
            n = next((r["tau"][(t, kind)][1] for r in runs if (t, kind) in r["tau"]), 0)
            if n == 0:  # every architecture of the file was an evolution one
                continue
            oracle = max((c for c in SR_TERMINALS if c in taus[t] and not math.isnan(taus[t][c][0])),
                         key=lambda c: taus[t][c][0])
            ez = taus[t].get("eznas_a", (math.nan, 0))[0]
            label = t if kind == "test" else f"{t} (held-out archs; proxies: all)"
            lines.append(f"| {label} | {n} | {fmt(sr)} | `{oracle}` {taus[t][oracle][0]:.3f} | "
                         f"{taus[t][chosen][0]:.3f} | {ez:.3f} |")
    lines.append("")
    lines.append("Best formula of each seed:")
    lines.append("")
    for i, r in enumerate(runs):
        lines.append(f"- seed {i + 1}: fitness {r['fitness']:.4f}: `{r['program']}`")
    lines.append("")
    return lines


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--zcevo", required=True)
    ap.add_argument("--proxies", required=True)
    ap.add_argument("--runs", required=True)
    ap.add_argument("--doc", required=True)
    a = ap.parse_args()
    files = sorted(f for f in os.listdir(a.proxies) if f.endswith(".h5"))
    taus = {}
    for f in files:
        path = os.path.join(a.proxies, f)
        taus[f[:-3]] = single_proxy_taus(a.zcevo, path, columns_of(path))
    lines = [BEGIN, "",
             "Generated by `scripts/run_sr_nas.sh` (scripts/sr_nas_report.py) from "
             f"`{a.proxies}` ({len(files)} proxies files) and `{a.runs}`.", ""]
    lines.append("Single proxies on every file (tau, valid architectures):")
    lines.append("")
    lines.append("| task | " + " | ".join(SR_TERMINALS + ["eznas_a"]) + " |")
    lines.append("|---|" + "---|" * (len(SR_TERMINALS) + 1))
    for t in sorted(taus):
        cells = [f"{taus[t][c][0]:.3f}" if c in taus[t] else "-" for c in SR_TERMINALS + ["eznas_a"]]
        lines.append(f"| {t} | " + " | ".join(cells) + " |")
    lines.append("")
    for split in sorted(os.listdir(a.runs)):
        d = os.path.join(a.runs, split)
        seeds = sorted(s for s in os.listdir(d) if s.startswith("seed_")) if os.path.isdir(d) else []
        runs = [read_run(os.path.join(d, s)) for s in seeds
                if os.path.exists(os.path.join(d, s, "result.txt"))]
        if runs:
            lines += split_tables(split, runs, a.proxies, taus)
    lines.append(END)
    text = "\n".join(lines) + "\n"
    if a.doc == "-":
        sys.stdout.write(text)
        return 0
    doc = open(a.doc).read()
    if BEGIN not in doc or END not in doc:
        sys.exit(f"sr_nas_report.py: error: '{a.doc}' lacks the markers {BEGIN} / {END}")
    new = doc[:doc.index(BEGIN)] + text + doc[doc.index(END) + len(END) + 1:]
    tmp = a.doc + ".tmp"
    with open(tmp, "w") as f:
        f.write(new)
    os.replace(tmp, a.doc)
    print(f"sr_nas_report.py: wrote the tables into {a.doc}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
