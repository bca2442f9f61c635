#!/usr/bin/env bash
# Installs everything rnnjit needs from Debian's packages. Idempotent: packages already present are
# not fetched again, and apt-get update runs only when something is missing.
set -euo pipefail
pkgs=(cmake ninja-build g++ pkg-config
      libyaml-cpp-dev libcxxopts-dev libgtest-dev libgmock-dev libbenchmark-dev nlohmann-json3-dev
      libfmt-dev llvm-19-dev libeigen3-dev libcairo2-dev zlib1g-dev libgif-dev
      libopenmpi-dev openmpi-bin)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "install-deps: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
