#!/usr/bin/env bash
# FNO paper accuracy run (Li et al., ICLR 2021, 1-D Burgers: nu = 0.1, n = 256, 1000 train /
# 100 test, FNO-1D width 64, 16 modes, 4 layers, Adam lr 1e-3 halved every 100 of 500 epochs,
# batch 20, weight decay 1e-4; paper test relative L2 0.0149). Long on 2 CPU cores: run it with
# nohup; `ai4de train` resumes from its last epoch if killed. Results: ACCURACY.md.
set -euo pipefail
AI4DE=${AI4DE:-target/release/ai4de}
OUT=${OUT:-target/runs}
EPOCHS=${EPOCHS:-500}
mkdir -p "$OUT"
[ -e "$OUT/burgers256.zarr" ] || "$AI4DE" generate burgers --samples 1200 --grid 256 --steps 2 \
    --seed 0 --out "$OUT/burgers256.zarr"
"$AI4DE" train fno1d --data "$OUT/burgers256.zarr" --ntrain 1000 --nval 100 --ntest 100 \
    --epochs "$EPOCHS" --batch 20 --lr 1e-3 --weight-decay 1e-4 --schedule step \
    --width 64 --modes 16 --layers 4 --normalize none --seed 0 --out "$OUT/fno-burgers"
"$AI4DE" eval "$OUT/fno-burgers"
