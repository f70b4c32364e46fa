#!/usr/bin/env bash
# run_discovery.sh: every measurement of docs/discovery.md, from scratch.
#
# usage: scripts/run_discovery.sh [OUT] [PHASE ...]
#   OUT     output folder (default runs/discovery)
#   PHASE   stats | searches | summary | heldout | report (default: all, in
#           this order; each phase reuses what the earlier ones left in OUT)
#
#   stats     the EZNAS evolution tasks: 80 architectures each of NB201
#             CIFAR-10 and NDS Amoeba, DARTS, NASNet (ImageNet sweeps at 64x64),
#             batch 1, seed 1 -> OUT/stats/*.h5 (12.1 GiB)
#   searches  `zcevo evolve` on them, per configuration and seed ->
#             OUT/searches/CONFIG_sSEED (half-precision statistics: 6 GiB)
#   summary   scripts/discovery_summary.py -> OUT/searches.md
#   heldout   test tasks disjoint from the evolution architectures (seeded
#             samples drawn with --exclude-stats; every record of the NDS
#             files, evolution tasks marked): hand-crafted proxies, EZNAS-A
#             and the named programs by `zcevo proxies`, each seed's best
#             program of each configuration in $SHIP by `zcevo score`, same
#             sample, minibatch and parameters -> OUT/heldout/*.csv,
#             OUT/heldout.md
#   report    `zcevo report OUT/heldout` (tau_by_task.png, ...)
#
# Environment: ZCEVO (default build/zcevo), ZCEVO_DATA, SEEDS (default
# "1 2 3 4 5"), CONFIGS (default "eznas signed80"), SHIP (configurations whose
# programs go to the held-out table, default "eznas signed80"), HELDOUT_ARCHS
# (architectures per sampled test task, default 1000), HELDOUT_TASKS (names
# from the list below, default all), HANDCRAFTED (zcevo proxies columns),
# THREADS (default: cores).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
ZCEVO=${ZCEVO:-$root/build/zcevo}
out=${1:-runs/discovery}
shift || true
phases=${*:-stats searches summary heldout report}
SEEDS=${SEEDS:-1 2 3 4 5}
CONFIGS=${CONFIGS:-eznas signed80}
SHIP=${SHIP:-eznas signed80}
N=${HELDOUT_ARCHS:-1000}
THREADS=${THREADS:-$(nproc)}
[ -x "$ZCEVO" ] || { echo "run_discovery.sh: error: no zcevo binary at '$ZCEVO' (set ZCEVO)" >&2; exit 1; }
mkdir -p "$out/stats" "$out/searches" "$out/heldout_raw"
stats=()
for t in nb201 nds_amoeba_in nds_darts_in nds_nasnet_in; do stats+=(--stats "$out/stats/${t}_b1.h5"); done

# The search configurations (docs/discovery.md explains each).
config_args() {
    case $1 in
        eznas)    echo "--subset 20 --draws 4 --draw-mode pick" ;;   # the released EZNAS protocol
        all80)    echo "--subset 0" ;;                               # |tau| on all 80 per task
        signed80) echo "--subset 0 --tau signed" ;;                  # signed tau on all 80
        big)      echo "--subset 0 --tau signed --population 100 --lambda 100 --mu 50 --generations 30 --fresh 0.25 --gp selection_pool=both" ;;
        *) echo "run_discovery.sh: error: unknown configuration '$1'" >&2; exit 2 ;;
    esac
}

phase_stats() {
    for t in nb201 nds_amoeba_in nds_darts_in nds_nasnet_in; do
        local size=(); case $t in nds_*) size=(--image-size 64) ;; esac
        [ -f "$out/stats/${t}_b1.h5" ] ||
            "$ZCEVO" stats --space "$t" --archs 80 --batch 1 --seed 1 "${size[@]}" \
                --threads "$THREADS" --out "$out/stats/${t}_b1.h5" --quiet
    done
}

phase_searches() {
    for c in $CONFIGS; do
        local args; args=$(config_args "$c")
        for s in $SEEDS; do
            local dir=$out/searches/${c}_s$s
            [ -f "$dir/result.txt" ] && continue
            # shellcheck disable=SC2086
            /usr/bin/time -f "%e s wall %U s user %S s sys %M KB" "$ZCEVO" evolve "${stats[@]}" \
                --stats-precision half --seed "$s" --threads "$THREADS" --run-dir "$dir" --quiet \
                $args >"$dir.log" 2>&1 || { echo "run_discovery.sh: error: search $c seed $s failed: see $dir.log" >&2; exit 1; }
        done
    done
}

