#!/usr/bin/env bash
# Installs the dependencies (idempotent) and builds rnnjit into ./build (Release, Ninja).
# Extra arguments go to cmake's configure step, e.g. -DRNNJIT_WITH_LLVM=OFF.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
jobs=$(nproc 2>/dev/null || echo 2)
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
cmake --build build -j "$jobs"
