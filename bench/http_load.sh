#!/usr/bin/env bash
# HTTP load test: `lepton up` serving examples/hello-c on a free loopback port, driven by
# `wrk -t2 -c32 -d10s --latency`; prints requests/s, p50 and p99, then stops the server.
#
#   bench/http_load.sh [BUILD_DIR] [-- LEPTON_UP_FLAGS...]
#   bench/http_load.sh build                        # pooling (the default)
#   bench/http_load.sh build -- --disable-pooling
#
# Builds nothing of lepton (BUILD_DIR/src/lepton must exist); compiles only the example's
# hello.wasm with clang-19, as scripts/run-example.sh does, into a temporary copy of the app (the
# source tree is not touched; the app's .spin/ logs go there too and are deleted at the end).
# Loopback only, and bounded: startup wait 60 s, wrk DURATION (default 10s) + 30 s, shutdown 15 s
# then SIGKILL. Environment: DURATION, THREADS (2), CONNECTIONS (32), URL_PATH (/hi).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$root/build}"
[[ $# -gt 0 ]] && shift
[[ "${1:-}" == "--" ]] && shift
duration="${DURATION:-10s}"
threads="${THREADS:-2}"
connections="${CONNECTIONS:-32}"
url_path="${URL_PATH:-/hi}"

die() { echo "http_load: $*" >&2; exit 1; }
lepton="$(cd "$build" 2>/dev/null && pwd)/src/lepton" || die "no build directory '$build'"
[[ -x "$lepton" ]] || die "$lepton not found: build lepton first (ninja -C $build lepton)"
command -v wrk >/dev/null || die "wrk not found (apt-get install wrk)"
command -v clang-19 >/dev/null || die "clang-19 not found"
command -v curl >/dev/null || die "curl not found"

work="$(mktemp -d "${TMPDIR:-/tmp}/lepton-http-load.XXXXXX")"
pid=""
cleanup() {
  if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

cp "$root/examples/hello-c/spin.toml" "$root/examples/hello-c/hello.c" "$work/"
(cd "$work" && clang-19 --target=wasm32-wasi -O2 -mexec-model=reactor -o hello.wasm hello.c)

# Port 0: the server binds a free port and prints it in its banner. Guest stdout (one line per
# request) goes to the app's log file and, as with a plain `lepton up`, to lepton's stdout, here
# a file.
"$lepton" up -f "$work" --listen 127.0.0.1:0 "$@" >"$work/lepton.out" 2>&1 &
pid=$!
url=""
for _ in $(seq 600); do
  url="$(grep -oE 'Serving http://127\.0\.0\.1:[0-9]+' "$work/lepton.out" | head -1 | cut -d' ' -f2)" || true
  [[ -n "$url" ]] && break
  kill -0 "$pid" 2>/dev/null || { cat "$work/lepton.out" >&2; die "lepton up exited"; }
  sleep 0.1
done
[[ -n "$url" ]] || { cat "$work/lepton.out" >&2; die "lepton up did not start within 60 s"; }

body="$(curl -sS --max-time 10 "$url$url_path")" || die "GET $url$url_path failed"
[[ "$body" == "Hello from lepton!"* ]] || die "unexpected response: $body"

echo "lepton up ${*:-(defaults)} on $url; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "wrk -t$threads -c$connections -d$duration --latency $url$url_path"
wrk_secs="$(sed -E 's/^([0-9]+)s?$/\1/;s/^([0-9]+)m$/\1*60/' <<<"$duration")"
timeout "$(( wrk_secs + 30 ))" wrk -t"$threads" -c"$connections" -d"$duration" --latency \
  "$url$url_path" >"$work/wrk.txt" || { cat "$work/wrk.txt" >&2; die "wrk failed"; }

rps="$(awk '/^Requests\/sec:/ {print $2}' "$work/wrk.txt")"
p50="$(awk '$1 == "50%" {print $2}' "$work/wrk.txt")"
p99="$(awk '$1 == "99%" {print $2}' "$work/wrk.txt")"
errors="$(grep -E 'Non-2xx|Socket errors' "$work/wrk.txt" || true)"
echo "rps: $rps"
echo "p50: $p50"
echo "p99: $p99"
[[ -z "$errors" ]] || echo "errors: $errors"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
