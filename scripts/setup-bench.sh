#!/usr/bin/env bash
# Installs what the side-by-side benchmark (bench/component_load.sh) compares lepton with:
# the `wasmtime` CLI at exactly the Wasmtime version lepton embeds (deps/wasmtime/Cargo.toml),
# built from crates.io into ~/.cache/lepton/wasmtime-cli (its cargo target dir beside it, so a
# re-run is quick). Not needed by the tests. Idempotent: when the right version is there it only
# checks. A cold build takes 30-60 CPU-minutes.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
version=$(sed -nE 's/^version = "=([0-9.]+)"$/\1/p' "$root/deps/wasmtime/Cargo.toml" | head -1)
[[ -n "$version" ]] || { echo "setup-bench: cannot read the pinned Wasmtime version" >&2; exit 1; }
prefix=$HOME/.cache/lepton/wasmtime-cli
export PATH="$HOME/.cargo/bin:$PATH"

if [[ -x "$prefix/bin/wasmtime" ]] && "$prefix/bin/wasmtime" --version | grep -q " $version "; then
  echo "setup-bench: wasmtime $version present ($prefix/bin/wasmtime)"
  exit 0
fi
command -v wrk >/dev/null || { echo "setup-bench: wrk missing: run scripts/setup.sh" >&2; exit 1; }
echo "setup-bench: building wasmtime-cli $version (cold: 30-60 CPU-minutes; progress below)"
CARGO_TARGET_DIR=$HOME/.cache/lepton/cargo-target-cli \
  cargo install wasmtime-cli --version "$version" --locked --root "$prefix"
"$prefix/bin/wasmtime" --version
