#!/usr/bin/env bash
# Throughput of ai4de's 1-D generators vs peer generators on the same settings, same machine,
# same session. Not part of CI. Needs a Python with jax, numpy (PY, default /work/venvs/jax).
# Usage: bash bench/pde1d/run.sh [REPEATS] [all|speed|accuracy]
set -euo pipefail
cd "$(dirname "$0")"
PY=${PY:-/work/venvs/jax/bin/python}
R=${1:-3}
MODE=${2:-all}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-../../target}
cargo build --release --quiet
BIN=$CARGO_TARGET_DIR/release/pde1d-bench
echo "# machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%FT%TZ)"
if [ "$MODE" != accuracy ]; then
# Kuramoto-Sivashinsky (Kassam-Trefethen settings)
$BIN ks 16 1 "$R"
$BIN ks 16 2 "$R"
$PY peers/ks_numpy.py 8 1 "$R"
$PY peers/ks_numpy.py 8 2 "$R"
# PDEBench Burgers (nu = 0.01, 1024 cells, t = 2, 201 outputs), alternating ai4de and the peer
for rep in 1 2 3; do
  $BIN burgers_pdebench 8 2 "$R"
  $PY peers/burgers_pdebench_jax.py 4 "$R"
done
$BIN burgers_pdebench_explicit 4 2 "$R"
$BIN burgers_pdebench_cfl025 4 2 "$R"
$PY peers/burgers_pdebench_jax.py 4 "$R" --x64
# PDEBench advection (beta = 1, 1024 cells, t = 2, 201 outputs): ai4de exact vs the FV peer
for rep in 1 2 3; do
  $BIN advection 64 2 "$R"
  $PY peers/advection_pdebench_jax.py 8 "$R"
done
# FNO Burgers (spectral, FFT floor)
$BIN burgers 8 2 "$R"
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
fi
if [ "$MODE" != speed ]; then
# Equal accuracy, PDEBench Burgers: every generator against a common fine reference, the same
# MUSCL-MC/Rusanov scheme with the explicit viscous flux on 4096 cells (CFL 0.4), read at the
# 1024 coarse cell centres; a second reference (4096 cells, split viscous term) checks it.
# Relative L2 error over all 201 outputs and max |error| at t = 2, samples 0..2 (seed 0).
ACC=${ACC:-/tmp/pde1d_acc}
mkdir -p "$ACC"
for i in 0 1 2; do
  $BIN dump burgers_pdebench $i "$ACC/split$i"
  $BIN dump burgers_pdebench_explicit $i "$ACC/explicit$i"
  $BIN burgers_ref $i 4096 explicit 0.4 "$ACC/ref$i"
  $BIN burgers_ref $i 4096 split 0.4 "$ACC/refsplit$i"
  $PY peers/burgers_pdebench_jax.py --ic "$ACC/split$i" --out "$ACC/jax32_$i"
  $PY peers/burgers_pdebench_jax.py --ic "$ACC/split$i" --out "$ACC/jax64_$i" --x64
  $BIN dump advection $i "$ACC/adv$i"
  $PY peers/advection_pdebench_jax.py --ic "$ACC/adv$i" --out "$ACC/advjax32_$i"
  $PY peers/advection_pdebench_jax.py --ic "$ACC/adv$i" --out "$ACC/advjax64_$i" --x64
done
$PY - "$ACC" <<'PY'
import json, sys
import numpy as np
d = sys.argv[1]
rd = lambda p: np.fromfile(f"{d}/{p}", dtype="<f8").reshape(201, 1024)
def err(a, ref):
    return {"rel_l2": float(np.linalg.norm(a - ref) / np.linalg.norm(ref)),
            "max_abs_t2": float(np.abs(a[-1] - ref[-1]).max())}
for i in range(3):
    ref = rd(f"ref{i}")
    res = {"check": f"PDEBench Burgers sample {i}: error vs FV 4096 cells (explicit viscous)"}
    for name, p in [("ai4de_split_cfl04 (default)", f"split{i}"),
                    ("ai4de_explicit_cfl04", f"explicit{i}"),
                    ("peer_jax_f32", f"jax32_{i}"), ("peer_jax_f64", f"jax64_{i}"),
                    ("reference_4096_split", f"refsplit{i}")]:
        res[name] = err(rd(p), ref)
    print(json.dumps(res))
for i in range(3):
    exact = rd(f"adv{i}")
    print(json.dumps({"check": f"PDEBench advection sample {i}: error vs the exact solution",
                      "ai4de_exact": err(exact, exact),
                      "peer_jax_f32": err(rd(f"advjax32_{i}"), exact),
                      "peer_jax_f64": err(rd(f"advjax64_{i}"), exact)}))
PY
fi
