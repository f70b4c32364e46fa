#!/usr/bin/env bash
# discovery_test.sh: the discovery workflow of docs/discovery.md, end to end
# on a tiny configuration:
#  1. the EZNAS protocol's command line (statistics files made beforehand, an
#     NDS ImageNet space at 64x64, subsets of 4 drawn per program with
#     --draw-mode pick, half-precision statistics) runs to result.txt, and
#     its final re-scoring equals `zcevo score` of the same program;
#  2. every named program scores exactly as its text does;
#  3. the memory-lean (half) statistics rank the architectures as the full
#     ones do: tau within 0.005 (the tolerance docs/discovery.md states) for
#     the named programs and a set of arithmetic ones, identical scores for
#     programs that only read signs;
#  4. a computed task carries its image size (space:dataset:batch:image) into
#     the run's configuration and its statistics; a bad one is a usage error.
# usage: discovery_test.sh ZCEVO DATA_DIR
set -u
zcevo=$1
export ZCEVO_DATA=$2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
pass=0; fail=0
ok()  { pass=$((pass+1)); }
bad() { fail=$((fail+1)); echo "FAIL: $*"; }
# close A B TOL: |A - B| <= TOL (numbers as printed)
close() { awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= t) }'; }

"$zcevo" stats --archs 12 --batch 1 --seed 2 --out nb.h5 --quiet --threads 2 || { echo "FAIL: stats nb201"; exit 1; }
"$zcevo" stats --space nds_darts_in --archs 8 --image-size 64 --batch 1 --seed 3 --out darts.h5 \
  --quiet --threads 2 || { echo "FAIL: stats nds_darts_in"; exit 1; }

# ---- 1. the EZNAS protocol, tiny -----------------------------------------
"$zcevo" evolve --stats nb.h5 --stats darts.h5 --subset 4 --draws 2 --draw-mode pick \
  --stats-precision half --population 8 --lambda 8 --mu 4 --generations 2 --seed 5 \
  --threads 2 --run-dir proto --quiet >proto.out 2>&1 || { bad "protocol run: $(tail -1 proto.out)"; }
if [ -f proto/result.txt ]; then ok; else bad "protocol run left no result.txt"; fi
for line in draw_mode=pick stats_precision=half subset=4 draws=2; do
  if grep -qx "$line" proto/config.txt; then ok; else bad "config.txt lacks $line"; fi
done
best=$(awk -F'\t' '$1 == 1 { print $3; exit }' proto/hall_of_fame.txt)
[ -n "$best" ] && ok || bad "no rank-1 program in hall_of_fame.txt"
"$zcevo" score --stats nb.h5 --stats darts.h5 --stats-precision half --program "$best" >rescore.txt 2>&1 \
  || bad "score of the best program: $(tail -1 rescore.txt)"
for src in nb.h5 darts.h5; do
  want=$(python3 -c 'import csv, sys
rows = [r for r in csv.DictReader(open(sys.argv[1])) if r["program"] == sys.argv[2] and r["task"] == sys.argv[3] + " (all)"]
print(rows[0]["tau"] if rows else "")' proto/final.csv "$best" "$src")
  got=$(awk -v s="$src" '$1 == s { print $(NF-1); exit }' rescore.txt)
  if [ -n "$want" ] && [ -n "$got" ] && close "$want" "$got" 0.00006; then ok
  else bad "final.csv tau '$want' on $src differs from zcevo score's '$got'"; fi
done

# ---- 2. named programs score as their texts --------------------------------
"$zcevo" score --list-programs >named.tsv || bad "--list-programs failed"
[ "$(wc -l <named.tsv)" -ge 2 ] && ok || bad "fewer than 2 named programs"
while IFS=$'\t' read -r name text about; do
  rm -f by_name.csv by_text.csv   # (a score CSV is only replaced by one of the same programs)
  "$zcevo" score --stats nb.h5 --stats darts.h5 --program "$name" --csv by_name.csv --quiet >/dev/null 2>&1 &&
  "$zcevo" score --stats nb.h5 --stats darts.h5 --program "$text" --csv by_text.csv --quiet >/dev/null 2>&1 ||
    { bad "score of named program $name"; continue; }
  # equal scores (the header names the program differently)
  if cmp -s <(tail -n +2 by_name.csv) <(tail -n +2 by_text.csv); then ok
  else bad "named program $name scores differently from its text '$text'"; fi
done <named.tsv

# ---- 3. half precision: the same ranking ----------------------------------
progs=(--program eznas-a --program eznas-a-wt --program "mean(inpact_grad_data)"
       --program "frobenius(mul(act_data, act_grad_data))" --program "log(mean_abs(wt_grad_noise))"
       --program "mean(sub(preact_grad_perturb, mul(abs(preact_data), sigmoid(inpact_noise))))")
"$zcevo" score --stats nb.h5 --stats darts.h5 "${progs[@]}" --csv float.csv >float.txt 2>&1 &&
"$zcevo" score --stats nb.h5 --stats darts.h5 "${progs[@]}" --stats-precision half --csv half.csv \
  >half.txt 2>&1 || bad "score float/half failed: $(tail -1 half.txt)"
n=$(grep -c . float.txt)
for i in $(seq 2 "$n"); do
  tf=$(sed -n "${i}p" float.txt | awk '{ print $(NF-1) }'); th=$(sed -n "${i}p" half.txt | awk '{ print $(NF-1) }')
  if [ "$tf" = nan ] && [ "$th" = nan ]; then ok
  elif close "$tf" "$th" 0.005; then ok
  else bad "half changes tau by more than 0.005: $(sed -n "${i}p" float.txt) vs $th"; fi
done
# eznas-a reads signs only: its scores are identical in half precision
if cmp -s <(cut -d, -f1-5 float.csv) <(cut -d, -f1-5 half.csv); then ok
else bad "eznas-a scores differ in half precision"; fi

# ---- 4. a computed task's image size --------------------------------------
# the statistics of 4 networks at 64x64 take more memory than those of the
# same networks at 32x32 (activations scale with the image area, weights do
# not: 1.55x here)
mib=()
for hw in 32 64; do
  "$zcevo" evolve --task nds_darts_in:cifar10:1:$hw --archs-per-task 4 --final-archs 2 --population 4 \
    --lambda 4 --mu 2 --generations 1 --threads 2 --run-dir sized$hw >sized$hw.out 2>&1 \
    || bad "evolve on a sized task: $(tail -1 sized$hw.out)"
  if grep -qx "task=nds_darts_in:cifar10:1:$hw" sized$hw/config.txt; then ok
  else bad "config.txt lacks task=nds_darts_in:cifar10:1:$hw"; fi
  mib+=("$(sed -n 's/.* \([0-9.]*\) MiB of statistics in memory.*/\1/p' sized$hw.out)")
done
if [ -n "${mib[0]}" ] && awk -v a="${mib[0]}" -v b="${mib[1]}" 'BEGIN { exit !(b > 1.3 * a) }'; then ok
else bad "statistics at 64x64 (${mib[1]} MiB) not over 1.3x those at 32x32 (${mib[0]} MiB)"; fi
"$zcevo" evolve --task nds_darts_in:cifar10:1:4 --run-dir bad 2>err.txt; rc=$?
if [ $rc -eq 2 ] && [ "$(wc -l <err.txt)" -eq 1 ] && grep -q "image size '4'" err.txt && [ ! -e bad ]; then ok
else bad "bad image size: exit $rc, $(cat err.txt)"; fi

echo "discovery_test: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
