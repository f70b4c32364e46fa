#!/bin/bash
# mpi_evolve_test.sh: distributed `zcevo evolve` tests (tests/mpi.cmake).
# usage: mpi_evolve_test.sh ZCEVO DATA_DIR WORK_DIR MODE
# MODE: fixture | ranks | split | resume | signal | lost | refuse
set -u
ZCEVO=$1
export ZCEVO_DATA=$2
WORK=$3
MODE=$4
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
STATS=$WORK/fixture_stats.h5
# a tiny search on a statistics file: each run takes a second or two
TINY="--stats $STATS --archs-per-task 12 --population 12 --lambda 12 --mu 6 --generations 3
      --final-archs 0 --threads 1 --quiet --seed 7 --gp terminals=wt,wt_grad_data,act_data,preact_noise"
fail() { echo "FAIL: $*"; exit 1; }
# same_result A B: identical log.csv (timing columns evals_per_s, seconds,
# busy excepted) and hall_of_fame.txt
same_result() {
    [ -f "$1/result.txt" ] || fail "$1 did not finish"
    [ -f "$2/result.txt" ] || fail "$2 did not finish"
    diff <(cut -d, -f1-7 "$1/log.csv") <(cut -d, -f1-7 "$2/log.csv") >/dev/null ||
        fail "log.csv differs between $1 and $2"
    cmp -s "$1/hall_of_fame.txt" "$2/hall_of_fame.txt" ||
        fail "hall_of_fame.txt differs between $1 and $2"
}
mpi() { mpirun -q --allow-run-as-root --oversubscribe "$@"; }

case $MODE in
fixture)
    mkdir -p "$WORK"
    rm -f "$STATS"
    "$ZCEVO" stats --space nb201 --dataset cifar10 --archs 16 --batch 1 --seed 3 \
        --threads 2 --terminals wt,wt_grad_data,act_data,preact_noise --quiet --out "$STATS" || fail "fixture statistics"
    ;;
ranks)
    # the same search with 1 (no mpirun), 1, 2, 3 and 5 ranks: same result
    rm -rf "$WORK"/ranks_*
    "$ZCEVO" evolve $TINY --run-dir "$WORK/ranks_plain" >/dev/null || fail "plain run"
    for np in 1 2 3 5; do
        mpi -np $np "$ZCEVO" evolve $TINY --run-dir "$WORK/ranks_$np" >/dev/null ||
            fail "mpirun -np $np exit $?"
        same_result "$WORK/ranks_plain" "$WORK/ranks_$np"
    done
    # one program per message and a busy master: still the same
    mpi -np 3 "$ZCEVO" evolve $TINY --dispatch-batch 1 --run-dir "$WORK/ranks_b1" >/dev/null ||
        fail "--dispatch-batch 1"
    same_result "$WORK/ranks_plain" "$WORK/ranks_b1"
    grep -q '^3,' "$WORK/ranks_5/log.csv" || fail "log.csv has no generation 3"
    echo "ranks: identical log.csv and hall of fame for plain, -np 1, 2, 3, 5"
    ;;
split)
    # a computed task split over 2 workers by --worker-memory == unsplit
    SPLIT="--task nb201:cifar10:1 --archs-per-task 10 --population 10 --lambda 10 --mu 5
           --generations 2 --final-archs 0 --threads 1 --seed 5"
    rm -rf "$WORK"/split_*
    "$ZCEVO" evolve $SPLIT --quiet --run-dir "$WORK/split_plain" >/dev/null || fail "plain"
    mpi -np 3 "$ZCEVO" evolve $SPLIT --worker-memory 100e6 --run-dir "$WORK/split_mpi" \
        >/dev/null 2>"$WORK/split_mpi.err" || { cat "$WORK/split_mpi.err"; fail "split run"; }
    grep -q "2 share(s)" "$WORK/split_mpi.err" ||
        { cat "$WORK/split_mpi.err"; fail "the task was not split in 2 shares"; }
    same_result "$WORK/split_plain" "$WORK/split_mpi"
    # 4 workers: 2 groups of 2 serving the 2 shares (load balancing in a group)
    mpi -np 5 "$ZCEVO" evolve $SPLIT --worker-memory 100e6 --run-dir "$WORK/split_np5" \
        >/dev/null 2>"$WORK/split_np5.err" || { cat "$WORK/split_np5.err"; fail "split -np 5"; }
    grep -q "4 workers, 2 share(s)" "$WORK/split_np5.err" || fail "-np 5: not 2 shares"
    same_result "$WORK/split_plain" "$WORK/split_np5"
    # a budget smaller than one architecture: refused on rank 0, one message
    mpi -np 3 "$ZCEVO" evolve $SPLIT --worker-memory 1000 --run-dir "$WORK/split_tiny" \
        >/dev/null 2>"$WORK/split_tiny.err"
    rc=$?
    [ $rc -eq 1 ] || fail "tiny --worker-memory: exit $rc, expected 1"
    [ "$(grep -c 'zcevo: error' "$WORK/split_tiny.err")" -eq 1 ] ||
        { cat "$WORK/split_tiny.err"; fail "expected one error line"; }
    grep -q "fits on no worker" "$WORK/split_tiny.err" || fail "no 'fits on no worker'"
    echo "split: task over 2 workers gives the unsplit result; too small a budget refused"
    ;;
