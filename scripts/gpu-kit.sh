#!/usr/bin/env bash
# Packs the GPU checks for a machine that has a GPU but not this project's build dependencies (the
# device machine: Ubuntu, no LLVM 19, maybe no cairo or Eigen): builds them here without LLVM into
# build-gpu/ and copies the executables, the shared libraries they need beyond the C and C++
# runtimes, and scripts/gpu-run.sh into gpu-kit/ (ignored by git; 19 MiB by `du -sh gpu-kit` on
# 2026-11-30).
#   bash scripts/gpu-kit.sh
#   device tool: run(carry=["gpu-kit"], command="bash gpu-kit/run.sh tests", timeout_s=540)
#                then the same with "train" and "bench"; results (summary.txt, logs-*.tgz)
#                under $OUT
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
# No -march=native: the GPU machine's CPU may lack this one's vector extensions (AVX-512).
cmake -S . -B build-gpu -G Ninja -DCMAKE_BUILD_TYPE=Release -DRNNJIT_WITH_LLVM=OFF -DRNNJIT_NATIVE=OFF \
  >/dev/null
ninja -C build-gpu rnnjit cuda_gpu_tests device_step_gpu_tests ring_loss_gpu_tests vwm_loss_gpu_tests \
  bench_eager_gpu_device_tests rnnjit_bench_cuda \
  rnnjit_bench_tables
rm -rf gpu-kit
mkdir -p gpu-kit/bin gpu-kit/lib
cp build-gpu/rnnjit build-gpu/tests/cuda/cuda_gpu_tests build-gpu/tests/cuda/device_step_gpu_tests \
  build-gpu/tests/train/ring_loss_gpu_tests build-gpu/tests/vwm/vwm_loss_gpu_tests \
  build-gpu/tests/bench/bench_eager_gpu_device_tests build-gpu/bench/cuda/rnnjit_bench_cuda \
  build-gpu/bench/tables/rnnjit_bench_tables gpu-kit/bin/
# Every shared library the executables load except glibc's and the compiler runtimes, which the
# newer distribution has in newer, compatible versions. libcuda and libnvrtc are dlopened there.
for exe in gpu-kit/bin/*; do ldd "$exe"; done | awk '/=> \// {print $3}' | sort -u |
  grep -v -E '/(libc|libm|libpthread|libdl|librt|libgcc_s|libstdc\+\+)\.so' |
  while read -r lib; do cp -L "$lib" gpu-kit/lib/; done
cp scripts/gpu-run.sh gpu-kit/run.sh
du -sh gpu-kit
