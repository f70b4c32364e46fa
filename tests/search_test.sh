#!/bin/bash
# search_test.sh: `zcevo search` end to end on small budgets:
#   - a seed fixes every result: the same command twice, and under mpirun
#     with 3 ranks, writes identical trials.csv and trial_<t>.csv;
#   - the architecture found is the best by the proxy of the trial's
#     history, random search scores distinct architectures, and a score
#     cache shared through --cache is read by a later run (fewer values
#     computed than scored);
#   - evolution works on every encoded space (every architecture scored is
#     a row of the table), random search on an NDS space; zc-pt on a tiny
#     supernet is deterministic and returns one of the cells it found;
#   - zcevo report: the search summary's mean and sample std equal those of
#     the trials (Python's statistics), the figure is a PNG;
#   - bad input: usage errors (exit 2, one line) for an NDS space with
#     evolution, a malformed proxy, zc-pt off nb201, --archs; a run folder
#     or cache of another configuration is refused (exit 1, one line) and
#     left as it was.
# usage: search_test.sh ZCEVO DATA_DIR WORK_DIR
set -u
ZCEVO=$1
export ZCEVO_DATA=$2
WORK=$3/command
PY=${ZCEVO_PYTHON:-/usr/bin/python3}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
fail() { echo "FAIL: $*"; exit 1; }
rm -rf "$WORK"
mkdir -p "$WORK"
cd "$WORK" || exit 1

same_results() { # same_results DIR1 DIR2: trials.csv and every trial curve equal
    cmp -s "$1/trials.csv" "$2/trials.csv" || fail "$1/trials.csv differs from $2/trials.csv"
    for f in "$1"/trial_*.csv; do
        cmp -s "$f" "$2/$(basename "$f")" || fail "$f differs in $2"
    done
}

# check_found DIR [CACHE]: per trial, the architecture found is the best value of
# its curve (and the curve's last incumbent); every arch_index of the curve
# is a row of the score cache; random search: distinct == scored
check_found() {
    "$PY" - "$1" "${2:-$1/scores.csv}" <<'EOF' || fail "found architectures of $1"
import csv, math, sys
d = sys.argv[1]
trials = list(csv.DictReader(open(f"{d}/trials.csv")))
cache = {}
with open(sys.argv[2]) as f:
    next(f)
    for r in csv.DictReader(f):
        cache[int(r["arch_index"])] = float(r["value"])
assert trials, "no trial"
for t in trials:
    steps = list(csv.DictReader(open(f"{d}/trial_{t['trial']}.csv")))
    vals = [float(s["value"]) for s in steps]
    assert all(int(s["arch_index"]) in cache for s in steps), "an architecture not in the cache"
    assert all(cache[int(s["arch_index"])] == float(s["value"]) or math.isnan(float(s["value"]))
               for s in steps), "a value differs from the cache"
    best = max(v for v in vals if not math.isnan(v))
    assert float(t["proxy_value"]) == best, (t["proxy_value"], best)
    assert steps[-1]["best_arch_index"] == t["arch_index"], "last incumbent is not the one found"
    assert int(t["scored"]) == len(steps)
    if t["algorithm"] == "random":
        assert int(t["distinct"]) == len(steps) == len(set(s["arch_index"] for s in steps))
print("found ok")
EOF
}

# ---- determinism, one process and 3 ranks -------------------------------------
E="--proxy nwot --batch 4 --budget 40 --population 10 --sample-size 4 --children 5 --trials 2 --quiet"
"$ZCEVO" search $E --run-dir evo_a --threads 2 >evo_a.out || fail "evolution run"
"$ZCEVO" search $E --run-dir evo_b --threads 1 >/dev/null || fail "evolution run again"
same_results evo_a evo_b
grep -q "top 5 by the proxy" evo_a.out || fail "no top-5 list"
check_found evo_a
if command -v mpirun >/dev/null; then
    mpirun -q -np 3 "$ZCEVO" search $E --run-dir evo_mpi --threads 1 >/dev/null ||
        fail "evolution under mpirun -np 3"
    same_results evo_a evo_mpi
    grep -q "2 worker ranks" evo_mpi/timing.csv || fail "the MPI run did not use its workers"
    echo "ok: 1 process and 3 MPI ranks give identical results"
fi

# ---- a program proxy, random search, a shared score cache ---------------------
R="--proxy eznas-a --batch 2 --budget 12 --trials 2 --quiet --threads 2 --cache shared.csv"
"$ZCEVO" search $R --algorithm random --run-dir rnd >/dev/null || fail "random search"
check_found rnd shared.csv
"$ZCEVO" search $R --algorithm evolution --population 6 --children 3 --run-dir evo_shared \
    >/dev/null || fail "evolution with a shared cache"
check_found evo_shared shared.csv
"$PY" -c "
import csv, sys
rows = list(csv.DictReader(open('evo_shared/timing.csv')))
t = {r['trial']: r for r in csv.DictReader(open('evo_shared/trials.csv'))}
assert sum(int(r['computed']) for r in rows) < sum(int(t[r['trial']]['scored']) for r in rows)
" || fail "the shared cache was not read"

