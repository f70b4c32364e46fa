#!/usr/bin/env python3
"""report.py: figures and a Markdown page from zcevo run folders (called by
`zcevo report RUN_DIR... [--out DIR] [--scatter P1,P2,...] [--published CSV]`).

A run folder may hold:
  *.csv with columns arch_index,arch_str,accuracy,<proxy>...  (zcevo proxies;
        the task's batch, image source and accuracy column are read from
        the HDF5 file of the same name, <name>.h5, when it is there)
  log.csv with columns generation,best,mean,...                (zcevo evolve)
  trials.csv, trial_<t>.csv, timing.csv (zcevo search; also in its subfolders)
A file given instead of a folder is read the same way.

Writes into --out (default: RUN_DIR[0]/report), each file to a temporary
name renamed when complete:
  scatter_<task>_<proxy>.png   proxy score vs accuracy, coloured by accuracy rank
  tau_by_task.png              Kendall tau of every proxy per task, grouped bars
  tau_heatmap.png              the same as a proxy x task grid (2 tasks or more)
  gp_progress_<run>.png        best and mean fitness per generation
  search_<space>_<dataset>.png accuracy found against architectures scored
  search_summary.csv           accuracy found per task, proxy and algorithm
  correlations.csv             task,space,dataset,batch,proxy,kendall_tau,
                               spearman_rho,n,invalid
  report.md                    the page embedding them, with the tables
--published CSV (columns task,proxy,kendall_tau,spearman_rho,source; empty
cells allowed) adds the published figures beside ours where task and proxy
match. Missing pieces (no evolve log, no proxies CSV) are noted on the page.
"""
import argparse
import csv
import glob
import math
import os
import sys

import matplotlib

try:
    import h5py
except ImportError:  # the task metadata is optional
    h5py = None

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from scipy.stats import kendalltau, spearmanr  # noqa: E402

ID_COLUMNS = {"arch_index", "arch_str", "accuracy"}


def save_atomic(fig, path):
    """fig to path through a temporary file in the same folder."""
    tmp = path + ".partial.png"
    fig.savefig(tmp, dpi=110)
    os.replace(tmp, path)


def write_atomic(path, text):
    tmp = path + ".partial"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def task_meta(csv_path):
    """space, dataset, batch, image_source, accuracy column of a proxies CSV,
    from its HDF5 twin (empty strings when there is none)."""
    meta = {"space": "", "dataset": "", "batch": "", "init": "", "image_source": "",
            "column": ""}
    h5 = os.path.splitext(csv_path)[0] + ".h5"
    if h5py is None or not os.path.exists(h5):
        return meta
    try:
        with h5py.File(h5, "r") as f:
            for k in ("space", "dataset", "batch", "init", "image_source"):
                v = f.attrs.get(k, "")
                meta[k] = v.decode() if isinstance(v, bytes) else str(v)
            if "accuracy" in f:
                v = f["accuracy"].attrs.get("column", "")
                meta["column"] = v.decode() if isinstance(v, bytes) else str(v)
    except OSError:
        pass
    return meta


def read_published(path):
    """[(task, proxy, tau, rho, source)], in file order (a task and proxy may
    have several sources)."""
    return [(r["task"], r["proxy"], to_float(r.get("kendall_tau")),
             to_float(r.get("spearman_rho")), r.get("source", "")) for r in read_csv(path)]


def fmt(v, n=0, digits=3):
    """a correlation for a table: '—' when missing, 'constant' when NaN over
    3 or more finite values (every architecture scored the same)."""
    if math.isfinite(v):
        return f"{v:.{digits}f}"
    return "constant" if n >= 3 else "—"


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
    """tau, rho, n finite, n invalid; tau and rho are NaN when fewer than 3
    values are finite or all are equal (a constant proxy ranks nothing)."""
    x = np.array([to_float(r[proxy]) for r in rows])
    y = np.array([to_float(r["accuracy"]) for r in rows])
    ok = np.isfinite(x) & np.isfinite(y)
    if ok.sum() < 3 or np.all(x[ok] == x[ok][0]):
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
    save_atomic(fig, os.path.join(out_dir, name))
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
    save_atomic(fig, os.path.join(out_dir, name))
    plt.close(fig)
    return name


