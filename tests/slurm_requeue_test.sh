#!/bin/bash
# slurm_requeue_test.sh: time-limit checkpoint and requeue on a real (private,
# single-node) SLURM cluster. An evolve job (slurm/evolve_multinode.sbatch on
# one node, 2 MPI ranks) runs with --signal=B:USR1@59 and a limit of 5
# minutes. Once its search has started (log.csv holds a generation: the
# statistics are loaded), the test lowers the limit to whole minutes chosen
# so that one of the next two time-limit checks of slurmctld (every 30 s
# from its start) finds 25 to 54 s left: SLURM sends USR1 to the batch shell,
# the trap forwards it to the job step, zcevo writes a checkpoint in the
# search and exits 3, the script requeues the job (scontrol requeue), and
# the requeued job (same id, SLURM_RESTART_COUNT=1) resumes the run folder.
# Once it is requeued, the test raises the job's limit to 10 minutes so that
# the second segment runs to the end. The result must equal, exactly, an
# uninterrupted run of the same seed computed beside it (hall_of_fame.txt and
# log.csv without its timing columns), and zcevo must report a stop in or
# after a generation. The job's search pauses 800 ms after each generation
# (ZCEVO_TEST_GENERATION_PAUSE_MS, which changes no result), so that its 100
# generations last 80 s or more, longer than the 65 s the signal may take
# after the search has started, however fast or loaded the machine is (a
# loaded machine only makes the search longer; the lowered limit waits for
# the search, so slow statistics loading cannot take the signal).
# Needs root and SLURM (tests/missing_dependency.sh otherwise).
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
# every wait below ends by this time (the CTest timeout is 480 s), so that a
# stuck cluster fails the test with its logs and the daemons are stopped
DEADLINE=$(( SLURM_LIB_T0 + 420 ))
GENERATIONS=${ZCEVO_REQUEUE_TEST_GENERATIONS:-100}
PAUSE_MS=800

[ -d "$DATA_DIR" ] || slurm_lib_missing "no data folder $DATA_DIR"
[ "$(id -u)" = 0 ] || slurm_lib_missing "the private SLURM cluster needs root (SlurmUser=root)"
slurm_lib_ensure_installed
cluster=$(mktemp -d "${TMPDIR:-/tmp}/zcevo_slurm_requeue.XXXXXX")
ref_pid=""
cleanup() {
    [ -n "$ref_pid" ] && kill -0 "$ref_pid" 2>/dev/null && { kill -TERM "$ref_pid"; wait "$ref_pid" 2>/dev/null; }
    slurm_cluster_stop
}
trap cleanup EXIT
trap 'exit 1' INT TERM
slurm_cluster_start "$cluster" 2 1 || { echo "FAIL: the private SLURM cluster could not be started (see above)"; exit 1; }
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

ranks=2   # master + one worker (one GPU)

# wait_for_search ID: until the job's search has finished a generation
# (log.csv has a row), until DEADLINE at most.
wait_for_search() {
    local state rows
    while :; do
        rows=$(grep -c . "$job_dir/run/log.csv" 2>/dev/null)   # empty when there is no file
        [ "${rows:-0}" -lt 2 ] || break
        state=$(slurm_job_state "$1")
        case $state in PENDING|RUNNING|CONFIGURING|"") ;; *) fail "job $1 ended ($state) before its search started" ;; esac
        [ "$(date +%s)" -lt "$DEADLINE" ] || fail "job $1: no generation yet at the test's deadline (state $state)"
        sleep 0.5
    done
}

