#!/usr/bin/env bash
# Navier-Stokes 2-D benchmark: ai4de ns2d against the FNO generator (PyTorch, CPU), same
# settings (nu = 1e-3, FNO forcing and initial-condition GRF), same machine, run back to back.
# Not part of CI. Usage: bash bench/pde2d/run.sh [PYTHON]   (PYTHON: a python with torch+numpy)
# Writes bench/pde2d/results.jsonl and bench/pde2d/RESULTS.md.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
py="${1:-/work/venvs/torch/bin/python}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
(cd "$here" && cp "$root/Cargo.lock" . && cargo build --release -q)
B="$CARGO_TARGET_DIR/release/pde2d-bench"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
out="$here/results.jsonl"
: > "$out"
log() { echo "$1" | tee -a "$out"; }
NU=1e-3
T=1.0          # horizon of the accuracy comparison and of the ai4de timings
TS=0.05        # horizon of the (fixed-step, linear in T) FNO-generator timings: 500 steps
export OMP_NUM_THREADS=2 MKL_NUM_THREADS=2
log "{\"machine\": \"$(nproc) cores, $(uptime | sed 's/.*load/load/')\"}"
for N in 64 256; do
  $B ic $N 1 "$tmp/ic$N"
  # FFT floor: one right-hand side's transforms (4 inverse + 1 forward 2-D real FFTs)
  log "$($B fft $N 5)"
  # ai4de ETDRK4 (default settings), one sample on one thread, median of 3
  log "$($B solve $N $NU $T etdrk4 0 "$tmp/ic$N" "$tmp/e$N" 3)"
  # ai4de throughput: 2 threads, one sample per thread at a time (what ai4de generate does)
  log "$($B throughput $N $NU $T etdrk4 0 8 2)"
  # reference: ETDRK4 with dt = 5e-4 (N = 64) / 1e-3 (N = 256)
  dtr=$([ $N = 64 ] && echo 5e-4 || echo 1e-3)
  log "$($B solve $N $NU $T etdrk4 $dtr "$tmp/ic$N" "$tmp/r$N" 1 | sed 's/"scheme": "etdrk4"/"scheme": "reference"/')"
  # the FNO scheme in ai4de (same algorithm as the generator), dt = 1e-4, short horizon
  log "$($B solve $N $NU $TS fno 1e-4 "$tmp/ic$N" "$tmp/fs$N" 3)"
  # the FNO generator in PyTorch: float32 (as published) and float64, batch 20 (64) / 4 (256)
  batch=$([ $N = 64 ] && echo 20 || echo 4)
  for dt in float32 float64; do
    log "$("$py" "$here/ns_fno_torch.py" $N $NU $TS 1e-4 $batch $dt "$tmp/ic$N" "$tmp/ts$N$dt" 3)"
  done
  if [ $N = 64 ]; then
    # accuracy at T: the generator (torch float32/float64, batch 1) and ai4de's FNO scheme
    for dt in float32 float64; do
      "$py" "$here/ns_fno_torch.py" $N $NU $T 1e-4 1 $dt "$tmp/ic$N" "$tmp/t$N$dt" 1 > /dev/null
    done
    $B solve $N $NU $T fno 1e-4 "$tmp/ic$N" "$tmp/f$N" 1 > /dev/null
  fi
  "$py" - "$tmp" $N >> "$out" <<'PY'
import json, sys, os
import numpy as np
d, n = sys.argv[1], sys.argv[2]
ref = np.fromfile(f"{d}/r{n}")
rel = lambda p: float(np.linalg.norm(np.fromfile(p) - ref) / np.linalg.norm(ref))
res = {"n": int(n), "accuracy_T": 1.0, "etdrk4_auto": rel(f"{d}/e{n}")}
for k, p in [("fno_torch_float32", f"t{n}float32"), ("fno_torch_float64", f"t{n}float64"), ("fno_ai4de", f"f{n}")]:
    if os.path.exists(f"{d}/{p}"):
        res[k] = rel(f"{d}/{p}")
if os.path.exists(f"{d}/t{n}float64") and os.path.exists(f"{d}/f{n}"):
    a, b = np.fromfile(f"{d}/t{n}float64"), np.fromfile(f"{d}/f{n}")
    res["fno_ai4de_vs_torch64"] = float(np.linalg.norm(a - b) / np.linalg.norm(b))
print(json.dumps(res))
PY
  tail -1 "$out"
done
"$py" "$here/summarize.py" "$out" > "$here/RESULTS.md"
cat "$here/RESULTS.md"
