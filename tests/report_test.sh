#!/bin/bash
# report_test.sh: `zcevo report` validates its inputs, writes atomically and
# finds scripts/report.py from anywhere (issue 14, item 6).
#   good inputs: a proxies CSV whose proxies are the accuracy, its negation
#     and a constant (Kendall tau 1, -1 and constant: closed forms checked in
#     correlations.csv) and an evolve log: exit 0, the figures, no temporary
#     file left;
#   bad inputs, each exit 1 (2 for flags) with exactly one line on stderr
#     naming the file or value, no traceback, and the output folder left as
#     it was: an empty folder, a text file, an empty CSV, a header-only CSV,
#     rows of the wrong width, a non-numeric accuracy, a binary CSV, a bad
#     evolve log, missing / malformed / non-numeric --published, an unknown
#     --scatter proxy, an unknown flag, --out that is a file, an unwritable
#     --out, a write error in the middle (file size limit, like a full disk:
#     the previous report stays byte-identical), an output that would replace
#     an input, python without matplotlib, a missing ZCEVO_REPORT_SCRIPT;
#   the script is found by a copy of the binary outside the source tree run
#     from /, and by an installed binary (cmake --install: share/zcevo).
#
# Usage: report_test.sh ZCEVO_BIN PYTHON BUILD_DIR CMAKE
set -u
ZCEVO=$1 PYTHON=$2 BUILD_DIR=$3 CMAKE=$4
tmp=$(mktemp -d "${TMPDIR:-/tmp}/zcevo_report_test.XXXXXX")
trap 'chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT
export ZCEVO_PYTHON=$PYTHON
passed=0 failed=0
ok() { passed=$((passed + 1)); echo "ok   $*"; }
bad() { failed=$((failed + 1)); echo "FAIL $*"; }

# folder_state DIR: a listing with checksums of everything under DIR.
folder_state() { [ -d "$1" ] && (cd "$1" && find . -print0 | sort -z | xargs -0 -r md5sum 2>/dev/null; find . | sort); }

# expect_error RC WORDS OUT_DIR -- ARGS...: zcevo report ARGS exits RC with
# one line on stderr containing WORDS, no traceback, and OUT_DIR unchanged.
expect_error() {
    local want_rc=$1 words=$2 out_dir=$3; shift 4
    local before after rc
    before=$(folder_state "$out_dir")
    "$ZCEVO" report "$@" >"$tmp/stdout" 2>"$tmp/stderr"
    rc=$?
    after=$(folder_state "$out_dir")
    local err lines
    err=$(cat "$tmp/stderr")
    lines=$(grep -c . "$tmp/stderr")
    if [ "$rc" != "$want_rc" ]; then bad "report $*: exit $rc, expected $want_rc ($err)"
    elif [ "$lines" != 1 ]; then bad "report $*: $lines lines on stderr: $err"
    elif ! grep -qF -- "$words" "$tmp/stderr"; then bad "report $*: '$err' lacks '$words'"
    elif grep -q Traceback "$tmp/stderr"; then bad "report $*: traceback"
    elif [ "$before" != "$after" ]; then bad "report $*: the output folder $out_dir changed"
    else ok "exit $rc: $err"
    fi
}

# ---- inputs -------------------------------------------------------------------
good=$tmp/good
mkdir -p "$good"
{
    echo "arch_index,arch_str,accuracy,same,negated,flat"
    for i in 0 1 2 3 4 5; do
        acc=$((60 + 5 * i))
        echo "$i,\"|arch~$i|\",$acc.5,$acc.5,-$acc.5,1"
    done
} >"$good/nb201_cifar10.csv"
printf 'generation,best,mean,valid_fraction\n1,0.30,0.10,0.9\n2,0.42,0.20,0.9\n3,0.51,0.26,0.95\n' >"$good/log.csv"
printf 'task,proxy,kendall_tau,spearman_rho,source\nnb201_cifar10,same,0.9,,paper\n' >"$tmp/published.csv"

# ---- a good report --------------------------------------------------------------
if "$ZCEVO" report "$good" --scatter same,negated --published "$tmp/published.csv" >"$tmp/stdout" 2>"$tmp/stderr"; then
    ok "good inputs: $(cat "$tmp/stdout")"
else
    bad "good inputs: exit $?: $(cat "$tmp/stderr")"
