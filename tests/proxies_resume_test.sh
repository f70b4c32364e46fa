#!/bin/bash
# proxies_resume_test.sh: `zcevo proxies` resumes from its journal
# (master/cli/proxies_journal.h): a run killed with SIGKILL and started again
# writes the same CSV and table as an uninterrupted run and removes its
# journal; a truncated last journal line is dropped; a journal of another
# configuration is refused with one line and left as it was.
# usage: proxies_resume_test.sh ZCEVO DATA_DIR WORK_DIR
set -u
ZCEVO=$1
export ZCEVO_DATA=$2
WORK=$3/resume
fail() { echo "FAIL: $*"; exit 1; }
rm -rf "$WORK"
mkdir -p "$WORK"
cd "$WORK" || exit 1
A="--archs 10 --batch 4 --seed 3 --proxies snip,nwot,synflow,grasp,jacov,zen --threads 2 --quiet"
"$ZCEVO" proxies $A --out-csv full.csv >full.md || fail "uninterrupted run"
[ -e full.csv.journal ] && fail "journal left after a complete run"
# run_and_kill CSV LINES: start a run, kill -9 it once CSV.journal has LINES lines
run_and_kill() {
    "$ZCEVO" proxies $A --out-csv "$1" >/dev/null &
    local pid=$!
    for _ in $(seq 1 600); do
        [ "$( { wc -l <"$1.journal"; } 2>/dev/null || echo 0)" -ge "$2" ] && break
        sleep 0.05
    done
    kill -9 $pid
    wait $pid 2>/dev/null
}
# kill -9 once the journal holds a few architectures
run_and_kill res.csv 4
[ -e res.csv ] && fail "a killed run left a final CSV"
lines=$(wc -l <res.csv.journal)
[ "$lines" -ge 4 ] && [ "$lines" -le 10 ] || fail "journal has $lines lines"
# a half-written last line, as a kill in the middle of a write leaves it
printf '12345 1.5 2' >>res.csv.journal
"$ZCEVO" proxies $A --out-csv res.csv 2>res.err >res.md || { cat res.err; fail "resume"; }
cmp -s full.csv res.csv || fail "resumed CSV differs from the uninterrupted one"
cmp -s full.md res.md || fail "resumed table differs"
[ -e res.csv.journal ] && fail "journal left after the resumed run"
# another configuration: refused, journal untouched
run_and_kill other.csv 2
cp other.csv.journal before.journal
"$ZCEVO" proxies ${A/--seed 3/--seed 4} --out-csv other.csv 2>other.err >/dev/null
rc=$?
[ $rc -eq 1 ] || fail "another configuration: exit $rc"
[ "$(wc -l <other.err)" -eq 1 ] && grep -q "other.csv.journal' belongs to another run" other.err ||
    { cat other.err; fail "one line naming the journal"; }
cmp -s before.journal other.csv.journal || fail "the refused journal was changed"
[ -e other.csv ] && fail "a refused run wrote a CSV"
echo "proxies resume: killed after $lines journal lines, resumed to the same CSV and table; other configuration refused"
