#!/usr/bin/env bash
# compare_builds.sh: check that two builds of zcevo (say, before and after a
# refactoring) give identical results: the main job `zcevo evolve` with no
# arguments and the same search on 3 MPI ranks (hall_of_fame.txt, final.csv
# and log.csv without its timing columns byte-identical), `zcevo stats`
# files (h5diff), `zcevo proxies` CSVs and `zcevo score` CSVs (byte-identical).
#
# usage: scripts/compare_builds.sh OLD_ZCEVO NEW_ZCEVO [WORK_DIR]
#   OLD_ZCEVO, NEW_ZCEVO  the two executables (e.g. ../before/build/zcevo build/zcevo)
#   WORK_DIR              where the runs go (default: a temporary folder, removed)
# Data: $ZCEVO_DATA, else ../shared/data. Exits 0 when every output is equal,
# 1 naming the first difference. Takes about 4 minutes on 2 cores.
set -euo pipefail
[ $# -ge 2 ] || { sed -n '2,11p' "$0"; exit 2; }
old=$(realpath "$1"); new=$(realpath "$2")
repo=$(cd "$(dirname "$0")/.." && pwd)
export ZCEVO_DATA=${ZCEVO_DATA:-$(realpath "$repo/../shared/data")}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
work=${3:-$(mktemp -d)}
[ $# -ge 3 ] || trap 'rm -rf "$work"' EXIT
mkdir -p "$work"

run_all() { # run_all ZCEVO DIR
    local z=$1 d=$2
    rm -rf "$d" && mkdir -p "$d/single" "$d/mpi"
    (cd "$d/single" && "$z" evolve --quiet >/dev/null)                       # the main job, no arguments
    (cd "$d/mpi" && mpirun -q -np 3 "$z" evolve --quiet --worker-timeout 1800 >/dev/null)  # the same on 3 ranks (a loaded machine may stall a worker)
    (cd "$d" &&
        "$z" stats --archs 6 --batch 2 --seed 3 --out nb201.h5 --quiet &&
        "$z" stats --space nds_darts_in --archs 2 --image-size 32 --out darts.h5 --quiet &&
        "$z" score --stats nb201.h5 --program eznas-a --program 'mean(abs(act_grad_noise))' \
            --csv score.csv >/dev/null &&
        "$z" proxies --archs 6 --batch 8 --out-csv proxies.csv --quiet >/dev/null &&
        "$z" proxies --space nasbench_macro --archs 3 --batch 4 --init torch \
            --out-csv proxies_macro.csv --quiet >/dev/null)
}

same() { # same LABEL FILE_A FILE_B
    if ! cmp -s "$2" "$3"; then
        echo "compare_builds: DIFFERENT $1: $2 vs $3"
        diff "$2" "$3" | head -5
        exit 1
    fi
    echo "compare_builds: identical $1"
}

strip_timing() { cut -d, -f1-7 "$1"; } # log.csv without evals_per_s, seconds, busy

echo "compare_builds: running $old"
run_all "$old" "$work/old"
echo "compare_builds: running $new"
run_all "$new" "$work/new"
for mode in single mpi; do
    same "$mode evolve hall_of_fame.txt" "$work/old/$mode/runs/evolve/hall_of_fame.txt" \
        "$work/new/$mode/runs/evolve/hall_of_fame.txt"
    same "$mode evolve final.csv" "$work/old/$mode/runs/evolve/final.csv" \
        "$work/new/$mode/runs/evolve/final.csv"
    strip_timing "$work/old/$mode/runs/evolve/log.csv" > "$work/old/$mode.log"
    strip_timing "$work/new/$mode/runs/evolve/log.csv" > "$work/new/$mode.log"
    same "$mode evolve log.csv (without timing columns)" "$work/old/$mode.log" "$work/new/$mode.log"
done
same "single vs 3-rank hall_of_fame.txt" "$work/new/single/runs/evolve/hall_of_fame.txt" \
    "$work/new/mpi/runs/evolve/hall_of_fame.txt"
for f in nb201.h5 darts.h5; do
    if h5diff -q "$work/old/$f" "$work/new/$f"; then echo "compare_builds: identical stats $f (h5diff)"
    else echo "compare_builds: DIFFERENT stats $f (h5diff)"; exit 1; fi
done
same "score CSV" "$work/old/score.csv" "$work/new/score.csv"
same "proxies CSV (nb201)" "$work/old/proxies.csv" "$work/new/proxies.csv"
same "proxies CSV (nasbench_macro, torch init)" "$work/old/proxies_macro.csv" "$work/new/proxies_macro.csv"
echo "compare_builds: all outputs identical"
