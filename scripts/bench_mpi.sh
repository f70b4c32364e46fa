#!/bin/bash
# bench_mpi.sh: throughput of the distributed `zcevo evolve` on this machine
# for one fixed workload (same seed -> the same programs are evaluated in
# every configuration): single process with 1 and 2 threads, then the MPI
# master with 1 and 2 workers of 1 thread each. Prints, per configuration,
# programs/s (evolution phase), worker busy fraction, master CPU time per
# dispatched program and bytes per program (from the master's dispatch
# summary), and the machine load (a shared machine distorts timings).
# usage: scripts/bench_mpi.sh [ZCEVO] [DATA_DIR] [WORK_DIR]
set -eu
ZCEVO=${1:-build/zcevo}
export ZCEVO_DATA=${2:-../shared/data}
WORK=${3:-/tmp/zcevo_bench_mpi}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
mkdir -p "$WORK"
T=wt,wt_grad_data,act_data,preact_noise,inpact_grad_perturb,act_grad_noise
STATS=$WORK/bench_stats.h5
[ -f "$STATS" ] || "$ZCEVO" stats --archs 24 --batch 1 --seed 11 --terminals $T --quiet \
    --out "$STATS"
W="--stats $STATS --archs-per-task 24 --population 40 --lambda 40 --mu 20 --generations 4
   --final-archs 0 --seed 3 --gp terminals=$T"
# run NAME LAUNCHER EXTRA: one configuration (LAUNCHER: "" or "mpirun ... -np N")
run() {
    local name=$1 launcher=$2 extra=$3
    rm -rf "$WORK/$name"
    $launcher "$ZCEVO" evolve $W $extra --run-dir "$WORK/$name" >"$WORK/$name.out" \
        2>"$WORK/$name.err"
    local rate=$(sed -n 's/.*(statistics), \([0-9.]*\) programs\/s.*/\1/p' "$WORK/$name.out")
    local busy=$(awk -F, 'NR>1 {b += $10 * $9; s += $9} END {printf "%.2f", s ? b / s : 0}' \
        "$WORK/$name/log.csv")
    local d=$(grep '^dispatch: .* programs in' "$WORK/$name.err" || true)
    local mus=$(echo "$d" | sed -n 's/.*master \([0-9.]*\) us CPU.*/\1/p')
    local poll=$(echo "$d" | sed -n 's/.*(+ \([0-9.]*\) us idle.*/\1/p')
    local sent=$(echo "$d" | sed -n 's/.*sent \([0-9.]*\) B\/program.*/\1/p')
    local recv=$(echo "$d" | sed -n 's/.*received \([0-9.]*\) B\/program.*/\1/p')
    printf "%-26s %10s %8s %14s %12s %12s %12s\n" "$name" "$rate" "$busy" "${mus:--}" \
        "${poll:--}" "${sent:--}" "${recv:--}"
}
MPI="mpirun -q --allow-run-as-root --oversubscribe"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores"
printf "%-26s %10s %8s %14s %12s %12s %12s\n" configuration programs/s busy "master_us/prog" \
    "poll_us/prog" "sent_B/prog" "recv_B/prog"
run local_1thread "" "--threads 1"
run local_2threads "" "--threads 2"
run mpi_1worker "$MPI -np 2" "--threads 1"
run mpi_2workers "$MPI -np 3" "--threads 1"
run mpi_2workers_batch1 "$MPI -np 3" "--threads 1 --dispatch-batch 1"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
for n in local_2threads mpi_1worker mpi_2workers mpi_2workers_batch1; do
    diff <(cut -d, -f1-7 "$WORK/local_1thread/log.csv") <(cut -d, -f1-7 "$WORK/$n/log.csv") \
        >/dev/null || echo "WARNING: $n evaluated another workload (log.csv differs)"
done
