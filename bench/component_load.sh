#!/usr/bin/env bash
# Side-by-side HTTP load: the same wasi:http component under `lepton up` and under
# `wasmtime serve`, one after the other in one run, each driven by
# `wrk -t2 -c32 -d10s --latency`; prints rps, p50, p99 for both and the lepton/wasmtime ratios.
#
#   bench/component_load.sh [BUILD_DIR] [COMPONENT...]
#   bench/component_load.sh build hello js-hello
#
# COMPONENT names a component the test build made (BUILD_DIR/guests/components/<name>.wasm;
# default: hello js-hello). wasmtime is $WASMTIME, else `wasmtime` on PATH, else the pinned CLI
# scripts/setup-bench.sh installs (~/.cache/lepton/wasmtime-cli/bin/wasmtime). Both servers get
# the same pre-compiled-cache treatment (a warm-up request before measuring) and serve on
# loopback. Environment: DURATION (10s), THREADS (2), CONNECTIONS (32), WASMTIME_FLAGS (extra
# `wasmtime serve` flags, e.g. "-O pooling-allocator=y -C cache=y").
# "first response" is the time from starting a server (its compile cache warmed by a previous
# start) to its first 200: process start, loading, first instantiation.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$root/build}"
[[ $# -gt 0 ]] && shift
components=("$@")
[[ ${#components[@]} -gt 0 ]] || components=(hello js-hello)
duration="${DURATION:-10s}"
threads="${THREADS:-2}"
connections="${CONNECTIONS:-32}"

die() { echo "component_load: $*" >&2; exit 1; }
build="$(cd "$build" 2>/dev/null && pwd)" || die "no build directory"
lepton="$build/src/lepton"
[[ -x "$lepton" ]] || die "$lepton not found: build lepton first"
wasmtime="${WASMTIME:-$(command -v wasmtime || echo "$HOME/.cache/lepton/wasmtime-cli/bin/wasmtime")}"
[[ -x "$wasmtime" ]] || die "wasmtime not found (set WASMTIME or run scripts/setup-bench.sh)"
command -v wrk >/dev/null || die "wrk not found (apt-get install wrk)"

work="$(mktemp -d "${TMPDIR:-/tmp}/lepton-component-load.XXXXXX")"
pid=""
stop() {
  if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  pid=""
}
trap 'stop; rm -rf "$work"' EXIT
trap 'exit 130' INT TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# wait_ready URL START_NS: until a GET answers 200 (60 s); sets first_ms, the time from starting
# the server to its first answer (process start, loading from the compile cache, first request).
wait_ready() {
  for _ in $(seq 6000); do
    kill -0 "$pid" 2>/dev/null || { cat "$work/server.out" >&2; die "server exited"; }
    if curl -sf --max-time 5 -o /dev/null "$1"; then
      first_ms=$(( ($(date +%s%N) - $2) / 1000000 ))
      return 0
    fi
    sleep 0.01
  done
  cat "$work/server.out" >&2
  die "server did not answer within 60 s"
}

# measure NAME URL: wrk; sets rps/p50/p99.
measure() {
  local secs
  secs="$(sed -E 's/^([0-9]+)s?$/\1/;s/^([0-9]+)m$/\1*60/' <<<"$duration")"
  timeout "$(( secs + 30 ))" wrk -t"$threads" -c"$connections" -d"$duration" --latency "$2" \
    >"$work/wrk.txt" || { cat "$work/wrk.txt" >&2; die "wrk failed"; }
  rps="$(awk '/^Requests\/sec:/ {print $2}' "$work/wrk.txt")"
  p50="$(awk '$1 == "50%" {print $2}' "$work/wrk.txt")"
  p99="$(awk '$1 == "99%" {print $2}' "$work/wrk.txt")"
  local errors
  errors="$(grep -E 'Non-2xx|Socket errors' "$work/wrk.txt" || true)"
  printf '%-10s %-9s rps %10s  p50 %9s  p99 %9s  first response %5s ms %s\n' "$1" "$name" \
    "$rps" "$p50" "$p99" "$first_ms" "$errors"
}

to_ms() { awk -v v="$1" 'BEGIN { if (v ~ /us$/) { sub(/us$/,"",v); print v/1000 } else if (v ~ /ms$/) { sub(/ms$/,"",v); print v } else if (v ~ /s$/) { sub(/s$/,"",v); print v*1000 } else print v }'; }

echo "wrk -t$threads -c$connections -d$duration --latency; load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "wasmtime: $("$wasmtime" --version)"
for name in "${components[@]}"; do
  wasm="$build/guests/components/$name.wasm"
  [[ -f "$wasm" ]] || die "$wasm not built"
  cat >"$work/spin.toml" <<TOML
spin_manifest_version = 2
[application]
name = "bench"
[[trigger.http]]
route = "/..."
component = "c"
[component.c]
source = "$wasm"
TOML
  # Warm each server's compile cache once, then time a fresh start from it.
  port="$(free_port)"
  "$lepton" up -f "$work/spin.toml" --listen "127.0.0.1:$port" --quiet >"$work/server.out" 2>&1 &
  pid=$!
  wait_ready "http://127.0.0.1:$port/" "$(date +%s%N)"
  stop
  port="$(free_port)"
  start_ns=$(date +%s%N)
  "$lepton" up -f "$work/spin.toml" --listen "127.0.0.1:$port" --quiet >"$work/server.out" 2>&1 &
  pid=$!
  wait_ready "http://127.0.0.1:$port/" "$start_ns"
  measure lepton "http://127.0.0.1:$port/"
  l_rps=$rps l_p50=$p50 l_p99=$p99
  stop

  port="$(free_port)"
  # shellcheck disable=SC2086 # WASMTIME_FLAGS is a list of flags
  "$wasmtime" serve -S cli=y ${WASMTIME_FLAGS:-} --addr "127.0.0.1:$port" "$wasm" >"$work/server.out" 2>&1 &
  pid=$!
  wait_ready "http://127.0.0.1:$port/" "$(date +%s%N)"
  stop
  port="$(free_port)"
  start_ns=$(date +%s%N)
  # shellcheck disable=SC2086
  "$wasmtime" serve -S cli=y ${WASMTIME_FLAGS:-} --addr "127.0.0.1:$port" "$wasm" >"$work/server.out" 2>&1 &
  pid=$!
  wait_ready "http://127.0.0.1:$port/" "$start_ns"
  measure wasmtime "http://127.0.0.1:$port/"
  stop
  awk -v n="$name" -v lr="$l_rps" -v wr="$rps" -v l50="$(to_ms "$l_p50")" -v w50="$(to_ms "$p50")" \
      -v l99="$(to_ms "$l_p99")" -v w99="$(to_ms "$p99")" \
      'BEGIN { printf "%-10s %-9s rps x%.2f  p50 x%.2f  p99 x%.2f (lepton / wasmtime)\n", "ratio", n, lr/wr, l50/w50, l99/w99 }'
done