# ---- every encoded space, and an NDS one ---------------------------------------
for space in nats_sss nasbench_macro channel_resnet channel_mobilenet; do
    "$ZCEVO" search --space $space --proxy params --batch 2 --budget 30 --population 8 \
        --children 4 --run-dir sp_$space --threads 2 --quiet >/dev/null || fail "evolution on $space"
    check_found sp_$space
done
"$ZCEVO" search --space nds_darts_in --image-size 32 --proxy params --batch 2 --budget 6 \
    --algorithm random --run-dir sp_nds --threads 2 --quiet >/dev/null || fail "random on NDS"
check_found sp_nds

# ---- zc-pt on a tiny supernet ---------------------------------------------------
Z="--algorithm zc-pt --pt-channels 4 --pt-cells 1 --pt-iterations 2 --pt-validate 2 --batch 8 --quiet"
"$ZCEVO" search $Z --run-dir zc_a --threads 1 >/dev/null || fail "zc-pt"
"$ZCEVO" search $Z --run-dir zc_b --threads 2 >/dev/null || fail "zc-pt again"
same_results zc_a zc_b
cmp -s zc_a/zcpt_trial_0.csv zc_b/zcpt_trial_0.csv || fail "zc-pt decisions differ"
"$PY" -c "
import csv
cells = {r['cell_arch_index'] for r in csv.DictReader(open('zc_a/zcpt_trial_0.csv'))}
t = next(csv.DictReader(open('zc_a/trials.csv')))
assert t['arch_index'] in cells and t['algorithm'] == 'zc-pt', (t, cells)
" || fail "zc-pt returned a cell it did not find"

# ---- zcevo report: the search table and figure ---------------------------------
mkdir -p rep_in && cp -r evo_a zc_a rep_in/
ZCEVO_PYTHON=$PY "$ZCEVO" report rep_in --out rep >/dev/null || fail "zcevo report"
"$PY" - <<'EOF' || fail "the report's search summary"
import csv, statistics
acc = [float(t["cifar10_test"]) for t in csv.DictReader(open("evo_a/trials.csv"))]
rows = [r for r in csv.DictReader(open("rep/search_summary.csv"))
        if r["algorithm"] == "evolution" and r["column"] == "cifar10_test"]
assert len(rows) == 1 and int(rows[0]["trials"]) == 2, rows
assert abs(float(rows[0]["mean"]) - statistics.mean(acc)) < 1e-3, (rows, acc)
assert abs(float(rows[0]["std"]) - statistics.stdev(acc)) < 1e-3, (rows, acc)
png = open("rep/search_nb201_cifar10.png", "rb").read()
assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000
md = open("rep/report.md").read()
assert "search_nb201_cifar10.png" in md and "| cifar10 | nwot | zc-pt |" in md
EOF

# ---- bad input --------------------------------------------------------------------
usage() { # usage WHAT ARGS...: exit 2 with one line
    "$ZCEVO" search "${@:2}" >/dev/null 2>err.txt
    local rc=$?
    [ $rc -eq 2 ] && [ "$(wc -l <err.txt)" -eq 1 ] || { cat err.txt; fail "$1: exit $rc"; }
}
usage "evolution on NDS" --space nds_darts_in --proxy params --run-dir bad1
usage "malformed proxy" --proxy 'frobenius(' --run-dir bad2
usage "no proxy" --algorithm random --run-dir bad3
usage "zc-pt off nb201" --algorithm zc-pt --space nats_sss --run-dir bad4
usage "zc-pt with a weight proxy" --algorithm zc-pt --proxy snip --run-dir bad5
usage "--archs" --proxy nwot --archs 10 --run-dir bad6
[ -e bad1 ] || [ -e bad2 ] || [ -e bad6 ] && fail "a refused command created its folder"
cp evo_a/trials.csv before.csv
"$ZCEVO" search ${E/--budget 40/--budget 41} --run-dir evo_a >/dev/null 2>err.txt
rc=$?
[ $rc -eq 1 ] && [ "$(wc -l <err.txt)" -eq 1 ] && grep -q "another configuration" err.txt ||
    { cat err.txt; fail "another configuration in a run folder: exit $rc"; }
cmp -s before.csv evo_a/trials.csv || fail "the refused run folder was changed"
cp shared.csv shared_before.csv
"$ZCEVO" search --proxy nwot --batch 4 --budget 5 --cache shared.csv --run-dir bad7 \
    >/dev/null 2>err.txt
rc=$?
[ $rc -eq 1 ] && grep -q "belongs to another task or proxy" err.txt ||
    { cat err.txt; fail "a cache of another proxy: exit $rc"; }
cmp -s shared.csv shared_before.csv || fail "the refused cache was changed"
echo "search command: all checks passed"
