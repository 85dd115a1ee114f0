"""PyTorch side of the FNO-1D benchmark (see run.sh and RESULTS.md).

A plain FNO-1D written here, line for line the architecture of the FNO authors' fourier_1d.py
(Li et al. 2021): lifting Linear(2, width) on (u, x), 4 x [SpectralConv1d (rfft, complex einsum on
the `modes` lowest modes, irfft) + Conv1d(width, width, 1)] with GELU between layers, projection
Linear(width, 128) -> GELU -> Linear(128, 1). Optionally also neuraloperator's FNO (its own
architecture: channel MLPs and soft gating, so a different parameter count).

Prints one line per model: name, parameters, median train-step and inference times in ms.
"""
import argparse
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


def time_model(model, x, y, steps, warmup):
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    step_times = []
    for i in range(warmup + steps):
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        loss = F.mse_loss(model(x), y)
        loss.backward()
        opt.step()
        if i >= warmup:
            step_times.append(time.perf_counter() - t0)
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
    return med(step_times), med(infer_batch), med(infer_single)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--n", type=int, default=1024)
    p.add_argument("--batch", type=int, default=20)
    p.add_argument("--width", type=int, default=64)
    p.add_argument("--modes", type=int, default=16)
    p.add_argument("--steps", type=int, default=7)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--neuralop", action="store_true")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    x = torch.randn(a.batch, a.n, 1)
    y = torch.randn(a.batch, a.n, 1)
    model = FNO1d(a.modes, a.width)
    nparams = sum(p.numel() for p in model.parameters() if p.requires_grad)
    nparams += sum(p.numel() for p in model.parameters() if p.is_complex())  # complex = 2 reals
    s, ib, i1 = time_model(model, x, y, a.steps, a.warmup)
    print(f"torch-plain params={nparams} train_step_ms={s:.2f} infer_batch_ms={ib:.2f} infer_single_ms={i1:.2f}")
    if a.neuralop:
        try:
            from neuralop.models import FNO
        except Exception as e:  # noqa: BLE001
            print(f"neuraloperator unavailable: {e}", file=sys.stderr)
            return
        # neuraloperator counts modes over the full spectrum: n_modes=2*modes keeps `modes`+1
        # rfft modes. Channels-first data; it appends the grid itself.
        m = FNO(n_modes=(2 * a.modes,), hidden_channels=a.width, in_channels=1, out_channels=1, n_layers=4)
        nparams = sum(p.numel() * (2 if p.is_complex() else 1) for p in m.parameters())
        s, ib, i1 = time_model(m, x.permute(0, 2, 1).contiguous(), y.permute(0, 2, 1).contiguous(), a.steps, a.warmup)
        print(f"neuraloperator params={nparams} train_step_ms={s:.2f} infer_batch_ms={ib:.2f} infer_single_ms={i1:.2f}")


if __name__ == "__main__":
    main()
