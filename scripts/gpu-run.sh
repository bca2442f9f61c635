#!/usr/bin/env bash
# Runs on the GPU machine from the repository root (copied there by scripts/gpu-kit.sh as
# gpu-kit/run.sh): the GPU tests, the kernel speed table, the seed's benchmark tables against the
# eager GPU reference, and the two trainers, each with a time limit (540 s in all, under the device
# tool's 600 s per call). Full logs go to $OUT (or /tmp/rnnjit-gpu); a summary is printed last.
set -uo pipefail
kit="$(cd "$(dirname "$0")" && pwd)"
export LD_LIBRARY_PATH="$kit/lib:${LD_LIBRARY_PATH:-}"
export RNNJIT_CACHE_DIR=off
out="${OUT:-/tmp/rnnjit-gpu}"
mkdir -p "$out"
summary="$out/summary.txt"
: >"$summary"
step() {  # step NAME SECONDS CMD...: runs CMD with a limit, log in $out/NAME.log, tail in summary
  local name=$1 limit=$2
  shift 2
  local t0=$SECONDS
  timeout "$limit" "$@" >"$out/$name.log" 2>&1
  local rc=$?
  echo "== $name: exit $rc, $((SECONDS - t0)) s" | tee -a "$summary"
  tail -n 8 "$out/$name.log" >>"$summary"
}
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader >"$out/gpu.txt" 2>&1
cat "$out/gpu.txt" >>"$summary"
step cuda_gpu_tests 150 "$kit/bin/cuda_gpu_tests"
step eager_gpu_tests 60 "$kit/bin/bench_eager_gpu_device_tests"
step bench_cuda 60 "$kit/bin/rnnjit_bench_cuda" --reps 200 --warmup 20
step bench_tables_neurons 90 "$kit/bin/rnnjit_bench_tables" --spec examples/ring.yaml \
  --backend cuda '--benchmark_filter=/neurons/' --benchmark_out="$out/tables_neurons.json" \
  --benchmark_out_format=json
step ring_train 90 "$kit/bin/rnnjit" train examples/ring.yaml --backend cuda --out "$out/ring"
step vwm_small_train 90 "$kit/bin/rnnjit" train examples/vwm_small.yaml --backend cuda \
  --out "$out/vwm_small" --quiet
echo
cat "$summary"
