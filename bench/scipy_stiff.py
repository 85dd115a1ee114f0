"""Stiff work-precision benchmark: the peers (SciPy solve_ivp Radau/BDF/LSODA and SUNDIALS CVODE).

    python scipy_stiff.py RUST_JSON OUT_JSON CVODE_BINARY [--quick]

Reads the problems, tolerances and references from the ai4de side's JSON (bench/src/bin/stiff.rs),
cross-checks numpy's and the C harness's right-hand sides against ai4de's at y0 and at the probe
state, then times every peer at every tolerance the same way: the median of several samples, a
sample being a batch of back-to-back solves from scratch (at least MIN_BATCH seconds) divided by
its size; error = max_i |y_i - ref_i| / max_i |ref_i| at t_end.

SciPy gets numpy right-hand sides and analytic Jacobians (scipy.sparse CSC for the Brusselator).
"""
import json
import subprocess
import sys
import time

import numpy as np
import scipy
import scipy.sparse as sp
from scipy.integrate import solve_ivp

MIN_BATCH = 0.02
SAMPLES = 5
MAX_SINGLE = 20.0  # s: a peer slower than this at one tolerance skips the tighter ones
# bruss2d_128 (32 768 unknowns): one SciPy BDF solve at rtol 1e-4 takes ~25 s CPU (~65 s wall
# under load); such solves are timed once (the first run) and only a solve slower than this cap
# skips the tighter tolerances.
BIG = 10_000
MAX_SINGLE_BIG = 400.0
SINGLE_ONLY = 10.0  # s: a solve slower than this is timed by its first run only

# ----------------------------------------------------------------------------- problems
K1, K2, K3 = 0.04, 3.0e7, 1.0e4


def rober():
    def f(t, y):
        r1, r2, r3 = K1 * y[0], K2 * y[1] * y[1], K3 * y[1] * y[2]
        return np.array([r3 - r1, r1 - r3 - r2, r2])

    def jac(t, y):
        return np.array([[-K1, K3 * y[2], K3 * y[1]],
                         [K1, -K3 * y[2] - 2 * K2 * y[1], -K3 * y[1]],
                         [0.0, 2 * K2 * y[1], 0.0]])
    return f, jac


H = dict(k1=1.71, k2=0.43, k3=8.32, k4=0.69, k5=0.035, k6=8.32, k7=280.0, k8=0.69, k9=0.69, oks=0.0007)


def hires():
    k1, k2, k3, k4, k5, k6, k7, k8, k9, oks = (H[k] for k in "k1 k2 k3 k4 k5 k6 k7 k8 k9 oks".split())

    def f(t, y):
        r7 = y[5] * y[7] * k7
        d6 = r7 - y[6] * (k2 + k8 + k9)
        return np.array([
            y[1] * k2 + y[2] * k6 - y[0] * k1 + oks,
            y[0] * k1 - y[1] * (k2 + k3),
            y[3] * k2 + y[4] * k5 - y[2] * (k6 + k1),
            y[1] * k3 + y[2] * k1 - y[3] * (k4 + k2),
            (y[5] + y[6]) * k2 - y[4] * (k5 + k1),
            y[3] * k8 + y[4] * k1 - y[5] * k2 + y[6] * k8 - r7,
            d6, -d6])

    def jac(t, y):
        J = np.zeros((8, 8))
        J[0, 0], J[0, 1], J[0, 2] = -k1, k2, k6
        J[1, 0], J[1, 1] = k1, -(k2 + k3)
        J[2, 2], J[2, 3], J[2, 4] = -(k6 + k1), k2, k5
        J[3, 1], J[3, 2], J[3, 3] = k3, k1, -(k4 + k2)
        J[4, 4], J[4, 5], J[4, 6] = -(k5 + k1), k2, k2
        J[5, 3], J[5, 4], J[5, 5], J[5, 6], J[5, 7] = k8, k1, -k2 - k7 * y[7], k8, -k7 * y[5]
        J[6, 5], J[6, 6], J[6, 7] = k7 * y[7], -(k2 + k8 + k9), k7 * y[5]
        J[7, 5:8] = -J[6, 5:8]
        return J
    return f, jac