fi
for f in report.md correlations.csv tau_by_task.png scatter_nb201_cifar10_same.png \
         scatter_nb201_cifar10_negated.png gp_progress_0_good.png; do
    [ -s "$good/report/$f" ] && ok "wrote $f" || bad "missing $good/report/$f"
done
leftover=$(find "$good/report" -name '.report.*' -o -name '*.partial*' | head -1)
[ -z "$leftover" ] && ok "no temporary file left" || bad "temporary file left: $leftover"
# closed forms: tau(accuracy, accuracy) = 1, tau(accuracy, -accuracy) = -1, constant: nan
grep -q '^nb201_cifar10,,,,same,1.000000,1.000000,6,0$' "$good/report/correlations.csv" &&
    grep -q '^nb201_cifar10,,,,negated,-1.000000,-1.000000,6,0$' "$good/report/correlations.csv" &&
    grep -q '^nb201_cifar10,,,,flat,nan,nan,6,0$' "$good/report/correlations.csv" &&
    ok "correlations.csv: tau 1, -1 and constant" ||
    bad "correlations.csv: $(cat "$good/report/correlations.csv")"
grep -q '| nb201_cifar10 | same | 1.000 | 0.900 | 1.000 | — | paper |' "$good/report/report.md" &&
    ok "published figures beside ours" || bad "report.md lacks the published row"

# ---- bad inputs: exit 1 (2 for flags), one line, nothing changed ---------------
out=$good/report
mkdir -p "$tmp/empty"
expect_error 1 "no proxies CSV" "$out" -- "$tmp/empty" --out "$out"
echo "just some notes" >"$tmp/notes.txt"
expect_error 1 "notes.txt' is neither a proxies CSV" "$out" -- "$tmp/notes.txt" --out "$out"
: >"$tmp/zero.csv"
expect_error 1 "zero.csv' is empty" "$out" -- "$tmp/zero.csv" --out "$out"
echo "arch_index,arch_str,accuracy,synflow" >"$tmp/header_only.csv"
expect_error 1 "header_only.csv' has no architectures" "$out" -- "$tmp/header_only.csv" --out "$out"
printf 'arch_index,arch_str,accuracy,synflow\n0,a,70,1\n1,b,71,2,9\n' >"$tmp/wide.csv"
expect_error 1 "wide.csv' line 3: 4 fields expected" "$out" -- "$tmp/wide.csv" --out "$out"
printf 'arch_index,arch_str,accuracy,synflow\n0,a,70,1\n1,b,seventy,2\n' >"$tmp/word.csv"
expect_error 1 "word.csv' line 3: column accuracy is not a number: 'seventy'" "$out" -- "$tmp/word.csv" --out "$out"
printf '\x89\xff\xfe\x00binary\x80\x81,\xc3\x28\n\x00\x01\x02' >"$tmp/binary.csv"
expect_error 1 "binary.csv' is not a text CSV file" "$out" -- "$tmp/binary.csv" --out "$out"
mkdir -p "$tmp/binary_in_folder" && cp "$tmp/binary.csv" "$tmp/binary_in_folder/"
expect_error 1 "binary.csv' is not a text CSV file" "$out" -- "$tmp/binary_in_folder" --out "$out"
mkdir -p "$tmp/badlog" && printf 'generation,best,mean\n1,0.3,0.1\nx,0.4,0.2\n' >"$tmp/badlog/log.csv"
expect_error 1 "log.csv' line 3: column generation is not an integer" "$out" -- "$tmp/badlog" --out "$out"
expect_error 1 "published figures '$tmp/none.csv' do not exist" "$out" -- "$good" --out "$out" --published "$tmp/none.csv"
printf 'task,proxy,tau\nnb201_cifar10,same,0.9\n' >"$tmp/pub_cols.csv"
expect_error 1 "lacks column(s) kendall_tau,spearman_rho" "$out" -- "$good" --out "$out" --published "$tmp/pub_cols.csv"
printf 'task,proxy,kendall_tau,spearman_rho,source\nnb201_cifar10,same,high,0.5,x\n' >"$tmp/pub_num.csv"
expect_error 1 "pub_num.csv' line 2: column kendall_tau is not a number: 'high'" "$out" -- "$good" --out "$out" --published "$tmp/pub_num.csv"
expect_error 1 "published figures '$tmp/binary.csv' is not a text CSV" "$out" -- "$good" --out "$out" --published "$tmp/binary.csv"
expect_error 2 "--scatter: proxy 'synflw' is in no proxies CSV" "$out" -- "$good" --out "$out" --scatter same,synflw
expect_error 2 "unrecognized arguments: --colour" "$out" -- "$good" --out "$out" --colour red
expect_error 2 "the following arguments are required: runs" "$out" --
expect_error 1 "--out '$good/log.csv' exists and is not a folder" "$out" -- "$good" --out "$good/log.csv"

