"""Per-op profile of the PyTorch FNO-1D training step (bench_torch.py's model), for the
breakdown in RESULTS.md:  python profile_torch.py [--n 256] [--threads 1] [--steps 10]."""
import argparse

import torch
import torch.nn.functional as F
from torch.profiler import ProfilerActivity, profile

from bench_torch import FNO1d

p = argparse.ArgumentParser()
p.add_argument("--n", type=int, default=256)
p.add_argument("--threads", type=int, default=1)
p.add_argument("--steps", type=int, default=10)
a = p.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(0)
x, y = torch.randn(20, a.n, 1), torch.randn(20, a.n, 1)
model = FNO1d(16, 64)
opt = torch.optim.Adam(model.parameters(), lr=1e-3)


def step():
    opt.zero_grad(set_to_none=True)
    loss = F.mse_loss(model(x), y)
    loss.backward()
    opt.step()


for _ in range(3):
    step()
with profile(activities=[ProfilerActivity.CPU]) as prof:
    for _ in range(a.steps):
        step()
print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=25))