PK = [0.35, 0.266e2, 0.123e5, 0.86e-3, 0.82e-3, 0.15e5, 0.13e-3, 0.24e5, 0.165e5, 0.9e4, 0.22e-1,
      0.12e5, 0.188e1, 0.163e5, 0.48e7, 0.35e-3, 0.175e-1, 0.1e9, 0.444e12, 0.124e4, 0.21e1,
      0.578e1, 0.474e-1, 0.178e4, 0.312e1]
# POLLU_MECHANISM of crates/ode/src/problems/pollu.rs: (reactants, [(product, coefficient)])
PM = [([0], [(1, 1), (2, 1)]), ([1, 3], [(0, 1)]), ([4, 1], [(0, 1), (5, 1)]), ([6], [(4, 2), (7, 1)]),
      ([6], [(7, 1)]), ([6, 5], [(4, 1), (7, 1)]), ([8], [(9, 1), (4, 1), (7, 1)]), ([8, 5], [(10, 1)]),
      ([10, 1], [(0, 1), (9, 1), (11, 1)]), ([10, 0], [(12, 1)]), ([12], [(10, 1), (0, 1)]),
      ([9, 1], [(13, 1), (0, 1)]), ([13], [(6, 1), (4, 1)]), ([0, 5], [(14, 1)]), ([2], [(3, 1)]),
      ([3], [(15, 1)]), ([3], [(2, 1)]), ([15], [(5, 2)]), ([15], [(2, 1)]), ([16, 5], [(17, 1), (4, 1)]),
      ([18], [(1, 1)]), ([18], [(0, 1), (2, 1)]), ([0, 3], [(18, 1)]), ([18, 0], [(19, 1)]),
      ([19], [(18, 1), (0, 1)])]


def pollu():
    # stoichiometry matrix S (20 x 25) and reactant index arrays: f = S r(y)
    S = np.zeros((20, 25))
    for j, (re, pr) in enumerate(PM):
        for s in re:
            S[s, j] -= 1
        for s, c in pr:
            S[s, j] += c
    a = np.array([re[0] for re, _ in PM])
    b = np.array([re[1] if len(re) > 1 else -1 for re, _ in PM])
    two = b >= 0
    bb = np.where(two, b, 0)
    k = np.array(PK)
    cols = np.arange(25)

    def rates(y):
        return k * y[a] * np.where(two, y[bb], 1.0)

    def f(t, y):
        return S @ rates(y)

    def jac(t, y):
        D = np.zeros((25, 20))  # dr/dy
        np.add.at(D, (cols, a), k * np.where(two, y[bb], 1.0))
        np.add.at(D, (cols[two], b[two]), k[two] * y[a[two]])
        return S @ D
    return f, jac


EPS = 1e-6


def vdpol():
    def f(t, y):
        return np.array([y[1], ((1 - y[0] ** 2) * y[1] - y[0]) / EPS])

    def jac(t, y):
        return np.array([[0.0, 1.0], [(-2 * y[0] * y[1] - 1) / EPS, (1 - y[0] ** 2) / EPS]])
    return f, jac


MU = 1e6


def vdp1e6():
    def f(t, y):
        return np.array([y[1], MU * (1 - y[0] ** 2) * y[1] - y[0]])

    def jac(t, y):
        return np.array([[0.0, 1.0], [-2 * MU * y[0] * y[1] - 1, MU * (1 - y[0] ** 2)]])
    return f, jac


