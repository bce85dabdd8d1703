#!/usr/bin/env bash
# Installs the pinned toolchains that build lepton's WASI 0.2 / wasi:http component test guests
# (tests/guests/components.cmake). See docs/guest-toolchains.md. Called at the end of
# scripts/setup.sh; idempotent: when everything is present it only checks (a second or so).
#
#   wasm-tools, wit-bindgen-cli   crates.io, `cargo install --locked --version X` into ~/.cargo/bin
#   tests/guests/js/node_modules  npm ci from tests/guests/js/package-lock.json: the Spin JS SDK v3
#                                 build tools (j2w), wasi-http-proxy (wasi:http 0.2.3 WIT) and jco
#                                 (WASI p1->p2 reactor adapter)
#   Python venv                   componentize-py + spin-sdk pinned by hash in
#                                 tests/guests/py/requirements.txt; $LEPTON_PY_VENV,
#                                 default ~/.cache/lepton/py-venv
#
# The language templates (templates/http-js, http-ts, http-py) build with the same toolchains:
# node >= 18 and npm (each app npm-installs its own SDK, esbuild and TypeScript), and this venv's
# componentize-py + spin-sdk (tests/integration/templates_lang_test.cc puts its bin/ on PATH).
#
# This is the one place that installs wasm-tools; bump its version here only.
set -euo pipefail

WASM_TOOLS_VERSION=1.263.0
WIT_BINDGEN_VERSION=0.63.0

root=$(cd "$(dirname "$0")/.." && pwd)
js_dir=$root/tests/guests/js
py_req=$root/tests/guests/py/requirements.txt
py_venv=${LEPTON_PY_VENV:-$HOME/.cache/lepton/py-venv}
python=${LEPTON_PYTHON:-python3}
export PATH="$HOME/.cargo/bin:$PATH"

say() { echo "setup-guest-toolchains: $*"; }
fail() {
  echo "setup-guest-toolchains: FAILED: $*" >&2
  exit 1
}

# cargo_tool <crate> <binary> <version>: installs unless `<binary> --version` reports <version>.
cargo_tool() {
  local crate=$1 bin=$2 version=$3
  local re="(^| )${version//./\\.}( |$)"
  if "$bin" --version 2>/dev/null | grep -Eq "$re"; then
    say "$bin $version present"
    return
  fi
  command -v cargo >/dev/null || fail "$crate $version: cargo not found (install Rust with rustup)"
  say "installing $crate $version (cargo install --locked; several minutes on 2 cores)"
  cargo install --locked --version "$version" "$crate" ||
    fail "$crate $version: 'cargo install --locked --version $version $crate' failed"
  "$bin" --version 2>/dev/null | grep -Eq "$re" ||
    fail "$crate $version: installed, but '$bin --version' prints '$("$bin" --version 2>&1 || true)'" \
      "(is another $bin earlier on PATH than ~/.cargo/bin?)"
  say "$bin $version installed"
}

cargo_tool wasm-tools wasm-tools "$WASM_TOOLS_VERSION"
cargo_tool wit-bindgen-cli wit-bindgen "$WIT_BINDGEN_VERSION"

# --- npm: Spin JS SDK build tools + jco --------------------------------------------------------
command -v npm >/dev/null || fail "npm not found (Debian: apt-get install nodejs npm; Node >= 18)"
node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
[ "$node_major" -ge 18 ] || fail "node: version $(node --version 2>&1) is too old; j2w needs Node >= 18"
npm_stamp=$js_dir/node_modules/.lepton-lock.sha256
npm_want=$(cat "$js_dir/package.json" "$js_dir/package-lock.json" | sha256sum | cut -c1-64)
adapter=$js_dir/node_modules/@bytecodealliance/jco/lib/wasi_snapshot_preview1.reactor.wasm
if [ -f "$npm_stamp" ] && [ "$(cat "$npm_stamp")" = "$npm_want" ] &&
  [ -x "$js_dir/node_modules/.bin/j2w" ] && [ -f "$adapter" ]; then
  say "npm packages in tests/guests/js present"
else
  say "npm ci in tests/guests/js (@spinframework/build-tools, wasi-http-proxy, @bytecodealliance/jco)"
  (cd "$js_dir" && npm ci --no-audit --no-fund --loglevel=error) ||
    fail "npm: 'npm ci' in tests/guests/js failed"
  [ -x "$js_dir/node_modules/.bin/j2w" ] || fail "npm: j2w missing after npm ci"
  [ -f "$adapter" ] || fail "npm: jco's wasi_snapshot_preview1.reactor.wasm missing after npm ci"
  echo "$npm_want" >"$npm_stamp"
fi

# --- Python: componentize-py + spin-sdk in a venv ----------------------------------------------
py_stamp=$py_venv/.lepton-requirements.sha256
py_want=$(sha256sum <"$py_req" | cut -c1-64)
if [ -f "$py_stamp" ] && [ "$(cat "$py_stamp")" = "$py_want" ] &&
  "$py_venv/bin/componentize-py" --version >/dev/null 2>&1; then
  say "Python venv $py_venv present"
else
  if [ ! -x "$py_venv/bin/python" ]; then
    command -v "$python" >/dev/null || fail "python: '$python' not found (need Python >= 3.10)"
    "$python" -c 'import sys; sys.exit(sys.version_info < (3, 10))' ||
      fail "python: $("$python" --version 2>&1) is too old; componentize-py needs >= 3.10"
    say "creating Python venv $py_venv"
    mkdir -p "$(dirname "$py_venv")"
    "$python" -m venv "$py_venv" ||
      fail "python: '$python -m venv $py_venv' failed (Debian: apt-get install python3-venv)"
  fi
  say "pip install componentize-py, spin-sdk (tests/guests/py/requirements.txt) into $py_venv"
  "$py_venv/bin/python" -m pip install --quiet --disable-pip-version-check --require-hashes \
    -r "$py_req" || fail "python: pip install -r tests/guests/py/requirements.txt failed"
  "$py_venv/bin/componentize-py" --version >/dev/null ||
    fail "python: componentize-py does not run after pip install"
  echo "$py_want" >"$py_stamp"
fi

say "wasm-tools $(wasm-tools --version | cut -d' ' -f2), wit-bindgen $(wit-bindgen --version | awk '{print $NF}')," \
  "j2w (@spinframework/build-tools $(node -p "require('$js_dir/node_modules/@spinframework/build-tools/package.json').version"))," \
  "$("$py_venv/bin/componentize-py" --version)"
