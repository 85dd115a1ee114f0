#!/usr/bin/env bash
# Neural-ODE training: ai4de vs torchdiffeq on torchdiffeq's README spiral example, in one run.
# Both run the same set-up (see spiral_torch.py / crates/node/examples/spiral.rs) for
# NITERS iterations with a test evaluation every 20; RUNS seeds each. summarize.py prints the
# medians of training time (test evaluations excluded) to reach each target test loss, and
# the ratios.
#
#   bench/node/run.sh [RUNS=3] [NITERS=2000]
set -euo pipefail
cd "$(dirname "$0")/../.."
RUNS=${1:-3}
NITERS=${2:-2000}
PY=${PYTHON:-/work/venvs/torch/bin/python}
OUT=${OUT:-target/bench-node}
mkdir -p "$OUT"
cargo build -p ai4de-node --release --example spiral --example mlp_bench >/dev/null 2>&1
BIN=target/release/examples/spiral
echo "machine: $(nproc) cores; load before: $(cut -d' ' -f1-3 /proc/loadavg)"
"$PY" -c 'import torch, torchdiffeq; print("torch", torch.__version__, "threads", torch.get_num_threads(), "torchdiffeq", torchdiffeq.__version__)'
: > "$OUT/log.jsonl"
for seed in $(seq 0 $((RUNS - 1))); do
  "$BIN" "$NITERS" "$seed" | sed "s/}$/, \"seed\": $seed}/" >> "$OUT/log.jsonl"
  "$PY" bench/node/spiral_torch.py --niters "$NITERS" --seed "$seed" | sed "s/}$/, \"seed\": $seed}/" >> "$OUT/log.jsonl"
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
"$PY" bench/node/summarize.py "$OUT/log.jsonl"
echo
echo "per-call cost of the lean MLP and of one spiral training gradient:"
cargo build -p ai4de-node --release --example mlp_bench >/dev/null 2>&1
target/release/examples/mlp_bench
echo "load at end: $(cut -d' ' -f1-3 /proc/loadavg)"
