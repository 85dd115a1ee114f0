#!/usr/bin/env bash
# FNO training-step and inference times: ai4de (burn flex) vs a plain PyTorch FNO (and, in 1-D,
# neuraloperator's FNO), on the same cores, alternating runs. DIM=1 (default): the Burgers set-up
# of Li et al. 2021 (width 64, 16 modes, 4 layers); DIM=2: the Darcy set-up (FNO-2D, width 32,
# 12 modes per corner, 4 layers) on an N x N grid. Batch 20, Adam, MSE. Prints the median over
# RUNS runs (each run itself reports the median of STEPS timed steps after 3 warm-up steps) of the
# step's wall time, CPU time (user + sys, getrusage) and system time, and of the inference times,
# and the ratios ai4de / torch.
#
#   bench/neural/run.sh [N ...]        (default: 256 1024 in 1-D, 85 in 2-D)
# Env: RUNS (default 5), THREADS (default 2), PYTHON (default /work/venvs/torch/bin/python),
#      DIM (1), WIDTH / MODES (the set-up's), PADDING (2-D, 0), STEPS (7),
#      NEURALOP=0 to skip neuraloperator (1-D only), NOBUILD=1 to use the bench_fno binary
#      already built, AI4DE_MALLOC=system to run ai4de on glibc's default malloc settings.
set -euo pipefail
cd "$(dirname "$0")/../.."
RUNS=${RUNS:-5}
THREADS=${THREADS:-2}
PYTHON=${PYTHON:-/work/venvs/torch/bin/python}
NEURALOP=${NEURALOP:-1}
DIM=${DIM:-1}
STEPS=${STEPS:-7}
SIZES=("$@")
if [ ${#SIZES[@]} -eq 0 ]; then
  if [ "$DIM" = 1 ]; then SIZES=(256 1024); else SIZES=(85); fi
fi
# Model options shared by both sides (empty: each side's default for DIM).
OPTS=(--dim "$DIM" --steps "$STEPS")
[ -n "${WIDTH:-}" ] && OPTS+=(--width "$WIDTH")
[ -n "${MODES:-}" ] && OPTS+=(--modes "$MODES")
[ "$DIM" = 2 ] && OPTS+=(--padding "${PADDING:-0}")
[ "$DIM" = 2 ] && NEURALOP=0

[ "${NOBUILD:-0}" = 1 ] || cargo build --release -q -p ai4de-neural --example bench_fno
BIN=target/release/examples/bench_fno
echo "machine: $(nproc --all) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "threads: $THREADS; runs: $RUNS; options: ${OPTS[*]}; AI4DE_MALLOC=${AI4DE_MALLOC:-}"
# nproc honours OMP_NUM_THREADS, so export only after printing the machine line.
export RAYON_NUM_THREADS=$THREADS OMP_NUM_THREADS=$THREADS MKL_NUM_THREADS=$THREADS
for n in "${SIZES[@]}"; do
  log=$(mktemp)
  for r in $(seq "$RUNS"); do
    "$BIN" --n "$n" "${OPTS[@]}" >>"$log"
    if [ "$NEURALOP" = 1 ]; then
      "$PYTHON" bench/neural/bench_torch.py --n "$n" "${OPTS[@]}" --threads "$THREADS" --neuralop >>"$log" 2>/dev/null
    else
      "$PYTHON" bench/neural/bench_torch.py --n "$n" "${OPTS[@]}" --threads "$THREADS" >>"$log"
    fi
  done
  echo "== dim $DIM, n = $n, batch 20 (medians over $RUNS runs; ms); load now $(cut -d' ' -f1 /proc/loadavg) =="
  "$PYTHON" - "$log" <<'PY'
import re, statistics, sys
rows = {}
for line in open(sys.argv[1]):
    name, *kv = line.split()
    d = dict(x.split("=") for x in kv)
    rows.setdefault(name, []).append(d)
med = lambda name, key: statistics.median(float(d[key]) for d in rows[name])
keys = ["train_step_ms", "train_cpu_ms", "train_sys_ms", "infer_batch_ms", "infer_single_ms"]
print(f"{'model':16s} {'params':>8s} " + " ".join(f"{k:>16s}" for k in keys))
for name in rows:  # every run's numbers, to see the spread
    print(f"  {name} step_ms per run: " + " ".join(d["train_step_ms"] for d in rows[name]))
for name in rows:
    print(f"{name:16s} {rows[name][0]['params']:>8s} " + " ".join(f"{med(name, k):16.2f}" for k in keys))
for other in [n for n in rows if n != "ai4de"]:
    ratio = lambda k: f"{med('ai4de', k) / med(other, k):.2f}" if med(other, k) > 0 else "n/a"
    print(f"ratio ai4de/{other}: " + "  ".join(f"{k}={ratio(k)}" for k in keys))
PY
  rm -f "$log"
done
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
