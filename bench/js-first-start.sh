#!/usr/bin/env bash
# First start of a freshly built JS component, with and without Cranelift's incremental
# (per-function) compile cache, side by side in one run. One http-js app is made with
# `lepton new`; each round edits its greeting and rebuilds it (j2w's output differs every build,
# so the whole-module cache never hits — as for a developer's new app), then times `lepton up`
# until the first 200 twice on that same component: with an empty cache dir ("cold": every
# function compiled) and with a cache dir kept across rounds ("warm": functions compiled in
# earlier rounds are reused). The warm cache is primed by one untimed start first.
#
#   bench/js-first-start.sh [BUILD_DIR]        ROUNDS (default 3)
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
build="$(cd "${1:-$root/build}" && pwd)"
rounds="${ROUNDS:-3}"
lepton="$build/src/lepton"
[[ -x "$lepton" ]] || { echo "js-first-start: build lepton first" >&2; exit 1; }
export npm_config_prefer_offline=true

work="$(mktemp -d "${TMPDIR:-/tmp}/lepton-js-first-start.XXXXXX")"
pid=""
cleanup() {
  [[ -n "$pid" ]] && kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
now() { date +%s.%N; }
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Seconds from `lepton up` to the first 200, with XDG_CACHE_HOME=$1 (lepton's compile caches).
first_start() {
  local cache=$1 p t0
  p="$(port)"
  t0="$(now)"
  XDG_CACHE_HOME="$cache" "$lepton" up -f "$work/app" --listen "127.0.0.1:$p" >"$work/up.log" 2>&1 &
  pid=$!
  until [[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$p/" || true)" == 200 ]]; do
    kill -0 "$pid" 2>/dev/null || { echo "lepton up exited: $(tail -5 "$work/up.log")" >&2; exit 1; }
    sleep 0.05
  done
  awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'
  kill -TERM "$pid"; wait "$pid" 2>/dev/null || true; pid=""
}

cd "$work"
"$lepton" new -t http-js app --accept-defaults >/dev/null
(cd app && npm install --no-audit --no-fund >/dev/null 2>&1 && npm run build >/dev/null 2>&1)
first_start "$work/warm" >/dev/null  # prime the warm cache (untimed)

printf "%-6s %10s %10s %7s\n" round cold-s warm-s ratio
for r in $(seq "$rounds"); do
  sed -i -E "s/Hello( \([0-9]+\))? from/Hello ($r) from/" app/src/index.js
  (cd app && npm run build >/dev/null 2>&1)
  rm -rf "$work/cold"
  cold="$(first_start "$work/cold")"
  warm="$(first_start "$work/warm")"
  printf "%-6s %10s %10s %7s\n" "$r" "$cold" "$warm" "$(awk -v c="$cold" -v w="$warm" 'BEGIN { printf "%.1fx", c / w }')"
done
