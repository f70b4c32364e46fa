#!/bin/bash
# run_sr_nas.sh: the SR-NAS evaluation of docs/sr_nas.md: `zcevo evolve
# --preset sr-nas` over the proxies files of PX_DIR (one file per task,
# written by `zcevo proxies --out-h5`, e.g. scripts/run_tables.sh), evolved
# on some tasks and re-scored on the others, 5 seeds per split, then
# scripts/sr_nas_report.py writes the result tables into docs/sr_nas.md
# (between its "sr_nas results" markers) beside the best single proxy per
# task and EZNAS-A.
#
# usage: scripts/run_sr_nas.sh [PX_DIR (default runs/tables)] [OUT_DIR (default runs/sr_nas)]
# environment: ZCEVO (default build/zcevo), SEEDS (default "1 2 3 4 5"),
#   ARCHS (evolution architectures per training file, default 200; the
#   others are held out), DOC (default docs/sr_nas.md; "-" prints the
#   tables instead), ZCEVO_PYTHON (default /usr/bin/python3).
# Splits (tasks = file names without .h5; a split runs when all its training
# files exist; its test tasks are every other file of PX_DIR):
#   nb201:  trained on nb201_c10 nb201_c100 nb201_in16 (SR-NAS's overlap)
#   others: trained on every file but the NB201 ones
# When PX_DIR holds only NB201 files or none: one split per file (from_TASK:
# trained on that file alone, tested on every other).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
ZCEVO=${ZCEVO:-$root/build/zcevo}
PY=${ZCEVO_PYTHON:-/usr/bin/python3}
px=${1:-runs/tables}
out=${2:-runs/sr_nas}
seeds=${SEEDS:-1 2 3 4 5}
archs=${ARCHS:-200}
doc=${DOC:-$root/docs/sr_nas.md}
# SR-NAS's 13 terminals (NAS-Bench-Suite-Zero's proxies)
terms=grad_norm,snip,grasp,fisher,synflow,plain,l2_norm,jacov,nwot,epe_nas,zen,params,flops
[ -x "$ZCEVO" ] || { echo "run_sr_nas.sh: error: no zcevo binary at '$ZCEVO' (set ZCEVO)" >&2; exit 1; }
[ -d "$px" ] || { echo "run_sr_nas.sh: error: no proxies folder '$px'" >&2; exit 1; }
mapfile -t all < <(cd "$px" && ls -1 -- *.h5 2>/dev/null | sed 's/\.h5$//' | sort)
[ ${#all[@]} -ge 2 ] || { echo "run_sr_nas.sh: error: fewer than 2 proxies files in '$px'" >&2; exit 1; }
nb201=()
others=()
for t in "${all[@]}"; do
    case $t in nb201_*) nb201+=("$t") ;; *) others+=("$t") ;; esac
done
mkdir -p "$out"
# run_split NAME TRAIN...: 5 seeds trained on TRAIN, tested on the rest
run_split() {
    local name=$1
    shift
    local train=("$@") args=() t
    for t in "${train[@]}"; do args+=(--proxies "$px/$t.h5"); done
    for t in "${all[@]}"; do
        case " ${train[*]} " in *" $t "*) ;; *) args+=(--test-proxies "$px/$t.h5") ;; esac
    done
    for s in $seeds; do
        local dir=$out/$name/seed_$s
        local t0
        t0=$(date +%s.%N)
        "$ZCEVO" evolve --preset sr-nas "${args[@]}" --archs-per-task "$archs" \
            --gp terminals=$terms --seed "$s" --run-dir "$dir" --quiet >/dev/null
        printf '%s seed %s: %.1f s, %s\n' "$name" "$s" "$(echo "$(date +%s.%N) - $t0" | bc)" \
            "$(sed -n 2p "$dir/result.txt")"
    done
}
if [ ${#nb201[@]} -ge 1 ] && [ ${#others[@]} -ge 1 ]; then
    run_split nb201 "${nb201[@]}"
    run_split others "${others[@]}"
else  # one kind of file only: each file trains once, tested on the others
    for t in "${all[@]}"; do run_split "from_$t" "$t"; done
fi
"$PY" "$here/sr_nas_report.py" --zcevo "$ZCEVO" --proxies "$px" --runs "$out" --doc "$doc"
