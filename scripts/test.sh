#!/usr/bin/env bash
# Installs, builds, and runs the default test suite (everything but the label slow).
# A machine without a GPU runs the gpu-labelled tests too: they print "SKIPPED: no CUDA device".
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
# The installed package, as a program of a user's own builds against it (CMake and pkg-config).
bash scripts/test-embed.sh
jobs=$(nproc 2>/dev/null || echo 2)
ctest --test-dir build --output-on-failure -j "$jobs" -LE slow --timeout 600
