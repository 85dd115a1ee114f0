"""Kuramoto-Sivashinsky by ETDRK4 in numpy, as in Kassam & Trefethen's kursiv.m (SIAM J. Sci.
Comput. 26, 2005): u_t = -u u_x - u_xx - u_xxxx on [0, 32 pi), N = 128, h = 1/4, T = 150,
u0 = cos(x/16)(1 + sin(x/16)), coefficients by the contour mean over M = 32 points on the upper
half circle (real part). Differences from kursiv.m: real FFTs (numpy.fft.rfft/irfft) instead of
complex ones, and the solution is saved every unit of time (151 outputs).

Usage: python ks_numpy.py SAMPLES PROCESSES REPEATS [--dump T]
Prints one JSON line: samples per second (median of REPEATS runs).
"""
import json
import sys
import time
from multiprocessing import Pool

import numpy as np

N, L, H, T_END, SAVE_EVERY = 128, 32 * np.pi, 0.25, 150.0, 4


def setup():
    x = L * np.arange(N) / N
    k = 2 * np.pi / L * np.arange(N // 2 + 1)
    lin = k**2 - k**4
    e, e2 = np.exp(H * lin), np.exp(H * lin / 2)
    m = 32
    r = np.exp(1j * np.pi * (np.arange(1, m + 1) - 0.5) / m)
    lr = H * lin[:, None] + r[None, :]
    q = H * np.real(np.mean((np.exp(lr / 2) - 1) / lr, axis=1))
    f1 = H * np.real(np.mean((-4 - lr + np.exp(lr) * (4 - 3 * lr + lr**2)) / lr**3, axis=1))
    f2 = H * np.real(np.mean((2 + lr + np.exp(lr) * (-2 + lr)) / lr**3, axis=1))
    f3 = H * np.real(np.mean((-4 - 3 * lr - lr**2 + np.exp(lr) * (4 - lr)) / lr**3, axis=1))
    g = -0.5j * k
    return x, e, e2, q, f1, f2, f3, g


def solve(u0, coef, t_end=T_END):
    x, e, e2, q, f1, f2, f3, g = coef
    v = np.fft.rfft(u0)
    nmax = int(round(t_end / H))
    out = [u0.copy()]
    nl = lambda v: g * np.fft.rfft(np.fft.irfft(v, N) ** 2)
    for n in range(1, nmax + 1):
        nv = nl(v)
        a = e2 * v + q * nv
        na = nl(a)
        b = e2 * v + q * na
        nb = nl(b)
        c = e2 * a + q * (2 * nb - nv)
        nc = nl(c)
        v = e * v + nv * f1 + 2 * (na + nb) * f2 + nc * f3
        if n % SAVE_EVERY == 0:
            out.append(np.fft.irfft(v, N))
    return np.array(out)


def one_sample(_i):
    coef = setup()
    x = coef[0]
    u0 = np.cos(x / 16) * (1 + np.sin(x / 16))
    return solve(u0, coef)


def main():
    samples, procs, repeats = (int(a) for a in sys.argv[1:4])
    if "--dump" in sys.argv:
        t = float(sys.argv[sys.argv.index("--dump") + 1])
        coef = setup()
        x = coef[0]
        u = solve(np.cos(x / 16) * (1 + np.sin(x / 16)), coef, t_end=t)
        print(json.dumps(list(u[-1])))
        return
    one_sample(0)
    times = []
    with Pool(procs) as pool:
        pool.map(one_sample, range(procs))
        for _ in range(repeats):
            t0 = time.perf_counter()
            pool.map(one_sample, range(samples))
            times.append(time.perf_counter() - t0)
    med = sorted(times)[len(times) // 2]
    print(json.dumps({"peer": "numpy ETDRK4 KS (Kassam-Trefethen)", "samples": samples,
                      "processes": procs, "seconds": times, "median_s": med,
                      "samples_per_s": samples / med, "numpy": np.__version__}))


if __name__ == "__main__":
    main()