resume)
    # kill -9 the whole job at random generations, resume: same result
    LONG="$TINY --generations 8"
    rm -rf "$WORK"/resume_*
    mpi -np 3 "$ZCEVO" evolve $LONG --run-dir "$WORK/resume_ref" >/dev/null || fail "reference"
    RANDOM=$(( $(date +%s) % 1000 ))
    for attempt in 1 2 3; do
        dir=$WORK/resume_$attempt
        kill_at=$(( RANDOM % 6 + 1 ))
        setsid mpirun -q --allow-run-as-root --oversubscribe -np 3 "$ZCEVO" evolve $LONG \
            --run-dir "$dir" >/dev/null 2>&1 &
        pid=$!
        for i in $(seq 1 600); do
            n=$(grep -sc '^[0-9]' "$dir/log.csv")
            n=${n:-0}
            [ "$n" -ge "$kill_at" ] && break
            kill -0 $pid 2>/dev/null || break
            sleep 0.02
        done
        kill -9 -- -$pid 2>/dev/null
        wait $pid 2>/dev/null
        # under load a rank can outlive mpirun for a moment: make sure no
        # process of the killed job still writes the run folder
        for i in $(seq 1 250); do
            pkill -9 -f -- "--run-dir $dir\$" 2>/dev/null || break
            sleep 0.02
        done
        sleep 0.3
        [ -f "$dir/result.txt" ] && echo "  attempt $attempt: the run finished before the kill"
        echo "  attempt $attempt: killed after generation $n (target $kill_at)"
        mpi -np 3 "$ZCEVO" evolve $LONG --run-dir "$dir" >/dev/null 2>"$dir.err" ||
            { cat "$dir.err"; fail "resume $attempt"; }
        same_result "$WORK/resume_ref" "$dir"
    done
    echo "resume: kill -9 then resume gives the uninterrupted result"
    ;;
signal)
    # SIGUSR1 to mpirun (forwarded to every rank) and SIGTERM to every rank
    # (what scancel / srun do): checkpoint, exit 3; the same command then
    # resumes and ends with the uninterrupted result. The signalled runs pause
    # 200 ms after each generation (ZCEVO_TEST_GENERATION_PAUSE_MS) so that a
    # fast machine cannot finish them before the signal lands; the pause
    # changes no result (the reference runs without it)
    LONG="$TINY --generations 8"
    rm -rf "$WORK"/signal_*
    mpi -np 3 "$ZCEVO" evolve $LONG --run-dir "$WORK/signal_ref" >/dev/null || fail "reference"
    for how in usr1 term; do
        dir=$WORK/signal_$how
        ZCEVO_TEST_GENERATION_PAUSE_MS=200 mpirun -q --allow-run-as-root --oversubscribe \
            -np 3 "$ZCEVO" evolve $LONG --run-dir "$dir" >/dev/null 2>"$dir.err" &
        pid=$!
        for i in $(seq 1 500); do
            grep -qs '^2,' "$dir/log.csv" && break
            sleep 0.02
        done
        t0=$(date +%s.%N)
        if [ $how = usr1 ]; then kill -USR1 $pid
        else for c in $(pgrep -P $pid); do kill -TERM $c; done; fi
        wait $pid
        rc=$?
        t1=$(date +%s.%N)
        [ $rc -eq 3 ] || { cat "$dir.err"; fail "$how: exit $rc, expected 3"; }
        ls "$dir"/checkpoint_*.h5 >/dev/null 2>&1 || fail "$how: no checkpoint"
        [ ! -f "$dir/result.txt" ] || fail "$how: the run finished before the signal"
        grep -q "checkpoint written" "$dir.err" || fail "$how: no message"
        echo "  $how: exit 3 after $(echo "$t1 - $t0" | bc) s, at generation" \
            "$(grep -c '^[0-9]' "$dir/log.csv")"
        mpi -np 3 "$ZCEVO" evolve $LONG --run-dir "$dir" >/dev/null 2>&1 || fail "$how resume"
        same_result "$WORK/signal_ref" "$dir"
    done
    echo "signal: SIGUSR1 to mpirun and SIGTERM to every rank -> checkpoint, exit 3, resume"
    ;;
