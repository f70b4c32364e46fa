#!/usr/bin/env bash
# reliability_test.sh: every defect of issue 14 (the C side) reproduced on
# the command line; each check fails on the code before the fix.
#  1. an output never overwrites an input (also through links), two options
#     never name one file, an output of another run or kind is not replaced
#  2. concurrent writers are refused with HDF5 file locking OFF (stats,
#     evolve, proxies); a lock left by a killed run is reclaimed with a
#     message
#  3. the statistics reader refuses wrong shapes, element types, metadata,
#     configurations and flipped bytes (checksums) with one line
#  4. a full disk (RLIMIT_FSIZE) is an error, never an empty output
#  5. outputs are checked before the work (no late failure, no journal or
#     hidden .partial left)
#  7. the small ones: NUL bytes and binary --arch-file, spaces without
#     tables, score --acc-column, evolve --mu > --population
# Every refusal: one line naming the file or value, exit 1 (2 for usage),
# the files byte-identical.
# usage: reliability_test.sh ZCEVO DATA_DIR
set -u
zcevo=$1
data=$2
PY=${ZCEVO_PYTHON:-/usr/bin/python3}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
children=()
cleanup() {
  for p in "${children[@]}"; do kill -CONT "$p" 2>/dev/null; kill -9 "$p" 2>/dev/null; done
  rm -rf "$tmp"
}
trap cleanup EXIT
. "$here/cli_lib.sh"
cd "$tmp" || exit 1
Q=(--data "$data" --threads 1 --quiet)

# wait_for FILE: until FILE exists (at most 60 s); status 1 if it never does.
wait_for() {
  for _ in $(seq 1 1200); do
    [ -e "$1" ] && return 0
    sleep 0.05
  done
  return 1
}

# a small statistics file (3 architectures, 3 terminals) and one with every
# terminal of 4 architectures with few convolutions (evolve, bench eval)
"$zcevo" stats "${Q[@]}" --arch 0 --arch 1 --arch 5 --batch 2 --image-size 8 \
  --terminals act_data,inpact_grad_data,wt --out s.h5 || { echo "FAIL: setup"; exit 1; }
"$zcevo" stats "${Q[@]}" --batch 1 --image-size 8 --out all.h5 \
  --arch "|skip_connect~0|+|none~0|skip_connect~1|+|avg_pool_3x3~0|none~1|skip_connect~2|" \
  --arch "|avg_pool_3x3~0|+|skip_connect~0|none~1|+|none~0|skip_connect~1|avg_pool_3x3~2|" \
  --arch "|none~0|+|avg_pool_3x3~0|skip_connect~1|+|skip_connect~0|avg_pool_3x3~1|none~2|" \
  --arch "|nor_conv_1x1~0|+|none~0|skip_connect~1|+|none~0|none~1|skip_connect~2|" ||
  { echo "FAIL: setup (all terminals)"; exit 1; }
"$zcevo" score --stats s.h5 --program eznas-a --program 'mean(act_data)' --quiet >good.txt ||
  { echo "FAIL: setup score"; exit 1; }

# ---- 1. outputs never overwrite inputs --------------------------------------
ln -s s.h5 link.h5
ln s.h5 hard.h5
before=$(fingerprint s.h5)
before_all=$(fingerprint all.h5)
expect_error "score --csv onto its --stats" 1 "same file as the input 's.h5'" -- \
  "$zcevo" score --stats s.h5 --program eznas-a --csv s.h5 --quiet
expect_error "score --csv onto a symbolic link to its --stats" 1 "same file as the input" -- \
  "$zcevo" score --stats s.h5 --program eznas-a --csv link.h5 --quiet
expect_error "score --csv onto a hard link to its --stats" 1 "same file as the input" -- \
  "$zcevo" score --stats s.h5 --program eznas-a --csv hard.h5 --quiet
expect_error "bench eval --write-programs onto its --stats" 1 "same file as the input" -- \
  "$zcevo" bench eval --stats all.h5 --programs 2 --write-programs all.h5
expect_error "proxies --out-csv onto a stats file" 1 "not a zcevo proxies CSV" -- \
  "$zcevo" proxies "${Q[@]}" --arch 0 --arch 1 --batch 2 --proxies params --out-csv s.h5
