#!/usr/bin/env bash
# bad_input_test.sh: the bad-input matrix of every C command (evolve, stats,
# bench eval, spaces, score, proxies; `zcevo report` is scripts/report.py,
# tested with it). Per command: an unknown option, a missing value and a bad
# number (usage: exit 2), a missing, a non-HDF5 and an empty input, an
# output in a missing folder, an output onto an input (exit 1). Every
# refusal: exactly one "zcevo: error:" line naming the file or value, and
# the files of the folder byte-identical afterwards (nothing written, no
# lock, journal, .partial or run folder left behind).
# usage: bad_input_test.sh ZCEVO DATA_DIR
set -u
zcevo=$1
data=$2
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$here/cli_lib.sh"
cd "$tmp" || exit 1
Q=(--data "$data" --threads 1 --quiet)

"$zcevo" stats "${Q[@]}" --arch 0 --arch 1 --arch 5 --batch 2 --image-size 8 \
  --terminals act_data,inpact_grad_data --out s.h5 || { echo "FAIL: setup"; exit 1; }
echo "this is not an HDF5 file" >junk.h5
: >empty.h5
printf 'mean(act_data)\n' >progs.txt
mkdir in
cp s.h5 in/keep.h5

# state: the fingerprint of every file of the folder (names and contents).
state() {
  find . -path ./out -prune -o -path ./err -prune -o -type f -print | LC_ALL=C sort |
    while read -r f; do echo "$f $(fingerprint "$f")"; done
  find . -type d | LC_ALL=C sort
}
before=$(state)
# refused NAME CODE PATTERN -- command: expect_error, then the folder unchanged.
refused() {
  expect_error "$@"
  if [ "$(state)" != "$before" ]; then
    bad "$1: the folder changed"
    diff <(echo "$before") <(state) | head -5
  fi
}

# ---- usage errors (exit 2) of every command -------------------------------------
for cmd in evolve stats spaces score proxies "bench eval"; do
  # shellcheck disable=SC2086
  refused "$cmd: unknown option" 2 "unknown option '--nosuch'" -- "$zcevo" $cmd --nosuch
done
refused "bench without a benchmark" 2 "expected a benchmark name" -- "$zcevo" bench
refused "score --stats without a value" 2 "option --stats needs a value" -- "$zcevo" score --stats
refused "score --threads x" 2 "--threads expects an integer, got 'x'" -- \
  "$zcevo" score --stats s.h5 --program eznas-a --threads x
refused "score: a malformed program" 2 "--program 'foo\(': .*unknown primitive 'foo'" -- \
  "$zcevo" score --stats s.h5 --program 'foo('
refused "stats --batch 0" 2 "--batch must be in 1..100000, got 0" -- \
  "$zcevo" stats "${Q[@]}" --batch 0 --out x.h5
refused "stats --space nosuch" 2 "unknown space 'nosuch'" -- \
  "$zcevo" stats "${Q[@]}" --space nosuch --out x.h5
refused "stats --out ''" 2 "--out needs a file name" -- "$zcevo" stats "${Q[@]}" --arch 0 --out ''
refused "proxies --proxies nosuch" 2 "unknown proxy 'nosuch'" -- \
  "$zcevo" proxies "${Q[@]}" --arch 0 --proxies nosuch
refused "proxies: two outputs on one file" 2 "name the same file" -- \
  "$zcevo" proxies "${Q[@]}" --arch 0 --proxies params --out-csv o.csv --out-h5 o.csv
refused "evolve --population 0" 2 "--population must be in 2..100000, got 0" -- \
  "$zcevo" evolve --population 0 --run-dir r
refused "evolve --generations -1" 2 "--generations must be in 0..1000000, got -1" -- \
  "$zcevo" evolve --generations -1 --run-dir r
refused "evolve --mu 9 --population 8" 2 "--mu 9 is larger than --population 8" -- \
  "$zcevo" evolve --mu 9 --population 8 --run-dir r
refused "bench eval --programs x" 2 "--programs expects an integer, got 'x'" -- \
  "$zcevo" bench eval --stats s.h5 --programs x

