#!/bin/bash
# submit_pipeline.sh: submits the whole zcevo pipeline to SLURM with
# dependencies and prints the job ids:
#   1. statistics array (slurm/stats_array.sbatch): K chunks of the architecture list
#   2. merge (slurm/merge_stats.sbatch), afterok:1 -> WORK/stats.h5
#   3. evolve (slurm/evolve.sbatch or evolve_multinode.sbatch), afterok:2,
#      --stats WORK/stats.h5 plus your zcevo evolve options; requeues itself at
#      its time limit until the run is finished
#   4. report (slurm/report.sbatch), afterok:3 -> WORK/report
# A job whose dependency fails is cancelled (--kill-on-invalid-dep=yes).
# Everything (architecture list, parts, stats.h5, run folder, logs) lives in
# WORK; submitting the same command again reuses what is complete there.
#
# Usage: slurm/submit_pipeline.sh [options] [-- zcevo evolve options]
#   --work-dir DIR        pipeline folder (default ./zcevo_pipeline)
#   --space S --dataset D --batch B --seed S   statistics configuration
#                         (defaults nb201, cifar10, 1, 1)
#   --archs N|all         a seeded sample of N architectures (default 1000)
#   --arch-file F         or exactly these architectures (one per line)
#   --chunks K            statistics array tasks (default 8)
#   --stats-args "..."    more zcevo stats options (e.g. "--terminals all")
#   --run-dir DIR         evolve run folder (default WORK/run)
#   --multinode           evolve with slurm/evolve_multinode.sbatch
#   --sbatch-args "..."   options for every sbatch (e.g. "--partition=x --account=y")
#   --stats-sbatch-args, --merge-sbatch-args, --evolve-sbatch-args,
#   --report-sbatch-args "..."   options for one job only (e.g. --evolve-sbatch-args
#                         "--gpus-per-node=8 --ntasks-per-node=9 --time=2-00:00:00")
#   --no-report           do not submit the report job
#   --dry-run             print the sbatch commands instead of submitting
# Environment: ZCEVO_BIN (default <repo>/build/zcevo), ZCEVO_DATA (data
#   folder), ZCEVO_PYTHON (python3 with h5py for the merge), ZCEVO_MAX_REQUEUES;
#   exported to the jobs (sbatch --export=ALL).
# Output: one line per job ("stats array job 123" ...) and a last line
#   "jobs: stats=123 merge=124 evolve=125 report=126". Exit 1 when a
#   submission fails (jobs submitted before it are cancelled), 2 on usage.

set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export ZCEVO_ROOT=${ZCEVO_ROOT:-$(dirname "$here")}
export ZCEVO_BIN=${ZCEVO_BIN:-$ZCEVO_ROOT/build/zcevo}
if [ -n "${ZCEVO_DATA:-}" ]; then ZCEVO_DATA=$(cd "$ZCEVO_DATA" && pwd) || exit 2; export ZCEVO_DATA; fi

work=zcevo_pipeline space=nb201 dataset=cifar10 batch=1 seed=1 archs=1000 arch_file=""
chunks=8 stats_args="" run_dir="" multinode=0 report=1 dry_run=0
sbatch_all="" sbatch_stats="" sbatch_merge="" sbatch_evolve="" sbatch_report=""
usage() { sed -n '2,/^$/s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" >&2; exit 2; }
need() { [ $# -ge 2 ] || { echo "submit_pipeline: $1 needs a value" >&2; exit 2; }; }
while [ $# -gt 0 ]; do
    case $1 in
    --work-dir) need "$@"; work=$2; shift 2 ;;
    --space) need "$@"; space=$2; shift 2 ;;
    --dataset) need "$@"; dataset=$2; shift 2 ;;
    --batch) need "$@"; batch=$2; shift 2 ;;
    --seed) need "$@"; seed=$2; shift 2 ;;
    --archs) need "$@"; archs=$2; shift 2 ;;
    --arch-file) need "$@"; arch_file=$2; shift 2 ;;
    --chunks) need "$@"; chunks=$2; shift 2 ;;
    --stats-args) need "$@"; stats_args=$2; shift 2 ;;
    --run-dir) need "$@"; run_dir=$2; shift 2 ;;
    --multinode) multinode=1; shift ;;
    --sbatch-args) need "$@"; sbatch_all=$2; shift 2 ;;
    --stats-sbatch-args) need "$@"; sbatch_stats=$2; shift 2 ;;
    --merge-sbatch-args) need "$@"; sbatch_merge=$2; shift 2 ;;
    --evolve-sbatch-args) need "$@"; sbatch_evolve=$2; shift 2 ;;
    --report-sbatch-args) need "$@"; sbatch_report=$2; shift 2 ;;
    --no-report) report=0; shift ;;
    --dry-run) dry_run=1; shift ;;
    -h|--help) usage ;;
    --) shift; break ;;
    *) echo "submit_pipeline: unknown option '$1' (zcevo evolve options go after --)" >&2; exit 2 ;;
    esac