# run_seconds ID: the job's elapsed time (RunTime [D-]HH:MM:SS) in seconds.
run_seconds() {
    local t d=0 h m s
    t=$(slurm_job_field "$1" RunTime)
    case $t in *-*) d=${t%%-*}; t=${t#*-} ;; esac
    IFS=: read -r h m s <<<"$t"
    echo $(( 10#$d * 86400 + 10#$h * 3600 + 10#$m * 60 + 10#$s ))
}

# lower_time_limit ID: a limit of whole minutes such that slurmctld's next
# time-limit check (at its start + 30 s k), or the one after, finds 25 to 54
# s left: USR1 (@59) then reaches the running search within 65 s, with time
# to checkpoint before the limit.
lower_time_limit() {
    local now elapsed next e_check minutes
    now=$(date +%s)
    elapsed=$(run_seconds "$1")
    next=$(( SLURM_LIB_CTLD_START + 30 * ( (now - SLURM_LIB_CTLD_START) / 30 + 1 ) ))
    [ $((next - now)) -lt 3 ] && next=$((next + 30))   # too close to update in time
    e_check=$(( elapsed + next - now ))
    local r=$(( e_check % 60 ))
    # 25 to 54 s left at that check (5 s of margin either side for clocks)
    if [ "$r" -lt 6 ] || [ "$r" -gt 35 ]; then e_check=$((e_check + 30)); fi
    minutes=$(( e_check / 60 + 1 ))
    scontrol update JobId="$1" TimeLimit="$minutes" || fail "scontrol update TimeLimit=$minutes failed"
    slurm_lib_log "search running after ${elapsed}s: time limit lowered to $minutes min (about $(( minutes * 60 - e_check ))s left at the check $(( e_check - elapsed ))s from now)"
}

# statistics once, for both runs (so that the job's first seconds are evolution)
"$ZCEVO_BIN" stats --space nb201 --dataset cifar10 --batch 1 --seed 1 --archs 10 --threads 2 --quiet \
    --out "$cluster/stats.h5" || fail "zcevo stats failed"
args=(--stats "$cluster/stats.h5" --archs-per-task 10 --generations "$GENERATIONS" --final-archs 0
      --population 10 --lambda 10 --mu 5 --seed 1 --quiet)
# the uninterrupted reference, beside the job (one core each)
"$ZCEVO_BIN" evolve "${args[@]}" --threads 1 --run-dir "$cluster/reference" >"$cluster/reference.out" 2>&1 &
ref_pid=$!

scontrol setdebug debug2   # logs "Testing job time limits" at each check (diagnostics)
id=$(ZCEVO_TEST_GENERATION_PAUSE_MS=$PAUSE_MS sbatch --parsable --chdir="$job_dir" --partition=debug --mem=0 --nodes=1 --gpus-per-node=1 \
        --ntasks-per-node="$ranks" --cpus-per-task=1 --overcommit --time=5 --signal=B:USR1@59 \
        "$root/slurm/evolve_multinode.sbatch" "${args[@]}" --run-dir "$job_dir/run") ||
    fail "sbatch failed: $id"
log_file=$job_dir/logs/zcevo-evolve-mn_$id.out
slurm_lib_log "submitted evolve job $id (5-minute limit, USR1 59 s before it, $GENERATIONS generations, $PAUSE_MS ms pause after each)"
wait_for_search "$id"
lower_time_limit "$id"

# follow the job: report each requeue; until DEADLINE at most
last_restarts=0
while :; do
    state=$(slurm_job_state "$id")
    restarts=$(slurm_job_field "$id" Restarts)
    if [ -n "$restarts" ] && [ "$restarts" != "$last_restarts" ]; then
        slurm_lib_log "job $id requeued (Restarts=$restarts), state $state"; last_restarts=$restarts
        # let the resumed segment run to the end
        scontrol update JobId="$id" TimeLimit=10 || fail "scontrol update TimeLimit failed"
    fi
    case $state in COMPLETED|FAILED|CANCELLED|TIMEOUT|NODE_FAIL|OUT_OF_MEMORY|BOOT_FAIL|DEADLINE|PREEMPTED) break ;; esac
    [ "$(date +%s)" -lt "$DEADLINE" ] || fail "job $id not finished at the test's deadline (state $state, Restarts=$restarts)"
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
