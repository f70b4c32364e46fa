#!/bin/bash
# run_tables.sh: the correlation tables of docs/results.md: `zcevo proxies`
# (every proxy: the 16 of `all`, EZNAS-A included, and the proxies of
# 2023-2024 of `modern`: AZ-NAS and its components, ZiCo, MeCo, MeCo_opt,
# SWAP, SWAP-reg) on each task below into OUT_DIR/<task>.csv
# (+ .h5, .corr.csv, .md), then `zcevo report OUT_DIR --published
# docs/published.csv`. A task whose CSV exists is skipped; a killed task
# resumes from its journal when the script is run again.
#
# usage: scripts/run_tables.sh [OUT_DIR (default runs/tables)] [TASK ...]
#   TASK: names from the list below (default: all of them, in that order)
# environment: ZCEVO (default build/zcevo), ZCEVO_DATA (data folder),
#   ZCEVO_LAUNCH (e.g. "mpirun -q -np 9": run each task under MPI),
#   ZCEVO_THREADS (threads per process, default: all cores), ZCEVO_EXTRA
#   (arguments added to every task, last wins: "--archs 8" for a smoke run)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
ZCEVO=${ZCEVO:-$root/build/zcevo}
out=${1:-runs/tables}
shift || true
threads=${ZCEVO_THREADS:-$(nproc)}
launch=${ZCEVO_LAUNCH:-}
extra=${ZCEVO_EXTRA:-}

# name | arguments (batch 16 as the EZNAS reproduction; NDS ImageNet spaces
# at 64x64: at 32x32 their last cells are 1x1; the lr-wd / fix-w-d sweeps
# and the wide Channel-Bench-Macro ResNets (4x the cost of the others) at
# batch 8 to fit the time of 2 cores)
TASKS=$(cat <<'LIST'
nb201_c10|--space nb201 --dataset cifar10 --archs 1000 --batch 16
nats_sss_c10|--space nats_sss --dataset cifar10 --archs 1000 --batch 16
nb201_c100|--space nb201 --dataset cifar100 --archs 1000 --batch 16
nb201_in16|--space nb201 --dataset imagenet16 --archs 1000 --batch 16
nasbench_macro|--space nasbench_macro --dataset cifar10 --archs 1000 --batch 16
nds_amoeba_in|--space nds_amoeba_in --archs all --batch 16 --image-size 64
nds_darts_in|--space nds_darts_in --archs all --batch 16 --image-size 64
nds_enas_in|--space nds_enas_in --archs all --batch 16 --image-size 64
nds_nasnet_in|--space nds_nasnet_in --archs all --batch 16 --image-size 64
nds_pnas_in|--space nds_pnas_in --archs all --batch 16 --image-size 64
nds_resnext-a_in|--space nds_resnext-a_in --archs all --batch 16 --image-size 64
nds_resnext-b_in|--space nds_resnext-b_in --archs all --batch 16 --image-size 64
channel_mobilenet|--space channel_mobilenet --dataset cifar10 --archs 1000 --batch 16
channel_resnet|--space channel_resnet --dataset cifar10 --archs 1000 --batch 8
nds_darts_lr-wd_in|--space nds_darts_lr-wd_in --archs all --batch 8 --image-size 64
nds_darts_fix-w-d_in|--space nds_darts_fix-w-d_in --archs all --batch 8 --image-size 64
nds_resnet_lr-wd_in|--space nds_resnet_lr-wd_in --archs all --batch 8 --image-size 64
nds_vanilla_lr-wd_in|--space nds_vanilla_lr-wd_in --archs all --batch 8 --image-size 64
LIST
)
wanted=" $* "
known=" $(echo "$TASKS" | cut -d'|' -f1 | tr '\n' ' ') "
for t in "$@"; do
    case $known in *" $t "*) ;; *) echo "run_tables.sh: error: unknown task '$t' (known:$known)" >&2; exit 2 ;; esac
done
[ -x "$ZCEVO" ] || { echo "run_tables.sh: error: no zcevo binary at '$ZCEVO' (set ZCEVO)" >&2; exit 1; }
mkdir -p "$out"
while IFS='|' read -r name args; do
    [ $# -gt 0 ] && case $wanted in *" $name "*) ;; *) continue ;; esac
    if [ -f "$out/$name.csv" ]; then echo "$name: $out/$name.csv exists, skipped"; continue; fi
    echo "$name: zcevo proxies $args"
    t0=$(date +%s)
    # shellcheck disable=SC2086
    $launch "$ZCEVO" proxies $args --proxies all,modern $extra --threads "$threads" \
        --out-csv "$out/$name.csv" \
        --out-h5 "$out/$name.h5" --out-corr "$out/$name.corr.csv" --quiet >"$out/$name.md"
    echo "$name: $(( $(date +%s) - t0 )) s"
done <<<"$TASKS"
"$ZCEVO" report "$out" --scatter eznas_a,nwot,synflow,az_nas,swap_reg \
    --published "$root/docs/published.csv"
