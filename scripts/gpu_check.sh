#!/bin/bash
# gpu_check.sh: the one command a GPU session runs to verify zcevo's CUDA
# backend: configure and build with CUDA (sm_90), run the GPU tests
# (ctest -L gpu: agreement with the CPU reference, backend checks, every
# design space against the PyTorch reference), then the
# benchmarks side by side with PyTorch on the same GPU, and print a table.
#
# usage: scripts/gpu_check.sh [BUILD_DIR] [OUT_DIR]
#   BUILD_DIR  default build-gpu;  OUT_DIR  default $OUT or gpu_check_out
#   env: ZCEVO_DATA (default ../shared/data or /work/shared/data),
#        PYTHON (default: python3 with torch+CUDA if present, else /usr/bin/python3),
#        QUICK=1 (fewer cells, smaller search) for a first smoke run.
set -u
cd "$(dirname "$0")/.."
BUILD=${1:-build-gpu}
OUTD=${2:-${OUT:-gpu_check_out}}
mkdir -p "$OUTD"
DATA=${ZCEVO_DATA:-../shared/data}
[ -d "$DATA/nb201" ] || DATA=/work/shared/data
PY=${PYTHON:-}
if [ -z "$PY" ]; then
    for p in python3 /usr/bin/python3; do
        if $p -c 'import torch,sys; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then
            PY=$p; break; fi
    done
    PY=${PY:-/usr/bin/python3}
fi
CELLS=32; ARCHS=80; POP=50; GENS=15
if [ "${QUICK:-0}" = 1 ]; then CELLS=8; ARCHS=8; POP=10; GENS=2; fi
LOG="$OUTD/gpu_check.log"
: > "$LOG"
JSON="$OUTD/results.jsonl"
: > "$JSON"
step() { echo "== $*" | tee -a "$LOG"; }

step "device"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv 2>&1 | tee -a "$LOG"
"$PY" -c 'import torch; print("torch", torch.__version__, "cuda", torch.cuda.is_available())' 2>&1 | tee -a "$LOG"

step "configure + build ($BUILD)"
t0=$(date +%s)
if ! cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DCMAKE_CUDA_ARCHITECTURES=90 >>"$LOG" 2>&1 ||
   ! cmake --build "$BUILD" -j"$(nproc)" >>"$LOG" 2>&1; then
    tail -40 "$LOG"; echo "BUILD FAILED"; exit 1
fi
grep -q "CUDA backend ON" "$LOG" || { echo "CUDA backend not enabled (nvcc/cuDNN not found)"; exit 1; }
echo "built in $(( $(date +%s) - t0 )) s" | tee -a "$LOG"

step "ctest -L gpu"
ctest --test-dir "$BUILD" -L gpu --output-on-failure 2>&1 | tee "$OUTD/ctest_gpu.log" | tail -60
TESTS=$(grep -E "tests passed|tests failed" "$OUTD/ctest_gpu.log" | tail -1)
# the agreement test's own output (worst errors, tau) for the closing note
"$BUILD/tests/test_cuda_agreement" > "$OUTD/agreement.txt" 2>&1; AGREE_RC=$?
tail -30 "$OUTD/agreement.txt"

BENCH="$BUILD/tests/cuda_bench"
step "statistics/s vs PyTorch (NB201, batch 1/16/64)"
"$PY" scripts/bench_gpu_stats.py --bench "$BENCH" --data "$DATA" --cells $CELLS \
    --batches 1,16,64 --json "$JSON" 2>&1 | tee -a "$LOG"

step "program evaluation bandwidth and GPops/s"
for b in 16 64; do "$BENCH" eval $b 2>>"$LOG" | tee -a "$JSON"; done

step "EZNAS-scale search (4 tasks x $ARCHS nets, pop $POP, $GENS generations, batch 1)"
TMPA=$(mktemp -d)
"$PY" - "$DATA" "$TMPA" $ARCHS <<'PYEOF'
import csv, random, sys, os
data, out, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
random.seed(1)
rows = list(csv.DictReader(open(os.path.join(data, "nb201", "nb201.csv"))))
open(os.path.join(out, "nb201.txt"), "w").write("\n".join(r["arch_str"] for r in random.sample(rows, n)) + "\n")
rows = list(csv.DictReader(open(os.path.join(data, "nats_sss", "nats_sss.csv"))))
open(os.path.join(out, "sss.txt"), "w").write("\n".join(r["arch"] for r in random.sample(rows, n)) + "\n")
PYEOF
"$BENCH" search 1 "$TMPA/nb201.txt" "$TMPA/sss.txt" $ARCHS $POP $GENS 2>>"$LOG" | tee -a "$JSON"
rm -rf "$TMPA"

step "summary"
"$PY" - "$JSON" "$TESTS" $AGREE_RC <<'PYEOF'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1]) if l.strip().startswith("{")]
print(f"{'check':<46} {'zcevo CUDA':>14} {'reference':>14} {'ratio':>8} {'target':>8}")
print(f"{'ctest -L gpu':<46} {sys.argv[2]:>14}")
print(f"{'test_cuda_agreement exit code':<46} {sys.argv[3]:>14}")
for r in recs:
    m = r.get("mode")
    if m == "stats_vs_torch":
        print(f"{'stats/s NB201 batch %d (vs torch+hooks)' % r['batch']:<46} "
              f"{r['zcevo_archs_per_s']:>14.2f} {r['torch_archs_per_s']:>14.2f} {r['ratio']:>7.2f}x {'>=3x':>8}")
    elif m == "eval":
        print(f"{'program eval bytes/s, batch %d (vs D2D copy)' % r['batch']:<46} "
              f"{r['reduce_bytes_per_s']/1e9:>11.1f} GB/s {r['copy_bytes_per_s']/1e9:>9.1f} GB/s "
              f"{100*r['reduce_fraction_of_copy']:>6.1f}% {'>60%':>8}")
        print(f"{'GPops/s mixed programs, batch %d (vs CPU eval)' % r['batch']:<46} "
              f"{r['gpops_per_s']:>14.3f} {r['cpu_gpops_per_s']:>14.3f} "
              f"{r['gpops_per_s']/max(r['cpu_gpops_per_s'],1e-12):>7.1f}x")
    elif m == "search":
        print(f"{'EZNAS-scale search, %d nets, %dx%d (s)' % (r['networks'], r['population'], r['generations']):<46} "
              f"{r['total_s']:>14.1f} {'(stats %.1f)' % r['stats_s']:>14} {'':>8} {'<300 s':>8}")
PYEOF