def bruss(n):
    a_, b_, alpha = 1.0, 3.4, 10.0
    nn = n * n
    dx = 1.0 / (n - 1)
    k = alpha / dx ** 2
    x = np.arange(n) / (n - 1)
    X, Y = np.meshgrid(x, x)  # [j, i]: X = x_i, Y = y_j; p = i + n j is row-major [j, i]
    src = ((X - 0.3) ** 2 + (Y - 0.6) ** 2 <= 0.01).ravel()
    p = np.arange(nn)
    i, j = p % n, p // n
    nbrs = [(i - 1) % n + n * j, (i + 1) % n + n * j, i + n * ((j - 1) % n), i + n * ((j + 1) % n)]

    def lap(U):
        return (np.roll(U, 1, 0) + np.roll(U, -1, 0) + np.roll(U, 1, 1) + np.roll(U, -1, 1) - 4 * U) * k

    def f(t, y):
        U, V = y[:nn].reshape(n, n), y[nn:].reshape(n, n)
        uuv = U * U * V
        fu = (lap(U) + uuv - U * (b_ + 1) + a_).ravel()
        if t >= 1.1:
            fu = fu + 5.0 * src
        fv = (lap(V) + U * b_ - uuv).ravel()
        return np.concatenate([fu, fv])

    rows = np.concatenate([p, p, *[p] * 4, nn + p, nn + p, *[nn + p] * 4])
    colsj = np.concatenate([p, nn + p, *nbrs, nn + p, p, *[nn + q for q in nbrs]])

    def jac(t, y):
        u, v = y[:nn], y[nn:]
        kk = np.full(4 * nn, k)
        vals = np.concatenate([-4 * k + 2 * u * v - (b_ + 1), u * u, kk,
                               -4 * k - u * u, b_ - 2 * u * v, kk])
        return sp.csc_matrix((vals, (rows, colsj)), shape=(2 * nn, 2 * nn))
    return f, jac


def make(name):
    return {"rober": rober, "hires": hires, "pollu": pollu, "vdpol": vdpol, "vdp1e6": vdp1e6,
            "bruss2d": lambda: bruss(32), "bruss2d_128": lambda: bruss(128)}[name]()


def rel_inf(a, r):
    a, r = np.asarray(a), np.asarray(r)
    s = np.max(np.abs(r))
    return float(np.max(np.abs(a - r)) / (s if s > 0 else 1.0))


def timed(fn, samples):
    t0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    single, single_cpu = time.perf_counter() - t0, time.process_time() - c0
    times, cpu = [], []
    if single > MAX_SINGLE / 4:
        samples = min(samples, 1)
    if single > SINGLE_ONLY:
        samples = 0
    for _ in range(samples):
        batch = max(1, int(np.ceil(MIN_BATCH / max(single, 1e-9))))
        a, c = time.perf_counter(), time.process_time()
        for _ in range(batch):
            fn()
        cpu.append((time.process_time() - c) / batch)
        times.append((time.perf_counter() - a) / batch)
    if not times:
        times, cpu = [single], [single_cpu]
    return out, single, float(np.median(times)), times, float(np.median(cpu)), cpu


