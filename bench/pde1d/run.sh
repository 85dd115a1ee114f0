#!/usr/bin/env bash
# Throughput of ai4de's 1-D generators vs peer generators on the same settings, same machine,
# same session. Not part of CI. Needs a Python with jax, numpy (PY, default /work/venvs/jax).
# Usage: bash bench/pde1d/run.sh [REPEATS]
set -euo pipefail
cd "$(dirname "$0")"
PY=${PY:-/work/venvs/jax/bin/python}
R=${1:-3}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-../../target}
cargo build --release --quiet
BIN=$CARGO_TARGET_DIR/release/pde1d-bench
echo "# machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%FT%TZ)"
# Kuramoto-Sivashinsky (Kassam-Trefethen settings)
$BIN ks 16 1 "$R"
$BIN ks 16 2 "$R"
$PY peers/ks_numpy.py 8 1 "$R"
$PY peers/ks_numpy.py 8 2 "$R"
# PDEBench Burgers (nu = 0.01, 1024 cells, t = 2, 201 outputs)
$BIN burgers_pdebench 4 2 "$R"
$BIN burgers_pdebench_cfl025 4 2 "$R"
$PY peers/burgers_pdebench_jax.py 4 "$R"
$PY peers/burgers_pdebench_jax.py 4 "$R" --x64
# FNO Burgers (spectral, FFT floor)
$BIN burgers 8 2 "$R"
$BIN advection 64 2 "$R"
$BIN diffusion_reaction 8 2 "$R"
# Accuracy of the KS peers against each other: max |u_ai4de - u_numpy| at t = 20 (same scheme).
$BIN ks_dump 1 1 1 > /tmp/ks_ai4de.json
$PY peers/ks_numpy.py 1 1 1 --dump 20 > /tmp/ks_numpy.json
$PY - <<'PY'
import json
a = json.load(open("/tmp/ks_ai4de.json")); b = json.load(open("/tmp/ks_numpy.json"))
print(json.dumps({"check": "KS t=20, ai4de (2/3 de-aliased) vs numpy (no de-aliasing)",
                  "max_abs_diff": max(abs(x - y) for x, y in zip(a, b)),
                  "max_abs_u": max(abs(x) for x in a)}))
PY
