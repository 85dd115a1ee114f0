#!/usr/bin/env python3
"""Independent check of the Lorenz reference: a Taylor-series integration in 60-digit decimal
arithmetic (standard library only).

The Lorenz right-hand side is quadratic, so the Taylor coefficients of the solution follow from
the Cauchy-product recursion

    x[k+1] = sigma (y[k] - x[k]) / (k+1)
    y[k+1] = (rho x[k] - sum_j x[j] z[k-j] - y[k]) / (k+1)
    z[k+1] = (sum_j x[j] y[k-j] - beta z[k]) / (k+1)

We use order 40 with step 1/256 (about 1/100 of the radius of convergence on the attractor), so the
truncation error per step is far below 1e-40 and the result is exact to ~50 digits even after the
e^{0.9 t} amplification of the chaotic flow. beta is the binary double nearest 8/3 (exactly the
value the f64 solvers use), sigma = 10, rho = 28, y0 = (-8, 8, 27).

Usage: lorenz_taylor.py T_END  -> prints JSON {"t_end", "y"} with y as decimal strings.
"""

import json
import sys
from decimal import Decimal, getcontext

getcontext().prec = 60

SIGMA = Decimal(10)
RHO = Decimal(28)
BETA = Decimal(8.0 / 3.0)  # exact value of the double, as in the Rust problem struct
ORDER = 40
STEPS_PER_UNIT = 256


def taylor_step(x0, y0, z0, h):
    x, y, z = [x0], [y0], [z0]
    for k in range(ORDER):
        xz = sum(x[j] * z[k - j] for j in range(k + 1))
        xy = sum(x[j] * y[k - j] for j in range(k + 1))
        kp1 = k + 1
        x.append(SIGMA * (y[k] - x[k]) / kp1)
        y.append((RHO * x[k] - xz - y[k]) / kp1)
        z.append((xy - BETA * z[k]) / kp1)
    # Horner evaluation at h.
    xs, ys, zs = x[ORDER], y[ORDER], z[ORDER]
    for k in range(ORDER - 1, -1, -1):
        xs = xs * h + x[k]
        ys = ys * h + y[k]
        zs = zs * h + z[k]
    return xs, ys, zs


def main():
    t_end = Decimal(sys.argv[1]) if len(sys.argv) > 1 else Decimal(5)
    n = int(t_end * STEPS_PER_UNIT)
    assert Decimal(n) / STEPS_PER_UNIT == t_end, "t_end must be a multiple of 1/256"
    h = Decimal(1) / STEPS_PER_UNIT
    x, y, z = Decimal(-8), Decimal(8), Decimal(27)
    for _ in range(n):
        x, y, z = taylor_step(x, y, z, h)
    print(json.dumps({"t_end": str(t_end), "y": [str(x), str(y), str(z)]}))


if __name__ == "__main__":
    main()