def tau_heatmap(table, proxies, tasks, out_dir):
    grid = np.array([[table.get((t, p), (float("nan"),))[0] for t in tasks] for p in proxies])
    fig, ax = plt.subplots(figsize=(max(6.0, 2.5 + 0.62 * len(tasks)),
                                    1.6 + 0.36 * len(proxies)))
    im = ax.imshow(grid, cmap="RdBu_r", vmin=-1, vmax=1, aspect="auto")
    for i in range(len(proxies)):
        for j in range(len(tasks)):
            if math.isfinite(grid[i, j]):
                ax.text(j, i, f"{grid[i, j]:.2f}", ha="center", va="center", fontsize=7,
                        color="white" if abs(grid[i, j]) > 0.6 else "black")
    ax.set_xticks(range(len(tasks)))
    ax.set_xticklabels(tasks, rotation=50, ha="right", fontsize=8)
    ax.set_yticks(range(len(proxies)))
    ax.set_yticklabels(proxies, fontsize=8)
    ax.set_title("Kendall tau of every proxy with accuracy, per task", fontsize=10)
    cb = fig.colorbar(im, ax=ax)
    cb.set_label("Kendall tau")
    fig.tight_layout()
    name = "tau_heatmap.png"
    save_atomic(fig, os.path.join(out_dir, name))
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
    save_atomic(fig, os.path.join(out_dir, name))
    plt.close(fig)
    return name


def summary_table(table, proxies, tasks, metas):
    """Markdown: one row per proxy, one column per task, 'tau / rho'."""
    md = ["## All tasks: Kendall tau / Spearman rho", "",
          "| proxy | " + " | ".join(tasks) + " |", "|---|" + "---:|" * len(tasks)]
    for p in proxies:
        cells = []
        for t in tasks:
            tau, rho, n = table.get((t, p), (float("nan"), float("nan"), 0))[:3]
            cells.append(f"{fmt(tau, n)} / {fmt(rho, n)}")
        md.append(f"| {p} | " + " | ".join(cells) + " |")
    n = [str(max((table[(t, p)][2] + table[(t, p)][3] for p in proxies if (t, p) in table),
                 default=0)) for t in tasks]
    md.append("| architectures | " + " | ".join(n) + " |")
    for key in ("batch", "init"):
        md.append(f"| {key} | " + " | ".join(metas[t][key] or "?" for t in tasks) + " |")
    return md + [""]


def published_table(table, published, tasks):
    """Markdown: ours beside the published figures, where both exist."""
    md = ["## Ours beside the published figures", "",
          "| task | proxy | tau (ours) | tau (published) | rho (ours) | rho (published) | "
          "published in |", "|---|---|---:|---:|---:|---:|---|"]
    for t, p, ptau, prho, src in published:
        if t not in tasks or (t, p) not in table:
            continue
        tau, rho = table[(t, p)][:2]
        md.append(f"| {t} | {p} | {fmt(tau)} | {fmt(ptau)} | {fmt(rho)} | {fmt(prho)} | {src} |")
    return md + [""]