phase_summary() {
    "$root/scripts/discovery_summary.py" "$out/searches" --sign --beat 0.531 --markdown \
        --csv "$out/searches.csv" >"$out/searches.md.partial"
    mv "$out/searches.md.partial" "$out/searches.md"
}

# Test tasks: name|zcevo arguments|statistics file the sample must avoid.
HELDOUT=$(cat <<LIST
nb201_c10|--space nb201 --dataset cifar10 --archs $N --batch 16|nb201_b1.h5
nb201_c100|--space nb201 --dataset cifar100 --archs $N --batch 16|nb201_b1.h5
nb201_in16|--space nb201 --dataset imagenet16 --archs $N --batch 16|nb201_b1.h5
nats_sss_c10|--space nats_sss --dataset cifar10 --archs $N --batch 16|
nasbench_macro|--space nasbench_macro --dataset cifar10 --archs $N --batch 16|
channel_mobilenet|--space channel_mobilenet --dataset cifar10 --archs $N --batch 16|
channel_resnet|--space channel_resnet --dataset cifar10 --archs $N --batch 8|
nds_amoeba_in|--space nds_amoeba_in --archs all --batch 16 --image-size 64|
nds_darts_in|--space nds_darts_in --archs all --batch 16 --image-size 64|
nds_nasnet_in|--space nds_nasnet_in --archs all --batch 16 --image-size 64|
nds_enas_in|--space nds_enas_in --archs all --batch 16 --image-size 64|
nds_pnas_in|--space nds_pnas_in --archs all --batch 16 --image-size 64|
LIST
)

# programs_tsv CONFIG: CONFIG_sN <TAB> best program of CONFIG's seed N
# (chosen on the evolution tasks: rank 1 of the run's hall of fame)
programs_tsv() {
    for s in $SEEDS; do
        local hof=$out/searches/${1}_s$s/hall_of_fame.txt
        [ -f "$hof" ] || { echo "run_discovery.sh: error: no '$hof' (run the searches phase)" >&2; exit 1; }
        printf '%s_s%s\t%s\n' "$1" "$s" "$(awk -F'\t' '$1 == 1 { print $3; exit }' "$hof")"
    done
}

phase_heldout() {
    : >"$out/programs.tsv"
    for c in $SHIP; do programs_tsv "$c" >>"$out/programs.tsv"; done
    local handcrafted=${HANDCRAFTED:-synflow,nwot,params,tcet_snip,eznas_a}
    "$ZCEVO" proxies --help | grep -q az_nas && handcrafted+=",az_nas"
    "$ZCEVO" proxies --help | grep -q zcevo_a && handcrafted+=",zcevo_a"
    while IFS='|' read -r name args exclude; do
        [ -n "${HELDOUT_TASKS:-}" ] && case " $HELDOUT_TASKS " in *" $name "*) ;; *) continue ;; esac
        local ex=(); [ -n "$exclude" ] && ex=(--exclude-stats "$out/stats/$exclude")
        local raw=$out/heldout_raw/$name
        # shellcheck disable=SC2086
        [ -f "$raw.proxies.csv" ] || "$ZCEVO" proxies $args --seed 1 "${ex[@]}" --proxies "$handcrafted" \
            --threads "$THREADS" --out-csv "$raw.proxies.csv" --quiet >"$raw.proxies.txt"
        for c in $SHIP; do   # one score CSV per configuration (EZNAS-A in each: the join's check)
            local progs=(--program eznas-a)
            while IFS=$'\t' read -r _ text; do progs+=(--program "$text"); done < <(grep "^${c}_s" "$out/programs.tsv")
            # shellcheck disable=SC2086
            [ -f "$raw.score.$c.csv" ] || "$ZCEVO" score $args --seed 1 "${ex[@]}" "${progs[@]}" \
                --threads "$THREADS" --csv "$raw.score.$c.csv" --quiet >"$raw.score.$c.txt"
        done
    done <<<"$HELDOUT"
    "$root/scripts/discovery_table.py" "$out/heldout_raw" "$out/heldout" \
        --programs "$out/programs.tsv" --evolution-tasks nb201_c10,nds_amoeba_in,nds_darts_in,nds_nasnet_in \
        --markdown "$out/heldout.md"
}

phase_report() {
    "$ZCEVO" report "$out/heldout" --out "$out/heldout/report"
}

for p in $phases; do
    case $p in
        stats|searches|summary|heldout|report) echo "run_discovery.sh: $p" >&2; "phase_$p" ;;
        *) echo "run_discovery.sh: error: unknown phase '$p'" >&2; exit 2 ;;
    esac
done
