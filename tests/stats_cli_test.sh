#!/usr/bin/env bash
# stats_cli_test.sh: `zcevo stats` on bad input and on re-runs. Every bad
# input must give exactly one stderr line "zcevo: error: ..." naming the file
# or value, a non-zero exit, and leave existing files byte-identical.
# usage: stats_cli_test.sh ZCEVO DATA_DIR
set -u
zcevo=$1; data=$2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
pass=0; fail=0
ok()  { pass=$((pass+1)); }
bad() { fail=$((fail+1)); echo "FAIL: $*"; }

# expect_error NAME EXPECTED_CODE PATTERN -- command...
expect_error() {
  local name=$1 code=$2 pattern=$3; shift 4
  "$@" >"$tmp/out" 2>"$tmp/err"; local rc=$?
  local lines; lines=$(wc -l <"$tmp/err")
  if [ "$rc" -ne "$code" ]; then bad "$name: exit $rc, expected $code"; cat "$tmp/err"; return; fi
  if [ "$lines" -ne 1 ]; then bad "$name: $lines stderr lines, expected 1"; cat "$tmp/err"; return; fi
  if ! grep -q -- "$pattern" "$tmp/err"; then bad "$name: message lacks '$pattern': $(cat "$tmp/err")"; return; fi
  ok
}

S=(--arch 0 --quiet --threads 1)
expect_error "missing data folder" 1 "/nonexistent/data" -- "$zcevo" stats --data /nonexistent/data "${S[@]}" --out "$tmp/a.h5"
ZCEVO_DATA=/nowhere expect_error "missing data via env" 1 "/nowhere" -- "$zcevo" stats "${S[@]}" --out "$tmp/a.h5"

# truncated CIFAR file in a data folder that is otherwise complete
mkdir -p "$tmp/data/cifar10"; ln -s "$data/nb201" "$tmp/data/nb201"
head -c 100000 "$data/cifar10/train.bin" >"$tmp/data/cifar10/train.bin"
expect_error "truncated CIFAR" 1 "$tmp/data/cifar10/train.bin" -- "$zcevo" stats --data "$tmp/data" "${S[@]}" --out "$tmp/a.h5"

expect_error "unknown arch string" 1 "|foo~0|+|none~0|none~1|+|none~0|none~1|none~2|" -- \
  "$zcevo" stats --data "$data" --arch "|foo~0|+|none~0|none~1|+|none~0|none~1|none~2|" --out "$tmp/a.h5"
expect_error "arch index out of range" 1 "99999" -- "$zcevo" stats --data "$data" --arch 99999 --out "$tmp/a.h5"
expect_error "bad SSS string" 1 "8:8:9:8:8" -- "$zcevo" stats --data "$data" --space nats_sss --arch 8:8:9:8:8 --out "$tmp/a.h5"
expect_error "batch too large" 1 "5000" -- "$zcevo" stats --data "$data" --dataset cifar100 --batch 5000 "${S[@]}" --out "$tmp/a.h5"
expect_error "unwritable output" 1 "/nonexistent_dir/x.h5" -- "$zcevo" stats --data "$data" "${S[@]}" --out /nonexistent_dir/x.h5
expect_error "unknown flag" 2 "--bogus" -- "$zcevo" stats --bogus
expect_error "bad batch value" 2 "--batch" -- "$zcevo" stats --batch zero
expect_error "unknown terminal" 2 "foo_data" -- "$zcevo" stats --terminals act_data,foo_data
expect_error "unknown space" 2 "nope" -- "$zcevo" stats --space nope
expect_error "unknown device" 1 "tpu" -- "$zcevo" stats --data "$data" --device tpu "${S[@]}" --out "$tmp/a.h5"

# a good file, then a run with another configuration on it: refused, untouched
if "$zcevo" stats --data "$data" "${S[@]}" --terminals act_data,wt --out "$tmp/good.h5"; then ok; else bad "good run failed"; fi
sum=$(md5sum <"$tmp/good.h5")
expect_error "different configuration" 1 "batch" -- "$zcevo" stats --data "$data" "${S[@]}" --batch 2 --terminals act_data,wt --out "$tmp/good.h5"
[ "$(md5sum <"$tmp/good.h5")" = "$sum" ] && ok || bad "existing output changed by a refused run"

