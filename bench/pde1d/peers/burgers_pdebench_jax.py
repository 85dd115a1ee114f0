"""PDEBench's 1-D Burgers generator algorithm, re-implemented in JAX for timing (PDEBench's own
code is under a non-redistributable licence, so it is not copied here). Same set-up as
`burgers_multi_solution_Hydra.py` with `config/multi/1e-2.yaml`: u_t + (u^2/2)_x = (nu/pi) u_xx,
1024 cells on [0, 1], periodic, nu = 0.01, saves every 0.01 up to t = 2 (201 times), CFL 0.25 on
min(dx / max|u|, 0.5 dx^2 / (nu/pi)), second-order reconstruction with the monotonised-central
limiter (PDEBench's VLlimiter), upwind flux with speed |uL + uR|/2, central viscous flux,
midpoint predictor-corrector in time, the while/fori loop structure with show_steps = 100, and
jax.vmap over the batch of samples. Initial conditions: PDEBench's random superposition of sines
(2 of 4 modes, random abs/sign/window), drawn here with numpy.

Usage: python burgers_pdebench_jax.py SAMPLES REPEATS [--x64]
       python burgers_pdebench_jax.py --ic IC.f64 --out OUT.f64 [--x64]
(the second form solves the initial condition in the first 1024 values of the raw f64 file IC
and writes the 201 x 1024 solution as raw f64, for the accuracy comparison in run.sh)
"""
import json
import sys
import time

if "--x64" in sys.argv:
    import jax
    jax.config.update("jax_enable_x64", True)
import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

NX, NU, CFL, DT_SAVE, T_END, SHOW_STEPS = 1024, 0.01, 0.25, 0.01, 2.0, 100
DX = 1.0 / NX
XC = (np.arange(NX) + 0.5) * DX
EPS = NU / np.pi


def initial_conditions(n, seed=2022):
    rng = np.random.default_rng(seed)
    out = np.zeros((n, NX))
    for s in range(n):
        cnt = np.bincount(rng.integers(0, 4, size=2), minlength=4)
        k = 2 * np.pi * np.arange(1, 5) * cnt
        amp, ph = rng.random(4), 2 * np.pi * rng.random(4)
        u = (amp[:, None] * np.sin(k[:, None] * XC[None, :] + ph[:, None])).sum(0)
        if rng.random() < 0.1:
            u = np.abs(u)
        u *= rng.choice([1.0, -1.0])
        if rng.random() < 0.1:
            xl, xr = rng.uniform(0.1, 0.45), rng.uniform(0.55, 0.9)
            u *= 0.5 * (np.tanh((XC - xl) / 0.01) - np.tanh((XC - xr) / 0.01))
        out[s] = u
    return out


def mc_limiter(a, b, c, alpha=2.0):
    return jnp.sign(c) * (0.5 + 0.5 * jnp.sign(a * b)) * jnp.minimum(
        alpha * jnp.minimum(jnp.abs(a), jnp.abs(b)), jnp.abs(c))


def flux(u):
    g = jnp.concatenate([u[-2:], u, u[:2]])  # two periodic ghost cells per side
    du_l = g[1:NX + 3] - g[0:NX + 2]
    du_r = g[2:NX + 4] - g[1:NX + 3]
    du_m = 0.5 * (g[2:NX + 4] - g[0:NX + 2])
    grad = mc_limiter(du_l, du_r, du_m)
    ul = jnp.zeros_like(g).at[1:NX + 3].set(g[1:NX + 3] - 0.5 * grad)  # left edge of a cell
    ur = jnp.zeros_like(g).at[1:NX + 3].set(g[1:NX + 3] + 0.5 * grad)  # right edge
    fl, fr = 0.5 * ul**2, 0.5 * ur**2
    f = 0.5 * (fr[1:NX + 2] + fl[2:NX + 3]
               - 0.5 * jnp.abs(ul[2:NX + 3] + ur[1:NX + 2]) * (ul[2:NX + 3] - ur[1:NX + 2]))
    return f - EPS * (g[2:NX + 3] - g[1:NX + 2]) / DX


def update(u, u_tmp, dt):
    f = flux(u_tmp)
    return u - dt / DX * (f[1:NX + 1] - f[0:NX])


def evolve(u):
    n_save = int(np.ceil(T_END / DT_SAVE)) + 1
    uu = jnp.zeros((n_save, NX), dtype=u.dtype).at[0].set(u)

    def step(_i, carry):
        u, t, tsave = carry
        dt_adv = DX / (jnp.max(jnp.abs(u)) + 1e-8) * CFL
        dt_dif = 0.5 * DX**2 / (EPS + 1e-8) * CFL
        dt = jnp.min(jnp.array([dt_adv, dt_dif, T_END - t, tsave - t]))

        def go(c):
            u, dt = c
            return update(u, update(u, u, 0.5 * dt), dt), dt

        u, dt = lax.cond(dt > 1e-8, go, lambda c: c, (u, dt))
        return u, t + dt, tsave

    def body(c):
        t, tsave, i_save, u, uu = c

        def save(c):
            u, tsave, i_save, uu = c
            return u, tsave + DT_SAVE, i_save + 1, uu.at[i_save].set(u)

        u, tsave, i_save, uu = lax.cond(t >= tsave, save, lambda c: c, (u, tsave, i_save, uu))
        u, t, tsave = lax.fori_loop(0, SHOW_STEPS, step, (u, t, tsave))
        return t, tsave, i_save, u, uu

    z = jnp.zeros((), dtype=u.dtype)
    t, tsave, i_save, u, uu = lax.while_loop(lambda c: c[0] < T_END, body, (z, z, 0, u, uu))
    return uu.at[-1].set(u)


def solve_file(ic_path, out_path):
    u0 = np.fromfile(ic_path, dtype="<f8")[:NX]
    dtype = jnp.float64 if jax.config.jax_enable_x64 else jnp.float32
    out = jax.jit(evolve)(jnp.asarray(u0, dtype=dtype)).block_until_ready()
    np.asarray(out, dtype="<f8").tofile(out_path)


def main():
    if "--ic" in sys.argv:
        a = sys.argv
        solve_file(a[a.index("--ic") + 1], a[a.index("--out") + 1])
        return
    samples, repeats = int(sys.argv[1]), int(sys.argv[2])
    run = jax.jit(jax.vmap(evolve))
    u0 = jnp.asarray(initial_conditions(samples))
    t0 = time.perf_counter()
    run(u0).block_until_ready()
    compile_and_first = time.perf_counter() - t0
    times = []
    for r in range(repeats):
        u0 = jnp.asarray(initial_conditions(samples, seed=r))
        t0 = time.perf_counter()
        out = run(u0).block_until_ready()
        times.append(time.perf_counter() - t0)
    assert np.all(np.isfinite(np.asarray(out)))
    med = sorted(times)[len(times) // 2]
    print(json.dumps({"peer": "PDEBench Burgers algorithm (JAX, vmap)", "samples": samples,
                      "dtype": str(u0.dtype), "seconds": times, "median_s": med,
                      "samples_per_s": samples / med, "first_call_s": compile_and_first,
                      "jax": jax.__version__, "devices": str(jax.devices())}))


if __name__ == "__main__":
    main()