# unwritable --out: a read-only folder (as root, where permissions do not
# bind, a folder under /proc, where nothing can be created)
ro=$tmp/readonly
mkdir -p "$ro" && chmod 555 "$ro"
if touch "$ro/probe" 2>/dev/null; then rm -f "$ro/probe"; ro=/proc/zcevo_report_test_out; fi
expect_error 1 "cannot write into --out '$ro/report'" "$out" -- "$good" --out "$ro/report"

# a write error in the middle (8 KiB file size limit, as a full disk): the
# previous report stays byte-identical, no temporary file is left
before=$(folder_state "$out")
(ulimit -f 8; "$ZCEVO" report "$good" --out "$out" >"$tmp/stdout" 2>"$tmp/stderr")
rc=$?
if [ "$rc" = 1 ] && [ "$(grep -c . "$tmp/stderr")" = 1 ] && grep -q "nothing in it was changed" "$tmp/stderr" &&
   [ "$before" = "$(folder_state "$out")" ]; then
    ok "write error: $(cat "$tmp/stderr")"
else
    bad "write error: exit $rc, $(cat "$tmp/stderr"), folder changed: $([ "$before" = "$(folder_state "$out")" ] && echo no || echo yes)"
fi

# an output that would replace an input (correlations.csv read as a proxies CSV)
mkdir -p "$tmp/clash" && cp "$good/nb201_cifar10.csv" "$tmp/clash/correlations.csv"
expect_error 1 "would replace its input" "$tmp/clash" -- "$tmp/clash" --out "$tmp/clash"

# python without matplotlib (a stub package that fails to import)
mkdir -p "$tmp/nompl/matplotlib"
echo 'raise ImportError("no matplotlib here", name="matplotlib")' >"$tmp/nompl/matplotlib/__init__.py"
PYTHONPATH=$tmp/nompl expect_error 1 "cannot import matplotlib" "$out" -- "$good" --out "$out"
ZCEVO_REPORT_SCRIPT=$tmp/nowhere.py expect_error 1 "report script '$tmp/nowhere.py' (ZCEVO_REPORT_SCRIPT) does not exist" "$out" -- "$good"

# ---- the script from anywhere ---------------------------------------------------
mkdir -p "$tmp/elsewhere/bin"
cp "$ZCEVO" "$tmp/elsewhere/bin/zcevo"
if (cd / && "$tmp/elsewhere/bin/zcevo" report "$good" --out "$tmp/from_copy" >"$tmp/stdout" 2>"$tmp/stderr") &&
   [ -s "$tmp/from_copy/report.md" ]; then
    ok "a copy outside the source tree, run from /, finds the script"
else
    bad "a copy outside the source tree: $(cat "$tmp/stderr")"
fi
if "$CMAKE" --install "$BUILD_DIR" --prefix "$tmp/prefix" >"$tmp/install.log" 2>&1; then
    help=$(cd / && "$tmp/prefix/bin/zcevo" report --help 2>&1)
    if echo "$help" | tr -d '\n ' | grep -qF "Script:$tmp/prefix/share/zcevo/report.py"; then
        ok "the installed binary runs the installed script"
    else
        bad "the installed binary does not run $tmp/prefix/share/zcevo/report.py: $help"
    fi
    (cd / && "$tmp/prefix/bin/zcevo" report "$good" --out "$tmp/from_install" >/dev/null 2>"$tmp/stderr") &&
        [ -s "$tmp/from_install/report.md" ] && ok "the installed binary writes a report" ||
        bad "the installed binary: $(cat "$tmp/stderr")"
else
    bad "cmake --install failed: $(tail -3 "$tmp/install.log")"
fi

echo "$passed passed, $failed failed"
[ "$failed" = 0 ] && [ "$passed" -gt 0 ]
