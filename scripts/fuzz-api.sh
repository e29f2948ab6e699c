#!/usr/bin/env bash
# Property-based API testing with schemathesis: requests generated from the OpenAPI document
# (valid and invalid, public and with an admin's token) against `townhall serve` on a fresh
# SQLite database. Fails if any request gets a 5xx. The seed is fixed so a failure repeats.
#
#   scripts/fuzz-api.sh [path to townhall, default target/debug/townhall]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-target/debug/townhall}
python3 -c 'import schemathesis' 2>/dev/null ||
    python3 -m pip install --quiet --disable-pip-version-check 'schemathesis==4.32.5'
work=$(mktemp -d)
trap 'kill "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
db="sqlite://$work/fuzz.db"
"$bin" migrate --database "$db" 2>/dev/null
"$bin" organisation add --name "Community Services" --database "$db" >/dev/null 2>&1
echo "a long enough password" |
    "$bin" user add --email admin@example.org --name Admin --role admin --org community-services --hub-admin --database "$db" >/dev/null 2>&1
token=$("$bin" token create --email admin@example.org --database "$db" 2>/dev/null)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$bin" serve --database "$db" --addr "127.0.0.1:$port" 2>"$work/serve.err" &
server=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
python3 -m schemathesis.cli run "http://127.0.0.1:$port/api/openapi.json" \
    --url "http://127.0.0.1:$port" \
    --checks not_a_server_error \
    --header "Authorization: Bearer $token" \
    --max-examples 25 --seed 20261122 --no-color
