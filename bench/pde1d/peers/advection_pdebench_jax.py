"""PDEBench's 1-D advection generator algorithm, re-implemented in JAX for timing (PDEBench's own
code is not copied here). Same set-up as `advection_multi_solution_Hydra.py` with its configs:
u_t + beta u_x = 0, 1024 cells on [0, 1], periodic, saves every 0.01 up to t = 2 (201 times),
dt = CFL dx / |beta| with CFL 0.4, second-order reconstruction with the monotonised-central
limiter (PDEBench's VLlimiter in `limiting`), upwind flux, midpoint predictor-corrector in time
(`update(u, update(u, u, dt/2), dt)`), the while/fori loop structure with show_steps = 100, and
jax.vmap over the batch of samples. Initial conditions: PDEBench's random superposition of sines
(as in burgers_pdebench_jax.py), drawn here with numpy.

Usage: python advection_pdebench_jax.py SAMPLES REPEATS [--beta B] [--x64]
       python advection_pdebench_jax.py --ic IC.f64 --out OUT.f64 [--beta B] [--x64]
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

from burgers_pdebench_jax import NX, DX, DT_SAVE, T_END, SHOW_STEPS, initial_conditions, mc_limiter

CFL = 0.4
BETA = float(sys.argv[sys.argv.index("--beta") + 1]) if "--beta" in sys.argv else 1.0


def flux(u):
    g = jnp.concatenate([u[-2:], u, u[:2]])  # two periodic ghost cells per side
    du_l = g[1:NX + 3] - g[0:NX + 2]
    du_r = g[2:NX + 4] - g[1:NX + 3]
    du_m = 0.5 * (g[2:NX + 4] - g[0:NX + 2])
    grad = mc_limiter(du_l, du_r, du_m)
    ul = jnp.zeros_like(g).at[1:NX + 3].set(g[1:NX + 3] - 0.5 * grad)  # left edge of a cell
    ur = jnp.zeros_like(g).at[1:NX + 3].set(g[1:NX + 3] + 0.5 * grad)  # right edge
    fl, fr = BETA * ul, BETA * ur
    # upwind flux: 0.5 (fR_i + fL_{i+1} - |beta| (uL_{i+1} - uR_i))
    return 0.5 * (fr[1:NX + 2] + fl[2:NX + 3] - abs(BETA) * (ul[2:NX + 3] - ur[1:NX + 2]))


def update(u, u_tmp, dt):
    f = flux(u_tmp)
    return u - dt / DX * (f[1:NX + 1] - f[0:NX])


def evolve(u):
    n_save = int(np.ceil(T_END / DT_SAVE)) + 1
    uu = jnp.zeros((n_save, NX), dtype=u.dtype).at[0].set(u)

    def step(_i, carry):
        u, t, tsave = carry
        dt = jnp.min(jnp.array([CFL * DX / abs(BETA), T_END - t, tsave - t]))

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
    print(json.dumps({"peer": "PDEBench advection algorithm (JAX, vmap)", "beta": BETA,
                      "samples": samples, "dtype": str(u0.dtype), "seconds": times,
                      "median_s": med, "samples_per_s": samples / med,
                      "first_call_s": compile_and_first, "jax": jax.__version__}))


if __name__ == "__main__":
    main()