def main():
    rust_json, out_json, cvode = sys.argv[1:4]
    quick = "--quick" in sys.argv
    samples = 3 if quick else SAMPLES
    rust = json.load(open(rust_json))
    out = {"scipy": scipy.__version__, "numpy": np.__version__, "problems": []}
    for P in rust["problems"]:
        name, ref, t_end = P["name"], np.array(P["reference"]), P["t_end"]
        y0 = np.array(P["y0"])
        f, jac = make(name)
        print(f"== {name}", file=sys.stderr)
        # rhs cross-check against ai4de (relative max-norm difference)
        yp = y0 + 1e-3 * (1 + np.arange(len(y0)) % 7)
        c = json.loads(subprocess.run([cvode, "rhs", name], capture_output=True, text=True, check=True).stdout)
        check = {
            "numpy_f0": rel_inf(f(0.0, y0), P["f0"]), "numpy_probe": rel_inf(f(1.2, yp), P["f_probe"]),
            "c_f0": rel_inf(c["f0"], P["f0"]), "c_probe": rel_inf(c["f_probe"], P["f_probe"]),
        }
        # Jacobian check: analytic numpy Jacobian against central differences of numpy f at the probe
        if len(y0) <= 2048:
            # (never densify the 32 768² Jacobian of bruss2d_128: 8.6 GB)
            J = jac(1.2, yp)
            J = J.toarray() if sp.issparse(J) else J
            h = 1e-7 * np.maximum(1.0, np.abs(yp))
            cols = range(len(y0)) if len(y0) <= 20 else range(0, len(y0), 97)
            worst = 0.0
            for q in cols:
                e = np.zeros(len(y0)); e[q] = h[q]
                fd = (f(1.2, yp + e) - f(1.2, yp - e)) / (2 * h[q])
                worst = max(worst, float(np.max(np.abs(fd - J[:, q])) / max(1.0, np.max(np.abs(J)))))
            check["numpy_jac_vs_fd"] = worst
        print(f"   rhs/jac check: {check}", file=sys.stderr)
        results = []
        big = len(y0) > 1000
        huge = len(y0) > BIG
        sparse_jac = sp.issparse(jac(0.0, y0))
        cap = MAX_SINGLE_BIG if huge else MAX_SINGLE
        for method in ["Radau", "BDF", "LSODA"] + ["CVODE"]:
            too_slow = False
            for rtol in P.get("peer_rtols", P["rtols"]):
                atol = rtol * P["atol_factor"]
                label = "CVODE BDF" if method == "CVODE" else f"SciPy {method}"
                if too_slow:
                    results.append({"solver": label, "rtol": rtol, "atol": atol, "status": "skipped (previous tolerance slower than the cap)"})
                    continue
                if method == "Radau" and huge:
                    # one solve at N = 32 (2 048 unknowns) already takes ~10-20 s
                    results.append({"solver": label, "rtol": rtol, "atol": atol, "status": "not run (32 768 unknowns)"})
                    continue
                if method == "LSODA" and sparse_jac:
                    # LSODA takes no sparse Jacobian (it fails on a scipy.sparse one; a dense
                    # 32 768² one would need 8.6 GB, and finite differences would densify too)
                    results.append({"solver": label, "rtol": rtol, "atol": atol, "status": "not run (no sparse Jacobian in LSODA)"})
                    continue
                if method == "CVODE":
                    r = subprocess.run([cvode, "solve", name, repr(rtol), repr(atol), repr(t_end),
                                        str(0 if huge else 3 if big else samples), str(MIN_BATCH * 1e3)],
                                       capture_output=True, text=True, check=True)
                    d = json.loads(r.stdout)
                    if "error" in d or d["flag"] < 0:
                        results.append({"solver": label, "rtol": rtol, "atol": atol, "status": d.get("error", f"flag {d.get('flag')}")})
                        continue
                    err = rel_inf(d["y"], ref)
                    rec = {k: d[k] for k in ["steps", "nfe", "nfe_ls", "nje", "nsetups", "netf", "nncf", "nni", "linsol", "times_s", "median_cpu_s", "cpu_s"]}
                    rec.update(solver=label, rtol=rtol, atol=atol, status="ok", error=err, median_s=d["median_s"])
                    single = d["first_s"]
                else:
                    def run():
                        return solve_ivp(f, (0.0, t_end), y0, method=method, rtol=rtol, atol=atol, jac=jac)
                    try:
                        sol, single, med, times, med_cpu, cpu = timed(run, 0 if huge else 3 if big else samples)
                    except Exception as e:  # noqa: BLE001
                        results.append({"solver": label, "rtol": rtol, "atol": atol, "status": f"error: {e}"})
                        continue
                    if not sol.success:
                        results.append({"solver": label, "rtol": rtol, "atol": atol, "status": f"failed: {sol.message}"})
                        continue
                    err = rel_inf(sol.y[:, -1], ref)
                    rec = dict(solver=label, rtol=rtol, atol=atol, status="ok", error=err, median_s=med,
                               times_s=times, median_cpu_s=med_cpu, cpu_s=cpu, nfe=int(sol.nfev), nje=int(sol.njev), nlu=int(sol.nlu),
                               steps=len(sol.t) - 1)
                counters = " ".join(f"{k} {rec[k]}" for k in ["steps", "nfe", "nje", "nlu", "nsetups", "nni", "netf", "nncf"] if k in rec)
                print(f"   {label:<12} rtol {rtol:.0e}: err {err:.2e}  {rec['median_s']:.3e} s (cpu {rec['median_cpu_s']:.3e} s)  {counters}", file=sys.stderr)
                results.append(rec)
                if single > cap:
                    too_slow = True
        out["problems"].append({"name": name, "rhs_check": check, "results": results})
        json.dump(out, open(out_json, "w"))
    json.dump(out, open(out_json, "w"))


if __name__ == "__main__":
    main()
