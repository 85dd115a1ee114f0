#!/usr/bin/env bash
# Stiff work-precision benchmark: ai4de's stiff methods against SUNDIALS CVODE (BDF, C harness
# bench/cvode/cvode_stiff.c against Debian's libsundials-dev) and SciPy solve_ivp (Radau, BDF,
# LSODA with analytic Jacobians).
#
#   bash bench/run_stiff.sh              writes bench/results/stiff_*.json, docs/benchmarks-stiff.md
#                                        and docs/work-precision-stiff.png
#   bash bench/run_stiff.sh --quick      3 tolerances, fewer samples
#   bash bench/run_stiff.sh --with-128   also bruss2d_128 (32 768 unknowns; tens of minutes)
#   bash bench/run_stiff.sh --no-build   reuse bench/target/release/stiff as it is (it must be
#                                        built from the current crates/ode; the page says so)
#   bash bench/run_stiff.sh --only rober,pollu
#                                        these problems only (the report then has only these)
#   bash bench/run_stiff.sh --keep-from COMMIT
#                                        carry bruss2d_128 over from the run committed in COMMIT
#                                        (bench/merge_stiff_earlier.py; the page labels it)
#
# Not part of CI (bench/ is its own cargo project); bench/.venv and bench/target are git-ignored.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BENCH=$ROOT/bench
RESULTS=$BENCH/results
VENV=$BENCH/.venv
QUICK=()
BUILD=1
KEEP_FROM=
ONLY=rober,hires,pollu,vdpol,vdp1e6,bruss2d
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) QUICK=(--quick) ;;
    --with-128) ONLY=$ONLY,bruss2d_128 ;;
    --no-build) BUILD=0 ;;
    --keep-from) KEEP_FROM=$2; shift ;;
    --only) ONLY=$2; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

# 1. SUNDIALS (CVODE + KLU) from Debian, and the C harness.
if [ ! -e /usr/include/cvode/cvode.h ] || [ ! -e /usr/include/sunlinsol/sunlinsol_klu.h ]; then
  echo "== installing libsundials-dev" >&2
  SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get install -y libsundials-dev >&2
fi
mkdir -p "$BENCH/target/cvode" "$RESULTS"
CVODE=$BENCH/target/cvode/cvode_stiff
gcc -O2 -march=native -DHAVE_KLU -I/usr/include/suitesparse "$BENCH/cvode/cvode_stiff.c" -o "$CVODE" \
  -lsundials_cvode -lsundials_nvecserial -lsundials_sunlinsolklu -lsundials_sunlinsoldense \
  -lsundials_sunmatrixdense -lsundials_sunmatrixsparse -lm

# 2. Python environment (shared with bench/run.sh).
if ! "$VENV/bin/python" -c "import numpy, scipy, matplotlib" 2>/dev/null; then
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check numpy scipy matplotlib
fi
PY=$VENV/bin/python

# 3. Machine, commit, date, load.
"$PY" - "$RESULTS/stiff_meta.json" <<'PYEOF'
import json, os, platform, subprocess, sys, datetime
def sh(*a):
    try: return subprocess.run(a, capture_output=True, text=True, check=True).stdout.strip()
    except Exception: return "?"
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
json.dump({
    "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    "commit": sh("git", "rev-parse", "--short=12", "HEAD"),
    "ode_dirty": bool(sh("git", "status", "--porcelain", "--", "crates/ode")),
    "cpu": cpu, "nproc": os.cpu_count(), "kernel": platform.release(), "rustc": sh("rustc", "-V"),
    "gcc": sh("gcc", "-dumpfullversion"),
    "sundials": sh("dpkg-query", "-W", "-f=${Version}", "libsundials-dev"),
    "load_before": open("/proc/loadavg").read().split()[:3],
    "binary_built": datetime.datetime.fromtimestamp(os.path.getmtime("bench/target/release/stiff"), datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC") if os.path.exists("bench/target/release/stiff") else "?",
}, open(sys.argv[1], "w"), indent=1)
PYEOF

# 4. ai4de.
if [ "$BUILD" = 1 ]; then
  echo "== building bench (release)" >&2
  CARGO_TARGET_DIR=$BENCH/target cargo build --release --quiet --manifest-path "$BENCH/Cargo.toml" --bin stiff
else
  echo "== --no-build: using $BENCH/target/release/stiff built $(date -u -r "$BENCH/target/release/stiff" '+%F %T UTC')" >&2
fi
# 5. Per problem: ai4de, then its peers (CVODE and SciPy) right after, so that the two sides of
# every ratio are timed minutes, not a quarter of an hour, apart (the shared machine's speed
# drifts by up to 1.6x over an hour). The peers run in a subshell whose address space is capped
# (PEER_VMEM_GB, default 10 GiB): a peer that densifies a large Jacobian fails with a MemoryError
# in its own row instead of exhausting the shared machine (the 2026-11-28 17:25 run was killed by
# the OOM killer). Per-problem files are merged into stiff_rust.json / stiff_peers.json.
PARTS=$RESULTS/parts
rm -rf "$PARTS"; mkdir -p "$PARTS"
: > "$RESULTS/stiff_rust.log"; : > "$RESULTS/stiff_peers.log"
for P in ${ONLY//,/ }; do
  "$BENCH/target/release/stiff" "${QUICK[@]}" --only "$P" --out "$PARTS/rust_$P.json" \
    2> >(tee -a "$RESULTS/stiff_rust.log" >&2)
  (
    ulimit -v $(( ${PEER_VMEM_GB:-10} * 1024 * 1024 ))
    "$PY" "$BENCH/scipy_stiff.py" "$PARTS/rust_$P.json" "$PARTS/peers_$P.json" "$CVODE" "${QUICK[@]}" \
      2> >(tee -a "$RESULTS/stiff_peers.log" >&2)
  )
done
"$PY" - "$PARTS" "$RESULTS" "$ONLY" <<'PYEOF'
import json, os, sys
parts, res, names = sys.argv[1], sys.argv[2], sys.argv[3].split(",")
for kind, out in (("rust", "stiff_rust.json"), ("peers", "stiff_peers.json")):
    doc = None
    for n in names:
        d = json.load(open(os.path.join(parts, f"{kind}_{n}.json")))
        if doc is None:
            doc = d
        else:
            doc["problems"].extend(d["problems"])
    tmp = os.path.join(res, out + ".tmp")
    json.dump(doc, open(tmp, "w"))
    os.replace(tmp, os.path.join(res, out))
PYEOF
rm -rf "$PARTS"

"$PY" - "$RESULTS/stiff_meta.json" <<'PYEOF'
import json, sys
m = json.load(open(sys.argv[1])); m["load_after"] = open("/proc/loadavg").read().split()[:3]
json.dump(m, open(sys.argv[1], "w"), indent=1)
PYEOF

# 6. Report (with bruss2d_128 from an earlier run when asked and not rerun here).
if [ -n "$KEEP_FROM" ] && [[ $ONLY != *bruss2d_128* ]]; then
  "$PY" "$BENCH/merge_stiff_earlier.py" "$RESULTS" "$KEEP_FROM" bruss2d_128
fi
"$PY" "$BENCH/report_stiff.py" "$RESULTS" "$ROOT/docs"
