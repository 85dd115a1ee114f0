"""PyTorch side of the FNO benchmark (see run.sh and RESULTS.md).

--dim 1 (default): a plain FNO-1D written here, line for line the architecture of the FNO
authors' fourier_1d.py (Li et al. 2021): lifting Linear(2, width) on (u, x), 4 x [SpectralConv1d
(rfft, complex einsum on the `modes` lowest modes, irfft) + Conv1d(width, width, 1)] with GELU
between layers, projection Linear(width, 128) -> GELU -> Linear(128, 1). Optionally also
neuraloperator's FNO (its own architecture: channel MLPs and soft gating, so a different
parameter count).

--dim 2: the FNO-2D of the authors' fourier_2d.py (Darcy): lifting Linear(3, width) on
(a, x, y), optional zero padding (the paper's code pads by 9; ai4de's Darcy run and the default
here use 0), 4 x [SpectralConv2d (rfft2, complex einsum on the two retained mode corners
kx in [0, m) and [n - m, n), ky in [0, m), irfft2) + Conv2d(width, width, 1)] with GELU between
layers, projection Linear(width, 128) -> GELU -> Linear(128, 1), on an n x n grid.

Prints one line per model: name, parameters, median train-step wall time, CPU time (user + sys,
all threads, getrusage) and system time of a step, and median inference times, in ms.
"""
import argparse
import resource
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class SpectralConv1d(nn.Module):
    def __init__(self, in_channels, out_channels, modes):
        super().__init__()
        self.modes = modes
        scale = 1.0 / (in_channels * out_channels)
        self.weights = nn.Parameter(scale * torch.rand(in_channels, out_channels, modes, dtype=torch.cfloat))

    def forward(self, x):
        b, _, n = x.shape
        x_ft = torch.fft.rfft(x)
        out_ft = torch.zeros(b, self.weights.shape[1], n // 2 + 1, device=x.device, dtype=torch.cfloat)
        out_ft[:, :, : self.modes] = torch.einsum("bix,iox->box", x_ft[:, :, : self.modes], self.weights)
        return torch.fft.irfft(out_ft, n=n)


class FNO1d(nn.Module):
    def __init__(self, modes, width, layers=4):
        super().__init__()
        self.fc0 = nn.Linear(2, width)
        self.convs = nn.ModuleList([SpectralConv1d(width, width, modes) for _ in range(layers)])
        self.ws = nn.ModuleList([nn.Conv1d(width, width, 1) for _ in range(layers)])
        self.fc1 = nn.Linear(width, 128)
        self.fc2 = nn.Linear(128, 1)

    def forward(self, u):
        # u: [b, n, 1] as in fourier_1d.py; the grid is appended here.
        b, n, _ = u.shape
        grid = torch.linspace(0, 1, n, device=u.device).reshape(1, n, 1).repeat(b, 1, 1)
        x = self.fc0(torch.cat((u, grid), dim=-1)).permute(0, 2, 1)
        last = len(self.convs) - 1
        for l, (k, w) in enumerate(zip(self.convs, self.ws)):
            x = k(x) + w(x)
            if l < last:
                x = F.gelu(x)
        x = x.permute(0, 2, 1)
        return self.fc2(F.gelu(self.fc1(x)))


class SpectralConv2d(nn.Module):
    def __init__(self, in_channels, out_channels, modes1, modes2):
        super().__init__()
        self.out_channels, self.modes1, self.modes2 = out_channels, modes1, modes2
        scale = 1.0 / (in_channels * out_channels)
        shape = (in_channels, out_channels, modes1, modes2)
        self.weights1 = nn.Parameter(scale * torch.rand(*shape, dtype=torch.cfloat))
        self.weights2 = nn.Parameter(scale * torch.rand(*shape, dtype=torch.cfloat))

    def forward(self, x):
        b = x.shape[0]
        m1, m2 = self.modes1, self.modes2
        x_ft = torch.fft.rfft2(x)
        out_ft = torch.zeros(b, self.out_channels, x.size(-2), x.size(-1) // 2 + 1, dtype=torch.cfloat, device=x.device)
        out_ft[:, :, :m1, :m2] = torch.einsum("bixy,ioxy->boxy", x_ft[:, :, :m1, :m2], self.weights1)
        out_ft[:, :, -m1:, :m2] = torch.einsum("bixy,ioxy->boxy", x_ft[:, :, -m1:, :m2], self.weights2)
        return torch.fft.irfft2(out_ft, s=(x.size(-2), x.size(-1)))


class FNO2d(nn.Module):
    def __init__(self, modes, width, layers=4, padding=0):
        super().__init__()
        self.padding = padding
        self.fc0 = nn.Linear(3, width)
        self.convs = nn.ModuleList([SpectralConv2d(width, width, modes, modes) for _ in range(layers)])
        self.ws = nn.ModuleList([nn.Conv2d(width, width, 1) for _ in range(layers)])
        self.fc1 = nn.Linear(width, 128)
        self.fc2 = nn.Linear(128, 1)

    def forward(self, a):
        # a: [b, nx, ny, 1] as in fourier_2d.py; the grid is appended here.
        b, nx, ny, _ = a.shape
        gx = torch.linspace(0, 1, nx, device=a.device).reshape(1, nx, 1, 1).repeat(b, 1, ny, 1)
        gy = torch.linspace(0, 1, ny, device=a.device).reshape(1, 1, ny, 1).repeat(b, nx, 1, 1)
        x = self.fc0(torch.cat((a, gx, gy), dim=-1)).permute(0, 3, 1, 2)
        p = self.padding
        if p > 0:
            x = F.pad(x, [0, p, 0, p])
        last = len(self.convs) - 1
        for l, (k, w) in enumerate(zip(self.convs, self.ws)):
            x = k(x) + w(x)
            if l < last:
                x = F.gelu(x)
        if p > 0:
            x = x[..., :-p, :-p]
        x = x.permute(0, 2, 3, 1)
        return self.fc2(F.gelu(self.fc1(x)))


def cpu_seconds():
    """(user + system, system) CPU seconds of the whole process so far."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime, r.ru_stime


def time_model(model, x, y, steps, warmup):
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    step_times, cpu_times, sys_times = [], [], []
    for i in range(warmup + steps):
        c0, s0 = cpu_seconds()
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        loss = F.mse_loss(model(x), y)
        loss.item()  # read the loss back, as a training loop does for its log (as ai4de does)
        loss.backward()
        opt.step()
        if i >= warmup:
            step_times.append(time.perf_counter() - t0)
            c1, s1 = cpu_seconds()
            cpu_times.append(c1 - c0)
            sys_times.append(s1 - s0)
    infer_batch, infer_single = [], []
    with torch.no_grad():
        for i in range(warmup + steps):
            t0 = time.perf_counter()
            model(x)
            if i >= warmup:
                infer_batch.append(time.perf_counter() - t0)
        x1 = x[:1].contiguous()
        for i in range(warmup + steps):
            t0 = time.perf_counter()
            model(x1)
            if i >= warmup:
                infer_single.append(time.perf_counter() - t0)
    med = lambda v: 1e3 * statistics.median(v)
    return med(step_times), med(cpu_times), med(sys_times), med(infer_batch), med(infer_single)


def report(name, nparams, t):
    s, c, sy, ib, i1 = t
    print(
        f"{name} params={nparams} train_step_ms={s:.2f} train_cpu_ms={c:.2f} train_sys_ms={sy:.2f} "
        f"infer_batch_ms={ib:.2f} infer_single_ms={i1:.2f}"
    )


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--dim", type=int, default=1, choices=[1, 2])
    p.add_argument("--n", type=int, default=None, help="grid points per axis (default 1024 in 1-D, 85 in 2-D)")
    p.add_argument("--batch", type=int, default=20)
    p.add_argument("--width", type=int, default=None, help="default 64 in 1-D, 32 in 2-D")
    p.add_argument("--modes", type=int, default=None, help="default 16 in 1-D, 12 in 2-D")
    p.add_argument("--padding", type=int, default=0, help="2-D only (fourier_2d.py uses 9)")
    p.add_argument("--steps", type=int, default=7)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--neuralop", action="store_true")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    one = a.dim == 1
    a.n = a.n or (1024 if one else 85)
    a.width = a.width or (64 if one else 32)
    a.modes = a.modes or (16 if one else 12)
    if one:
        x = torch.randn(a.batch, a.n, 1)
        y = torch.randn(a.batch, a.n, 1)
        model = FNO1d(a.modes, a.width)
    else:
        x = torch.randn(a.batch, a.n, a.n, 1)
        y = torch.randn(a.batch, a.n, a.n, 1)
        model = FNO2d(a.modes, a.width, padding=a.padding)
    nparams = sum(p.numel() for p in model.parameters() if p.requires_grad)
    nparams += sum(p.numel() for p in model.parameters() if p.is_complex())  # complex = 2 reals
    report("torch-plain", nparams, time_model(model, x, y, a.steps, a.warmup))
    if a.neuralop and one:
        try:
            from neuralop.models import FNO
        except Exception as e:  # noqa: BLE001
            print(f"neuraloperator unavailable: {e}", file=sys.stderr)
            return
        # neuraloperator counts modes over the full spectrum: n_modes=2*modes keeps `modes`+1
        # rfft modes. Channels-first data; it appends the grid itself.
        m = FNO(n_modes=(2 * a.modes,), hidden_channels=a.width, in_channels=1, out_channels=1, n_layers=4)
        nparams = sum(p.numel() * (2 if p.is_complex() else 1) for p in m.parameters())
        t = time_model(m, x.permute(0, 2, 1).contiguous(), y.permute(0, 2, 1).contiguous(), a.steps, a.warmup)
        report("neuraloperator", nparams, t)


if __name__ == "__main__":
    main()
