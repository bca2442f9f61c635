#!/usr/bin/env bash
# The main job: install, build, and train the ring attractor (examples/ring.yaml, its `train:`
# section) on the best backend present: cuda if a device answers, else the LLVM CPU JIT, else the
# float64 reference. Results (metrics.csv, checkpoints, summary.json, figures) go to runs/ring.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
./build/rnnjit train examples/ring.yaml --backend auto --out "${1:-runs/ring}"
