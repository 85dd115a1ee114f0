"""The FNO paper's Navier-Stokes generator (Li et al. 2021, `ns_2d.py`), rewritten from its
published algorithm with the current torch.fft API (rfft2/irfft2 half spectra, which is faster
than the original full complex transforms): Fourier pseudo-spectral vorticity form, 2/3 rule,
Crank-Nicolson on viscosity + forward Euler on advection and forcing, fixed dt.

usage: python ns_fno_torch.py N VISC T DT BATCH DTYPE(float32|float64) IC_PATH OUT_PATH REPS
Solves BATCH copies of the initial condition in IC_PATH (raw little-endian f64, N*N) to time T,
writes the final field of the first copy (raw f64) to OUT_PATH and prints a JSON line with the
median wall and CPU (all threads) time of REPS runs. torch runs on the CPU with torch.get_num_threads() threads.
"""
import json
import math
import sys
import time

import numpy as np
import torch


def navier_stokes_2d(w0, f, visc, T, delta_t, record_steps=1):
    N = w0.shape[-1]
    k_max = N // 2
    steps = math.ceil(T / delta_t)
    w_h = torch.fft.rfft2(w0)
    f_h = torch.fft.rfft2(f)
    record_time = math.floor(steps / record_steps)
    k = torch.cat((torch.arange(0, k_max), torch.arange(-k_max, 0))).to(w0.dtype)
    k_x = k.reshape(N, 1).repeat(1, k_max + 1)
    k_y = torch.arange(0, k_max + 1, dtype=w0.dtype).reshape(1, k_max + 1).repeat(N, 1)
    lap = 4 * (math.pi ** 2) * (k_x ** 2 + k_y ** 2)
    lap[0, 0] = 1.0
    dealias = torch.logical_and(
        torch.abs(k_y) <= (2.0 / 3.0) * k_max, torch.abs(k_x) <= (2.0 / 3.0) * k_max
    ).to(w0.dtype)
    two_pi_i = 2j * math.pi
    sol = torch.zeros(*w0.shape, record_steps, dtype=w0.dtype)
    c = 0
    for j in range(steps):
        psi_h = w_h / lap
        q = torch.fft.irfft2(two_pi_i * k_y * psi_h, s=(N, N))
        v = torch.fft.irfft2(-two_pi_i * k_x * psi_h, s=(N, N))
        w_x = torch.fft.irfft2(two_pi_i * k_x * w_h, s=(N, N))
        w_y = torch.fft.irfft2(two_pi_i * k_y * w_h, s=(N, N))
        F_h = torch.fft.rfft2(q * w_x + v * w_y) * dealias
        w_h = (-delta_t * F_h + delta_t * f_h + (1.0 - 0.5 * delta_t * visc * lap) * w_h) / (
            1.0 + 0.5 * delta_t * visc * lap
        )
        if (j + 1) % record_time == 0:
            sol[..., c] = torch.fft.irfft2(w_h, s=(N, N))
            c += 1
    return sol


def main():
    n, visc, T, dt, batch = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
    dtype = {"float32": torch.float32, "float64": torch.float64}[sys.argv[6]]
    ic = torch.from_numpy(np.fromfile(sys.argv[7], dtype="<f8").reshape(n, n)).to(dtype)
    reps = int(sys.argv[9])
    grid = torch.linspace(0, 1, n + 1, dtype=dtype)[:-1]
    X, Y = torch.meshgrid(grid, grid, indexing="ij")
    f = 0.1 * (torch.sin(2 * math.pi * (X + Y)) + torch.cos(2 * math.pi * (X + Y)))
    w0 = ic.unsqueeze(0).repeat(batch, 1, 1)
    times, cpu = [], []
    for _ in range(reps):
        t0, c0 = time.perf_counter(), time.process_time()
        sol = navier_stokes_2d(w0, f, visc, T, dt, record_steps=1)
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    sol[0, :, :, -1].to(torch.float64).numpy().astype("<f8").tofile(sys.argv[8])
    times.sort()
    cpu.sort()
    med = times[len(times) // 2]
    print(json.dumps({"n": n, "dtype": sys.argv[6], "batch": batch, "threads": torch.get_num_threads(),
                      "median_s": med, "cpu_s": cpu[len(cpu) // 2], "samples_per_s": batch / med, "steps": math.ceil(T / dt)}))


if __name__ == "__main__":
    main()
