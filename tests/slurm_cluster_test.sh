#!/bin/bash
# slurm_cluster_test.sh: the SLURM templates on a real (private, single-node)
# SLURM cluster. Needs root and slurm-wlm + munge (scripts/install_deps.sh;
# where missing: tests/missing_dependency.sh, a skip or, under CI, a
# failure), starts munged, slurmctld and slurmd (CPUs=2, two fake GPUs) from
# a temporary folder, submits the whole pipeline through
# slurm/submit_pipeline.sh at tiny scale (statistics array of 2 chunks + merge,
# evolve with 3 MPI ranks = master + one per GPU when zcevo evolve is an MPI
# program, else 1 rank; report), waits with time limits and checks every
# output: job states and exit codes, logs named %x_%j, the merged statistics
# equal to one `zcevo stats` run of the same architectures, complete chunks
# skipped when the array is submitted again, the 3-rank run equal to a
# single-process run, the report, a proxies job (slurm/proxies.sbatch) equal to
# one process. Every daemon is stopped by PID at the end, also on failure.
#
# Usage: slurm_cluster_test.sh ZCEVO_BIN DATA_DIR [PYTHON]
set -u
ZCEVO_BIN_ARG=$1
DATA_DIR=$2
PYTHON=${3:-/usr/bin/python3}
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
# shellcheck source=tests/slurm_lib.sh
source "$here/slurm_lib.sh"
SLURM_LIB_T0=$(date +%s)

[ -d "$DATA_DIR" ] || slurm_lib_missing "no data folder $DATA_DIR"
[ "$(id -u)" = 0 ] || slurm_lib_missing "the private SLURM cluster needs root (SlurmUser=root)"
slurm_lib_ensure_installed
cluster=$(mktemp -d "${TMPDIR:-/tmp}/zcevo_slurm_cluster.XXXXXX")
trap 'slurm_cluster_stop' EXIT
trap 'exit 1' INT TERM
slurm_cluster_start "$cluster" 2 2 || { echo "FAIL: the private SLURM cluster could not be started (see above)"; exit 1; }
slurm_lib_log "cluster up: $(sinfo -h -N -o '%N %T cpus=%c gres=%G')"

