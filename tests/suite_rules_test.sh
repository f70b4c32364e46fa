#!/bin/bash
# suite_rules_test.sh: the rules that keep a test from vanishing or skipping
# unnoticed (docs/testing.md), on a throwaway CMake project:
#   tests/missing_dependency.sh: --dependency skips (77) but fails (1) under
#     CI=true or ZCEVO_TEST_STRICT=1; --gpu skips (77) on a machine without a
#     GPU even under CI, and fails under CI where nvidia-smi sees a GPU;
#   scripts/check_tests.py: a clean run (passes, a GPU test skipped without
#     a GPU, a test DISABLED and marked so) exits 0; it exits 1, naming each,
#     for a failed test, a non-GPU skip, a GPU skip where a GPU is present, a
#     test of the list no longer registered, a registered test not in the
#     list, a DISABLED test not marked and a marked test enabled; 2 for an
#     unreadable list.
# Usage: suite_rules_test.sh REPO_ROOT CMAKE CTEST PYTHON
set -u
root=$1 cmake=$2 ctest=$3 python=$4
missing=$root/tests/missing_dependency.sh
check=$root/scripts/check_tests.py
work=$(mktemp -d "${TMPDIR:-/tmp}/zcevo_suite_rules.XXXXXX")
trap 'rm -rf "$work"' EXIT
pass=0 failed=0
ok() { echo "ok   $1"; pass=$((pass + 1)); }
bad() { echo "FAIL $1"; failed=$((failed + 1)); }
expect_rc() {   # expect_rc WANT DESCRIPTION CMD...
    local want=$1 what=$2; shift 2
    "$@" >"$work/out" 2>&1; local rc=$?
    if [ "$rc" = "$want" ]; then ok "$what (exit $rc)"; else bad "$what: exit $rc, expected $want"; cat "$work/out"; fi
}

# ---- missing_dependency.sh ---------------------------------------------------
mkdir -p "$work/nogpu" "$work/gpu"
printf '#!/bin/sh\necho "GPU 0: fake"\n' >"$work/gpu/nvidia-smi"
printf '#!/bin/sh\nexit 9\n' >"$work/nogpu/nvidia-smi"
chmod +x "$work/gpu/nvidia-smi" "$work/nogpu/nvidia-smi"
base_path=/usr/bin:/bin
expect_rc 77 "missing dependency skips outside CI" env -u CI -u ZCEVO_TEST_STRICT PATH=$base_path "$missing" --dependency "x"
expect_rc 1 "missing dependency fails under CI=true" env CI=true PATH=$base_path "$missing" --dependency "x"
expect_rc 1 "missing dependency fails under ZCEVO_TEST_STRICT=1" env -u CI ZCEVO_TEST_STRICT=1 PATH=$base_path "$missing" --dependency "x"
expect_rc 77 "GPU test skips under CI without a GPU" env CI=true PATH=$work/nogpu:$base_path "$missing" --gpu "x"
expect_rc 1 "GPU test fails under CI where a GPU is present" env CI=true PATH=$work/gpu:$base_path "$missing" --gpu "x"
expect_rc 77 "GPU test skips outside CI where a GPU is present" env -u CI -u ZCEVO_TEST_STRICT PATH=$work/gpu:$base_path "$missing" --gpu "x"

# ---- check_tests.py on a throwaway project ------------------------------------
# BAD=ON adds a failing test and a non-GPU test that skips
mkdir -p "$work/src"
cat >"$work/src/CMakeLists.txt" <<'CMAKE'
cmake_minimum_required(VERSION 3.20)
project(rules NONE)
enable_testing()
option(BAD "add a failing and a skipping test" OFF)
option(ENABLE_OFF "enable the test that is normally disabled" OFF)
add_test(NAME passes COMMAND sh -c "exit 0")
add_test(NAME gpu_skips COMMAND sh -c "exit 77")
set_tests_properties(gpu_skips PROPERTIES SKIP_RETURN_CODE 77 LABELS "gpu;area")
add_test(NAME off COMMAND sh -c "exit 0")
if(NOT ENABLE_OFF)
  set_tests_properties(off PROPERTIES DISABLED ON)
endif()
if(BAD)
  add_test(NAME fails COMMAND sh -c "exit 3")
  add_test(NAME skips COMMAND sh -c "exit 77")
  set_tests_properties(skips PROPERTIES SKIP_RETURN_CODE 77 LABELS area)