def search_section(paths, out_dir):
    """zcevo search run folders (those given, and their subfolders) holding
    trials.csv: a table of the accuracy found (mean and sample std over the
    trials) per task, proxy and algorithm, search_summary.csv, and per task
    a figure of the accuracy of the best architecture by the proxy against
    the architectures scored (mean over the trials, band = one std).
    Returns (Markdown lines, figure names)."""
    runs = []
    for p in paths:
        if os.path.isdir(p):
            runs += [d for d in [p] + sorted(glob.glob(os.path.join(p, "*")))
                     if os.path.isfile(os.path.join(d, "trials.csv"))]
    if not runs:
        return [], []
    md = ["## Architecture search (zcevo search)", "",
          "Test accuracy of the architecture found, mean +- sample std over the trials "
          "(read from the table after each search); time per trial: wall and CPU seconds "
          "of the trials this report's runs computed.", ""]
    rows, curves, columns = [], {}, []
    for d in runs:
        trials = read_csv(os.path.join(d, "trials.csv"))
        if not trials:
            continue
        head = list(trials[0].keys())
        cols = head[head.index("proxy_value") + 1:head.index("space")]
        columns += [c for c in cols if c not in columns]
        timing = read_csv(os.path.join(d, "timing.csv")) if os.path.isfile(
            os.path.join(d, "timing.csv")) else []
        t0 = trials[0]
        stat = {c: [to_float(t[c]) for t in trials] for c in cols}
        rows.append((t0["space"], t0["dataset"], t0["proxy"], t0["algorithm"], t0["budget"],
                     len(trials), stat, np.mean([to_float(t["distinct"]) for t in trials]),
                     np.mean([to_float(t["seconds"]) for t in timing]) if timing else float("nan"),
                     np.mean([to_float(t.get("cpu_seconds")) for t in timing]) if timing
                     else float("nan")))
        if t0["algorithm"] != "zc-pt":
            best = []
            for t in trials:
                f = os.path.join(d, f"trial_{t['trial']}.csv")
                if os.path.isfile(f):
                    best.append([to_float(r["best_" + cols[0]]) for r in read_csv(f)])
            n = min((len(b) for b in best), default=0)
            if n:
                key = (t0["space"], t0["dataset"], cols[0])
                curves.setdefault(key, []).append(
                    (f"{t0['proxy']} {t0['algorithm']}", np.array([b[:n] for b in best])))
    summary = ["space,dataset,proxy,algorithm,budget,trials,column,mean,std,distinct,"
               "seconds,cpu_seconds"]
    for sp in sorted({r[0] for r in rows}):
        cols = [c for c in columns if any(c in r[6] for r in rows if r[0] == sp)]
        md += [f"### {sp}", "", "| dataset | proxy | algorithm | budget | trials | " +
               " | ".join(cols) + " | distinct | s / trial | CPU s / trial |",
               "|---|---|---|---:|---:|" + "---:|" * len(cols) + "---:|---:|---:|"]
        for space, dataset, proxy, alg, budget, n, stat, distinct, secs, cpu in sorted(rows):
            if space != sp:
                continue
            cells = []
            for c in cols:
                v = np.array(stat[c])
                m, sd = v.mean(), (v.std(ddof=1) if len(v) > 1 else 0.0)
                cells.append(f"{m:.2f} +- {sd:.2f}")
                summary.append(f"{space},{dataset},\"{proxy}\",{alg},{budget},{n},{c},{m:.4f},"
                               f"{sd:.4f},{distinct:.1f},{secs:.1f},{cpu:.1f}")
            md.append(f"| {dataset} | {proxy} | {alg} | {budget} | {n} | " + " | ".join(cells) +
                      f" | {distinct:.0f} | {secs:.0f} | {cpu:.0f} |")
        md.append("")
    write_atomic(os.path.join(out_dir, "search_summary.csv"), "\n".join(summary) + "\n")
    figures = []
    for (space, dataset, col), lines in sorted(curves.items()):
        fig, ax = plt.subplots(figsize=(6.4, 4.2))
        for label, arr in lines:
            x = np.arange(1, arr.shape[1] + 1)
            m = arr.mean(axis=0)
            sd = arr.std(axis=0, ddof=1) if arr.shape[0] > 1 else np.zeros_like(m)
            ax.plot(x, m, label=f"{label} ({arr.shape[0]} trials)")
            ax.fill_between(x, m - sd, m + sd, alpha=0.2)
        ax.set_xscale("log")
        ax.set_xlabel("architectures scored")
        ax.set_ylabel(f"{col} of the best by the proxy (%)")
        ax.set_title(f"search on {space} / {dataset}")
        ax.legend(fontsize=7)
        fig.tight_layout()
        name = f"search_{space}_{dataset}.png"
        save_atomic(fig, os.path.join(out_dir, name))
        plt.close(fig)
        md += [f"![search on {space} / {dataset}]({name})", ""]
        figures.append(name)
    return md, figures


