#!/usr/bin/env python3
"""SciPy peer of the ai4de work-precision benchmark: `scipy.integrate.solve_ivp` with RK45
(Dormand-Prince 5(4)) and DOP853 on the same problems, tolerances and error measure as the Rust
benchmark (bench/src/main.rs).

The right-hand sides are written the way a SciPy user writes them:

* lorenz, arenstorf: plain Python floats (unpack the state, return a list); there is nothing to
  vectorise in 3 or 4 scalar equations, and numpy calls on scalars would only be slower;
* pleiades: vectorised numpy (pairwise differences by broadcasting, one (7, 7) array operation per
  term), which is the natural way to write an N-body force.

The problems (time span, initial state, reference final state) are read from the Rust
benchmark's JSON so that both use exactly the same references.

Usage: scipy_peer.py RUST_JSON OUT_JSON [--quick]
"""

import json
import math
import platform
import sys
import time

import numpy as np
import scipy
from scipy.integrate import solve_ivp

MIN_BATCH = 0.05  # seconds of wall time per sample
SAMPLES = 5
MAX_SINGLE = 3.0  # a solve slower than this gets one sample and skips tighter tolerances
EXPONENTS = list(range(3, 13))

# --- right-hand sides -----------------------------------------------------------------------

SIGMA, RHO, BETA = 10.0, 28.0, 8.0 / 3.0


def lorenz(t, u):
    x, y, z = u
    return [SIGMA * (y - x), x * (RHO - z) - y, x * y - BETA * z]


MU = 0.012277471
MU1 = 1.0 - MU


def arenstorf(t, u):
    x, y, vx, vy = u
    a = x + MU
    b = x - MU1
    d1 = (a * a + y * y) ** 1.5
    d2 = (b * b + y * y) ** 1.5
    return [
        vx,
        vy,
        x + 2.0 * vy - MU1 * a / d1 - MU * b / d2,
        y - 2.0 * vx - MU1 * y / d1 - MU * y / d2,
    ]


MASSES = np.arange(1.0, 8.0)


def pleiades(t, u):
    x, y = u[0:7], u[7:14]
    dx = x[np.newaxis, :] - x[:, np.newaxis]  # dx[i, j] = x_j - x_i
    dy = y[np.newaxis, :] - y[:, np.newaxis]
    r2 = dx * dx + dy * dy
    np.fill_diagonal(r2, 1.0)
    w = MASSES / (r2 * np.sqrt(r2))  # w[i, j] = m_j / r_ij^3
    np.fill_diagonal(w, 0.0)
    return np.concatenate((u[14:28], (w * dx).sum(axis=1), (w * dy).sum(axis=1)))


RHS = {
    "lorenz": (lorenz, "plain Python floats (unpack, return a list)"),
    "arenstorf": (arenstorf, "plain Python floats (unpack, return a list)"),
    "pleiades": (pleiades, "vectorised numpy (broadcast pairwise differences)"),
}

# --- measurement ----------------------------------------------------------------------------


def rel_inf_diff(a, r):
    """Normwise relative max-norm error max_i |a_i - r_i| / max_i |r_i| (as ai4de_testkit)."""
    a = np.asarray(a, dtype=float)
    r = np.asarray(r, dtype=float)
    scale = np.max(np.abs(r))
    d = np.max(np.abs(a - r))
    return float(d / scale) if scale > 0 else float(d)


def solve(fun, span, y0, method, rtol, atol):
    return solve_ivp(fun, span, y0, method=method, rtol=rtol, atol=atol)


def sample(fn):
    """One sample: back-to-back calls for at least MIN_BATCH of wall time; per-call times."""
    c0 = time.thread_time()
    t0 = time.perf_counter()
    n = 0
    while True:
        fn()
        n += 1
        e = time.perf_counter() - t0
        if e >= MIN_BATCH:
            break
    return e / n, (time.thread_time() - c0) / n, n


def median(v):
    s = sorted(v)
    n = len(s)
    return s[n // 2] if n % 2 else 0.5 * (s[n // 2 - 1] + s[n // 2])


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    rust = json.load(open(sys.argv[1]))
    out_path = sys.argv[2]
    exps = EXPONENTS
    global MIN_BATCH, SAMPLES
    if "--quick" in sys.argv[3:]:
        exps, MIN_BATCH, SAMPLES = [3, 6, 8, 10], 0.01, 3
    results = []
    problems = []
    t_start = time.perf_counter()
    for p in rust["problems"]:
        name = p["name"]
        fun, style = RHS[name]
        span = tuple(p["t_span"])
        y0 = np.array(p["y0"], dtype=float)
        ref = np.array(p["reference"]["y_ref"], dtype=float)
        problems.append({"name": name, "rhs_style": style})
        active = ["RK45", "DOP853"]
        for k in exps:
            rtol = atol = 10.0 ** (-k)
            for method in list(active):
                run = lambda: solve(fun, span, y0, method, rtol, atol)  # noqa: E731
                sol = run()  # warm-up, error and work counters
                if sol.status != 0:
                    results.append({"problem": name, "solver": f"scipy/{method}", "library": "scipy",
                                    "rtol": rtol, "atol": atol, "failed": sol.message})
                    print(f"  {name} scipy/{method} rtol={rtol:.0e} FAILED: {sol.message}",
                          file=sys.stderr)
                    continue
                err = rel_inf_diff(sol.y[:, -1], ref)
                t0 = time.perf_counter()
                run()
                one = time.perf_counter() - t0
                walls, cpus, reps = [], [], []
                note = None
                if one > MAX_SINGLE:
                    walls, cpus, reps = [one], [one], [1]
                    note = f"one solve took {one:.2f} s: single sample, tighter tolerances skipped"
                    active.remove(method)
                else:
                    for _ in range(SAMPLES):
                        w, c, n = sample(run)
                        walls.append(w)
                        cpus.append(c)
                        reps.append(n)
                rec = {
                    "problem": name, "solver": f"scipy/{method}", "library": "scipy",
                    "rtol": rtol, "atol": atol, "error": err, "f_evals": int(sol.nfev),
                    "accepted": int(sol.t.size - 1), "time_s": median(walls),
                    "time_min_s": min(walls), "cpu_time_s": median(cpus),
                    "time_samples_s": walls, "cpu_samples_s": cpus, "reps_per_sample": reps,
                    "y_final": sol.y[:, -1].tolist(), "rhs_style": style,
                }
                if note:
                    rec["note"] = note
                results.append(rec)
                print(f"  {name:<9} rtol=1e-{k:<2} scipy/{method:<7} err={err:9.2e} "
                      f"wall={rec['time_s']:9.3e}s cpu={rec['cpu_time_s']:9.3e}s "
                      f"f_evals={sol.nfev:>8}", file=sys.stderr)
    print(f"scipy total {time.perf_counter() - t_start:.1f} s", file=sys.stderr)
    doc = {
        "benchmark": "SciPy solve_ivp peer",
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "timing": f"median of {SAMPLES} samples; a sample is a batch of back-to-back solves "
                  f"lasting >= {MIN_BATCH * 1000:.0f} ms (divided by the batch size)",
        "problems": problems,
        "results": results,
    }
    with open(out_path, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