endif()
CMAKE
run_project() {   # run_project BUILD CMAKE_ARGS...: configure, run, JUnit in BUILD/junit.xml
    local b=$1; shift
    "$cmake" -S "$work/src" -B "$b" "$@" >/dev/null 2>&1 || { bad "configure $b"; return 1; }
    "$ctest" --test-dir "$b" --output-junit "$b/junit.xml" >/dev/null 2>&1
    return 0
}
run_project "$work/good"
run_project "$work/bad" -DBAD=ON
run_project "$work/enabled" -DENABLE_OFF=ON
printf '# comment\npasses\ngpu_skips\noff disabled  # why\n' >"$work/good.txt"
printf 'passes\ngpu_skips\noff disabled\nfails\nskips\n' >"$work/bad.txt"
printf 'passes\ngpu_skips\noff disabled\ngone\n' >"$work/gone.txt"
printf 'passes\ngpu_skips\n' >"$work/short.txt"
printf 'passes\ngpu_skips\noff\n' >"$work/unmarked.txt"
nogpu="env PATH=$work/nogpu:$base_path"
withgpu="env PATH=$work/gpu:$base_path"

# expect_check WANT_RC DESCRIPTION EXPECTED_LINE_REGEX|"" CHECK_ARGS...
expect_check() {
    local want=$1 what=$2 line=$3; shift 3
    "$@" >"$work/out" 2>&1; local rc=$?
    if [ "$rc" != "$want" ]; then bad "$what: exit $rc, expected $want"; cat "$work/out"; return; fi
    if [ -n "$line" ] && ! grep -Eq -- "$line" "$work/out"; then
        bad "$what: no line matching '$line'"; cat "$work/out"; return
    fi
    ok "$what (exit $rc)"
}
expect_check 0 "clean run, GPU test skipped without a GPU" "3 registered, 3 expected; 1 passed, 1 skipped.*0 problems" \
    $nogpu "$python" "$check" "$work/good" "$work/good.txt" "$work/good/junit.xml"
expect_check 1 "GPU test skipped where a GPU is present" "^check_tests: gpu_skips: skipped" \
    $withgpu "$python" "$check" "$work/good" "$work/good.txt" "$work/good/junit.xml"
expect_check 1 "failed test" "^check_tests: fails: failed" \
    $nogpu "$python" "$check" "$work/bad" "$work/bad.txt" "$work/bad/junit.xml"
expect_check 1 "non-GPU test skipped" "^check_tests: skips: skipped \(exit 77\)" \
    $nogpu "$python" "$check" "$work/bad" "$work/bad.txt" "$work/bad/junit.xml"
expect_check 1 "a listed test no longer registered" "^check_tests: gone: .*not registered \(a test vanished\)" \
    $nogpu "$python" "$check" "$work/good" "$work/gone.txt" "$work/good/junit.xml"
expect_check 1 "a registered test missing from the list" "^check_tests: off: registered but not in" \
    $nogpu "$python" "$check" "$work/good" "$work/short.txt" "$work/good/junit.xml"
expect_check 1 "a DISABLED test not marked" "^check_tests: off: registered DISABLED but not marked" \
    $nogpu "$python" "$check" "$work/good" "$work/unmarked.txt" "$work/good/junit.xml"
expect_check 1 "a marked test that is enabled" "^check_tests: off: marked 'disabled' .* but enabled" \
    $nogpu "$python" "$check" "$work/enabled" "$work/good.txt" "$work/enabled/junit.xml"
"$ctest" --test-dir "$work/good" -R gpu_skips --output-junit "$work/partial.xml" >/dev/null 2>&1
expect_check 1 "a registered test that did not run" "^check_tests: passes: registered but not in the run" \
    $nogpu "$python" "$check" "$work/good" "$work/good.txt" "$work/partial.xml"
# the selection: -L area registers gpu_skips (and skips in the bad build) only
expect_check 0 "a -L selection" "1 registered, 1 expected" \
    $nogpu "$python" "$check" "$work/good" <(echo gpu_skips) "$work/good/junit.xml" -L area
expect_check 0 "a -LE selection" "2 registered, 2 expected; 1 passed, 0 skipped" \
    $nogpu "$python" "$check" "$work/good" <(printf 'passes\noff disabled\n') "$work/good/junit.xml" -LE gpu
expect_check 2 "an unreadable list" "check_tests: error" \
    $nogpu "$python" "$check" "$work/good" "$work/none.txt" "$work/good/junit.xml"
echo "$pass passed, $failed failed"
[ "$failed" = 0 ]
