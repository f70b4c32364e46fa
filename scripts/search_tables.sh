#!/bin/bash
# search_tables.sh: the measurements of docs/search.md: `zcevo search` per
# row (space, dataset, proxy, algorithm), 10 trials each, every row of one
# task and proxy sharing one score cache (OUT/cache/<space>_<dataset>_
# <proxy>.csv), then `zcevo report OUT` for the table and the figure.
# Rows run one at a time, in the order given; a killed script resumes
# where it stopped (finished trials are read back, cached values reused).
#
# usage: scripts/search_tables.sh OUT [ROW...]
#   ROW = space:dataset:proxy:algorithm, e.g. nb201:cifar10:eznas-a:evolution
#   (algorithm zc-pt: space nb201, proxy nwot); no ROW: every row below.
# environment: ZCEVO (default build/zcevo), ZCEVO_DATA, THREADS (default 2),
#   TRIALS (10), BUDGET (1000), BATCH (16: the batch of docs/results.md),
#   PT_ARGS (zc-pt settings, default "--pt-iterations 10 --pt-validate 100
#   --batch 64").
# A discovered proxy is added by naming it in a row (e.g.
# nb201:cifar10:zcevo-a:evolution) once zc_program_named knows it.
set -eu
OUT=${1:?usage: scripts/search_tables.sh OUT [ROW...]}
shift
ZCEVO=${ZCEVO:-build/zcevo}
THREADS=${THREADS:-2}
TRIALS=${TRIALS:-10}
BUDGET=${BUDGET:-1000}
BATCH=${BATCH:-16}
PT_ARGS=${PT_ARGS:---pt-iterations 10 --pt-validate 100 --batch 64}
ROWS=("$@")
if [ ${#ROWS[@]} -eq 0 ]; then
    for d in cifar10 cifar100 imagenet16; do
        for p in eznas-a nwot synflow tcet_snip; do
            ROWS+=("nb201:$d:$p:evolution" "nb201:$d:$p:random")
        done
        ROWS+=("nb201:$d:nwot:zc-pt")
    done
    for p in eznas-a synflow; do
        ROWS+=("nats_sss:cifar10:$p:evolution" "nats_sss:cifar10:$p:random")
    done
fi
mkdir -p "$OUT/cache"
for row in "${ROWS[@]}"; do
    IFS=: read -r space dataset proxy algorithm <<<"$row"
    dir="$OUT/${space}_${dataset}_${proxy}_${algorithm}"
    echo "== $row -> $dir ($(date '+%F %T'))"
    if [ "$algorithm" = zc-pt ]; then
        # shellcheck disable=SC2086
        "$ZCEVO" search --space "$space" --dataset "$dataset" --proxy "$proxy" \
            --algorithm zc-pt $PT_ARGS --trials "$TRIALS" --threads "$THREADS" \
            --run-dir "$dir" --cache "$OUT/cache/${space}_${dataset}_zcpt_${proxy}.csv"
    else
        "$ZCEVO" search --space "$space" --dataset "$dataset" --proxy "$proxy" \
            --algorithm "$algorithm" --budget "$BUDGET" --batch "$BATCH" --trials "$TRIALS" \
            --threads "$THREADS" --run-dir "$dir" \
            --cache "$OUT/cache/${space}_${dataset}_${proxy}.csv"
    fi
done
"$ZCEVO" report "$OUT"
