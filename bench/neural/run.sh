#!/usr/bin/env bash
# FNO-1D (Burgers set-up of Li et al. 2021: width 64, 16 modes, 4 layers, batch 20, Adam, MSE)
# training-step and inference times: ai4de (burn flex) vs a plain PyTorch FNO and neuraloperator's
# FNO, on the same cores, alternating runs. Prints the median over RUNS runs (each run itself
# reports the median of 7 timed steps after 3 warm-up steps) and the ratios ai4de / torch.
#
#   bench/neural/run.sh [N ...]        (default: 256 1024)
# Env: RUNS (default 5), THREADS (default 2), PYTHON (default /work/venvs/torch/bin/python),
#      NEURALOP=0 to skip neuraloperator, NOBUILD=1 to use the bench_fno binary already built.
set -euo pipefail
cd "$(dirname "$0")/../.."
RUNS=${RUNS:-5}
THREADS=${THREADS:-2}
PYTHON=${PYTHON:-/work/venvs/torch/bin/python}
NEURALOP=${NEURALOP:-1}
SIZES=("$@")
[ ${#SIZES[@]} -eq 0 ] && SIZES=(256 1024)

[ "${NOBUILD:-0}" = 1 ] || cargo build --release -q -p ai4de-neural --example bench_fno
BIN=target/release/examples/bench_fno
echo "machine: $(nproc --all) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "threads: $THREADS; runs: $RUNS"
# nproc honours OMP_NUM_THREADS, so export only after printing the machine line.
export RAYON_NUM_THREADS=$THREADS OMP_NUM_THREADS=$THREADS MKL_NUM_THREADS=$THREADS
for n in "${SIZES[@]}"; do
  log=$(mktemp)
  for r in $(seq "$RUNS"); do
    "$BIN" --n "$n" >>"$log"
    if [ "$NEURALOP" = 1 ]; then
      "$PYTHON" bench/neural/bench_torch.py --n "$n" --threads "$THREADS" --neuralop >>"$log" 2>/dev/null
    else
      "$PYTHON" bench/neural/bench_torch.py --n "$n" --threads "$THREADS" >>"$log"
    fi
  done
  echo "== n = $n, batch 20 (medians over $RUNS runs; ms) =="
  "$PYTHON" - "$log" <<'PY'
import re, statistics, sys
rows = {}
for line in open(sys.argv[1]):
    name, *kv = line.split()
    d = dict(x.split("=") for x in kv)
    rows.setdefault(name, []).append(d)
med = lambda name, key: statistics.median(float(d[key]) for d in rows[name])
keys = ["train_step_ms", "infer_batch_ms", "infer_single_ms"]
print(f"{'model':16s} {'params':>8s} " + " ".join(f"{k:>16s}" for k in keys))
for name in rows:
    print(f"{name:16s} {rows[name][0]['params']:>8s} " + " ".join(f"{med(name, k):16.2f}" for k in keys))
for other in [n for n in rows if n != "ai4de"]:
    print(f"ratio ai4de/{other}: " + "  ".join(f"{k}={med('ai4de', k) / med(other, k):.2f}" for k in keys))
PY
  rm -f "$log"
done
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