# ---- inputs (exit 1): missing, not HDF5, empty ----------------------------------
for input in missing.h5 junk.h5 empty.h5; do
  why="no such file"
  [ "$input" != missing.h5 ] && why="not an HDF5 file"
  refused "score --stats $input" 1 "stats file '$input': $why" -- \
    "$zcevo" score --stats "$input" --program eznas-a --quiet
  refused "bench eval --stats $input" 1 "stats file '$input': $why" -- \
    "$zcevo" bench eval --stats "$input" --programs 2
  refused "evolve --stats $input" 1 "stats file '$input': $why" -- \
    "$zcevo" evolve --data "$data" --stats "$input" --run-dir r --quiet
done
refused "stats --arch-file missing" 1 "missing.txt" -- \
  "$zcevo" stats "${Q[@]}" --arch-file missing.txt --out x.h5
refused "proxies: an unknown architecture" 1 "architecture index 99999999 is not in" -- \
  "$zcevo" proxies "${Q[@]}" --arch 99999999 --proxies params
refused "stats: an unknown architecture" 1 "architecture index 99999999 is not in" -- \
  "$zcevo" stats "${Q[@]}" --arch 99999999 --out x.h5
refused "stats --data missing" 1 "data folder '/nonexistent-zcevo'" -- \
  "$zcevo" stats --data /nonexistent-zcevo --arch 0 --out x.h5
refused "proxies --data missing" 1 "data folder '/nonexistent-zcevo'" -- \
  "$zcevo" proxies --data /nonexistent-zcevo --arch 0 --proxies params
refused "spaces --data missing" 1 "data folder '/nonexistent-zcevo'" -- \
  "$zcevo" spaces --data /nonexistent-zcevo
refused "evolve --resume of a folder without checkpoint" 1 "in" -- \
  "$zcevo" evolve --data "$data" --resume in --quiet
refused "score --acc-column nosuch" 1 "--acc-column 'nosuch'" -- \
  "$zcevo" score --stats s.h5 --program eznas-a --acc-column nosuch --quiet

# ---- outputs (exit 1): a missing folder, onto an input, of another kind ---------------
refused "stats --out in a missing folder" 1 "/nonexistent-zcevo/x.h5" -- \
  "$zcevo" stats "${Q[@]}" --arch 0 --out /nonexistent-zcevo/x.h5
refused "stats --out onto a non-stats file" 1 "'junk.h5' is not an HDF5 file" -- \
  "$zcevo" stats "${Q[@]}" --arch 0 --out junk.h5
refused "stats --out of another configuration" 1 "in/keep.h5" -- \
  "$zcevo" stats "${Q[@]}" --arch 0 --batch 4 --out in/keep.h5
refused "score --csv in a missing folder" 1 "/nonexistent-zcevo/x.csv" -- \
  "$zcevo" score --stats s.h5 --program eznas-a --csv /nonexistent-zcevo/x.csv --quiet
refused "score --csv onto its --stats" 1 "same file as the input 's.h5'" -- \
  "$zcevo" score --stats s.h5 --program eznas-a --csv s.h5 --quiet
refused "bench eval --write-programs onto its --stats" 1 "same file as the input" -- \
  "$zcevo" bench eval --stats s.h5 --programs 2 --write-programs s.h5
refused "bench eval --write-programs onto another file" 1 "junk.h5" -- \
  "$zcevo" bench eval --stats s.h5 --programs 2 --write-programs junk.h5
refused "proxies --out-csv in a missing folder" 1 "/nonexistent-zcevo/x.csv" -- \
  "$zcevo" proxies "${Q[@]}" --arch 0 --proxies params --out-csv /nonexistent-zcevo/x.csv
refused "proxies --out-h5 in a missing folder" 1 "/nonexistent-zcevo/x.h5" -- \
  "$zcevo" proxies "${Q[@]}" --arch 0 --proxies params --out-csv p.csv \
  --out-h5 /nonexistent-zcevo/x.h5
refused "proxies --out-csv onto a stats file" 1 "not a zcevo proxies CSV" -- \
  "$zcevo" proxies "${Q[@]}" --arch 0 --proxies params --out-csv s.h5
refused "proxies --out-h5 onto a stats file" 1 "s.h5" -- \
  "$zcevo" proxies "${Q[@]}" --arch 0 --proxies params --out-csv p.csv --out-h5 s.h5
refused "evolve --run-dir holding its --stats" 1 "inside the run folder" -- \
  "$zcevo" evolve --data "$data" --stats in/keep.h5 --run-dir in --quiet
refused "evolve --run-dir that is a file" 1 "junk.h5" -- \
  "$zcevo" evolve --data "$data" --stats s.h5 --run-dir junk.h5 --quiet

finish
