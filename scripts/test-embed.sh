#!/usr/bin/env bash
# Installs the built project into a temporary prefix and builds and runs the embedding examples
# (examples/embed) against the installed package, as a user's own program would: once through
# CMake's find_package(rnnjit), once through pkg-config. Needs a built ./build (scripts/build.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
cmake --install build --prefix "$prefix/install" >/dev/null
spec=$PWD/examples/ring.yaml

echo "embed: find_package(rnnjit) from $prefix/install"
cmake -S examples/embed -B "$prefix/cmake" -G Ninja -DCMAKE_PREFIX_PATH="$prefix/install" >/dev/null
cmake --build "$prefix/cmake" >/dev/null
"$prefix/cmake/embed_cpp" "$spec"
"$prefix/cmake/embed_c" "$spec"

echo "embed: pkg-config rnnjit"
export PKG_CONFIG_PATH=$(dirname "$(find "$prefix/install" -name rnnjit.pc)")
c++ -std=c++20 examples/embed/embed.cpp $(pkg-config --cflags --libs rnnjit) -o "$prefix/embed_pc"
cc examples/embed/embed.c $(pkg-config --cflags --libs rnnjit) -lm -o "$prefix/embed_pc_c"
"$prefix/embed_pc" "$spec"
"$prefix/embed_pc_c" "$spec"
"$prefix/install/bin/rnnjit" --version
echo "embed: 6 passed, 0 failed"