lost)
    # a worker stops answering (SIGSTOP): the master names it, checkpoints,
    # exits 4 within the timeout
    dir=$WORK/lost
    rm -rf "$dir"
    mpirun -q --allow-run-as-root --oversubscribe -np 3 "$ZCEVO" evolve $TINY --generations 40 \
        --worker-timeout 2 --run-dir "$dir" >/dev/null 2>"$dir.err" &
    pid=$!
    for i in $(seq 1 500); do
        grep -qs '^1,' "$dir/log.csv" && break
        sleep 0.02
    done
    ranks=($(pgrep -P $pid))
    victim=""
    for c in "${ranks[@]}"; do
        r=$(tr '\0' '\n' < /proc/$c/environ | sed -n 's/^OMPI_COMM_WORLD_RANK=//p')
        [ "$r" = 2 ] && victim=$c
    done
    [ -n "$victim" ] || fail "rank 2 not found"
    t0=$(date +%s.%N)
    kill -STOP $victim
    for i in $(seq 1 600); do
        grep -qs "worker rank 2" "$dir.err" && break
        sleep 0.05
    done
    t1=$(date +%s.%N)
    kill -CONT $victim 2>/dev/null
    ( sleep 20; kill -9 $pid ) >/dev/null 2>&1 &
    guard=$!
    wait $pid
    rc=$?
    kill $guard 2>/dev/null
    grep -q "worker rank 2" "$dir.err" || { cat "$dir.err"; fail "rank 2 not named"; }
    [ $rc -eq 4 ] || { cat "$dir.err"; fail "exit $rc, expected 4"; }
    ls "$dir"/checkpoint_*.h5 >/dev/null 2>&1 || fail "no checkpoint"
    secs=$(echo "$t1 - $t0" | bc)
    echo "  noticed after $secs s (timeout 2 s)"
    [ "$(echo "$secs < 10" | bc)" = 1 ] || fail "noticed too late"
    # a worker killed outright: mpirun takes the job down (SIGTERM to every
    # rank); the master still writes a checkpoint, and the run resumes
    dir=$WORK/lost9
    rm -rf "$dir"
    mpirun -q --allow-run-as-root --oversubscribe -np 3 "$ZCEVO" evolve $TINY --generations 8 \
        --run-dir "$dir" >/dev/null 2>"$dir.err" &
    pid=$!
    for i in $(seq 1 500); do
        grep -qs '^2,' "$dir/log.csv" && break
        sleep 0.02
    done
    for c in $(pgrep -P $pid); do
        r=$(tr '\0' '\n' < /proc/$c/environ | sed -n 's/^OMPI_COMM_WORLD_RANK=//p')
        [ "$r" = 1 ] && kill -9 $c
    done
    wait $pid
    rc=$?
    [ $rc -ne 0 ] || fail "kill -9 of a worker: mpirun exit 0"
    ls "$dir"/checkpoint_*.h5 >/dev/null 2>&1 || fail "kill -9 of a worker: no checkpoint"
    echo "  kill -9 of rank 1: mpirun exit $rc, $(grep -c '^[0-9]' "$dir/log.csv") generations" \
        "kept; $(head -c 120 "$dir.err")"
    mpi -np 3 "$ZCEVO" evolve $TINY --generations 8 --run-dir "$dir" >/dev/null 2>&1 ||
        fail "resume after kill -9 of a worker"
    [ -f "$dir/result.txt" ] || fail "resume after kill -9 of a worker did not finish"
    echo "lost: exit 4, rank 2 named, checkpoint written; a killed worker: checkpoint, resume"
    ;;
