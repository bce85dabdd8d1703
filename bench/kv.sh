#!/usr/bin/env bash
# Key-value per request under `lepton up`: the `kv` test guest (fermyon:spin/key-value@2.0.0,
# tests/guests/components/kv.c) doing one `get` or one `set` per request, on the SQLite backend
# (default store in a fresh state dir, WAL + synchronous=FULL) and on the Redis backend (runtime
# config `type = "redis"`, a throwaway redis-server on loopback, no persistence), side by side in
# one run, each driven by `wrk -t2 -c32 -d10s --latency`; prints rps, p50 and p99.
#
#   bench/kv.sh [BUILD_DIR]
#
# The guest is BUILD_DIR/guests/components/kv.wasm (built with the tests). Requests: get =
# GET /default/get/bench (a 64-byte value set before measuring), set = GET
# /default/set/bench/<64 bytes> (the same key each time). Environment: DURATION (10s), THREADS
# (2), CONNECTIONS (32), REDIS_SERVER (redis-server on PATH).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$root/build}"
duration="${DURATION:-10s}"
threads="${THREADS:-2}"
connections="${CONNECTIONS:-32}"

die() { echo "kv: $*" >&2; exit 1; }
build="$(cd "$build" 2>/dev/null && pwd)" || die "no build directory"
lepton="$build/src/lepton"
[[ -x "$lepton" ]] || die "$lepton not found: build lepton first"
wasm="$build/guests/components/kv.wasm"
[[ -f "$wasm" ]] || die "$wasm not built (build the tests' guests)"
redis_server="${REDIS_SERVER:-$(command -v redis-server || true)}"
[[ -x "$redis_server" ]] || die "redis-server not found (apt-get install redis-server)"
command -v wrk >/dev/null || die "wrk not found (apt-get install wrk)"

work="$(mktemp -d "${TMPDIR:-/tmp}/lepton-kv-bench.XXXXXX")"
pid=""
redis_pid=""
stop_pid() {
  local p="$1"
  if [[ -n "$p" ]] && kill -0 "$p" 2>/dev/null; then
    kill -TERM "$p" 2>/dev/null || true
    for _ in $(seq 150); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  fi
}
stop() { stop_pid "$pid"; pid=""; }
trap 'stop; stop_pid "$redis_pid"; rm -rf "$work"' EXIT
trap 'exit 130' INT TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

wait_ready() {
  for _ in $(seq 6000); do
    kill -0 "$pid" 2>/dev/null || { cat "$work/server.out" >&2; die "server exited"; }
    if curl -sf --max-time 5 -o /dev/null "$1"; then return 0; fi
    sleep 0.01
  done
  cat "$work/server.out" >&2
  die "server did not answer within 60 s"
}

# measure BACKEND OP URL: wrk; prints rps/p50/p99 and any errors.
measure() {
  local secs
  secs="$(sed -E 's/^([0-9]+)s?$/\1/;s/^([0-9]+)m$/\1*60/' <<<"$duration")"
  timeout "$(( secs + 30 ))" wrk -t"$threads" -c"$connections" -d"$duration" --latency "$3" \
    >"$work/wrk.txt" || { cat "$work/wrk.txt" >&2; die "wrk failed"; }
  local rps p50 p99 errors
  rps="$(awk '/^Requests\/sec:/ {print $2}' "$work/wrk.txt")"
  p50="$(awk '$1 == "50%" {print $2}' "$work/wrk.txt")"
  p99="$(awk '$1 == "99%" {print $2}' "$work/wrk.txt")"
  errors="$(grep -E 'Non-2xx|Socket errors' "$work/wrk.txt" || true)"
  printf '%-7s %-4s rps %10s  p50 %9s  p99 %9s %s\n' "$1" "$2" "$rps" "$p50" "$p99" "$errors"
}

cat >"$work/spin.toml" <<TOML
spin_manifest_version = 2
[application]
name = "kv-bench"
[[trigger.http]]
route = "/..."
component = "kv"
[component.kv]
source = "$wasm"
key_value_stores = ["default"]
TOML

redis_port="$(free_port)"
mkdir -p "$work/redis"
"$redis_server" --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no \
  --dir "$work/redis" --daemonize no >"$work/redis.out" 2>&1 &
redis_pid=$!
printf 'state_dir = "%s/state"\n' "$work" >"$work/sqlite.toml"
printf '[key_value_store.default]\ntype = "redis"\nurl = "redis://127.0.0.1:%s"\n' "$redis_port" \
  >"$work/redis.toml"

value="$(printf 'v%.0s' $(seq 64))"
echo "wrk -t$threads -c$connections -d$duration --latency; load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "redis: $("$redis_server" --version)"
for backend in sqlite redis; do
  port="$(free_port)"
  "$lepton" up -f "$work/spin.toml" --runtime-config-file "$work/$backend.toml" \
    --listen "127.0.0.1:$port" --quiet >"$work/server.out" 2>&1 &
  pid=$!
  base="http://127.0.0.1:$port/default"
  wait_ready "$base/set/bench/$value"
  curl -sf "$base/get/bench" | grep -qx "$value" || die "$backend: get did not read the value back"
  measure "$backend" get "$base/get/bench"
  measure "$backend" set "$base/set/bench/$value"
  curl -sf "$base/get/bench" | grep -qx "$value" || die "$backend: value lost after the run"
  stop
done
