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
    step ring_loss_gpu_tests 60 "$kit/bin/ring_loss_gpu_tests"
    step device_step_gpu_tests 60 "$kit/bin/device_step_gpu_tests"
    step eager_gpu_tests 60 "$kit/bin/bench_eager_gpu_device_tests"
    step bench_cuda 60 "$kit/bin/rnnjit_bench_cuda" --reps 200 --warmup 20
    ;;
  bench)
    step bench_tables_neurons 150 "$kit/bin/rnnjit_bench_tables" --spec examples/ring.yaml \
      --backend cuda '--benchmark_filter=/neurons/' --benchmark_min_time=0.05 \
      --benchmark_out="$work/tables_neurons.json" --benchmark_out_format=json
    step ring_train 120 "$kit/bin/rnnjit" train examples/ring.yaml --backend cuda --out "$work/ring"
    # The issue's GPU targets: the seed's no-gain run (N=256, B=128, T=100, 1000 steps, K=2 and
    # K=16 zero padded) and its gain model (N=120, H=3, T=120); summary.json has the times.
    sed 's/actions: 2/actions: 16/' examples/ring.yaml >"$work/ring_k16.yaml"
    seed_run="--backend cuda --neurons 256 --batch 128 --seq-len 100 --steps 1000 --gain-hidden 0"
    step ring_seed_k2 120 "$kit/bin/rnnjit" train examples/ring.yaml $seed_run \
      --progress plain --no-figures --out "$work/ring_k2"
    step ring_seed_k16 120 "$kit/bin/rnnjit" train "$work/ring_k16.yaml" $seed_run \
      --progress plain --no-figures --out "$work/ring_k16"
    step ring_seed_k2_10k 200 "$kit/bin/rnnjit" train examples/ring.yaml $seed_run --steps 10000 \
      --eval-every 1000 --progress plain --no-figures --out "$work/ring_k2_10k"
    step ring_seed_gain 120 "$kit/bin/rnnjit" train examples/ring.yaml --backend cuda \
      --neurons 120 --batch 128 --seq-len 120 --steps 1000 --gain-hidden 3 --progress plain \
      --no-figures --out "$work/ring_gain"
    step ring_host_loop 120 env RNNJIT_DEVICE_STEP=0 "$kit/bin/rnnjit" train examples/ring.yaml \
      $seed_run --steps 200 --progress plain --no-figures --out "$work/ring_host_loop"
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