ZCEVO_BIN=$(cd "$(dirname "$ZCEVO_BIN_ARG")" && pwd)/$(basename "$ZCEVO_BIN_ARG")
ZCEVO_DATA=$(cd "$DATA_DIR" && pwd)
export ZCEVO_BIN ZCEVO_DATA
export ZCEVO_PYTHON=$PYTHON
export ZCEVO_ROOT=$root
work=$cluster/pipeline
fail() { echo "FAIL: $*" >&2; for f in "$work"/logs/*; do [ -f "$f" ] && { echo "== $f" >&2; tail -n 30 "$f" >&2; }; done; exit 1; }

# 3 ranks (master + one worker per GPU); the report job is part of the pipeline
ranks=3
"$ZCEVO_BIN" report --help >/dev/null 2>&1 || fail "zcevo report --help fails: the report step cannot run"

# Tiny scale: 10 architectures in 2 chunks, 4 generations of 10 programs.
# The node has 2 CPUs and no memory configured: --mem=0, --overcommit for 3 ranks.
out=$("$root/slurm/submit_pipeline.sh" --work-dir "$work" --space nb201 --dataset cifar10 \
    --batch 1 --seed 1 --archs 10 --chunks 2 \
    --sbatch-args "--partition=debug --mem=0 --time=5" \
    --stats-sbatch-args "--cpus-per-task=1" \
    --evolve-sbatch-args "--gpus-per-node=2 --ntasks=$ranks --cpus-per-task=1 --overcommit" \
    -- --generations 4 --population 10 --lambda 10 --mu 5 --archs-per-task 10 \
    --final-archs 0 --seed 1 --quiet 2>&1) || fail "submit_pipeline.sh failed: $out"
echo "$out"
ids=$(echo "$out" | sed -n 's/^jobs: //p')
stats_id=$(echo "$ids" | tr ' ' '\n' | sed -n 's/^stats=//p')
merge_id=$(echo "$ids" | tr ' ' '\n' | sed -n 's/^merge=//p')
evolve_id=$(echo "$ids" | tr ' ' '\n' | sed -n 's/^evolve=//p')
report_id=$(echo "$ids" | tr ' ' '\n' | sed -n 's/^report=//p')
[ -n "$stats_id" ] && [ -n "$merge_id" ] && [ -n "$evolve_id" ] && [ -n "$report_id" ] &&
    [ "$report_id" != none ] || fail "no job ids (stats, merge, evolve, report) in the driver's output"
all_ids="$stats_id $merge_id $evolve_id $report_id"
slurm_lib_log "submitted: $ids"

slurm_wait_jobs 240 $all_ids || fail "the pipeline did not finish within 240 s"
slurm_lib_log "pipeline finished"

# every job (each array task too) COMPLETED with exit code 0
for id in $all_ids; do
    while read -r line; do
        state=$(echo "$line" | tr ' ' '\n' | sed -n 's/^JobState=//p')
        code=$(echo "$line" | tr ' ' '\n' | sed -n 's/^ExitCode=//p')
        name=$(echo "$line" | tr ' ' '\n' | sed -n 's/^JobName=//p')
        jid=$(echo "$line" | tr ' ' '\n' | sed -n 's/^JobId=//p')
        echo "job $jid ($name): $state exit $code"
        [ "$state" = COMPLETED ] && [ "$code" = 0:0 ] || fail "job $jid ($name) ended $state with exit code $code"
        [ -f "$work/logs/${name}_$jid.out" ] || fail "no log $work/logs/${name}_$jid.out (logs are %x_%j)"
    done < <(scontrol show job -o "$id")
done
n_tasks=$(scontrol show job -o "$stats_id" | grep -c .)
[ "$n_tasks" = 2 ] || fail "the statistics array has $n_tasks tasks, expected 2"

# statistics: 2 parts, merged into 10 architectures, equal to one zcevo stats run
for i in 0 1; do [ -f "$work/parts/part_000$i.h5" ] || fail "missing part $i"; done
"$ZCEVO_BIN" stats --space nb201 --dataset cifar10 --batch 1 --seed 1 --arch-file "$work/archs.txt" \
    --out "$cluster/direct.h5" --threads 2 --quiet || fail "direct zcevo stats failed"
"$PYTHON" - "$work/stats.h5" "$cluster/direct.h5" <<'PY' || fail "merged statistics differ from a direct run"
import sys, h5py, numpy as np
merged, direct = (h5py.File(p, "r") for p in sys.argv[1:3])
def attrs(o):
    return {k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in o.attrs.items()}
ignore = {"zcevo_version"}
assert {k: v for k, v in attrs(merged).items() if k not in ignore} == \
       {k: v for k, v in attrs(direct).items() if k not in ignore}, "root attributes"
names = []
def check(name, obj):
    other = direct[name]
    assert attrs(obj) == attrs(other), f"attributes of {name}"
    if isinstance(obj, h5py.Dataset):
        assert obj.dtype == other.dtype and obj.shape == other.shape, name
        assert obj[...].tobytes() == other[...].tobytes(), f"values of {name}"
    names.append(name)
merged.visititems(check)
count = []
direct.visit(count.append)
assert len(names) == len(count), f"{len(names)} objects merged, {len(count)} direct"
archs = sorted(merged["archs"])
assert len(archs) == 10, archs
print(f"merged statistics == direct run: {len(archs)} archs, {len(names)} objects compared")
PY

# the statistics array again: complete chunks are skipped, parts untouched
before=$(stat -c %Y "$work"/parts/part_*.h5 | tr '\n' ' ')
again=$(sbatch --parsable --chdir="$work" --partition=debug --mem=0 --time=5 --cpus-per-task=1 --array=0-1 \
    "$root/slurm/stats_array.sbatch" "$work/archs.txt" "$work/parts" 2 \
    --space nb201 --dataset cifar10 --batch 1 --seed 1) || fail "resubmitting the statistics array failed"
slurm_wait_jobs 60 "$again" || fail "the resubmitted statistics array did not finish"
skipped=$(cat "$work"/logs/zcevo-stats_*.out | grep -c "is complete (.*): skipped")
[ "$skipped" = 2 ] || fail "resubmitted array: $skipped of 2 chunks skipped"
[ "$(stat -c %Y "$work"/parts/part_*.h5 | tr '\n' ' ')" = "$before" ] || fail "complete parts were rewritten"
echo "statistics array resubmitted: both complete chunks skipped"

# evolve run folder
run=$work/run
for f in result.txt hall_of_fame.txt log.csv config.txt; do [ -s "$run/$f" ] || fail "missing $run/$f"; done
gens=$(($(grep -c . "$run/log.csv") - 1))
[ "$gens" = 4 ] || fail "log.csv has $gens generations, expected 4"
grep -q "start (restart 0 of at most" "$work/logs/zcevo-evolve_$evolve_id.out" || fail "evolve log lacks the start line"
grep -q ": $ranks ranks" "$work/logs/zcevo-evolve_$evolve_id.out" || fail "evolve job did not run $ranks ranks"
grep -q "finished: $run/result.txt" "$work/logs/zcevo-evolve_$evolve_id.out" || fail "evolve log lacks 'finished'"
# the same search in one process (no SLURM, no MPI) gives the same result
"$ZCEVO_BIN" evolve --stats "$work/stats.h5" --run-dir "$cluster/single" --generations 4 --population 10 \
    --lambda 10 --mu 5 --archs-per-task 10 --final-archs 0 --seed 1 --quiet --threads 2 >/dev/null ||
    fail "single-process zcevo evolve failed"
cmp -s "$cluster/single/hall_of_fame.txt" "$run/hall_of_fame.txt" || fail "the $ranks-rank job's hall of fame differs from a single-process run"
diff <(cut -d, -f1-7 "$cluster/single/log.csv") <(cut -d, -f1-7 "$run/log.csv") >/dev/null ||
    fail "the $ranks-rank job's log.csv differs from a single-process run"
echo "evolve ($ranks ranks) == single process: $(grep -m1 'best program' "$run/result.txt")"

# report
md=$(ls "$work"/report/*.md 2>/dev/null | head -1)
[ -n "$md" ] && [ -s "$md" ] || fail "no Markdown report in $work/report"
png=$(ls "$work"/report/gp_progress_*.png 2>/dev/null | wc -l)
[ "$png" -ge 1 ] || fail "the report job drew no GP progress figure in $work/report"
echo "report: $md, $png figures"
# proxies: 3 ranks (rank 0 hands out architectures) == one process
px=$(sbatch --parsable --chdir="$work" --partition=debug --mem=0 --time=5 --ntasks=$ranks \
    --cpus-per-task=1 --overcommit "$root/slurm/proxies.sbatch" --archs 6 --batch 4 --seed 2 \
    --proxies snip,nwot,synflow --out-csv "$work/proxies.csv" --quiet) ||
    fail "submitting slurm/proxies.sbatch failed"
slurm_wait_jobs 120 "$px" || fail "the proxies job did not finish"
"$ZCEVO_BIN" proxies --archs 6 --batch 4 --seed 2 --proxies snip,nwot,synflow \
    --out-csv "$cluster/proxies_single.csv" --quiet --threads 2 >/dev/null || fail "single-process proxies"
cmp -s "$cluster/proxies_single.csv" "$work/proxies.csv" || fail "the $ranks-rank proxies job's CSV differs from one process"
grep -q ": $ranks ranks x 1 threads" "$work/logs/zcevo-proxies_$px.out" || fail "proxies job did not run $ranks ranks"
echo "proxies job ($ranks ranks) == single process: $(($(wc -l <"$work/proxies.csv") - 1)) architectures"

slurm_lib_log "PASS"
