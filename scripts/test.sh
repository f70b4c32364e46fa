#!/usr/bin/env bash
# test.sh: the one command that runs zcevo's whole test suite (.ci/run calls
# exactly this). Installs every package the tests need
# (scripts/install_deps.sh --tests), then, each from scratch:
#   1. build-test/ (the compiler CMake picks, Release): every test, then
#      scripts/check_tests.py: the registered tests must be exactly
#      tests/expected/default.txt and every one must pass, except GPU tests
#      on a machine without a GPU (exit 77, skipped);
#   2. build-test-san/ (clang, AddressSanitizer + UndefinedBehaviorSanitizer
#      + libFuzzer, no CUDA): the tests labelled SAN_LABELS below but not
#      no_sanitize (tests/CMakeLists.txt says why each is left out), the
#      bounded libFuzzer runs (label fuzz) among them, checked the same way
#      against tests/expected/sanitize.txt.
# A missing dependency fails its test (ZCEVO_TEST_STRICT=1) instead of
# skipping it. Prints the time of each step; exit 0 only when both steps
# pass (docs/testing.md).
set -euo pipefail
cd "$(dirname "$0")/.."
# The sanitizer subset: every area but the PyTorch comparisons of whole
# networks (spaces, torch_stats: many minutes of networks under ASan; the
# same kernels, statistics code and writer run in kernels, stats_h5, mpi,
# proxies), the SLURM daemons (slurm: the zcevo commands they start are
# those mpi runs), the Python report (report: cmd_report.c only starts
# scripts/report.py), the C-less checks (layers, suite) and the GPU tests.
SAN_LABELS='^(kernels|fastmath|data|programs|gp|stats_h5|proxies|mpi|fuzz|fuzz_corpus)$'
SAN_EXCLUDE='^no_sanitize$'
export ZCEVO_TEST_STRICT=1
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
jobs=$(nproc)
t0=$(date +%s)
times=""
step() { times="$times $1 $(( $(date +%s) - $2 ))s,"; }

scripts/install_deps.sh --tests
status=0

t=$(date +%s)
rm -rf build-test
cmake -S . -B build-test -DCMAKE_BUILD_TYPE=Release
cmake --build build-test -j"$jobs"
step build $t
t=$(date +%s)
ctest --test-dir build-test --output-on-failure -j"$jobs" --timeout 900 \
      --output-junit "$PWD/build-test/junit.xml" || status=1
python3 scripts/check_tests.py build-test tests/expected/default.txt build-test/junit.xml || status=1
step suite $t

t=$(date +%s)
rm -rf build-test-san
CC=clang cmake -S . -B build-test-san -DCMAKE_BUILD_TYPE=Release -DZCEVO_FUZZ=ON
cmake --build build-test-san -j"$jobs"
step sanitizer-build $t
t=$(date +%s)
ctest --test-dir build-test-san --output-on-failure -j"$jobs" --timeout 900 \
      -L "$SAN_LABELS" -LE "$SAN_EXCLUDE" --output-junit "$PWD/build-test-san/junit.xml" || status=1
python3 scripts/check_tests.py build-test-san tests/expected/sanitize.txt \
        build-test-san/junit.xml -L "$SAN_LABELS" -LE "$SAN_EXCLUDE" || status=1
step sanitizer-suite $t

echo "test.sh: times:$times total $(( $(date +%s) - t0 ))s; $([ $status = 0 ] && echo PASSED || echo FAILED)"
exit $status
