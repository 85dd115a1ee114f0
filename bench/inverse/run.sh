#!/usr/bin/env bash
# Parameter estimation: ai4de fit vs SciPy least_squares(method="lm") + solve_ivp, on the same
# data files, starting points, weights and solver tolerances (rtol 1e-10, atol 1e-12).
# Usage: bench/inverse/run.sh [REPEATS]   (from the repository root; prints a markdown table)
set -euo pipefail
REPEATS=${1:-5}
PY=${PYTHON:-/work/venvs/jax/bin/python}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
cargo build --release -p ai4de-cli >/dev/null 2>&1
BIN="$ROOT/target/release/ai4de"
OUT=$(mktemp -d)
echo "machine: $(nproc) cores; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

# problem | noise | synthetic options | fit spec | start
declare -a CASES=(
  "lotka|0.05|--t-end 10 --samples 101|alpha,beta,gamma,delta|alpha=1.2,beta=0.8,gamma=3.5,delta=1.2"
  "fhn|0.02|--t-end 100 --samples 201|a,b,tau|a=0.6,b=0.7,tau=11"
  "rober|0.01|--t-end 1e4 --samples 40|k1:log,k2:log,k3:log|k1=0.1,k2=1e7,k3=3e4"
)
echo
echo "| problem | tool | median fit time (s) | iterations / Jacobians | f-evals | final cost | estimates |"
echo "|---|---|---|---|---|---|---|"
for c in "${CASES[@]}"; do
  IFS='|' read -r P NOISE SYN FIT START <<<"$c"
  DATA="$OUT/$P.csv"
  # the data: ai4de's synthetic generator (seed 1), written as CSV
  "$BIN" fit "$P" --synthetic --noise "$NOISE" $SYN --seed 1 --fit "${FIT%%,*}" --write-data "$DATA" --format json >/dev/null
  # the same weights for both tools: sigma_c = noise * max |data_c|
  SIG=$("$PY" -c "import numpy as np,sys; d=np.loadtxt('$DATA',delimiter=',',skiprows=1); h=open('$DATA').readline().strip().split(',')[1:]; print(','.join(f'{n}={$NOISE*abs(d[:,i+1]).max()!r}' for i,n in enumerate(h)))")
  TIMES=()
  for i in $(seq "$REPEATS"); do
    "$BIN" fit "$P" --data "$DATA" --fit "$FIT" --start "$START" --sigma "$SIG" --format json >"$OUT/$P.json"
    TIMES+=("$("$PY" -c "import json; print(json.load(open('$OUT/$P.json'))['elapsed_s'])")")
  done
  "$PY" - "$OUT/$P.json" "${TIMES[@]}" <<'PYEOF'
import json, sys, statistics
j = json.load(open(sys.argv[1]))
times = [float(x) for x in sys.argv[2:]]
est = ", ".join(f"{e['name']}={e['estimate']:.6g}" for e in j["estimates"])
print(f"| {j['problem']} | ai4de (LM, FD sensitivities) | {statistics.median(times):.4f} | {j['iterations']} / {j['jacobian_evals']} | {j['residual_evals']} | {j['cost']:.6f} | {est} |")
PYEOF
  "$PY" bench/inverse/fit_scipy.py "$P" "$DATA" "$NOISE" "$REPEATS" >"$OUT/$P.scipy.json"
  "$PY" - "$OUT/$P.scipy.json" <<'PYEOF'
import json, sys
j = json.load(open(sys.argv[1]))
names = {"lotka": ["alpha", "beta", "gamma", "delta"], "fhn": ["a", "b", "tau"], "rober": ["k1", "k2", "k3"]}[j["problem"]]
est = ", ".join(f"{n}={v:.6g}" for n, v in zip(names, j["estimates"]))
print(f"| {j['problem']} | SciPy least_squares lm + solve_ivp | {j['median_s']:.4f} | - / {j['njev']} | {j['nfev']} | {j['cost']:.6f} | {est} |")
PYEOF
done
echo
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
rm -rf "$OUT"
