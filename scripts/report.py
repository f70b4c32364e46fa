#!/usr/bin/env python3
"""report.py: figures and a Markdown page from zcevo run folders (called by
`zcevo report RUN_DIR... [--out DIR] [--scatter P1,P2,...] [--published CSV]`).

A run folder may hold:
  *.csv with columns arch_index,arch_str,accuracy,<proxy>...  (zcevo proxies;
        the task's batch, image source and accuracy column are read from
        the HDF5 file of the same name, <name>.h5, when it is there)
  log.csv with columns generation,best,mean,...                (zcevo evolve)
  trials.csv, trial_<t>.csv, timing.csv (zcevo search; the folder given or
        its subfolders)
Other CSV files in a folder are listed on the page and otherwise ignored; a
file given instead of a folder must be a proxies CSV or an evolve log.

Writes into --out (default: RUN_DIR[0]/report) through a temporary folder
inside it: every file is complete before it is renamed into place, and on
any error nothing in --out changes:
  scatter_<task>_<proxy>.png   proxy score vs accuracy, coloured by accuracy rank
  tau_by_task.png              Kendall tau of every proxy per task, grouped bars
  tau_heatmap.png              the same as a proxy x task grid (2 tasks or more)
  gp_progress_<run>.png        best and mean fitness per generation
  search_<space>_<dataset>.png accuracy found against architectures scored
  search_summary.csv           accuracy found per task, proxy and algorithm
  correlations.csv             task,space,dataset,batch,proxy,kendall_tau,
                               spearman_rho,n,invalid
  report.md                    the page embedding them, with the tables
--published CSV (columns task,proxy,kendall_tau,spearman_rho[,source]; empty
cells allowed) adds the published figures beside ours where task and proxy
match.

Errors are one line on stderr, "zcevo: error: report: ...", naming the file
or value; exit 1 for bad input or a write error, 2 for wrong flags. Inputs
are validated before anything is drawn: an input that is not UTF-8 text, an
empty file, a row whose field count differs from the header, a value that is
not a number (nan and inf are numbers), no architectures or generations, no
input at all, a --scatter proxy in no proxies CSV, an output that would
replace an input.
"""
import argparse
import csv
import glob
import math
import os
import shutil
import sys
import tempfile

ID_COLUMNS = {"arch_index", "arch_str", "accuracy", "source"}
PROXIES_KEYS = {"arch_index", "accuracy"}
LOG_KEYS = {"generation", "best", "mean"}
PUBLISHED_KEYS = ("task", "proxy", "kendall_tau", "spearman_rho")
DEFAULT_SCATTER = "synflow,nwot,jacov,snip,eznas_a"


class ReportError(Exception):
    """A one-line error for the user; code 1 (input, output) or 2 (flags)."""

    def __init__(self, message, code=1):
        super().__init__(message)
        self.code = code


def load_plotting():
    """matplotlib (Agg), numpy and scipy, or a ReportError naming the package."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        import numpy as np
        from scipy.stats import kendalltau, spearmanr
    except ImportError as e:
        raise ReportError(f"{sys.executable} cannot import {e.name or e} (install "
                          "python3-matplotlib, python3-numpy and python3-scipy: "
                          "scripts/install_deps.sh)")
    globals().update(plt=plt, np=np, kendalltau=kendalltau, spearmanr=spearmanr)


# ---- reading and validating the inputs ---------------------------------------

def to_float(v):
    """a cell as a float; NaN for an empty or missing cell."""
    if v is None or v.strip() == "":
        return float("nan")
    return float(v)


def read_csv(path, what):
    """(header, [(line, row dict)]) of a CSV file; ReportError naming the file
    (and line) when it cannot be read, is not UTF-8 text, is empty, or has a
    row whose field count differs from the header's."""
    try:
        with open(path, newline="", encoding="utf-8") as f:
            reader = csv.DictReader(f, strict=True)
            header = reader.fieldnames
            if not header:
                raise ReportError(f"{what} '{path}' is empty")
            if "" in header or len(set(header)) != len(header):
                raise ReportError(f"{what} '{path}': header has empty or repeated "
                                  f"column names: {','.join(header)}")
            rows = []
            for row in reader:
                if None in row or None in row.values():
                    raise ReportError(f"{what} '{path}' line {reader.line_num}: "
                                      f"{len(header)} fields expected (header)")
                rows.append((reader.line_num, row))
            return header, rows
    except UnicodeDecodeError:
        raise ReportError(f"{what} '{path}' is not a text CSV file (not UTF-8)")
    except csv.Error as e:
        raise ReportError(f"{what} '{path}': malformed CSV ({e})")
    except OSError as e:
        raise ReportError(f"cannot read {what} '{path}': {e.strerror}")


