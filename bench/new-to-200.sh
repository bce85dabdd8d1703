#!/usr/bin/env bash
# From blinking cursor to first 200: for each template, the wall time of `lepton new -t T app
# --accept-defaults`, then `lepton build --up` (the template's own build command, then serving),
# until `curl` gets a 200 — split into new / build / up-to-first-200 and summed. Each template
# runs in a fresh temporary directory; toolchains must be installed (scripts/setup.sh), and npm /
# pip caches as setup leaves them (warm, which is what a developer's second app sees).
#
#   bench/new-to-200.sh [BUILD_DIR] [TEMPLATE...]     (default templates: http-c http-js)
#
# The lepton compile cache ($XDG_CACHE_HOME/lepton) is used as a user would have it; set
# FRESH_CACHE=1 to point it at an empty directory (the first app a machine ever serves).
# RUNS (default 1) repeats each template; each run is a fresh app.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$root/build}"
[[ $# -gt 0 ]] && shift
templates=("$@")
[[ ${#templates[@]} -gt 0 ]] || templates=(http-c http-js)
runs="${RUNS:-1}"

die() { echo "new-to-200: $*" >&2; exit 1; }
build="$(cd "$build" 2>/dev/null && pwd)" || die "no build directory"
lepton="$build/src/lepton"
[[ -x "$lepton" ]] || die "$lepton not found: build lepton first"
command -v curl >/dev/null || die "curl not found"
# The Python template's tools live in the venv setup-guest-toolchains.sh makes.
py_venv="${LEPTON_PY_VENV:-$HOME/.cache/lepton/py-venv}"
[[ -d "$py_venv/bin" ]] && export PATH="$py_venv/bin:$PATH"
export npm_config_prefer_offline=true

work="$(mktemp -d "${TMPDIR:-/tmp}/lepton-new-to-200.XXXXXX")"
pid=""
cleanup() {
  if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
if [[ "${FRESH_CACHE:-0}" == 1 ]]; then export XDG_CACHE_HOME="$work/cache"; fi

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

printf "%-10s %4s %8s %8s %12s %8s\n" template run new build up-to-200 total
for t in "${templates[@]}"; do
  for run in $(seq "$runs"); do
    dir="$work/$t-$run"
    mkdir -p "$dir"
    cd "$dir"
    p="$(port)"
    t0="$(now)"
    "$lepton" new -t "$t" app --accept-defaults >"$dir/new.log" 2>&1 || die "$t: lepton new failed: $(cat "$dir/new.log")"
    t1="$(now)"
    cd app
    "$lepton" build --up --listen "127.0.0.1:$p" >"$dir/build-up.log" 2>&1 &
    pid=$!
    built=""
    while :; do
      if [[ -z "$built" ]] && grep -q "Serving\|Finished building" "$dir/build-up.log" 2>/dev/null; then
        built="$(now)"
      fi
      code="$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$p/" 2>/dev/null || true)"
      [[ "$code" == 200 ]] && break
      kill -0 "$pid" 2>/dev/null || die "$t: lepton build --up exited: $(tail -20 "$dir/build-up.log")"
      sleep 0.05
    done
    t3="$(now)"
    [[ -n "$built" ]] || built="$t3"
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    pid=""
    printf "%-10s %4s %8s %8s %12s %8s\n" "$t" "$run" "$(secs "$t0" "$t1")" "$(secs "$t1" "$built")" \
      "$(secs "$built" "$t3")" "$(secs "$t0" "$t3")"
  done
done
