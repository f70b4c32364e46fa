#!/bin/bash
# srnas_test.sh: SR-NAS runs of `zcevo evolve` and `zcevo score` on the
# proxies files of tests/srnas_fixture.py (tests/srnas.cmake).
# usage: srnas_test.sh ZCEVO PYTHON WORK_DIR MODE
# MODE: run (the preset runs, is deterministic for a seed, differs for
#       another seed, resumes from a checkpoint to the same result)
#     | ranks (identical on 1 and 3 MPI ranks)
#     | score (zcevo score --proxies against a hand computation in numpy
#       and scipy's kendalltau)
#     | refuse (bad input: one-line errors, exit codes 1 / 2, nothing
#       written)
set -u
ZCEVO=$1
PY=$2
WORK=$3
MODE=$4
FX=$WORK/fixture
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
RUN="--preset sr-nas --proxies $FX/task_a.h5 --proxies $FX/task_b.h5 --test-proxies $FX/task_c.h5
     --archs-per-task 40 --generations 8 --threads 2 --quiet"
fail() { echo "FAIL: $*"; exit 1; }
# same_result A B: identical log.csv (timing columns excepted), hall of fame
# and final re-scoring
same_result() {
    [ -f "$1/result.txt" ] || fail "$1 did not finish"
    [ -f "$2/result.txt" ] || fail "$2 did not finish"
    diff <(cut -d, -f1-7 "$1/log.csv") <(cut -d, -f1-7 "$2/log.csv") >/dev/null ||
        fail "log.csv differs between $1 and $2"
    cmp -s "$1/hall_of_fame.txt" "$2/hall_of_fame.txt" || fail "hall_of_fame.txt differs: $1 $2"
    cmp -s "$1/final.csv" "$2/final.csv" || fail "final.csv differs: $1 $2"
}

case $MODE in
run)
    rm -rf "$WORK"/run_*
    "$ZCEVO" evolve $RUN --seed 4 --run-dir "$WORK/run_a" >/dev/null || fail "first run"
    "$ZCEVO" evolve $RUN --seed 4 --run-dir "$WORK/run_b" --threads 1 >/dev/null || fail "second run"
    same_result "$WORK/run_a" "$WORK/run_b"
    "$ZCEVO" evolve $RUN --seed 5 --run-dir "$WORK/run_c" >/dev/null || fail "seed 5 run"
    cmp -s "$WORK/run_a/hall_of_fame.txt" "$WORK/run_c/hall_of_fame.txt" &&
        fail "seeds 4 and 5 gave the same hall of fame"
    # the run folder says what ran: preset settings, network kind, columns
    for key in terminal_kind=network function_set=sr hoist_prob= point_prob= parent_tournament=2 \
               max_height=6 population_size=100 invalid=omit aggregate=mean tau=signed \
               "proxies=$FX/task_a.h5" "test_proxies=$FX/task_c.h5"; do
        grep -q "^$key" "$WORK/run_a/config.txt" || fail "config.txt lacks $key"
    done
    [ "$(wc -l <"$WORK/run_a/log.csv")" -eq 9 ] || fail "log.csv should have 8 generations"
    # final re-scoring: held-out architectures of both files and the test file
    grep -q "task_a.h5 (held-out)" "$WORK/run_a/final.csv" &&
        grep -q "task_b.h5 (held-out)" "$WORK/run_a/final.csv" &&
        grep -q "task_c.h5 (test, all)" "$WORK/run_a/final.csv" || fail "final.csv sources"
    # programs are printed with the column names and score with zcevo score
    best=$(awk -F'\t' 'NR == 2 {print $3}' "$WORK/run_a/hall_of_fame.txt")
    "$ZCEVO" score --proxies "$FX/task_c.h5" --program "$best" --quiet >/dev/null ||
        fail "the best program '$best' does not parse back"
    # stopped after generation 3 by SIGTERM, resumed: the same result
    rm -rf "$WORK/run_r"
    ZCEVO_TEST_GENERATION_PAUSE_MS=400 "$ZCEVO" evolve $RUN --seed 4 --run-dir "$WORK/run_r" \
        >/dev/null 2>&1 &
    pid=$!
    for _ in $(seq 100); do
        [ "$(wc -l <"$WORK/run_r/log.csv" 2>/dev/null || echo 0)" -ge 4 ] && break
        sleep 0.1
    done
    kill -TERM $pid
    wait $pid
    rc=$?
    [ $rc -eq 3 ] || fail "SIGTERM: exit code $rc, expected 3"
    "$ZCEVO" evolve $RUN --seed 4 --run-dir "$WORK/run_r" >/dev/null || fail "resume"
    same_result "$WORK/run_a" "$WORK/run_r"
    ;;