refuse)
    dir=$WORK/refuse
    rm -rf "$dir" "$dir"_*
    mpi -np 3 "$ZCEVO" evolve $TINY --run-dir "$dir" >/dev/null || fail "first run"
    # another configuration in the same folder
    mpi -np 3 "$ZCEVO" evolve $TINY --seed 8 --run-dir "$dir" >/dev/null 2>"$dir.err1"
    rc=$?
    [ $rc -eq 1 ] || fail "other seed: exit $rc"
    [ "$(grep -c 'zcevo: error' "$dir.err1")" -eq 1 ] || { cat "$dir.err1"; fail "one line"; }
    grep -q "another configuration" "$dir.err1" || fail "no 'another configuration'"
    # a checkpoint of another configuration (config.txt removed)
    mkdir -p "$dir"_ck
    cp "$dir"/checkpoint_*.h5 "$dir"_ck/
    mpi -np 3 "$ZCEVO" evolve $TINY --seed 8 --run-dir "$dir"_ck >/dev/null 2>"$dir.err2"
    rc=$?
    [ $rc -eq 1 ] || fail "foreign checkpoint: exit $rc"
    grep -q "another configuration" "$dir.err2" || { cat "$dir.err2"; fail "not refused"; }
    # a corrupt checkpoint and --resume: refused
    mkdir -p "$dir"_bad
    for c in "$dir"/checkpoint_*.h5; do head -c 3000 "$c" > "$dir"_bad/$(basename "$c"); done
    mpi -np 3 "$ZCEVO" evolve $TINY --resume "$dir"_bad >/dev/null 2>"$dir.err3"
    rc=$?
    [ $rc -eq 1 ] || { cat "$dir.err3"; fail "corrupt checkpoint: exit $rc"; }
    grep -q "no readable checkpoint" "$dir.err3" || { cat "$dir.err3"; fail "corrupt"; }
    # a missing statistics file: one message from rank 0, every rank stops
    mpi -np 3 "$ZCEVO" evolve $TINY --stats "$WORK/nope.h5" --run-dir "$dir"_missing \
        >/dev/null 2>"$dir.err4"
    rc=$?
    [ $rc -eq 1 ] || { cat "$dir.err4"; fail "missing file: exit $rc"; }
    [ "$(grep -c 'zcevo: error' "$dir.err4")" -eq 1 ] || { cat "$dir.err4"; fail "one line"; }
    grep -q "nope.h5" "$dir.err4" || fail "the file is not named"
    # a usage error: one message, exit 2
    mpi -np 3 "$ZCEVO" evolve --population x >/dev/null 2>"$dir.err5"
    rc=$?
    [ $rc -eq 2 ] || { cat "$dir.err5"; fail "usage error: exit $rc"; }
    [ "$(grep -c 'zcevo: error' "$dir.err5")" -eq 1 ] || { cat "$dir.err5"; fail "one line"; }
    # a malformed test pause: one line naming the value, exit 1
    ZCEVO_TEST_GENERATION_PAUSE_MS=20x "$ZCEVO" evolve $TINY --run-dir "$dir"_pause \
        >/dev/null 2>"$dir.err6"
    rc=$?
    [ $rc -eq 1 ] || { cat "$dir.err6"; fail "malformed pause: exit $rc"; }
    [ "$(wc -l <"$dir.err6")" -eq 1 ] && grep -q "ZCEVO_TEST_GENERATION_PAUSE_MS='20x'" "$dir.err6" ||
        { cat "$dir.err6"; fail "malformed pause: expected one line naming the value"; }
    echo "refuse: other configuration, foreign and corrupt checkpoints, missing file, usage," \
        "malformed pause"
    ;;
*) fail "unknown mode $MODE" ;;
esac
exit 0
