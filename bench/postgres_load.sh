#!/usr/bin/env bash
# HTTP load with one PostgreSQL query per request: `lepton up` serving the C guest
# tests/guests/components/postgres.c (spin:postgres/postgres@4.0.0) against a throwaway
# PostgreSQL on loopback, driven by `wrk -t2 -c32 -d10s --latency`; prints rps, p50, p99.
#
#   bench/postgres_load.sh [BUILD_DIR]
#
# Each request opens the address (a new server connection unless lepton reuses one), runs
#   SELECT id, name, price FROM items WHERE id = $1     ($1 = int32 42; 1000 rows, primary key)
# and answers the row as text. The server: initdb into a temporary directory (trust auth, fsync
# off), postgres on a free loopback port; as root both run as the `postgres` system user.
# Environment: DURATION (10s), THREADS (2), CONNECTIONS (32), PG_BIN (the directory holding
# initdb/postgres; default the newest /usr/lib/postgresql/*/bin).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$root/build}"
duration="${DURATION:-10s}"
threads="${THREADS:-2}"
connections="${CONNECTIONS:-32}"

die() { echo "postgres_load: $*" >&2; exit 1; }
build="$(cd "$build" 2>/dev/null && pwd)" || die "no build directory"
lepton="$build/src/lepton"
wasm="$build/guests/components/postgres.wasm"
[[ -x "$lepton" ]] || die "$lepton not found: build lepton first"
[[ -f "$wasm" ]] || die "$wasm not built (ninja lepton_guests)"
command -v wrk >/dev/null || die "wrk not found (apt-get install wrk)"
command -v psql >/dev/null || die "psql not found (apt-get install postgresql)"
pg_bin="${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}"
[[ -x "$pg_bin/postgres" ]] || die "PostgreSQL server binaries not found (apt-get install postgresql)"

work="$(mktemp -d "${TMPDIR:-/tmp}/lepton-postgres-load.XXXXXX")"
as_pg=()
if [[ "$(id -u)" -eq 0 ]]; then
  chown postgres: "$work"
  as_pg=(runuser -u postgres --)
fi
pid="" pg_pid=""
stop() {
  if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  pid=""
}
cleanup() {
  stop
  if [[ -n "$pg_pid" ]]; then
    kill -INT "$pg_pid" 2>/dev/null || true
    wait "$pg_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

pg_port="$(free_port)"
"${as_pg[@]}" "$pg_bin/initdb" -D "$work/data" -A trust -U postgres -E UTF8 --locale=C --no-sync \
  >"$work/initdb.log" 2>&1 || { cat "$work/initdb.log" >&2; die "initdb failed"; }
"${as_pg[@]}" "$pg_bin/postgres" -D "$work/data" -p "$pg_port" -k "$work" \
  -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c max_connections=200 \
  >"$work/postgres.log" 2>&1 &
pg_pid=$!
url="postgres://postgres@127.0.0.1:$pg_port/postgres"
for _ in $(seq 300); do psql -q "$url" -c 'SELECT 1' >/dev/null 2>&1 && break; sleep 0.1; done
psql -q "$url" -v ON_ERROR_STOP=1 >/dev/null <<'SQL' || die "could not create the table"
CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL, price numeric(10,2));
INSERT INTO items SELECT g, 'item ' || g, g * 1.25 FROM generate_series(1, 1000) g;
ANALYZE items;
SQL

cat >"$work/spin.toml" <<TOML
spin_manifest_version = 2
[application]
name = "bench-postgres"
[[trigger.http]]
route = "/..."
component = "c"
[component.c]
source = "$wasm"
allowed_outbound_hosts = ["postgres://127.0.0.1:$pg_port"]
TOML
port="$(free_port)"
"$lepton" up -f "$work/spin.toml" --listen "127.0.0.1:$port" --quiet >"$work/server.out" 2>&1 &
pid=$!
enc_url="$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$url")"
sql="$(python3 -c 'import urllib.parse; print(urllib.parse.quote("SELECT id, name, price FROM items WHERE id = $1", safe=""))')"
target="http://127.0.0.1:$port/?op=query&addr=$enc_url&sql=$sql&p=i32:42"
for _ in $(seq 600); do
  kill -0 "$pid" 2>/dev/null || { cat "$work/server.out" >&2; die "lepton exited"; }
  curl -sf --max-time 5 -o /dev/null "$target" && break
  sleep 0.05
done
body="$(curl -sf --max-time 5 "$target")" || die "the query request failed: $(curl -s "$target")"
[[ "$body" == *"42|item 42|52.50"* ]] || die "unexpected answer: $body"

secs="$(sed -E 's/^([0-9]+)s?$/\1/;s/^([0-9]+)m$/\1*60/' <<<"$duration")"
echo "wrk -t$threads -c$connections -d$duration --latency; load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "PostgreSQL $("$pg_bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$pg_port; query: SELECT id, name, price FROM items WHERE id = \$1"
timeout "$(( secs + 30 ))" wrk -t"$threads" -c"$connections" -d"$duration" --latency "$target" \
  >"$work/wrk.txt" || { cat "$work/wrk.txt" >&2; die "wrk failed"; }
rps="$(awk '/^Requests\/sec:/ {print $2}' "$work/wrk.txt")"
p50="$(awk '$1 == "50%" {print $2}' "$work/wrk.txt")"
p99="$(awk '$1 == "99%" {print $2}' "$work/wrk.txt")"
errors="$(grep -E 'Non-2xx|Socket errors' "$work/wrk.txt" || true)"
backends="$(psql -qtA "$url" -c "SELECT sum(xact_commit) FROM pg_stat_database WHERE datname = 'postgres'")"
printf 'lepton postgres  rps %10s  p50 %9s  p99 %9s %s\n' "$rps" "$p50" "$p99" "$errors"
echo "server transactions committed in total: $backends"