ranks)
    rm -rf "$WORK"/ranks_*
    "$ZCEVO" evolve $RUN --seed 6 --run-dir "$WORK/ranks_1" >/dev/null || fail "1 rank"
    mpirun -q -np 3 "$ZCEVO" evolve $RUN --seed 6 --threads 1 --run-dir "$WORK/ranks_3" \
        >/dev/null || fail "3 ranks"
    same_result "$WORK/ranks_1" "$WORK/ranks_3"
    ;;
score)
    progs=("pdiv(add(synflow, nwot), psqrt(params))" "plog(mul(snip, neg(fisher)))"
           "sub(jacov, mul(grasp, psqrt(zen)))" "nwot")
    args=()
    for p in "${progs[@]}"; do args+=(--program "$p"); done
    "$ZCEVO" score --proxies "$FX/task_a.h5" --proxies "$FX/task_b.h5" "${args[@]}" \
        --csv "$WORK/score.csv" --quiet >"$WORK/score.txt" || fail "zcevo score"
    "$PY" - "$FX" "$WORK/score.csv" "$WORK/score.txt" <<'PYEOF' || fail "hand computation"
import csv, sys
import h5py, numpy as np
from scipy.stats import kendalltau
fx, csv_path, txt_path = sys.argv[1:4]
def pdiv(a, b): return np.where(np.abs(b) > 0.001, a / np.where(b == 0, 1, b), 1.0)
def plog(x): return np.where(np.abs(x) > 0.001, np.log(np.where(x == 0, 1, np.abs(x))), 0.0)
def psqrt(x): return np.sqrt(np.abs(x))
forms = [lambda v: pdiv(v["synflow"] + v["nwot"], psqrt(v["params"])),
         lambda v: plog(v["snip"] * -v["fisher"]),
         lambda v: v["jacov"] - v["grasp"] * psqrt(v["zen"]),
         lambda v: v["nwot"]]
rows = list(csv.reader(open(csv_path)))
lines = [l.split() for l in open(txt_path).read().splitlines()[1:]]
bad, k = 0, 0
for name in ["task_a", "task_b"]:
    with h5py.File(f"{fx}/{name}.h5") as f:
        cols = f["values"].attrs["proxy_names"].decode().split(",")
        vals = f["values"][:]
        acc = f["accuracy"][:]
    # a non-finite value is missing: the formula is invalid where it reads one
    v = {c: np.where(np.isfinite(vals[:, i]), vals[:, i], np.nan) for i, c in enumerate(cols)}
    mine = [r for r in rows[1:] if r[0].endswith(f"{name}.h5")]
    assert len(mine) == len(acc), (name, len(mine), len(acc))
    for j, form in enumerate(forms):
        with np.errstate(all="ignore"):
            want = form(v)
        want = np.where(np.isfinite(want), want, np.nan)
        got = np.array([float(r[4 + j]) for r in mine])
        both_nan = np.isnan(want) & np.isnan(got)
        close = np.isclose(got, want, rtol=1e-8, atol=0) | both_nan
        bad += int((~close).sum())
        ok = np.isfinite(want)
        tau = kendalltau(want[ok], acc[ok])[0]
        line = lines[k]
        k += 1
        if int(line[-3]) != int((~ok).sum()) or abs(float(line[-2]) - tau) > 5e-5:
            print(f"{name} formula {j}: invalid {line[-3]} vs {(~ok).sum()}, tau {line[-2]} vs {tau:.6f}")
            bad += 1
