#!/usr/bin/env bash
# Installs everything lepton's build, tests and benchmarks need on Debian 12. Idempotent: a
# second run only checks. Needs root (or sudo) for apt-get.
set -euo pipefail

packages=(
  # build
  cmake ninja-build clang-19 lld-19 clang-format-19 pkg-config
  # guests: C to wasm32-wasi
  wasi-libc libclang-rt-19-dev-wasm32
  # fuzzing (libFuzzer runtime)
  libclang-rt-19-dev
  # libraries
  libboost-dev libssl-dev libsqlite3-dev libtomlplusplus-dev nlohmann-json3-dev libcli11-dev
  libspdlog-dev libfmt-dev libgtest-dev libgmock-dev libbenchmark-dev libhiredis-dev
  # tests: outbound Redis against a real server
  redis-server
  # tests: outbound MySQL and MQTT against real servers
  mariadb-server libmariadb-dev mosquitto libmosquitto-dev
  # tests: outbound PostgreSQL against a real server (libpq for the client)
  postgresql libpq-dev
  # tests: a throwaway CA and server certificates for TLS tests (tests/support/test_ca)
  openssl
  # benchmarks
  wrk
)

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
else
  echo "setup: Debian packages present"
fi

# Wasmtime's C API is built from crates.io by cargo; it needs rustc >= 1.95.
export PATH="$HOME/.cargo/bin:$PATH"
if ! command -v cargo >/dev/null; then
  echo "setup: cargo not found. Install Rust >= 1.95 with rustup (https://rustup.rs), then rerun." >&2
  exit 1
fi
rust_minor=$(rustc --version | sed -E 's/^rustc 1\.([0-9]+).*/\1/')
if [ "$rust_minor" -lt 95 ]; then
  echo "setup: rustc $(rustc --version) is too old; Wasmtime 48 needs >= 1.95 (rustup update)." >&2
  exit 1
fi

# Pinned guest toolchains (wasm-tools, wit-bindgen, Spin JS/Python SDKs): docs/guest-toolchains.md.
"$(dirname "$0")/setup-guest-toolchains.sh"
echo "setup: done"