def check_numbers(path, what, rows, columns, integer=()):
    """every cell of `columns` parses as a number (empty allowed only outside
    `integer`, whose cells must be integers); ReportError naming the line."""
    for line, row in rows:
        for c in columns:
            v = row[c]
            try:
                if c in integer:
                    int(v)
                else:
                    to_float(v)
            except ValueError:
                kind = "an integer" if c in integer else "a number"
                raise ReportError(f"{what} '{path}' line {line}: column {c} is not "
                                  f"{kind}: '{v[:40]}'")


def classify(header):
    """'log', 'proxies' or None for a CSV header."""
    if LOG_KEYS <= set(header):
        return "log"
    if PROXIES_KEYS <= set(header):
        return "proxies"
    return None


def load_input(path, kind):
    """the validated rows of a proxies CSV or an evolve log."""
    what = "proxies CSV" if kind == "proxies" else "evolve log"
    header, rows = read_csv(path, what)
    if not rows:
        raise ReportError(f"{what} '{path}' has no "
                          f"{'architectures' if kind == 'proxies' else 'generations'}")
    if kind == "proxies":
        check_numbers(path, what, rows, [c for c in header if c not in ("arch_str", "source")],
                      integer=("arch_index",))
    else:
        check_numbers(path, what, rows, ["generation", "best", "mean"], integer=("generation",))
    return [r for _, r in rows]


def file_kind(path, from_folder):
    """the kind of one CSV file from its header; a file named on the command
    line must be a proxies CSV or an evolve log, one found in a folder may be
    anything (None: ignored)."""
    header, _ = read_csv(path, "input")
    kind = "log" if os.path.basename(path) == "log.csv" else classify(header)
    if kind is None and not from_folder:
        raise ReportError(f"'{path}' is neither a proxies CSV (arch_index,...,accuracy,...) "
                          f"nor an evolve log (generation,best,mean,...): columns "
                          f"{','.join(header)[:80]}")
    return kind


def search_runs(p):
    """the zcevo search run folders (holding trials.csv) among folder p and
    its subfolders."""
    if not os.path.isdir(p):
        return []
    return [d for d in [p] + sorted(glob.glob(os.path.join(p, "*")))
            if os.path.isfile(os.path.join(d, "trials.csv"))]


def find_inputs(paths):
    """(proxies CSVs, evolve logs, search run folders, ignored CSVs) of the
    run folders and files."""
    proxies, logs, searches, ignored = [], [], [], []
    for p in paths:
        if not os.path.exists(p):
            raise ReportError(f"run folder or file '{p}' does not exist")
        from_folder = os.path.isdir(p)
        runs = search_runs(p)
        searches += [d for d in runs if d not in searches]
        files = sorted(glob.glob(os.path.join(p, "*.csv"))) if from_folder else [p]
        for f in files:
            if os.path.dirname(f) in runs:   # a search run's own files
                continue
            kind = file_kind(f, from_folder)
            {"proxies": proxies, "log": logs, None: ignored}[kind].append(f)
    if not proxies and not logs and not searches:
        raise ReportError(f"no proxies CSV (arch_index,...,accuracy,...), evolve log "
                          f"(log.csv) or search run (trials.csv) in "
                          f"{', '.join(repr(p) for p in paths)}")
    return proxies, logs, searches, ignored


def read_published(path):
    """[(task, proxy, tau, rho, source)], in file order (a task and proxy may
    have several sources)."""
    what = "published figures"
    header, rows = read_csv(path, what)
    missing = [c for c in PUBLISHED_KEYS if c not in header]
    if missing:
        raise ReportError(f"{what} '{path}' lacks column(s) {','.join(missing)} (expected "
                          f"task,proxy,kendall_tau,spearman_rho,source)")
    if not rows:
        raise ReportError(f"{what} '{path}' has no rows")
    check_numbers(path, what, rows, ["kendall_tau", "spearman_rho"])
    return [(r["task"], r["proxy"], to_float(r["kendall_tau"]), to_float(r["spearman_rho"]),
             r.get("source", "")) for _, r in rows]


