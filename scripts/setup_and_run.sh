#!/usr/bin/env bash
# setup_and_run.sh: the one command for a fresh Debian machine: install the
# packages, build, and run zcevo's main job with its built-in defaults.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install_deps.sh
scripts/build.sh
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
if ./build/zcevo --help | grep -q '^  evolve'; then
  exec ./build/zcevo evolve "$@"
else
  exec ./build/zcevo stats "$@"
fi
