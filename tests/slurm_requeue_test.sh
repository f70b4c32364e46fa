#!/bin/bash
# slurm_requeue_test.sh: time-limit checkpoint and requeue on a real (private,
# single-node) SLURM cluster. An evolve job (slurm/evolve_multinode.sbatch on
# one node; 2 MPI ranks when zcevo is an MPI program) gets a 1-minute limit
# and --signal=B:USR1@59. slurmctld checks limits every 30 s from its start,
# so the job is submitted about 9 s before such a check: SLURM sends USR1 to
# the batch shell about 8 s into the job, the trap forwards it to the job
# step, zcevo writes a checkpoint and exits 3, the script requeues the job
# (scontrol requeue), and the requeued job (same id, SLURM_RESTART_COUNT=1)
# resumes the run folder. Once it is requeued, the test raises the job's limit
# to 10 minutes so that the second segment runs to the end. The result must
# equal, exactly, an uninterrupted run of the same seed computed beside it
# (hall_of_fame.txt and log.csv without its timing columns). The job's
# search pauses 250 ms after each generation (ZCEVO_TEST_GENERATION_PAUSE_MS,
# which changes no result), so that its 100 generations last 25 s or more
# and the USR1 at about 8 s finds it running however fast the machine is (a
# CI machine once finished the unpaused search in under 8 s).
# Skips (exit 77) where SLURM cannot be installed or started.
#
# Usage: slurm_requeue_test.sh ZCEVO_BIN DATA_DIR
set -u
ZCEVO_BIN_ARG=$1
DATA_DIR=$2
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
# shellcheck source=tests/slurm_lib.sh
source "$here/slurm_lib.sh"
SLURM_LIB_T0=$(date +%s)
GENERATIONS=${ZCEVO_REQUEUE_TEST_GENERATIONS:-100}
PAUSE_MS=250

[ -d "$DATA_DIR" ] || { echo "SKIP: no data folder $DATA_DIR"; exit 77; }
slurm_lib_ensure_installed
cluster=$(mktemp -d "${TMPDIR:-/tmp}/zcevo_slurm_requeue.XXXXXX")
ref_pid=""
cleanup() {
    [ -n "$ref_pid" ] && kill -0 "$ref_pid" 2>/dev/null && { kill -TERM "$ref_pid"; wait "$ref_pid" 2>/dev/null; }
    slurm_cluster_stop
}
trap cleanup EXIT
trap 'exit 1' INT TERM
slurm_cluster_start "$cluster" 2 1 || { echo "SKIP: the private SLURM cluster could not be started (see above)"; exit 77; }
slurm_lib_log "cluster up: $(sinfo -h -N -o '%N %T cpus=%c gres=%G')"

ZCEVO_BIN=$(cd "$(dirname "$ZCEVO_BIN_ARG")" && pwd)/$(basename "$ZCEVO_BIN_ARG")
ZCEVO_DATA=$(cd "$DATA_DIR" && pwd)
export ZCEVO_BIN ZCEVO_DATA
export ZCEVO_ROOT=$root
export ZCEVO_MAX_REQUEUES=5
job_dir=$cluster/job
mkdir -p "$job_dir/logs"
log_file=""
fail() {
    echo "FAIL: $*" >&2
    [ -n "$log_file" ] && [ -f "$log_file" ] && { echo "== $log_file" >&2; tail -n 40 "$log_file" >&2; }
    exit 1
}

# master + one worker (one GPU) when zcevo evolve is an MPI program, else 1 rank
if nm -D --undefined-only "$ZCEVO_BIN" 2>/dev/null | grep -Eqw "MPI_Init|MPI_Init_thread"; then ranks=2; else
    ranks=1; echo "NOTE: zcevo evolve is not an MPI program yet (no MPI_Init): the job runs 1 rank"; fi

# statistics once, for both runs (so that the job's first seconds are evolution)
"$ZCEVO_BIN" stats --space nb201 --dataset cifar10 --batch 1 --seed 1 --archs 10 --threads 2 --quiet \
    --out "$cluster/stats.h5" || fail "zcevo stats failed"
args=(--stats "$cluster/stats.h5" --archs-per-task 10 --generations "$GENERATIONS" --final-archs 0
      --population 10 --lambda 10 --mu 5 --seed 1 --quiet)
# the uninterrupted reference, beside the job (one core each)
"$ZCEVO_BIN" evolve "${args[@]}" --threads 1 --run-dir "$cluster/reference" >"$cluster/reference.out" 2>&1 &
ref_pid=$!

