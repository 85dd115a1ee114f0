#!/usr/bin/env bash
# ai4de discover vs PySINDy: same data, same library, same threshold (see compare.py).
# Usage: bash bench/discover/run.sh [REPS]   (from the repository root)
set -euo pipefail
cd "$(dirname "$0")/../.."
VENV=${VENV:-/work/venvs/pysindy}
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q pysindy
fi
cargo build -q --release -p ai4de-cli -p ai4de-discover --example bench_fit
AI4DE=target/release/ai4de
mkdir -p bench/discover/data
$AI4DE solve lorenz --method vern9 --rtol 1e-12 --atol 1e-12 --t-end 10 --saveat 5001 --out bench/discover/data/lorenz.csv
$AI4DE solve lorenz --method vern9 --rtol 1e-12 --atol 1e-12 --t-end 100 --saveat 50001 --out bench/discover/data/lorenz_long.csv
$AI4DE solve lotka --method vern9 --rtol 1e-12 --atol 1e-12 --t-end 10 --saveat 2001 --out bench/discover/data/lotka.csv
# 1 % noise (of each component's standard deviation), seeded
"$VENV/bin/python" - <<'PY'
import numpy as np
d = np.loadtxt("bench/discover/data/lorenz.csv", delimiter=",", skiprows=1)
rng = np.random.default_rng(0)
d[:, 1:] += 0.01 * d[:, 1:].std(axis=0) * rng.standard_normal(d[:, 1:].shape)
np.savetxt("bench/discover/data/lorenz_noise.csv", d, delimiter=",", header="t,x,y,z", comments="", fmt="%.17g")
PY
"$VENV/bin/python" bench/discover/compare.py target/release/examples/bench_fit "${1:-11}"
