#!/usr/bin/env bash
# Runs on the GPU machine from the repository root (copied there by scripts/gpu-kit.sh as
# gpu-kit/run.sh). Three phases, one device call each (the device tool allows 600 s per call and
# returns at most 8 files from $OUT, so everything goes into one archive plus a summary):
#   bash gpu-kit/run.sh tests   # GPU tests, eager-reference tests, the kernel speed table (~5 min)
#   bash gpu-kit/run.sh train   # the ring and VWM GPU targets, device step vs host loop (~6 min)
#   bash gpu-kit/run.sh bench   # the seed's N table vs the eager GPU reference
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
facts() {  # the figures of every run's summary.json, one line each
  for f in "$work"/*/summary.json; do
    [ -f "$f" ] || continue
    python3 - "$f" <<'PY' >>"$summary" 2>&1
import json, sys
j = json.load(open(sys.argv[1]))
keys = ["backend", "device_step", "steps", "train_seconds", "steps_per_second",
        "seconds_per_step", "final_loss", "compile_seconds"]
held = j.get("held_out", {})
print(sys.argv[1].split("/")[-2], {k: j[k] for k in keys if k in j},
      "held-out error", held.get("circular_error_rad"), j.get("error_by_set_size", ""))
PY
  done
}
case "$phase" in
  tests)
    step cuda_gpu_tests 180 "$kit/bin/cuda_gpu_tests"
    step ring_loss_gpu_tests 60 "$kit/bin/ring_loss_gpu_tests"
    step vwm_loss_gpu_tests 90 "$kit/bin/vwm_loss_gpu_tests"
    step device_step_gpu_tests 60 "$kit/bin/device_step_gpu_tests"
    step eager_gpu_tests 60 "$kit/bin/bench_eager_gpu_device_tests"
    step bench_cuda 60 "$kit/bin/rnnjit_bench_cuda" --reps 200 --warmup 20
    ;;
  bench)
    step bench_tables_neurons 150 "$kit/bin/rnnjit_bench_tables" --spec examples/ring.yaml \
      --backend cuda '--benchmark_filter=/neurons/' --benchmark_min_time=0.05 \
      --benchmark_out="$work/tables_neurons.json" --benchmark_out_format=json
    ;;
  train)
    # The issues' GPU targets with parameters, loss and Adam on the device (ring: the seed's no-gain
    # run N=256 B=128 T=100 1000 steps, K=2 and K=16 zero padded, where 10,000 steps take it, the
    # gain model N=120 H=3 T=120; VWM: seconds per iteration of the seed's default), and the host
    # loop (RNNJIT_DEVICE_STEP=0) for comparison. The numbers land in summary.txt (facts below).
    sed 's/actions: 2/actions: 16/' examples/ring.yaml >"$work/ring_k16.yaml"
    seed_run="--backend cuda --neurons 256 --batch 128 --seq-len 100 --steps 1000 --gain-hidden 0"
    plain="--progress plain --no-figures"
    step ring_seed_k2 60 "$kit/bin/rnnjit" train examples/ring.yaml $seed_run $plain \
      --out "$work/ring_k2"
    step ring_seed_k16 90 "$kit/bin/rnnjit" train "$work/ring_k16.yaml" $seed_run $plain \
      --out "$work/ring_k16"
    step ring_seed_gain 60 "$kit/bin/rnnjit" train examples/ring.yaml --backend cuda \
      --neurons 120 --batch 128 --seq-len 120 --steps 1000 --gain-hidden 3 $plain \
      --out "$work/ring_gain"
    step ring_host_loop 60 env RNNJIT_DEVICE_STEP=0 "$kit/bin/rnnjit" train examples/ring.yaml \
      $seed_run --steps 100 $plain --out "$work/ring_host_loop"
    step vwm_seed 60 "$kit/bin/rnnjit" train examples/vwm.yaml --backend cuda --steps 20 \
      --out "$work/vwm_seed" --quiet
    step vwm_host_loop 60 env RNNJIT_DEVICE_STEP=0 "$kit/bin/rnnjit" train examples/vwm.yaml \
      --backend cuda --steps 2 --out "$work/vwm_host_loop" --quiet
    step vwm_small_train 60 "$kit/bin/rnnjit" train examples/vwm_small.yaml --backend cuda \
      --out "$work/vwm_small" --quiet
    step ring_seed_k2_10k 120 "$kit/bin/rnnjit" train examples/ring.yaml $seed_run --steps 10000 \
      --eval-every 1000 $plain --out "$work/ring_k2_10k"
    facts
    ;;
  *)
    echo "usage: run.sh tests|train|bench" >&2
    exit 2
    ;;
esac
tar czf "$out/logs-$phase.tgz" -C /tmp/rnnjit-gpu "$phase"
echo
cat "$summary"
