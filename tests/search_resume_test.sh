#!/bin/bash
# search_resume_test.sh: `zcevo search` killed with SIGKILL resumes to the
# identical result: a run is killed while its first trial scores (and a
# half-written line is left at the end of its score cache), started again
# and killed again after its first trial has finished, then run to the end;
# its trials.csv and trial curves equal those of an uninterrupted run, the
# finished trial is read back rather than run again, and the architectures
# the killed runs had scored are not computed again.
# usage: search_resume_test.sh ZCEVO DATA_DIR WORK_DIR
set -u
ZCEVO=$1
export ZCEVO_DATA=$2
WORK=$3/resume
fail() { echo "FAIL: $*"; exit 1; }
rm -rf "$WORK"
mkdir -p "$WORK"
cd "$WORK" || exit 1
A="--proxy nwot --batch 4 --budget 50 --population 10 --sample-size 4 --children 5 --trials 2 --threads 2 --quiet"
"$ZCEVO" search $A --run-dir full >/dev/null || fail "uninterrupted run"

lines() { { wc -l <"$1"; } 2>/dev/null || echo 0; }
# run_and_kill CONDITION [DELAY]: start a run in res/, kill -9 it DELAY
# seconds after CONDITION holds
run_and_kill() {
    "$ZCEVO" search $A --run-dir res >/dev/null &
    local pid=$!
    for _ in $(seq 1 1200); do
        eval "$1" && break
        sleep 0.05
    done
    sleep "${2:-0}"
    kill -9 $pid 2>/dev/null
    wait $pid 2>/dev/null
}
run_and_kill '[ "$(lines res/scores.csv)" -ge 22 ]'
[ -e res/trials.csv ] && fail "the first kill came after a trial had finished"
killed1=$(($(lines res/scores.csv) - 2))
printf '77,1.5' >>res/scores.csv # a line cut in the middle of its write
run_and_kill '[ -e res/trials.csv ]' 1
[ -e res/trials.csv ] || fail "the second run was killed before its first trial finished"
"$ZCEVO" search $A --run-dir res >res.out || fail "resumed run"
for f in full/trials.csv full/trial_0.csv full/trial_1.csv; do
    cmp -s "$f" "res/$(basename "$f")" || fail "res/$(basename "$f") differs from $f"
done
grep -q "trial 0 (seed 1): finished before" res.out || fail "trial 0 was run again"
grep -q "^77," res/scores.csv && fail "the cut line was kept"
# trial 0 was finished by the second run: it computed only what the first
# run had not cached
full0=$(awk -F, '$1 == 0 {print $4}' full/timing.csv)
res0=$(awk -F, '$1 == 0 {print $4}' res/timing.csv)
[ "$res0" -eq $((full0 - killed1)) ] ||
    fail "trial 0 computed $res0 values after the kill, expected $full0 - $killed1"
echo "search resume: identical after two kills (trial 0 computed $full0 values uninterrupted," \
     "$killed1 before the first kill and $res0 after it)"
