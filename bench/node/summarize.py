"""Medians over seeds of the training time each implementation needs to first reach a test loss."""
import json
import statistics
import sys
from collections import defaultdict

runs = defaultdict(list)  # (impl, seed) -> [(iter, seconds, loss)]
for line in open(sys.argv[1]):
    r = json.loads(line)
    runs[(r["impl"], r["seed"])].append((r["iter"], r["train_seconds"], r["test_loss"]))
impls = sorted({k[0] for k in runs})


def first_reach(log, target):
    for it, s, l in log:
        if l <= target:
            return it, s
    return None


print("| implementation | median s/iteration | median final test loss (iters) |")
print("|---|---|---|")
for im in impls:
    logs = [v for k, v in runs.items() if k[0] == im]
    per_it = statistics.median(log[-1][1] / log[-1][0] for log in logs)
    fin = statistics.median(log[-1][2] for log in logs)
    print(f"| {im} | {per_it * 1e3:.3f} ms | {fin:.4f} ({logs[0][-1][0]}) |")
print()
print("| target test loss | " + " | ".join(f"{im}: median s (reached/runs)" for im in impls) + " | ratio torchdiffeq/ai4de |")
print("|---|" + "---|" * len(impls) + "---|")
for target in [0.5, 0.3, 0.2, 0.1, 0.05]:
    med = {}
    cells = []
    for im in impls:
        logs = [v for k, v in runs.items() if k[0] == im]
        hits = [first_reach(l, target) for l in logs]
        secs = [h[1] for h in hits if h]
        med[im] = statistics.median(secs) if len(secs) * 2 > len(logs) else None
        cells.append(f"{med[im]:.2f} ({len(secs)}/{len(logs)})" if med[im] is not None else f"- ({len(secs)}/{len(logs)})")
    ratio = med.get("torchdiffeq") / med["ai4de"] if med.get("ai4de") and med.get("torchdiffeq") else None
    print(f"| {target} | " + " | ".join(cells) + f" | {ratio:.1f}x |" if ratio else f"| {target} | " + " | ".join(cells) + " | - |")
