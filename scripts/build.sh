#!/usr/bin/env bash
# Configures and builds lepton (and its tests) in ./build. The first build compiles Wasmtime
# (10-30 min on 2 cores); cargo keeps it in ~/.cache/lepton/cargo-target for later builds.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
build_type=${BUILD_TYPE:-RelWithDebInfo}
cmake -S . -B build -G Ninja -DCMAKE_C_COMPILER=clang-19 -DCMAKE_CXX_COMPILER=clang++-19 \
  -DCMAKE_BUILD_TYPE="$build_type" "$@"
cmake --build build
