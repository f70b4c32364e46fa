#!/usr/bin/env bash
# build.sh: configure and build zcevo into build/ (Release). The CUDA backend
# is built when nvcc and cuDNN are found (pass -DZCEVO_CUDA=OFF to skip).
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
cmake --build build -j"$(nproc)"