expect_same "inputs untouched" "$before" s.h5
expect_same "inputs untouched" "$before_all" all.h5
expect_error "proxies --out-csv and --out-h5 name one file" 2 "name the same file" -- \
  "$zcevo" proxies "${Q[@]}" --arch 0 --arch 1 --batch 2 --proxies params --out-csv o.csv \
  --out-h5 o.csv
expect_absent "nothing written for a usage error" o.csv o.csv.journal o.csv.lock

P=(proxies "${Q[@]}" --arch 0 --arch 1 --batch 2 --proxies params,flops)
"$zcevo" "${P[@]}" --out-csv run.csv --out-h5 run.h5 --out-corr run.corr >/dev/null ||
  bad "proxies run"
before=$(fingerprint run.csv run.h5 run.corr)
expect_error "proxies --out-csv of another space" 1 "other architectures" -- \
  "$zcevo" proxies "${Q[@]}" --space nats_sss --arch 3 --arch 4 --batch 2 --proxies params,flops \
  --out-csv run.csv
expect_error "proxies --out-csv of other proxies" 1 "holds other proxies" -- \
  "$zcevo" "${P[@]/params,flops/params}" --out-csv run.csv
expect_error "proxies --out-h5 of another batch" 1 "batch='2', this run has '4'" -- \
  "$zcevo" proxies "${Q[@]}" --arch 0 --arch 1 --batch 4 --proxies params,flops \
  --out-csv other.csv --out-h5 run.h5
expect_error "proxies --out-corr of another task" 1 "another task" -- \
  "$zcevo" "${P[@]}" --dataset cifar100 --out-csv c100.csv --out-corr run.corr
expect_same "outputs of another run untouched" "$before" run.csv run.h5 run.corr
if "$zcevo" "${P[@]}" --out-csv run.csv --out-h5 run.h5 --out-corr run.corr >/dev/null 2>&1 &&
  [ "$(fingerprint run.csv run.corr)" = "$(echo "$before" | cut -d' ' -f1,3) " ]; then
  ok
else
  bad "the same run replaces its own outputs with the same bytes"
fi

printf '0\n1\n' >archs.txt
before=$(fingerprint archs.txt)
expect_error "stats --out onto its --arch-file" 1 "same file as the input 'archs.txt'" -- \
  "$zcevo" stats "${Q[@]}" --arch-file archs.txt --out archs.txt
expect_same "--arch-file untouched" "$before" archs.txt
mkdir mydata
ln -s "$data/nb201" mydata/nb201
ln -s "$data/cifar10" mydata/cifar10
expect_error "stats --out inside the data folder" 1 "inside the folder 'mydata'" -- \
  "$zcevo" stats --data mydata --threads 1 --quiet --arch 0 --out mydata/x.h5
expect_absent "nothing written into the data folder" mydata/x.h5 mydata/x.h5.partial
mkdir runx
cp s.h5 runx/s.h5
expect_error "evolve --stats inside its --run-dir" 1 "inside the run folder" -- \
  "$zcevo" evolve --data "$data" --stats runx/s.h5 --run-dir runx --generations 1 --quiet

# ---- 2. concurrent writers, HDF5 file locking off ---------------------------------
export HDF5_USE_FILE_LOCKING=FALSE
# held_by_first NAME LOCK PATTERN -- command: start the command, stop it once
# LOCK exists, run it again (refused), resume the first (succeeds).
held_by_first() {
  local name=$1 lock=$2 pattern=$3
  shift 4
  "$@" >/dev/null 2>"$tmp/first.err" &
  local pid=$!
  children+=("$pid")
  if ! wait_for "$lock"; then
    bad "$name: the first run never took '$lock'"
    wait "$pid"
    return
  fi
  kill -STOP "$pid"
  expect_error "$name" 1 "$pattern" -- "$@"
  kill -CONT "$pid"
  if wait "$pid"; then ok; else bad "$name: the first run failed: $(cat "$tmp/first.err")"; fi
}
S=(stats "${Q[@]}" --archs 4 --batch 2 --image-size 16 --terminals act_data,wt --out conc.h5)
held_by_first "a second stats writer (no HDF5 locking)" conc.h5.lock \
  "conc.h5' is locked by another zcevo process" -- "$zcevo" "${S[@]}"