def main(argv=None):
    ap = argparse.ArgumentParser(
        prog="zcevo report",
        description="Figures (PNG) and a Markdown page with correlation tables from zcevo "
                    "run folders: proxies CSVs (zcevo proxies) and evolve logs (log.csv).")
    ap.add_argument("runs", nargs="+", help="run folders or CSV files")
    ap.add_argument("--out", help="output folder (default RUN_DIR[0]/report)")
    ap.add_argument("--scatter", default="synflow,nwot,jacov,snip,eznas_a",
                    help="proxies to draw as scatter plots (comma-separated)")
    ap.add_argument("--published", help="CSV of published figures to show beside ours "
                    "(task,proxy,kendall_tau,spearman_rho,source)")
    args = ap.parse_args(argv)
    for r in args.runs:
        if not os.path.exists(r):
            print(f"zcevo: error: run folder '{r}' does not exist", file=sys.stderr)
            return 1
    if args.published and not os.path.isfile(args.published):
        print(f"zcevo: error: published figures '{args.published}' do not exist",
              file=sys.stderr)
        return 1
    try:
        published = read_published(args.published) if args.published else []
    except (KeyError, csv.Error) as e:
        print(f"zcevo: error: '{args.published}' is not a CSV with columns task,proxy,"
              f"kendall_tau,spearman_rho,source ({e})", file=sys.stderr)
        return 1
    first = args.runs[0] if os.path.isdir(args.runs[0]) else os.path.dirname(args.runs[0])
    out_dir = args.out or os.path.join(first or ".", "report")
    os.makedirs(out_dir, exist_ok=True)
    proxies_files, logs = find_inputs(args.runs)
    md = ["# zcevo report", ""]
    table, tasks, all_proxies, metas = {}, [], [], {}
    figures = []
    corr_lines = ["task,space,dataset,batch,proxy,kendall_tau,spearman_rho,n,invalid"]
    for f in proxies_files:
        rows = read_csv(f)
        t = task_name(f)
        tasks.append(t)
        meta = metas[t] = task_meta(f)
        cols = [c for c in rows[0].keys() if c not in ID_COLUMNS] if rows else []
        about = f"{len(rows)} architectures from `{f}`"
        if meta["space"]:
            about += (f"; space {meta['space']}, dataset {meta['dataset']}, batch "
                      f"{meta['batch']}, init {meta['init']}, accuracy column "
                      f"{meta['column']}; images: "
                      f"{meta['image_source']}")
        md += [f"## {t}", "", about + ".", "",
               "| proxy | Kendall tau | Spearman rho | n | invalid |", "|---|---:|---:|---:|---:|"]
        for p in cols:
            if p not in all_proxies:
                all_proxies.append(p)
            tau, rho, n, bad = correlations(rows, p)
            table[(t, p)] = (tau, rho, n, bad)
            md.append(f"| {p} | {fmt(tau, n, 4)} | {fmt(rho, n, 4)} | {n} | {bad} |")
            corr_lines.append(f"{t},{meta['space']},{meta['dataset']},{meta['batch']},{p},"
                              f"{tau:.6f},{rho:.6f},{n},{bad}")
        md.append("")
        for p in args.scatter.split(","):
            if p in cols:
                name = scatter(rows, p, t, out_dir)
                if name:
                    md += [f"![{p} vs accuracy on {t}]({name})", ""]
                    figures.append(name)
    if tasks:
        name = tau_bars(table, all_proxies, tasks, out_dir)
        head = ["## Kendall tau per proxy and task", "", f"![tau by task]({name})", ""]
        figures.append(name)
        if len(tasks) > 1:
            name = tau_heatmap(table, all_proxies, tasks, out_dir)
            head += [f"![tau heatmap]({name})", ""]
            figures.append(name)
        head += summary_table(table, all_proxies, tasks, metas)
        if published:
            head += published_table(table, published, tasks)
        md = md[:2] + head + md[2:]
        write_atomic(os.path.join(out_dir, "correlations.csv"), "\n".join(corr_lines) + "\n")
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
    search_md, search_figures = search_section(args.runs, out_dir)
    md += search_md
    figures += search_figures
    write_atomic(os.path.join(out_dir, "report.md"), "\n".join(md) + "\n")
    print(f"report: wrote {len(figures)} figures and {os.path.join(out_dir, 'report.md')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