print(f"{bad} mismatches")
sys.exit(1 if bad else 0)
PYEOF
    ;;
refuse)
    out=$WORK/refuse
    rm -rf "$out"
    mkdir -p "$out"
    expect() { # expect CODE TEXT -- command...: exit code and one line naming TEXT
        local code=$1 text=$2
        shift 3
        "$@" >"$out/stdout" 2>"$out/stderr"
        local rc=$?
        [ $rc -eq "$code" ] || fail "'$*': exit $rc, expected $code"
        [ "$(wc -l <"$out/stderr")" -eq 1 ] || fail "'$*': not one line: $(cat "$out/stderr")"
        grep -q -- "$text" "$out/stderr" || fail "'$*': '$text' not in: $(cat "$out/stderr")"
    }
    printf 'not hdf5' >"$out/bad.h5"
    "$PY" - "$FX/task_a.h5" "$out" <<'PYEOF' || fail "writing bad files"
import sys, h5py, numpy as np
src, out = sys.argv[1:3]
with h5py.File(src) as f:
    v, acc, idx = f["values"][:], f["accuracy"][:], f["arch_index"][:]
    names = f["values"].attrs["proxy_names"].decode().split(",")
def write(path, v, names, acc):
    with h5py.File(path, "w") as g:
        d = g.create_dataset("values", data=v)
        d.attrs["proxy_names"] = np.bytes_(",".join(names))
        g.create_dataset("accuracy", data=acc)
        g.create_dataset("arch_index", data=idx)
write(f"{out}/swapped.h5", v[:, [1, 0] + list(range(2, v.shape[1]))], [names[1], names[0]] + names[2:], acc)
a2 = acc.copy(); a2[3] = np.nan
write(f"{out}/nan_acc.h5", v, names, a2)
write(f"{out}/short_names.h5", v, names[:-1], acc)
PYEOF
    expect 1 "bad.h5" -- "$ZCEVO" evolve --preset sr-nas --proxies "$out/bad.h5" --run-dir "$out/r1"
    expect 1 "swapped.h5" -- "$ZCEVO" evolve --preset sr-nas --proxies "$FX/task_a.h5" \
        --proxies "$out/swapped.h5" --run-dir "$out/r2" --quiet
    expect 1 "nan_acc.h5" -- "$ZCEVO" score --proxies "$out/nan_acc.h5" --program nwot
    expect 1 "short_names.h5" -- "$ZCEVO" score --proxies "$out/short_names.h5" --program nwot
    expect 2 "cannot be mixed" -- "$ZCEVO" evolve --proxies "$FX/task_a.h5" --task nb201:cifar10 \
        --run-dir "$out/r3"
    expect 2 "needs --proxies" -- "$ZCEVO" evolve --test-proxies "$FX/task_a.h5" --run-dir "$out/r4"
    expect 2 "unknown terminal 'inpact_data'" -- "$ZCEVO" score --proxies "$FX/task_a.h5" \
        --program 'sign(inpact_data)'
    expect 2 "not one of the network values" -- "$ZCEVO" evolve --proxies "$FX/task_a.h5" \
        --gp terminals=synflow,foo --run-dir "$out/r5"
    expect 1 "swapped.h5" -- "$ZCEVO" evolve --preset sr-nas --proxies "$FX/task_a.h5" \
        --test-proxies "$out/swapped.h5" --run-dir "$out/r6" --quiet
    for r in r1 r2 r3 r4 r5 r6; do
        [ -e "$out/$r/result.txt" ] && fail "$r: a refused run wrote result.txt"
    done
    [ -e "$out/r3" ] || [ -e "$out/r4" ] || [ -e "$out/r5" ] && fail "a usage error created a run folder"
    ;;
*) fail "unknown mode $MODE" ;;
esac
echo "srnas $MODE: ok"