if "$zcevo" score --stats conc.h5 --program 'mean(act_data)' --quiet | grep -q ' 4 '; then ok; else
  bad "the first writer's file holds its 4 architectures"
fi
E=(evolve --data "$data" --stats all.h5 --population 4 --lambda 4 --mu 2 --generations 2
   --run-dir runc --quiet --threads 1)
held_by_first "a second evolve on one --run-dir" runc/run.lock "is locked by another zcevo" -- \
  "$zcevo" "${E[@]}"
[ -e runc/result.txt ] && ok || bad "the first evolve finished its run folder"
held_by_first "a second proxies on one --out-csv" pc.csv.lock "pc.csv' is locked" -- \
  "$zcevo" "${P[@]}" --out-csv pc.csv
unset HDF5_USE_FILE_LOCKING

"$zcevo" "${S[@]/conc.h5/stale.h5}" --archs 40 &
pid=$!
children+=("$pid")
wait_for stale.h5.lock && kill -9 "$pid"
wait "$pid" 2>/dev/null
if "$zcevo" "${S[@]/conc.h5/stale.h5}" 2>stale.err && grep -q "removed the stale lock 'stale.h5.lock'" stale.err; then
  ok
else
  bad "a killed run's lock is reclaimed with a message: $(cat stale.err)"
fi

# ---- 3. the statistics reader checks what it reads ----------------------------------
# damage KIND: d_KIND.h5, a copy of s.h5 damaged with h5py
damage() {
  cp s.h5 "d_$1.h5"
  "$PY" - "d_$1.h5" "$1" <<'PY'
import sys
import h5py
import numpy as np
path, kind = sys.argv[1:3]
if kind == "flip":  # one bit of a terminal's stored bytes (its checksummed chunk)
    with h5py.File(path, "r") as f:
        info = f["archs/000001/layers/002/act_data"].id.get_chunk_info(0)
    with open(path, "r+b") as f:
        f.seek(info.byte_offset + 9)
        b = f.read(1)[0]
        f.seek(info.byte_offset + 9)
        f.write(bytes([b ^ 1]))
    sys.exit(0)
with h5py.File(path, "r+") as f:
    g = f["archs/000000/layers/001"]
    if kind == "shape7":
        del g["act_data"]
        g.create_dataset("act_data", data=np.zeros(7, "f4"))
    elif kind == "int8":
        a = g["act_data"][()]
        del g["act_data"]
        g.create_dataset("act_data", data=a.astype("i1"))
    elif kind == "c_in":
        g.attrs["c_in"] = np.int32(4096)
    elif kind in ("batch0", "batch-5"):
        f.attrs["batch"] = np.int32(0 if kind == "batch0" else -5)
    elif kind == "image_h":
        f.attrs["image_h"] = np.int32(1000000)
    elif kind == "space":
        f.attrs.create("space", np.bytes_("nosuchspace"))
PY
}
for k in shape7 int8 c_in batch0 batch-5 image_h space flip; do damage $k; done
R=(score --program eznas-a --program 'mean(act_data)' --quiet)
expect_error "terminal of 7 elements" 1 "d_shape7.h5': arch 000000, layer 001 \(.*\): terminal 'act_data' has shape \(7\)" -- \
  "$zcevo" "${R[@]}" --stats d_shape7.h5
expect_error "int8 terminal" 1 "layer 001.*'act_data' holds 1-byte integer values, expected 4-byte reals" -- \
  "$zcevo" "${R[@]}" --stats d_int8.h5
expect_error "c_in=4096" 1 "layer 001.*c_in=4096" -- "$zcevo" "${R[@]}" --stats d_c_in.h5
expect_error "batch=0" 1 "d_batch0.h5': root attribute batch=0 is out of range" -- \
  "$zcevo" "${R[@]}" --stats d_batch0.h5
