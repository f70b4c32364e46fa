#!/usr/bin/env bash
# test.sh: the one command that runs zcevo's whole test suite: install the
# packages, build from scratch in build-test/, run CTest (GPU tests exit 77
# and are reported as skipped on machines without a GPU).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install_deps.sh
rm -rf build-test
cmake -S . -B build-test -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build-test -j"$(nproc)"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
ctest --test-dir build-test --output-on-failure -j"$(nproc)" --timeout 900
