#!/usr/bin/env bash
# Runs on the GPU machine from the repository root (copied there by scripts/gpu-kit.sh as
# gpu-kit/run.sh). Two phases, one device call each (the device tool allows 600 s per call and
# returns at most 8 files from $OUT, so everything goes into one archive plus a summary):
#   bash gpu-kit/run.sh tests   # GPU tests, eager-reference tests, the kernel speed table (~5 min)
#   bash gpu-kit/run.sh bench   # the seed's N table vs the eager GPU reference, both trainers
# $OUT gets summary.txt and logs-<phase>.tgz (full logs, JSON, training outputs).
set -uo pipefail
phase="${1:-tests}"
kit="$(cd "$(dirname "$0")" && pwd)"
# The kit's libraries first; libcuda, libnvrtc and libcublas are dlopened from the system's CUDA.
export LD_LIBRARY_PATH="$kit/lib:${LD_LIBRARY_PATH:-}:/usr/local/cuda/lib64:/usr/local/cuda/targets/x86_64-linux/lib"
export RNNJIT_CACHE_DIR=off
out="${OUT:-/tmp/rnnjit-gpu-out}"
work=/tmp/rnnjit-gpu/$phase
rm -rf "$work"
mkdir -p "$out" "$work"
summary="$out/summary.txt"
: >"$summary"
step() {  # step NAME SECONDS CMD...: CMD with a time limit, log in $work/NAME.log, tail in summary
  local name=$1 limit=$2
  shift 2
  local t0=$SECONDS
  timeout "$limit" "$@" >"$work/$name.log" 2>&1
  local rc=$?
  echo "== $name: exit $rc, $((SECONDS - t0)) s" | tee -a "$summary"
  tail -n 12 "$work/$name.log" >>"$summary"
}
{
  nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
  ldconfig -p | grep -E 'libcuda\.so|nvrtc|cublas' | head -6
  grep -m1 -o -E 'avx512f|avx2' /proc/cpuinfo | head -1
} >>"$summary" 2>&1
case "$phase" in
  tests)
    step cuda_gpu_tests 180 "$kit/bin/cuda_gpu_tests"
    step eager_gpu_tests 60 "$kit/bin/bench_eager_gpu_device_tests"
    step bench_cuda 60 "$kit/bin/rnnjit_bench_cuda" --reps 200 --warmup 20
    ;;
  bench)
    step bench_tables_neurons 150 "$kit/bin/rnnjit_bench_tables" --spec examples/ring.yaml \
      --backend cuda '--benchmark_filter=/neurons/' --benchmark_min_time=0.05 \
      --benchmark_out="$work/tables_neurons.json" --benchmark_out_format=json
    step ring_train 120 "$kit/bin/rnnjit" train examples/ring.yaml --backend cuda --out "$work/ring"
    step vwm_small_train 120 "$kit/bin/rnnjit" train examples/vwm_small.yaml --backend cuda \
      --out "$work/vwm_small" --quiet
    ;;
  *)
    echo "usage: run.sh tests|bench" >&2
    exit 2
    ;;
esac
tar czf "$out/logs-$phase.tgz" -C /tmp/rnnjit-gpu "$phase"
echo
cat "$summary"
