#!/usr/bin/env bash
# Gradient cost (issue 6, benchmark (a)): adjoint gradient time / forward solve time for growing
# parameter counts, with forward sensitivities and dual-number VJPs for comparison; the same
# table measures the forward/adjoint crossover behind SensitivityMode::Auto.
# Usage: bench/sensitivity/run.sh [REPEATS] [MAX_NP]   (from anywhere; prints a markdown table)
set -euo pipefail
REPEATS=${1:-5}
MAX_NP=${2:-1024}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
cargo build --release -p ai4de-ode --example sensitivity_cost >/dev/null 2>&1
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "commit: $(git rev-parse --short HEAD)"
echo
"$ROOT/target/release/examples/sensitivity_cost" "$REPEATS" "$MAX_NP"
echo
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
