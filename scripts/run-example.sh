#!/usr/bin/env bash
# README command 1: install what is missing, build lepton, build the example app and serve it
# on 127.0.0.1:3000 (Ctrl-C stops it).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
example=examples/hello-c
echo "building $example"
(cd "$example" && clang-19 --target=wasm32-wasi -O2 -mexec-model=reactor -o hello.wasm hello.c)
exec build/src/lepton up -f "$example" "$@"
