#!/usr/bin/python3
"""discovery_summary.py: the searches of docs/discovery.md in one table.

Reads `zcevo evolve` run folders named CONFIG_sSEED (result.txt,
hall_of_fame.txt, final.csv) below a folder and prints, per configuration,
every seed's best program (rank 1 of the hall of fame), its fitness, its
Kendall tau on every evolution task over ALL of that task's architectures
(final.csv: statistics files are re-scored on all their architectures), the
minimum over tasks, and the search's wall time; then the mean and standard
deviation over seeds and how many seeds beat a reference (--beat TAU, e.g.
EZNAS-A's minimum over the same tasks). `--markdown` prints Markdown tables,
`--csv FILE` writes one row per run.

usage: scripts/discovery_summary.py RUNS_DIR [--configs a,b,...] [--beat 0.531]
                                    [--sign] [--markdown] [--csv FILE]
  --sign   report signed tau (the sign the program has on each task); the
           minimum is then over signed values with the program's majority
           sign flipped to positive (a proxy that ranks in reverse on every
           task is negated; one whose sign differs across tasks is not)
"""
import argparse
import csv
import math
import os
import re
import statistics
import sys


def fail(msg):
    print(f"discovery_summary: error: {msg}", file=sys.stderr)
    sys.exit(1)


def read_run(path):
    """(best program, fitness, {task: tau}, seconds) of one finished run."""
    hof = os.path.join(path, "hall_of_fame.txt")
    fin = os.path.join(path, "final.csv")
    res = os.path.join(path, "result.txt")
    if not (os.path.exists(hof) and os.path.exists(fin) and os.path.exists(res)):
        return None
    best, fitness = None, math.nan
    for line in open(hof):
        if line.startswith("#"):
            continue
        parts = line.rstrip("\n").split("\t")
        if len(parts) == 3:
            fitness, best = float(parts[1]), parts[2]
            break
    if best is None:
        return None
    taus = {}
    with open(fin, newline="") as f:
        for row in csv.DictReader(f):
            if row["program"] == best:
                task = re.sub(r" \(.*\)$", "", row["task"])
                taus[os.path.basename(task)] = float(row["tau"])
    m = re.search(r"total ([0-9.]+) s", open(res).read())
    seconds = float(m.group(1)) if m else math.nan
    return best, fitness, taus, seconds


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("runs")
    ap.add_argument("--configs", default="")
    ap.add_argument("--beat", type=float, default=None)
    ap.add_argument("--sign", action="store_true")
    ap.add_argument("--markdown", action="store_true")
    ap.add_argument("--csv", default=None)
    args = ap.parse_args()
    if not os.path.isdir(args.runs):
        fail(f"'{args.runs}' is not a folder")
    runs = {}
    for name in sorted(os.listdir(args.runs)):
        m = re.fullmatch(r"(.+)_s(\d+)", name)
        if not m or not os.path.isdir(os.path.join(args.runs, name)):
            continue
        r = read_run(os.path.join(args.runs, name))
        if r:
            runs.setdefault(m.group(1), []).append((int(m.group(2)), r))
    wanted = [c for c in args.configs.split(",") if c] or sorted(runs)
    rows = []
    for config in wanted:
        if config not in runs:
            fail(f"no finished run of configuration '{config}' in '{args.runs}'")
        mins, times = [], []
        if args.markdown:
            tasks = " / ".join(os.path.basename(t).split(" ")[0] for t in runs[config][0][1][2])
            print(f"\n#### {config}\n\n| seed | fitness | tau: {tasks} | min | time | best program |\n"
                  "|---:|---:|---|---:|---:|---|")
        for seed, (prog, fitness, taus, seconds) in sorted(runs[config]):
            vals = list(taus.values())
            if args.sign:
                flip = -1 if sum(1 for v in vals if v < 0) > len(vals) / 2 else 1
                shown = {k: flip * v for k, v in taus.items()}
            else:
                shown = {k: abs(v) for k, v in taus.items()}
            mn = min(shown.values()) if shown else math.nan
            mins.append(mn)
            times.append(seconds)
            rows.append([config, seed, f"{fitness:.4f}", f"{mn:.4f}"] +
                        [f"{taus[k]:.4f}" for k in sorted(taus)] + [f"{seconds:.0f}", prog])
            cells = " / ".join(f"{taus[k]:+.3f}" for k in sorted(taus))
            if args.markdown:
                print(f"| {seed} | {fitness:.4f} | {cells} | {mn:.4f} | {seconds:.0f} s | `{prog}` |")
            else:
                print(f"{config:12s} seed {seed}: fitness {fitness:.4f}  taus {cells}  "
                      f"min {mn:.4f}  {seconds:.0f} s  {prog}")
        sd = statistics.stdev(mins) if len(mins) > 1 else 0.0
        beat = "" if args.beat is None else \
            f", {sum(1 for v in mins if v > args.beat)}/{len(mins)} seeds above {args.beat}"
        line = (f"{config}: min tau over tasks {statistics.mean(mins):.4f} +- {sd:.4f} "
                f"(mean +- std over {len(mins)} seeds{beat}); search {statistics.mean(times):.0f} s "
                f"on average")
        print(("\n" if args.markdown else "") + line)
    if args.csv:
        with open(args.csv + ".tmp", "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["config", "seed", "fitness", "min_tau", "taus...", "seconds", "program"])
            w.writerows(rows)
        os.replace(args.csv + ".tmp", args.csv)


if __name__ == "__main__":
    main()