def task_meta(csv_path):
    """space, dataset, batch, image_source, accuracy column of a proxies CSV,
    from its HDF5 twin (empty strings when there is none or it is unreadable)."""
    meta = {"space": "", "dataset": "", "batch": "", "init": "", "image_source": "",
            "column": ""}
    h5 = os.path.splitext(csv_path)[0] + ".h5"
    try:
        import h5py
    except ImportError:  # the task metadata is optional
        return meta
    if not os.path.exists(h5):
        return meta
    try:
        with h5py.File(h5, "r") as f:
            for k in ("space", "dataset", "batch", "init", "image_source"):
                v = f.attrs.get(k, "")
                meta[k] = v.decode() if isinstance(v, bytes) else str(v)
            if "accuracy" in f:
                v = f["accuracy"].attrs.get("column", "")
                meta["column"] = v.decode() if isinstance(v, bytes) else str(v)
    except (OSError, KeyError, UnicodeDecodeError):
        pass
    return meta


def task_name(path):
    return os.path.splitext(os.path.basename(path))[0]


# ---- figures -----------------------------------------------------------------

def fmt(v, n=0, digits=3):
    """a correlation for a table: '—' when missing, 'constant' when NaN over
    3 or more finite values (every architecture scored the same)."""
    if math.isfinite(v):
        return f"{v:.{digits}f}"
    return "constant" if n >= 3 else "—"


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


def save_figure(fig, out, name):
    """fig as out.tmp/name (renamed into place by Output.commit); returns name."""
    out.check_name(name)
    fig.savefig(os.path.join(out.tmp, name), dpi=110)
    plt.close(fig)
    return name


def scatter(rows, proxy, task, out):
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
    return save_figure(fig, out, f"scatter_{task}_{proxy}.png")


def tau_bars(table, proxies, tasks, out):
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
    return save_figure(fig, out, "tau_by_task.png")


def tau_heatmap(table, proxies, tasks, out):
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
    return save_figure(fig, out, "tau_heatmap.png")


def gp_progress(log_path, rows, out, index):
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
    return save_figure(fig, out, f"gp_progress_{index}_{run}.png")


# ---- tables ------------------------------------------------------------------

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


# ---- the output folder -------------------------------------------------------