done
case $chunks in ''|*[!0-9]*|0) echo "submit_pipeline: --chunks must be a positive integer" >&2; exit 2 ;; esac
if [ ! -x "$ZCEVO_BIN" ]; then echo "submit_pipeline: no zcevo binary at '$ZCEVO_BIN' (build it or set ZCEVO_BIN)" >&2; exit 2; fi
mkdir -p "$work/logs" "$work/parts" || exit 1
work=$(cd "$work" && pwd)
run_dir=${run_dir:-$work/run}
case $run_dir in /*) ;; *) run_dir=$PWD/$run_dir ;; esac

# 0. the architecture list
if [ -n "$arch_file" ]; then
    [ -r "$arch_file" ] || { echo "submit_pipeline: cannot read --arch-file '$arch_file'" >&2; exit 2; }
    grep '[^[:space:]]' "$arch_file" >"$work/archs.txt.tmp" && mv "$work/archs.txt.tmp" "$work/archs.txt"
else
    total=$("$ZCEVO_BIN" spaces | awk -v s="$space" '$1 == s { print $2 }')
    [ -n "$total" ] || { echo "submit_pipeline: unknown space '$space' (zcevo spaces)" >&2; exit 2; }
    [ "$archs" = all ] && archs=$total
    case $archs in ''|*[!0-9]*|0) echo "submit_pipeline: --archs must be a positive integer or all" >&2; exit 2 ;; esac
    [ "$archs" -gt "$total" ] && { echo "submit_pipeline: --archs $archs > $total architectures of $space" >&2; exit 2; }
    # a seeded sample, sorted (the same command gives the same list)
    awk -v n="$archs" -v total="$total" -v seed="$seed" 'BEGIN {
        srand(seed); for (i = 0; i < total; i++) idx[i] = i
        for (i = 0; i < n; i++) { j = i + int(rand() * (total - i)); t = idx[i]; idx[i] = idx[j]; idx[j] = t }
        for (i = 0; i < n; i++) print idx[i] }' | sort -n >"$work/archs.txt.tmp" && mv "$work/archs.txt.tmp" "$work/archs.txt"
fi
n_archs=$(grep -c . "$work/archs.txt")
[ "$chunks" -gt "$n_archs" ] && chunks=$n_archs

submitted=""
# submit WHAT SBATCH-ARGS...: submits, prints "<what> job <id>", sets job_id
submit() {
    local what=$1; shift
    if [ "$dry_run" = 1 ]; then
        echo "sbatch $*"; job_id="<$what>"; return 0
    fi
    local out
    if ! out=$(sbatch --parsable "$@" 2>&1); then
        echo "submit_pipeline: submitting the $what job failed: $out" >&2
        [ -n "$submitted" ] && scancel $submitted && echo "submit_pipeline: cancelled jobs $submitted" >&2
        exit 1
    fi
    job_id=${out%%;*}
    submitted="$submitted $job_id"
    echo "$what job $job_id"
}
common=(--chdir="$work" --kill-on-invalid-dep=yes)

# shellcheck disable=SC2086  # the *_args strings are split into options on purpose
submit "stats array" "${common[@]}" --array="0-$((chunks - 1))" $sbatch_all $sbatch_stats \
    "$ZCEVO_ROOT/slurm/stats_array.sbatch" "$work/archs.txt" "$work/parts" "$chunks" \
    --space "$space" --dataset "$dataset" --batch "$batch" --seed "$seed" $stats_args
stats_id=$job_id
# shellcheck disable=SC2086
submit merge "${common[@]}" --dependency="afterok:$stats_id" $sbatch_all $sbatch_merge \
    "$ZCEVO_ROOT/slurm/merge_stats.sbatch" "$work/parts" "$chunks" "$work/stats.h5" "$n_archs"
merge_id=$job_id
evolve_script=$ZCEVO_ROOT/slurm/evolve.sbatch
[ "$multinode" = 1 ] && evolve_script=$ZCEVO_ROOT/slurm/evolve_multinode.sbatch
# shellcheck disable=SC2086
submit evolve "${common[@]}" --dependency="afterok:$merge_id" $sbatch_all $sbatch_evolve \
    "$evolve_script" --stats "$work/stats.h5" --run-dir "$run_dir" "$@"
evolve_id=$job_id
report_id=none
if [ "$report" = 1 ]; then
    # shellcheck disable=SC2086
    submit report "${common[@]}" --dependency="afterok:$evolve_id" $sbatch_all $sbatch_report \
        "$ZCEVO_ROOT/slurm/report.sbatch" "$run_dir" --out "$work/report"
    report_id=$job_id
fi
echo "jobs: stats=$stats_id merge=$merge_id evolve=$evolve_id report=$report_id"
echo "folder: $work (logs in $work/logs, run folder $run_dir); watch with: squeue -u \$USER"
