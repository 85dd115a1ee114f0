"""torchdiffeq's README example (examples/ode_demo.py, Chen et al. 2018) with timing.

Same set-up as the original: dy/dt = y**3 @ A (A = [[-0.1, 2], [-2, -0.1]]), y0 = [2, 0],
1000 points on [0, 25] from dopri5; ODEFunc = Linear(2,50)-Tanh-Linear(50,2) on y**3 (weights
N(0, 0.1), zero biases); batch_time 10, batch_size 20; RMSprop lr 1e-3; odeint default dopri5
(rtol 1e-7, atol 1e-9), gradients by backpropagation through the solver; L1 loss. Test loss
(full trajectory from y0) every test_freq iterations; the clock excludes the test evaluations.

Prints one JSON object per test evaluation: {"impl","iter","train_seconds","test_loss"}.
"""
import argparse
import json
import time

import numpy as np
import torch
from torchdiffeq import odeint

p = argparse.ArgumentParser()
p.add_argument("--niters", type=int, default=2000)
p.add_argument("--test_freq", type=int, default=20)
p.add_argument("--seed", type=int, default=0)
p.add_argument("--dtype", choices=["float32", "float64"], default="float32")
p.add_argument("--target", type=float, default=0.0, help="stop once the test loss is <= target")
args = p.parse_args()

torch.manual_seed(args.seed)
np.random.seed(args.seed)
dtype = torch.float32 if args.dtype == "float32" else torch.float64
torch.set_default_dtype(dtype)
data_size, batch_time, batch_size = 1000, 10, 20

true_y0 = torch.tensor([[2.0, 0.0]])
t = torch.linspace(0.0, 25.0, data_size)
true_A = torch.tensor([[-0.1, 2.0], [-2.0, -0.1]])


class Lambda(torch.nn.Module):
    def forward(self, t, y):
        return torch.mm(y**3, true_A)


with torch.no_grad():
    true_y = odeint(Lambda(), true_y0, t, method="dopri5")


def get_batch():
    s = torch.from_numpy(np.random.choice(np.arange(data_size - batch_time, dtype=np.int64), batch_size, replace=False))
    batch_y0 = true_y[s]
    batch_t = t[:batch_time]
    batch_y = torch.stack([true_y[s + i] for i in range(batch_time)], dim=0)
    return batch_y0, batch_t, batch_y


class ODEFunc(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.net = torch.nn.Sequential(torch.nn.Linear(2, 50), torch.nn.Tanh(), torch.nn.Linear(50, 2))
        for m in self.net.modules():
            if isinstance(m, torch.nn.Linear):
                torch.nn.init.normal_(m.weight, mean=0, std=0.1)
                torch.nn.init.constant_(m.bias, val=0)

    def forward(self, t, y):
        return self.net(y**3)


func = ODEFunc()
optimizer = torch.optim.RMSprop(func.parameters(), lr=1e-3)
train_s = 0.0
for itr in range(1, args.niters + 1):
    t0 = time.perf_counter()
    optimizer.zero_grad()
    batch_y0, batch_t, batch_y = get_batch()
    pred_y = odeint(func, batch_y0, batch_t)
    loss = torch.mean(torch.abs(pred_y - batch_y))
    loss.backward()
    optimizer.step()
    train_s += time.perf_counter() - t0
    if itr % args.test_freq == 0:
        with torch.no_grad():
            pred_y = odeint(func, true_y0, t)
            test = torch.mean(torch.abs(pred_y - true_y)).item()
        print(json.dumps({"impl": "torchdiffeq", "iter": itr, "train_seconds": train_s, "test_loss": test}), flush=True)
        if test <= args.target:
            break
