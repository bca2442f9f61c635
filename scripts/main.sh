#!/usr/bin/env bash
# The main job: install, build, and train the ring attractor (examples/ring.yaml, its `train:`
# section) on the best backend present: cuda if a device answers, else the LLVM CPU JIT, else the
# float64 reference. Results (metrics.csv, checkpoints, summary.json, figures) go to runs/ring
# (runs/ring-2, ... when that already holds a run), or to the folder given as the argument.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
# A run folder belongs to one run: without an argument, the first of runs/ring, runs/ring-2, ...
# that holds no run yet.
out=${1:-}
if [ -z "$out" ]; then
  out=runs/ring
  n=1
  while [ -e "$out/metrics.csv" ] || compgen -G "$out/checkpoint-*" >/dev/null; do
    n=$((n + 1))
    out=runs/ring-$n
  done
fi
./build/rnnjit train examples/ring.yaml --backend auto --out "$out"