class Output:
    """The report's files, written into a temporary folder inside --out and
    renamed into --out by commit(); discard() removes every trace (also the
    --out folder itself when this run created it and it is still empty)."""

    def __init__(self, out_dir, inputs):
        self.dir = out_dir
        self.inputs = {os.path.realpath(p) for p in inputs}
        self.names = []
        self.created = False
        if os.path.exists(out_dir) and not os.path.isdir(out_dir):
            raise ReportError(f"--out '{out_dir}' exists and is not a folder")
        try:
            if not os.path.isdir(out_dir):
                os.makedirs(out_dir)
                self.created = True
            self.tmp = tempfile.mkdtemp(prefix=".report.", dir=out_dir)
        except OSError as e:
            self.discard()
            raise ReportError(f"cannot write into --out '{out_dir}': {e.strerror}")

    def check_name(self, name):
        """refuse an output that would replace an input of this run."""
        final = os.path.realpath(os.path.join(self.dir, name))
        if final in self.inputs:
            raise ReportError(f"the report would replace its input '{final}': choose "
                              "another --out")
        self.names.append(name)

    def write_text(self, name, text):
        self.check_name(name)
        with open(os.path.join(self.tmp, name), "w", encoding="utf-8") as f:
            f.write(text)

    def commit(self):
        """fsync every file, rename them into --out, fsync --out."""
        for name in self.names:
            fd = os.open(os.path.join(self.tmp, name), os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        for name in self.names:
            os.replace(os.path.join(self.tmp, name), os.path.join(self.dir, name))
        os.rmdir(self.tmp)
        fd = os.open(self.dir, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def discard(self):
        if getattr(self, "tmp", None):
            shutil.rmtree(self.tmp, ignore_errors=True)
        if self.created:
            try:
                os.rmdir(self.dir)
            except OSError:
                pass


# ---- the report --------------------------------------------------------------

def task_section(path, rows, meta, table, all_proxies, corr_lines):
    """Markdown section of one proxies CSV; fills table, all_proxies and the
    correlations.csv lines; returns (markdown lines, proxy columns)."""
    t = task_name(path)
    cols = [c for c in rows[0].keys() if c not in ID_COLUMNS]
    about = f"{len(rows)} architectures from `{path}`"
    if meta["space"]:
        about += (f"; space {meta['space']}, dataset {meta['dataset']}, batch "
                  f"{meta['batch']}, init {meta['init']}, accuracy column "
                  f"{meta['column']}; images: {meta['image_source']}")
    md = [f"## {t}", "", about + ".", "",
          "| proxy | Kendall tau | Spearman rho | n | invalid |", "|---|---:|---:|---:|---:|"]
    for p in cols:
        if p not in all_proxies:
            all_proxies.append(p)
        tau, rho, n, bad = correlations(rows, p)
        table[(t, p)] = (tau, rho, n, bad)
        md.append(f"| {p} | {fmt(tau, n, 4)} | {fmt(rho, n, 4)} | {n} | {bad} |")
        corr_lines.append(f"{t},{meta['space']},{meta['dataset']},{meta['batch']},{p},"
                          f"{tau:.6f},{rho:.6f},{n},{bad}")
    return md + [""], cols


def scatter_list(arg, proxies_data):
    """the proxies to draw: the --scatter names, each of which must be a
    column of some proxies CSV (usage error otherwise); the default list is
    drawn where present."""
    if arg is None:
        return DEFAULT_SCATTER.split(",")
    names = arg.split(",")
    if any(not n.strip() for n in names):
        raise ReportError(f"--scatter '{arg}': empty proxy name", code=2)
    known = {c for _, rows in proxies_data for c in rows[0].keys() if c not in ID_COLUMNS}
    for n in names:
        if n not in known:
            raise ReportError(f"--scatter: proxy '{n}' is in no proxies CSV (columns: "
                              f"{', '.join(sorted(known)) or 'none'})", code=2)
    return names


def proxies_part(proxies_data, scatter_names, published, out):
    """the proxies sections, summary and figures: (head lines, section lines,
    figures)."""
    table, tasks, all_proxies, metas, figures, md = {}, [], [], {}, [], []
    corr_lines = ["task,space,dataset,batch,proxy,kendall_tau,spearman_rho,n,invalid"]
    for path, rows in proxies_data:
        t = task_name(path)
        tasks.append(t)
        metas[t] = task_meta(path)
        section, cols = task_section(path, rows, metas[t], table, all_proxies, corr_lines)
        md += section
        for p in scatter_names:
            if p in cols:
                name = scatter(rows, p, t, out)
                if name:
                    md += [f"![{p} vs accuracy on {t}]({name})", ""]
                    figures.append(name)
    if not tasks:
        return ["No proxies CSV found in the run folders.", ""], md, figures
    name = tau_bars(table, all_proxies, tasks, out)
    head = ["## Kendall tau per proxy and task", "", f"![tau by task]({name})", ""]
    figures.append(name)
    if len(tasks) > 1:
        name = tau_heatmap(table, all_proxies, tasks, out)
        head += [f"![tau heatmap]({name})", ""]
        figures.append(name)
    head += summary_table(table, all_proxies, tasks, metas)
    if published:
        head += published_table(table, published, tasks)
    out.write_text("correlations.csv", "\n".join(corr_lines) + "\n")
    return head, md, figures


def validate(args):
    """every input read and checked before anything is drawn: a dict of the
    published figures, the proxies CSVs and evolve logs with their rows, the
    ignored files and the proxies to scatter."""
    if args.published and not os.path.isfile(args.published):
        raise ReportError(f"published figures '{args.published}' do not exist")
    published = read_published(args.published) if args.published else []
    proxies_files, logs, searches, ignored = find_inputs(args.runs)
    proxies_data = [(f, load_input(f, "proxies")) for f in proxies_files]
    names = [task_name(f) for f in proxies_files]
    for f in proxies_files:
        if names.count(task_name(f)) > 1:
            raise ReportError(f"two proxies CSVs are named '{os.path.basename(f)}' (the task "
                              f"name): {', '.join(g for g in proxies_files if task_name(g) == task_name(f))}")
    return {"published": published, "proxies": proxies_data, "ignored": ignored,
            "logs": [(f, load_input(f, "log")) for f in logs],
            "search": [load_search(d) for d in searches],
            "scatter": scatter_list(args.scatter, proxies_data),
            "files": proxies_files + logs + ignored +
                     [f for d in searches for f in glob.glob(os.path.join(d, "*.csv"))] +
                     ([args.published] if args.published else [])}


def draw_report(data, out):
    """the figures, correlations.csv and report.md into out; the figure names."""
    head, sections, figures = proxies_part(data["proxies"], data["scatter"],
                                           data["published"], out)
    md = ["# zcevo report", ""] + head + sections + ["## GP progress", ""]
    if not data["logs"]:
        md += ["No evolve log (log.csv) found in the run folders.", ""]
    for i, (log, rows) in enumerate(data["logs"]):
        name = gp_progress(log, rows, out, i)
        md += [f"![GP progress]({name})", ""]
        figures.append(name)
    search_md, search_figures = search_section(data["search"], out)
    md += search_md
    figures += search_figures
    if data["ignored"]:
        md += ["## Other files", "", "Not read (neither a proxies CSV nor an evolve log): " +
               ", ".join(f"`{f}`" for f in data["ignored"]) + ".", ""]
    out.write_text("report.md", "\n".join(md) + "\n")
    return figures


# ---- zcevo search runs ---------------------------------------------------------

def load_search(d):
    """a search run folder: (folder, trials rows, {trial: best-curve rows},
    timing rows, accuracy columns), validated."""
    header, trials = read_csv(os.path.join(d, "trials.csv"), "search trials")
    need = {"trial", "proxy_value", "space", "dataset", "proxy", "algorithm", "budget",
            "distinct"}
    if not need <= set(header):
        raise ReportError(f"search trials '{os.path.join(d, 'trials.csv')}' lacks columns "
                          f"{','.join(sorted(need - set(header)))}")
    if not trials:
        raise ReportError(f"search trials '{os.path.join(d, 'trials.csv')}' has no trials")
    cols = header[header.index("proxy_value") + 1:header.index("space")]
    check_numbers(os.path.join(d, "trials.csv"), "search trials", trials,
                  cols + ["budget", "distinct"])
    curves = {}
    for _, t in trials:
        f = os.path.join(d, f"trial_{t['trial']}.csv")
        if os.path.isfile(f) and cols:
            h, rows = read_csv(f, "search trial")
            if "best_" + cols[0] in h:
                check_numbers(f, "search trial", rows, ["best_" + cols[0]])
                curves[t["trial"]] = [to_float(r["best_" + cols[0]]) for _, r in rows]
    timing = []
    if os.path.isfile(os.path.join(d, "timing.csv")):
        _, timing = read_csv(os.path.join(d, "timing.csv"), "search timing")
    return d, [r for _, r in trials], curves, [r for _, r in timing], cols


def search_rows(runs):
    """per run: its table row, and the best-so-far curves (space, dataset,
    column) -> [(label, trials x steps array)]."""
    rows, curves, columns = [], {}, []
    for d, trials, best, timing, cols in runs:
        columns += [c for c in cols if c not in columns]
        t0 = trials[0]
        mean_of = lambda key: float(np.mean([to_float(t.get(key)) for t in timing])) \
            if timing else float("nan")
        stat = {c: [to_float(t[c]) for t in trials] for c in cols}
        rows.append((t0["space"], t0["dataset"], t0["proxy"], t0["algorithm"], t0["budget"],
                     len(trials), stat, float(np.mean([to_float(t["distinct"]) for t in trials])),
                     mean_of("seconds"), mean_of("cpu_seconds")))
        n = min((len(b) for b in best.values()), default=0)
        if t0["algorithm"] != "zc-pt" and n and cols:
            curves.setdefault((t0["space"], t0["dataset"], cols[0]), []).append(
                (f"{t0['proxy']} {t0['algorithm']}", np.array([b[:n] for b in best.values()])))
    return rows, curves, columns


def search_figure(space, dataset, col, lines, out):
    """accuracy of the best architecture by the proxy against architectures
    scored (mean over the trials, band = one std); returns its name."""
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
    return save_figure(fig, out, f"search_{space}_{dataset}.png")


def search_section(runs, out):
    """zcevo search runs: a table of the accuracy found (mean and sample std
    over the trials) per task, proxy and algorithm, search_summary.csv, and
    per task a figure of the best-so-far accuracy. (Markdown lines, figure
    names)."""
    if not runs:
        return [], []
    md = ["## Architecture search (zcevo search)", "",
          "Test accuracy of the architecture found, mean +- sample std over the trials "
          "(read from the table after each search); time per trial: wall and CPU seconds "
          "of the trials this report's runs computed.", ""]
    rows, curves, columns = search_rows(runs)
    summary = ["space,dataset,proxy,algorithm,budget,trials,column,mean,std,distinct,"
               "seconds,cpu_seconds"]
    for sp in sorted({r[0] for r in rows}):
        cols = [c for c in columns if any(c in r[6] for r in rows if r[0] == sp)]
        md += [f"### {sp}", "", "| dataset | proxy | algorithm | budget | trials | " +
               " | ".join(cols) + " | distinct | s / trial | CPU s / trial |",
               "|---|---|---|---:|---:|" + "---:|" * len(cols) + "---:|---:|---:|"]
        for space, dataset, proxy, alg, budget, n, stat, distinct, secs, cpu in sorted(
                rows, key=lambda r: r[:5]):
            if space != sp:
                continue
            cells = []
            for c in cols:
                v = np.array(stat.get(c, [float("nan")]))
                m, sd = v.mean(), (v.std(ddof=1) if len(v) > 1 else 0.0)
                cells.append(f"{m:.2f} +- {sd:.2f}")
                summary.append(f"{space},{dataset},\"{proxy}\",{alg},{budget},{n},{c},{m:.4f},"
                               f"{sd:.4f},{distinct:.1f},{secs:.1f},{cpu:.1f}")
            md.append(f"| {dataset} | {proxy} | {alg} | {budget} | {n} | " + " | ".join(cells) +
                      f" | {distinct:.0f} | {secs:.0f} | {cpu:.0f} |")
        md.append("")
    out.write_text("search_summary.csv", "\n".join(summary) + "\n")
    figures = []
    for (space, dataset, col), lines in sorted(curves.items()):
        name = search_figure(space, dataset, col, lines, out)
        md += [f"![search on {space} / {dataset}]({name})", ""]
        figures.append(name)
    return md, figures


class Parser(argparse.ArgumentParser):
    """argparse with zcevo's one-line usage errors (exit 2)."""

    def error(self, message):
        raise ReportError(message, code=2)


def parse_args(argv):
    ap = Parser(
        prog="zcevo report",
        description="Figures (PNG) and a Markdown page with correlation tables from zcevo "
                    "run folders: proxies CSVs (zcevo proxies), evolve logs (log.csv) and "
                    "search runs (trials.csv).",
        epilog=f"Exit codes: 0 written, 1 bad input or write error, 2 wrong flags. "
               f"Script: {os.path.abspath(__file__)}")
    ap.add_argument("runs", nargs="+", help="run folders or CSV files")
    ap.add_argument("--out", help="output folder (default RUN_DIR[0]/report)")
    ap.add_argument("--scatter", help="proxies to draw as scatter plots (comma-separated; "
                    "each must be a column of a proxies CSV; default: those of "
                    f"{DEFAULT_SCATTER} present)")
    ap.add_argument("--published", help="CSV of published figures to show beside ours "
                    "(task,proxy,kendall_tau,spearman_rho,source)")
    return ap.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    data = validate(args)
    load_plotting()
    first = args.runs[0] if os.path.isdir(args.runs[0]) else os.path.dirname(args.runs[0])
    out_dir = args.out or os.path.join(first or ".", "report")
    out = Output(out_dir, data["files"])
    try:
        figures = draw_report(data, out)
        out.commit()
    except OSError as e:
        out.discard()
        raise ReportError(f"cannot write the report into '{out_dir}' ({e.strerror or e}); "
                          "nothing in it was changed")
    except BaseException:
        out.discard()
        raise
    print(f"report: wrote {len(figures)} figures and {os.path.join(out_dir, 'report.md')}")
    return 0


def run(argv=None):
    """main with every failure turned into one line and an exit status."""
    try:
        return main(argv)
    except ReportError as e:
        hint = " (see zcevo report --help)" if e.code == 2 else ""
        print(f"zcevo: error: report: {e}{hint}", file=sys.stderr)
        return e.code
    except OSError as e:
        where = f" '{e.filename}'" if e.filename else ""
        print(f"zcevo: error: report:{where} {e.strerror or e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("zcevo: error: report: interrupted (nothing written)", file=sys.stderr)
        return 1
    except Exception as e:  # a defect: still one line, never a traceback
        print(f"zcevo: error: report: internal error: {type(e).__name__}: {e}",
              file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(run())
