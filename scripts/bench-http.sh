#!/usr/bin/env bash
# Serving benchmark: idle memory of `townhall serve`, then requests per second and latency
# percentiles for the hub page `/` at concurrency 32, with wrk, against the release build.
# SQLite (the demo's content) and, when reachable, PostgreSQL.
#
#   scripts/bench-http.sh [seconds per run, default 20]
#   TOWNHALL_BIN=/path/to/townhall scripts/bench-http.sh 15   # another build, e.g. an older one
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-20}
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
[ -f assets/dist/townhall.css ] || { npm ci --no-audit --no-fund && npm run build; }
bin=${TOWNHALL_BIN:-}
[ -n "$bin" ] || { cargo build --release -q; bin=target/release/townhall; }
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

rss_kib() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }

measure() { # name url
    local name=$1 url=$2
    curl -sf "$url" >/dev/null
    echo "== $name"
    wrk -t2 -c32 -d"${secs}s" --latency "$url" | grep -E 'Requests/sec|^ +(50|90|99)%|Non-2xx|Socket errors'
}

# SQLite: the demo's database.
$bin demo --addr 127.0.0.1:18181 >"$work/demo.out" 2>"$work/demo.err" &
demo=$!
for _ in $(seq 50); do grep -q '^Townhall demo' "$work/demo.out" 2>/dev/null && break; sleep 0.2; done
sleep 2
echo "idle RSS after start (demo, SQLite): $(rss_kib $demo) KiB"
measure "GET / on SQLite, wrk -t2 -c32 -d${secs}s" http://127.0.0.1:18181/
echo "RSS after the run: $(rss_kib $demo) KiB"
kill $demo; wait $demo 2>/dev/null || true

# PostgreSQL, when there is one.
pg=${TOWNHALL_BENCH_POSTGRES:-postgres://postgres@127.0.0.1:5432/test}
if psql "$pg" -qAtc 'select 1' >/dev/null 2>&1; then
    db=townhall_bench_$$
    psql "$pg" -qc "DROP DATABASE IF EXISTS $db" -qc "CREATE DATABASE $db" >/dev/null
    url="${pg%/*}/$db"
    $bin organisation add --database "$url" --name "Department of Community Services" >/dev/null 2>&1
    $bin organisation add --database "$url" --name "National Records Agency" --parent department-of-community-services >/dev/null 2>&1
    $bin organisation add --database "$url" --name "Care Standards Authority" --parent department-of-community-services >/dev/null 2>&1
    $bin serve --database "$url" --addr 127.0.0.1:18182 2>"$work/serve.err" &
    serve=$!
    for _ in $(seq 50); do curl -sf http://127.0.0.1:18182/healthz >/dev/null && break; sleep 0.2; done
    sleep 2
    echo "idle RSS after start (serve, PostgreSQL): $(rss_kib $serve) KiB"
    measure "GET / on PostgreSQL, wrk -t2 -c32 -d${secs}s" http://127.0.0.1:18182/
    kill $serve; wait $serve 2>/dev/null || true
    psql "$pg" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null
fi
