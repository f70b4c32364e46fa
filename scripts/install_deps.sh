#!/usr/bin/env bash
# install_deps.sh [--tests]: install the Debian packages zcevo needs, before
# anything runs (no test installs packages). Without arguments: what
# building, running and plotting need (compilers, MPI, HDF5, OpenBLAS,
# cJSON, python3 with torch/numpy/scipy/h5py/matplotlib; scripts/
# setup_and_run.sh). --tests adds what the whole test suite needs
# (scripts/test.sh): SLURM and munge for the SLURM tests, clang with its
# sanitizer and libFuzzer runtimes and llvm-symbolizer for the sanitizer and
# fuzz build. Non-interactive; installs only what is missing; exit 1 when
# apt-get fails, 2 for an unknown argument.
set -euo pipefail
packages=(build-essential cmake pkg-config libopenmpi-dev openmpi-bin libhdf5-dev hdf5-tools
          libopenblas-dev libcjson-dev python3 python3-numpy python3-scipy python3-h5py
          python3-torch python3-matplotlib)
case "${1:-}" in
  "") ;;
  --tests) packages+=(slurm-wlm munge clang libclang-rt-14-dev llvm) ;;
  *) echo "install_deps: error: unknown argument '$1' (usage: install_deps.sh [--tests])" >&2; exit 2 ;;
esac
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "install_deps: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
