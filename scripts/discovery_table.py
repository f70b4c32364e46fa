#!/usr/bin/python3
"""discovery_table.py: the held-out table of docs/discovery.md.

For each test task, `zcevo proxies` wrote RAW/<task>.proxies.csv (hand-crafted
proxies, EZNAS-A, named programs) and `zcevo score` wrote one or more
RAW/<task>.score*.csv (the evolved programs), all on the same seeded sample of architectures,
minibatch and parameters. This script joins them by arch_index into
OUT/<task>.csv (the `zcevo proxies` CSV layout, so `zcevo report OUT` draws
its figures), checks that the join is sound (same architectures, same
accuracies, and EZNAS-A scored identically by both commands), and prints a
Markdown table: Kendall tau / Spearman rho per task and proxy, the evolved
programs one row each (named CONFIG_sSEED) and, per configuration, their
tau as mean +- standard deviation over seeds; tasks the programs were
evolved on are marked with *.

usage: scripts/discovery_table.py RAW OUT --programs PROGRAMS.tsv
                                  [--evolution-tasks t1,t2,...] [--markdown F]
  PROGRAMS.tsv  one line per evolved program: column name (CONFIG_sSEED),
                program text (the score CSVs' headers name programs by text)
"""
import argparse
import csv
import math
import os
import statistics
import sys

from scipy.stats import kendalltau, spearmanr


def fail(msg):
    print(f"discovery_table: error: {msg}", file=sys.stderr)
    sys.exit(1)


def read_rows(path):
    try:
        with open(path, newline="") as f:
            rows = list(csv.DictReader(f))
    except OSError as e:
        fail(f"cannot read '{path}': {e.strerror}")
    if not rows or "arch_index" not in rows[0] or "accuracy" not in rows[0]:
        fail(f"'{path}' is not a per-architecture CSV (arch_index, accuracy, ...)")
    return rows


def number(v):
    try:
        x = float(v)
    except (TypeError, ValueError):
        return math.nan
    return x if math.isfinite(x) else math.nan


def join_task(raw, task, programs):
    """The proxies and score rows of one task joined by arch_index: (header,
    rows as dicts). Fails when the two disagree on the architectures, their
    accuracies or EZNAS-A."""
    prox = read_rows(os.path.join(raw, f"{task}.proxies.csv"))
    score = {}
    for name in sorted(os.listdir(raw)):
        if name.startswith(f"{task}.score") and name.endswith(".csv"):
            for r in read_rows(os.path.join(raw, name)):
                score.setdefault(r["arch_index"], {}).update(r)
    if not score:
        fail(f"task {task}: no {task}.score*.csv in '{raw}'")
    by_index = score
    score = list(score.values())
    if sorted(by_index) != sorted(r["arch_index"] for r in prox):
        fail(f"task {task}: proxies and score CSVs hold different architectures")
    header = list(prox[0].keys())
    for name, text in programs:
        if text not in score[0]:
            fail(f"task {task}: program '{text}' ({name}) is not a column of the score CSV")
        header.append(name)
    for r in prox:
        s = by_index[r["arch_index"]]
        if abs(number(r["accuracy"]) - number(s["accuracy"])) > 1e-6:
            fail(f"task {task}: accuracy of architecture {r['arch_index']} differs")
        if "eznas_a" in r and "eznas-a" in s:
            a, b = number(r["eznas_a"]), number(s["eznas-a"])
            if not (math.isnan(a) and math.isnan(b)) and abs(a - b) > 1e-5 * max(1.0, abs(a)):
                fail(f"task {task}: EZNAS-A of architecture {r['arch_index']} is {a} in "
                     f"zcevo proxies and {b} in zcevo score: not the same networks")
        for name, text in programs:
            r[name] = s[text]
    return header, prox


def correlation(rows, column):
    pairs = [(number(r[column]), number(r["accuracy"])) for r in rows]
    pairs = [(x, y) for x, y in pairs if not math.isnan(x) and not math.isnan(y)]
    if len(pairs) < 3 or len({x for x, _ in pairs}) < 2:
        return math.nan, math.nan
    xs, ys = zip(*pairs)
    return kendalltau(xs, ys)[0], spearmanr(xs, ys)[0]


def write_csv(path, header, rows):
    tmp = path + ".partial"
    with open(tmp, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=header, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("raw")
    ap.add_argument("out")
    ap.add_argument("--programs", required=True)
    ap.add_argument("--evolution-tasks", default="")
    ap.add_argument("--markdown")
    a = ap.parse_args()
    try:
        with open(a.programs) as f:
            programs = [tuple(l.rstrip("\n").split("\t")[:2]) for l in f if l.strip()]
    except OSError as e:
        fail(f"cannot read '{a.programs}': {e.strerror}")
    if not programs or any(len(p) != 2 for p in programs):
        fail(f"'{a.programs}' must hold lines: column name <TAB> program text")
    tasks = sorted(f[: -len(".proxies.csv")] for f in os.listdir(a.raw) if f.endswith(".proxies.csv"))
    if not tasks:
        fail(f"no <task>.proxies.csv in '{a.raw}'")
    evolved_on = set(t for t in a.evolution_tasks.split(",") if t)
    os.makedirs(a.out, exist_ok=True)
    table = {}
    columns = None
    for t in tasks:
        header, rows = join_task(a.raw, t, programs)
        write_csv(os.path.join(a.out, f"{t}.csv"), header, rows)
        cols = [c for c in header if c not in ("arch_index", "arch_str", "accuracy")]
        columns = cols if columns is None else [c for c in columns if c in cols]
        table[t] = {c: correlation(rows, c) for c in cols}
        table[t]["n"] = len(rows)
    configs = {}
    for name, _ in programs:
        if "_s" in name:
            configs.setdefault(name.rsplit("_s", 1)[0], []).append(name)
    lines = ["| proxy | " + " | ".join(t + ("*" if t in evolved_on else "") for t in tasks) + " |",
             "|---|" + "---:|" * len(tasks)]
    for c in columns:
        cells = []
        for t in tasks:
            tau, rho = table[t][c]
            cells.append("n/a" if math.isnan(tau) else f"{tau:.3f} / {rho:.3f}")
        lines.append(f"| {c} | " + " | ".join(cells) + " |")
    for config, seeds in configs.items():
        cells = []
        for t in tasks:
            taus = [table[t][s][0] for s in seeds if not math.isnan(table[t][s][0])]
            sd = statistics.stdev(taus) if len(taus) > 1 else 0.0
            cells.append(f"{statistics.mean(taus):.3f} +- {sd:.3f}" if taus else "n/a")
        lines.append(f"| **{config}**: tau mean +- sd over {len(seeds)} seeds | " + " | ".join(cells) + " |")
    lines.append("| architectures | " + " | ".join(str(table[t]["n"]) for t in tasks) + " |")
    text = "\n".join(lines) + "\n"
    if a.markdown:
        tmp = a.markdown + ".partial"
        with open(tmp, "w") as f:
            f.write(text)
        os.replace(tmp, a.markdown)
    print(text, end="")


if __name__ == "__main__":
    main()