expect_error "batch=-5" 1 "batch=-5 is out of range" -- "$zcevo" "${R[@]}" --stats d_batch-5.h5
expect_error "image_h=1e6" 1 "image_h=1000000 is out of range" -- \
  "$zcevo" "${R[@]}" --stats d_image_h.h5
expect_error "space=nosuchspace" 1 "space='nosuchspace' is not a known space" -- \
  "$zcevo" "${R[@]}" --stats d_space.h5
expect_error "a flipped bit in a terminal's data" 1 "d_flip.h5': arch 000001, layer 002.*act_data' cannot be read \(the file is damaged\).*(Fletcher32|checksum)" -- \
  "$zcevo" "${R[@]}" --stats d_flip.h5
# byte 6000 of the file flipped: refused, or (an unused byte) the same scores
cp s.h5 d_6000.h5
printf '\x5a' | dd of=d_6000.h5 bs=1 seek=6000 conv=notrunc status=none
"$zcevo" score --stats d_6000.h5 --program eznas-a --program 'mean(act_data)' --quiet \
  >d6000.txt 2>d6000.err
rc=$?
if { [ $rc -eq 1 ] && [ "$(wc -l <d6000.err)" -eq 1 ]; } ||
   { [ $rc -eq 0 ] && diff -q <(awk '{$1=""; print}' d6000.txt) <(awk '{$1=""; print}' good.txt) >/dev/null; }; then
  ok
else
  bad "byte 6000 flipped: exit $rc, $(cat d6000.err)"
fi

# ---- 4. a full disk --------------------------------------------------------------
full() { bash -c 'trap "" XFSZ; ulimit -f "$0"; exec "$@"' "$@"; }
expect_error "bench --write-programs on a full disk" 1 "progs.txt': File too large" -- \
  full 4 "$zcevo" bench eval --stats all.h5 --programs 300 --write-programs progs.txt
expect_absent "no empty or partial program list" progs.txt
expect_error "stats on a full disk" 1 "full.h5" -- \
  full 400 "$zcevo" stats "${Q[@]}" --archs 3 --batch 2 --image-size 16 --out full.h5
expect_absent "no final statistics file" full.h5

# ---- 5. no late failures ------------------------------------------------------------
expect_error "proxies --out-h5 into a missing folder" 1 "/nonexistent-zcevo/p.h5" -- \
  "$zcevo" "${P[@]}" --out-csv late.csv --out-h5 /nonexistent-zcevo/p.h5
expect_absent "nothing computed, no journal" late.csv late.csv.journal late.csv.lock
expect_error "stats --out ''" 2 "--out needs a file name" -- "$zcevo" stats "${Q[@]}" --arch 0 --out ''
expect_absent "no hidden .partial" .partial .lock

# ---- 7. the small ones ---------------------------------------------------------------
printf '0\n1\0005\n7\n' >nul.txt
expect_error "--arch-file with a NUL byte" 1 "nul.txt' line 2 holds a NUL byte" -- \
  "$zcevo" stats "${Q[@]}" --arch-file nul.txt --out nul.h5
"$PY" -c "import random, sys; random.seed(7); sys.stdout.buffer.write(bytes(random.randrange(256) for _ in range(4000)))" >bin.txt
expect_error "binary --arch-file" 1 "bin.txt' line [0-9]+ holds .*not a text file" -- \
  "$zcevo" stats "${Q[@]}" --arch-file bin.txt --out bin.h5
expect_absent "no output for a refused --arch-file" nul.h5 bin.h5 nul.h5.partial bin.h5.partial
mkdir empty_data
expect_error "spaces without tables" 1 "[0-9]+ of [0-9]+ benchmark tables could not be read" -- \
  "$zcevo" spaces --data empty_data
expect_error "score --acc-column nosuch" 1 "--acc-column 'nosuch': stats file 's.h5' has no such accuracy column" -- \
  "$zcevo" score --stats s.h5 --program eznas-a --acc-column nosuch --quiet
expect_error "evolve --mu 9 --population 8" 2 "--mu 9 is larger than --population 8" -- \
  "$zcevo" evolve --mu 9 --population 8 --run-dir never
expect_absent "no run folder for a usage error" never

finish
