#!/usr/bin/env bash
# Work-precision benchmark of ai4de's explicit ODE solvers against diffsol, ode_solvers and SciPy.
#
#   bash bench/run.sh            full run (a few minutes), writes bench/results/*.json,
#                                docs/benchmarks.md and docs/work-precision.png
#   bash bench/run.sh --quick    smoke test (4 tolerances, short samples), same outputs
#   bash bench/run.sh --fresh-venv   recreate bench/.venv first
#   bash bench/run.sh --at REV   benchmark the committed crates/ of REV (e.g. HEAD) instead of the
#                                working tree: they are exported with `git archive` into
#                                bench/target/snapshot and the bench is built against them
#
# Not part of CI: bench/ is a cargo project with its own [workspace]; bench/.venv and
# bench/target are git-ignored.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BENCH=$ROOT/bench
RESULTS=$BENCH/results
VENV=$BENCH/.venv
QUICK=()
AT=
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) QUICK=(--quick) ;;
    --fresh-venv) rm -rf "$VENV" ;;
    --at) AT=$(git rev-parse --verify "${2:?--at needs a revision}^{commit}"); shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

# 1. Throwaway Python environment for the SciPy peer and the report.
if ! "$VENV/bin/python" -c "import numpy, scipy, matplotlib" 2>/dev/null; then
  echo "== creating $VENV" >&2
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check numpy scipy matplotlib
fi
PY=$VENV/bin/python

mkdir -p "$RESULTS"

# 2. Machine, commit, date.
"$PY" - "$RESULTS/meta.json" "$AT" <<'EOF'
import hashlib, json, os, platform, re, subprocess, sys, datetime
def sh(*a):
    try:
        return subprocess.run(a, capture_output=True, text=True, check=True).stdout.strip()
    except Exception:
        return "?"
cpu = "?"
for line in open("/proc/cpuinfo"):
    if line.startswith("model name"):
        cpu = line.split(":", 1)[1].strip(); break
mem = "?"
for line in open("/proc/meminfo"):
    if line.startswith("MemTotal"):
        mem = f"{int(line.split()[1]) / 2**20:.0f} GiB RAM"; break
at = sys.argv[2] if len(sys.argv) > 2 else ""
status = "" if at else sh("git", "status", "--porcelain", "--", "crates/ode")
diff = sh("git", "diff", "HEAD", "--", "crates/ode") + "\n" + status
lock = open("bench/Cargo.lock").read()
def ver(name):
    m = re.search(r'name = "%s"\nversion = "([^"]+)"' % re.escape(name), lock)
    return m.group(1) if m else "?"
meta = {
    "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    "commit": sh("git", "rev-parse", "--short=12", at or "HEAD"),
    "source": f"git archive of {at[:12]}" if at else "working tree",
    "ode_dirty": bool(status),
    "ode_diff_sha1": hashlib.sha1(diff.encode()).hexdigest()[:12],
    "cpu": cpu, "nproc": os.cpu_count(), "mem": mem,
    "kernel": platform.release(),
    "rustc": sh("rustc", "-V"),
    "diffsol": ver("diffsol"), "ode_solvers": ver("ode_solvers"),
    "load_before": open("/proc/loadavg").read().split()[:3],
}
json.dump(meta, open(sys.argv[1], "w"), indent=1)
EOF

# 3. The Rust benchmark (ai4de, diffsol, ode_solvers).
MANIFEST=$BENCH/Cargo.toml
if [ -n "$AT" ]; then
  SNAP=$BENCH/target/snapshot
  echo "== exporting crates/ of ${AT:0:12} to $SNAP" >&2
  rm -rf "$SNAP"
  mkdir -p "$SNAP/bench"
  git archive "$AT" Cargo.toml crates | tar -x -C "$SNAP"
  cp -r "$BENCH/Cargo.toml" "$BENCH/Cargo.lock" "$BENCH/src" "$SNAP/bench/"
  MANIFEST=$SNAP/bench/Cargo.toml
fi
echo "== building bench (release)" >&2
CARGO_TARGET_DIR=$BENCH/target cargo build --release --quiet --manifest-path "$MANIFEST"
echo "== running Rust benchmark" >&2
"$BENCH/target/release/ai4de-bench" run "${QUICK[@]}" --out "$RESULTS/rust.json" 2> >(tee "$RESULTS/rust.log" >&2)

# 4. Independent 60-digit check of the Lorenz reference (t_end from the Rust JSON).
T_END=$("$PY" -c "import json,sys; p=[p for p in json.load(open(sys.argv[1]))['problems'] if p['name']=='lorenz']; print(int(p[0]['t_span'][1]) if p else '')" "$RESULTS/rust.json")
if [ -n "$T_END" ]; then
  echo "== Lorenz Taylor-series check to t = $T_END" >&2
  "$PY" "$BENCH/lorenz_taylor.py" "$T_END" > "$RESULTS/lorenz_taylor.json"
fi

# 5. The SciPy peer.
echo "== running SciPy peer" >&2
"$PY" "$BENCH/scipy_peer.py" "$RESULTS/rust.json" "$RESULTS/scipy.json" "${QUICK[@]}" 2> >(tee "$RESULTS/scipy.log" >&2)

"$PY" - "$RESULTS/meta.json" <<'EOF'
import json, sys
m = json.load(open(sys.argv[1]))
m["load_after"] = open("/proc/loadavg").read().split()[:3]
json.dump(m, open(sys.argv[1], "w"), indent=1)
EOF

# 6. Report: docs/benchmarks.md and docs/work-precision.png.
"$PY" "$BENCH/report.py" "$RESULTS" "$ROOT/docs"
