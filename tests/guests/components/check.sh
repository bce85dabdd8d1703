#!/bin/sh
# ctest guest_component.<name>: a built component guest is valid and exports what it should.
#   check.sh <file.wasm> <extended regex that a line of `wasm-tools component wit` must match>
# Exits 77 (skipped) when the guest was not built because its toolchain is missing
# (<name>.skip beside it holds the reason). $WASM_TOOLS names the wasm-tools binary.
set -eu
wasm=$1
expect=$2
tools=${WASM_TOOLS:-wasm-tools}
skip=${wasm%.wasm}.skip
if [ -f "$skip" ]; then
  cat "$skip"
  exit 77
fi
[ -f "$wasm" ] || { echo "FAIL: $wasm not built (build target lepton_guests)"; exit 1; }
"$tools" validate "$wasm" || { echo "FAIL: wasm-tools validate $wasm"; exit 1; }
world=$("$tools" component wit "$wasm") || { echo "FAIL: wasm-tools component wit $wasm"; exit 1; }
# Only the component's own world (the first package block) matters.
own=$(printf '%s\n' "$world" | awk '/^package /{n++} n<=1')
if ! printf '%s\n' "$own" | grep -Eq "^ *$expect"; then
  echo "FAIL: $wasm: no line matching '$expect' in its world:"
  printf '%s\n' "$own"
  exit 1
fi
echo "ok: $(basename "$wasm") ($(wc -c <"$wasm") bytes) $(printf '%s\n' "$own" | grep -E "^ *$expect" | head -1 | sed 's/^ *//')"
