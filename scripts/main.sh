#!/usr/bin/env bash
# The main job: install, build, and run the ring attractor example end to end on the best backend
# present (cuda if a device answers, else the LLVM CPU JIT, else the float64 reference).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
out=${1:-runs/ring-demo}
mkdir -p "$out"
./build/rnnjit compile examples/ring.yaml --emit ir
./build/rnnjit init examples/ring.yaml --seed 0 -o "$out/params.safetensors"
./build/rnnjit inputs examples/ring.yaml --batch 16 --steps 100 --seed 1 -o "$out/inputs.safetensors" \
  --cotangent "$out/cotangent.safetensors"
./build/rnnjit run examples/ring.yaml --params "$out/params.safetensors" --inputs "$out/inputs.safetensors" \
  -o "$out/r.safetensors"
./build/rnnjit grad examples/ring.yaml --params "$out/params.safetensors" --inputs "$out/inputs.safetensors" \
  --cotangent "$out/cotangent.safetensors" -o "$out/grads.safetensors"