# submit about 9 s before slurmctld's next time-limit check (at start + 30 s k)
scontrol setdebug debug2   # logs "Testing job time limits" at each check (diagnostics)
now=$(date +%s)
next_check=$(( SLURM_LIB_CTLD_START + 30 * ( (now - SLURM_LIB_CTLD_START) / 30 + 1 ) ))
[ $((next_check - now)) -lt 14 ] && next_check=$((next_check + 30))
sleep $((next_check - 9 - now))
id=$(ZCEVO_TEST_GENERATION_PAUSE_MS=$PAUSE_MS sbatch --parsable --chdir="$job_dir" --partition=debug --mem=0 --nodes=1 --gpus-per-node=1 \
        --ntasks-per-node="$ranks" --cpus-per-task=1 --overcommit --time=1 --signal=B:USR1@59 \
        "$root/slurm/evolve_multinode.sbatch" "${args[@]}" --run-dir "$job_dir/run") ||
    fail "sbatch failed: $id"
log_file=$job_dir/logs/zcevo-evolve-mn_$id.out
slurm_lib_log "submitted evolve job $id (1-minute limit, USR1 59 s before it, next limit check in about 9 s, $GENERATIONS generations, $PAUSE_MS ms pause after each)"

# follow the job: report each requeue; 300 s at most
deadline=$(( $(date +%s) + 300 )) last_restarts=0
while :; do
    state=$(slurm_job_state "$id")
    restarts=$(slurm_job_field "$id" Restarts)
    if [ -n "$restarts" ] && [ "$restarts" != "$last_restarts" ]; then
        slurm_lib_log "job $id requeued (Restarts=$restarts), state $state"; last_restarts=$restarts
        # let the resumed segment run to the end
        scontrol update JobId="$id" TimeLimit=10 || fail "scontrol update TimeLimit failed"
    fi
    case $state in COMPLETED|FAILED|CANCELLED|TIMEOUT|NODE_FAIL|OUT_OF_MEMORY|BOOT_FAIL|DEADLINE|PREEMPTED) break ;; esac
    [ "$(date +%s)" -lt "$deadline" ] || fail "job $id not finished after 300 s (state $state)"
    sleep 1
done
code=$(slurm_job_field "$id" ExitCode)
slurm_lib_log "job $id ended $state, exit code $code, Restarts=$restarts"
[ "$state" = COMPLETED ] && [ "$code" = 0:0 ] || fail "job $id ended $state with exit code $code"
if [ "${restarts:-0}" != 1 ]; then
    grep "Testing job time limits" "$cluster/log/slurmctld.log" >&2
    fail "job $id was requeued ${restarts:-0} times, expected once (the search ended before the USR1? see the time-limit checks above)"
fi

for _ in $(seq 1 120); do kill -0 "$ref_pid" 2>/dev/null || break; sleep 1; done
kill -0 "$ref_pid" 2>/dev/null && fail "the reference run did not finish in time"
wait "$ref_pid"; ref_rc=$?; ref_pid=""
[ "$ref_rc" = 0 ] || { cat "$cluster/reference.out" >&2; fail "the reference run failed ($ref_rc)"; }

# the job's log shows the whole protocol, once per requeue
grep -q "got SIGUSR1: forwarding it to the job step" "$log_file" || fail "no USR1 forwarded in $log_file"
grep -q "stopped by a signal" "$log_file" || fail "zcevo did not report a signal checkpoint"
grep -q "requeueing (requeue 1 of at most 5)" "$log_file" || fail "no requeue in $log_file"
grep -q "start (restart 1 of at most 5 requeues)" "$log_file" || fail "the requeued job did not start (restart 1)"
grep -q "finished: $job_dir/run/result.txt" "$log_file" || fail "no 'finished' line"
segments=$(grep -c "evolve job $id: start (restart" "$log_file")
cut=$(grep -oE "stopped by a signal (in|after) generation [0-9]*" "$log_file" | head -1)
[ -n "$cut" ] || fail "zcevo did not stop in the search (no 'stopped by a signal in/after generation N')"
echo "job $id: $segments segments; zcevo $cut"

# exactly the uninterrupted result
[ -f "$job_dir/run/result.txt" ] || fail "no result.txt"
cmp -s "$cluster/reference/hall_of_fame.txt" "$job_dir/run/hall_of_fame.txt" ||
    { diff "$cluster/reference/hall_of_fame.txt" "$job_dir/run/hall_of_fame.txt" | head >&2; fail "hall_of_fame.txt differs from the uninterrupted run"; }
# log.csv without the timing columns (evals_per_s, seconds, busy)
strip_timing() { cut -d, -f1-7 "$1"; }
[ "$(strip_timing "$cluster/reference/log.csv" | head -1)" = "generation,best,mean,best_ever,valid_fraction,evaluated,cache_hits" ] ||
    fail "unexpected log.csv header: $(head -1 "$cluster/reference/log.csv")"
diff <(strip_timing "$cluster/reference/log.csv") <(strip_timing "$job_dir/run/log.csv") >"$cluster/log.diff" ||
    { head "$cluster/log.diff" >&2; fail "log.csv differs from the uninterrupted run"; }
[ "$(grep -c . "$job_dir/run/log.csv")" = $((GENERATIONS + 1)) ] || fail "log.csv lacks generations"
echo "requeued result == uninterrupted result: $(grep -m1 'best program' "$job_dir/run/result.txt")"
slurm_lib_log "PASS"
