#!/bin/bash
# mpi_stats_test.sh: distributed `zcevo stats`, on-the-fly `zcevo score` and
# `zcevo proxies` (tests/mpi.cmake): the file / table of 2 and 3 ranks equals
# the single-rank one; a resumed distributed stats run completes the file; bad input on a
# distributed run gives one message.
# usage: mpi_stats_test.sh ZCEVO DATA_DIR WORK_DIR
set -u
ZCEVO=$1
export ZCEVO_DATA=$2
WORK=$3/stats
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
fail() { echo "FAIL: $*"; exit 1; }
mpi() { mpirun -q --allow-run-as-root --oversubscribe "$@"; }
rm -rf "$WORK"
mkdir -p "$WORK"
S="--space nb201 --dataset cifar10 --archs 7 --batch 2 --seed 4 --threads 1 --quiet
   --terminals wt,act_data,preact_grad_noise,wt_grad_perturb"
"$ZCEVO" stats $S --out "$WORK/one.h5" || fail "single-rank stats"
for np in 2 3; do
    mpi -np $np "$ZCEVO" stats $S --out "$WORK/np$np.h5" || fail "stats -np $np"
    h5diff "$WORK/one.h5" "$WORK/np$np.h5" >/dev/null || fail "stats -np $np differs (h5diff)"
done
# a file holding 2 architectures, completed to 4 by a distributed run
"$ZCEVO" stats $S --arch 5 --arch 9 --out "$WORK/grow.h5" || fail "first part"
mpi -np 3 "$ZCEVO" stats $S --arch 5 --arch 9 --arch 11 --arch 20 --out "$WORK/grow.h5" ||
    fail "distributed completion"
"$ZCEVO" stats $S --arch 5 --arch 9 --arch 11 --arch 20 --out "$WORK/four.h5" || fail "four"
h5diff "$WORK/four.h5" "$WORK/grow.h5" >/dev/null || fail "completed file differs"
/usr/bin/python3 - "$WORK" <<'PY' || fail "h5py comparison"
import sys, h5py, numpy as np
w = sys.argv[1]
a, b = h5py.File(w + "/one.h5", "r"), h5py.File(w + "/np3.h5", "r")
names = []
a.visit(names.append)
n = 0
for k in names:
    if isinstance(a[k], h5py.Dataset):
        assert np.array_equal(a[k][()], b[k][()], equal_nan=True), k
        n += 1
assert n > 10, n
print("  %d datasets equal (h5py)" % n)
PY
# on-the-fly score: same table and CSV
P="--program eznas-a --program frobenius(wt) --archs 7 --batch 2 --threads 1 --quiet"
"$ZCEVO" score $P --csv "$WORK/one.csv" >"$WORK/one.txt" || fail "score"
for np in 2 3; do
    mpi -np $np "$ZCEVO" score $P --csv "$WORK/np$np.csv" >"$WORK/np$np.txt" ||
        fail "score -np $np"
    cmp -s "$WORK/one.csv" "$WORK/np$np.csv" || fail "score -np $np: CSV differs"
    cmp -s "$WORK/one.txt" "$WORK/np$np.txt" || fail "score -np $np: table differs"
done
# bad input: one message from rank 0, exit 1
mpi -np 3 "$ZCEVO" stats $S --space nb999 --out "$WORK/bad.h5" 2>"$WORK/bad.err" >/dev/null
rc=$?
[ $rc -eq 2 ] || { cat "$WORK/bad.err"; fail "unknown space: exit $rc"; }
[ "$(grep -c 'zcevo: error' "$WORK/bad.err")" -eq 1 ] || { cat "$WORK/bad.err"; fail "one line"; }
mpi -np 3 "$ZCEVO" stats $S --data "$WORK/nowhere" --out "$WORK/bad.h5" 2>"$WORK/bad2.err" \
    >/dev/null
rc=$?
[ $rc -eq 1 ] || { cat "$WORK/bad2.err"; fail "missing data: exit $rc"; }
[ "$(grep -c 'zcevo: error' "$WORK/bad2.err")" -eq 1 ] || { cat "$WORK/bad2.err"; fail "one line"; }
# proxies: rank 0 hands out architectures one at a time; same CSV, HDF5, table
X="--archs 5 --batch 4 --seed 2 --proxies snip,nwot,synflow,zen,eznas_a --quiet"
"$ZCEVO" proxies $X --threads 2 --out-csv "$WORK/px1.csv" --out-h5 "$WORK/px1.h5" \
    >"$WORK/px1.md" || fail "proxies"
for np in 2 3; do
    mpi -np $np "$ZCEVO" proxies $X --threads 2 --out-csv "$WORK/px$np.csv" \
        --out-h5 "$WORK/pxh$np.h5" >"$WORK/px$np.md" || fail "proxies -np $np"
    cmp -s "$WORK/px1.csv" "$WORK/px$np.csv" || fail "proxies -np $np: CSV differs"
    cmp -s "$WORK/px1.md" "$WORK/px$np.md" || fail "proxies -np $np: table differs"
    h5diff "$WORK/px1.h5" "$WORK/pxh$np.h5" >/dev/null || fail "proxies -np $np: HDF5 differs"
done
[ "$(wc -l <"$WORK/px3.csv")" -eq 6 ] || fail "proxies CSV: header and 5 rows expected"
mpi -np 3 "$ZCEVO" proxies $X --arch 99999 2>"$WORK/bad3.err" >/dev/null
rc=$?
[ $rc -eq 1 ] || { cat "$WORK/bad3.err"; fail "proxies unknown arch: exit $rc"; }
[ "$(grep -c 'zcevo: error' "$WORK/bad3.err")" -eq 1 ] || { cat "$WORK/bad3.err"; fail "one line"; }
echo "stats/score/proxies: 2 and 3 ranks give the single-rank file and table; bad input: one message"