# corrupt existing output: refused, untouched
head -c 5000 /dev/urandom >"$tmp/corrupt.h5"; sum=$(md5sum <"$tmp/corrupt.h5")
expect_error "corrupt existing output" 1 "$tmp/corrupt.h5" -- "$zcevo" stats --data "$data" "${S[@]}" --out "$tmp/corrupt.h5"
[ "$(md5sum <"$tmp/corrupt.h5")" = "$sum" ] && ok || bad "corrupt output changed"

# re-run with more architectures: the complete one is skipped
"$zcevo" stats --data "$data" --arch 0 --arch 7 --threads 1 --terminals act_data,wt --out "$tmp/good.h5" 2>"$tmp/err"
grep -q "1 architectures to compute (1 already complete)" "$tmp/err" && ok || { bad "resume did not skip"; cat "$tmp/err"; }

# NaN statistics and malformed programs are refused by zcevo score
cp "$tmp/good.h5" "$tmp/nan.h5"
/usr/bin/python3 - "$tmp/nan.h5" <<'PY'
import sys, h5py
with h5py.File(sys.argv[1], "r+") as f:
    d = f["archs/000000/layers/001/act_data"]; a = d[()]; a.flat[3] = float("nan"); d[...] = a
PY
expect_error "NaN statistics" 1 "act_data\[3\] = nan" -- "$zcevo" score --stats "$tmp/nan.h5" --program "mean(act_data)"
expect_error "malformed program" 2 "position" -- "$zcevo" score --stats "$tmp/good.h5" --program "mean(act_data"
expect_error "unknown terminal in program" 2 "act_dta" -- "$zcevo" score --stats "$tmp/good.h5" --program "mean(act_dta)"

# the sizes printed before a run: the cache within 10% of the file written,
# the peak memory within 10% of what the process reached (one thread; with
# several it is an upper estimate: the largest architectures at once).
# Small MobileNets, and an NDS ImageNet net at 224x224 with every terminal
# (~240 MiB) and with two (~16 MiB).
check_sizes() {  # NAME ARGS...
  local name=$1; shift
  rm -f "$tmp/size.h5"
  "$zcevo" stats --data "$data" --threads 1 "$@" --out "$tmp/size.h5" 2>"$tmp/err"
  /usr/bin/python3 - "$tmp/err" "$tmp/size.h5" "$name" <<'PY' && ok || bad "$name: size or memory estimate off by more than 10%"
import os, re, sys
text = open(sys.argv[1]).read()
scale = {"B": 1, "KiB": 1024, "MiB": 1024**2, "GiB": 1024**3}
def size(pattern):
    m = re.search(pattern, text)
    if not m:
        sys.exit(f"{sys.argv[3]}: no match for {pattern!r} in: {text}")
    return float(m.group(1)) * scale[m.group(2)]
unit = r"([0-9.]+) (B|KiB|MiB|GiB)"
predicted, actual = size("expected cache size " + unit), os.path.getsize(sys.argv[2])
peak_est, peak = size(r"peak memory about " + unit), size(r"peak memory " + unit + r" \(estimated")
print(f"{sys.argv[3]}: cache estimate {predicted:.0f} B, file {actual} B; "
      f"peak memory estimate {peak_est:.0f} B, measured {peak:.0f} B")
sys.exit(0 if abs(actual - predicted) <= 0.10 * actual and abs(peak - peak_est) <= 0.10 * peak else 1)
PY
}
check_sizes "channel_mobilenet" --space channel_mobilenet --archs 2 --batch 1
check_sizes "nds_amoeba_in 224x224" --space nds_amoeba_in --arch 45 --batch 1
check_sizes "nds_amoeba_in 224x224, 2 terminals" --space nds_amoeba_in --arch 45 --batch 1 --terminals act_data,wt
rm -f "$tmp/size.h5"

# an interrupted run leaves no file that reads as complete
"$zcevo" stats --data "$data" --archs 40 --batch 4 --threads 1 --out "$tmp/killed.h5" --quiet &
pid=$!; sleep 2; kill -9 $pid 2>/dev/null; wait $pid 2>/dev/null
[ ! -e "$tmp/killed.h5" ] && ok || bad "killed run left a final file"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
