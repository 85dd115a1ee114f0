#!/usr/bin/env bash
# Parameter estimation: ai4de fit (Levenberg-Marquardt on forward sensitivities, and L-BFGS on
# adjoint gradients) vs SciPy least_squares(method="lm") + solve_ivp, on the same data files,
# starting points, weights and solver tolerances (rtol 1e-10, atol 1e-12).
# Usage: bench/inverse/run.sh [REPEATS]   (from anywhere; prints a markdown table;
#        AI4DE_BIN=/path/to/ai4de to use an existing binary, PYTHON=... for the interpreter)
set -euo pipefail
REPEATS=${1:-5}
PY=${PYTHON:-/work/venvs/jax/bin/python}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
# AI4DE_BIN=path skips the build (e.g. a binary built elsewhere)
BIN=${AI4DE_BIN:-}
if [ -z "$BIN" ]; then
  cargo build --release -p ai4de-cli >/dev/null 2>&1
  BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/ai4de"
fi
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "python: $("$PY" -c 'import sys, numpy, scipy; print(sys.version.split()[0], "numpy", numpy.__version__, "scipy", scipy.__version__)')"

# problem | noise | synthetic options | fit spec | start
declare -a CASES=(
  "lotka|0.05|--t-end 10 --samples 101|alpha,beta,gamma,delta|alpha=1.2,beta=0.8,gamma=3.5,delta=1.2"
  "fhn|0.02|--t-end 100 --samples 201|a,b,tau|a=0.6,b=0.7,tau=11"
  "rober|0.01|--t-end 1e4 --samples 40|k1:log,k2:log,k3:log|k1=0.1,k2=1e7,k3=3e4"
)
for c in "${CASES[@]}"; do
  IFS='|' read -r P NOISE SYN FIT START <<<"$c"
  DATA="$OUT/$P.csv"
  # the data: ai4de's synthetic generator (seed 1), written as CSV
  # shellcheck disable=SC2086
  "$BIN" fit "$P" --synthetic --noise "$NOISE" $SYN --seed 1 --fit "${FIT%%,*}" --write-data "$DATA" --format json >/dev/null
  # the same weights for both tools: sigma_c = noise * max |data_c|
  SIG=$("$PY" -c "import numpy as np; d=np.loadtxt('$DATA',delimiter=',',skiprows=1); h=open('$DATA').readline().strip().split(',')[1:]; print(','.join(f'{n}={float($NOISE*abs(d[:,i+1]).max())!r}' for i,n in enumerate(h)))")
  for M in lm lbfgs; do
    for i in $(seq "$REPEATS"); do
      "$BIN" fit "$P" --data "$DATA" --fit "$FIT" --start "$START" --sigma "$SIG" --method "$M" --format json >"$OUT/$P.$M.$i.json"
    done
  done
  "$PY" bench/inverse/fit_scipy.py "$P" "$DATA" "$NOISE" "$REPEATS" >"$OUT/$P.scipy.json"
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
"$PY" - "$OUT" "$REPEATS" <<'PYEOF'
import json, statistics, sys
out, reps = sys.argv[1], int(sys.argv[2])
names = {"lotka": ["alpha", "beta", "gamma", "delta"], "fhn": ["a", "b", "tau"], "rober": ["k1", "k2", "k3"]}
print("| problem | tool | median fit time (s) | SciPy time / this | iterations | f-evals / gradient or Jacobian evals | final cost | estimates | max rel. diff. of estimates vs SciPy |")
print("|---|---|---|---|---|---|---|---|---|")
for p in ["lotka", "fhn", "rober"]:
    sp = json.load(open(f"{out}/{p}.scipy.json"))
    rows = []
    for m, label in [("lm", "ai4de LM, forward sensitivities"), ("lbfgs", "ai4de L-BFGS, adjoint gradient")]:
        runs = [json.load(open(f"{out}/{p}.{m}.{i}.json")) for i in range(1, reps + 1)]
        j = runs[-1]
        est = [e["estimate"] for e in j["estimates"]]
        med = statistics.median(r["elapsed_s"] for r in runs)
        rows.append((label, med, str(j["iterations"]), f"{j['residual_evals']} / {j['jacobian_evals']}", j["cost"], est))
    rows.append(("SciPy least_squares lm + solve_ivp", sp["median_s"], "-", f"{sp['nfev']} / {sp['njev']}", sp["cost"], sp["estimates"]))
    for label, med, its, ev, cost, est in rows:
        diff = max(abs(a - b) / abs(b) for a, b in zip(est, sp["estimates"]))
        e = ", ".join(f"{n}={v:.6g}" for n, v in zip(names[p], est))
        print(f"| {p} | {label} | {med:.4f} | {sp['median_s'] / med:.1f} | {its} | {ev} | {cost:.6f} | {e} | {diff:.1e} |")
PYEOF
