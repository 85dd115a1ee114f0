"""SciPy peer of `ai4de fit`: least_squares + solve_ivp on the same data, start and weights.

Usage: fit_scipy.py PROBLEM DATA.csv NOISE REPEATS
Prints one JSON line: median wall time of the fit, iterations (Jacobian evaluations), function
evaluations, final cost (1/2 sum r^2 with r = (y - d)/sigma), estimates.
"""
import json
import sys
import time

import numpy as np
from scipy.integrate import solve_ivp
from scipy.optimize import least_squares


def lotka(t, y, a, b, g, d):
    return [(a - b * y[1]) * y[0], (d * y[0] - g) * y[1]]


def fhn(t, y, a, b, tau, current=0.5):
    v, w = y
    return [v - v**3 / 3 - w + current, (v + a - b * w) / tau]


def rober(t, y, k1, k2, k3):
    return [-k1 * y[0] + k3 * y[1] * y[2],
            k1 * y[0] - k3 * y[1] * y[2] - k2 * y[1] ** 2,
            k2 * y[1] ** 2]


def rober_jac(t, y, k1, k2, k3):
    return [[-k1, k3 * y[2], k3 * y[1]],
            [k1, -k3 * y[2] - 2 * k2 * y[1], -k3 * y[1]],
            [0.0, 2 * k2 * y[1], 0.0]]


# problem: (rhs, jac, y0, t0, start, log-scale?, method)
PROBLEMS = {
    "lotka": (lotka, None, [1.0, 1.0], 0.0, [1.2, 0.8, 3.5, 1.2], False, "DOP853"),
    "fhn": (fhn, None, [-1.0, 1.0], 0.0, [0.6, 0.7, 11.0], False, "DOP853"),
    "rober": (rober, rober_jac, [1.0, 0.0, 0.0], 0.0, [0.1, 1e7, 3e4], True, "Radau"),
}


def main():
    name, path, noise, repeats = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4])
    rhs, jac, y0, t0, start, log, method = PROBLEMS[name]
    data = np.loadtxt(path, delimiter=",", skiprows=1)
    t, d = data[:, 0], data[:, 1:]
    sigma = noise * np.abs(d).max(axis=0)

    def residuals(x):
        p = np.exp(x) if log else x
        extra = {"jac": jac} if jac is not None else {}
        sol = solve_ivp(rhs, (t0, t[-1]), y0, method=method, t_eval=t, args=tuple(p),
                        rtol=1e-10, atol=1e-12, **extra)
        if not sol.success or sol.y.shape[1] != len(t):
            return np.full(d.size, 1e10)
        return ((sol.y.T - d) / sigma).ravel()

    x0 = np.log(start) if log else np.array(start, dtype=float)
    times = []
    for _ in range(repeats):
        t1 = time.perf_counter()
        res = least_squares(residuals, x0, method="lm", xtol=1e-10, ftol=1e-10, gtol=1e-10)
        times.append(time.perf_counter() - t1)
    p = np.exp(res.x) if log else res.x
    print(json.dumps({
        "problem": name, "median_s": float(np.median(times)), "times": times,
        "nfev": int(res.nfev), "njev": int(res.njev) if res.njev is not None else None,
        "cost": float(res.cost), "estimates": [float(v) for v in p], "status": int(res.status),
    }))


if __name__ == "__main__":
    main()
