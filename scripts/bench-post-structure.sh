#!/usr/bin/env bash
# Serving a post does not depend on its body's structure: GET of three 64 KB posts with wrk
# at concurrency 32 against the release build on SQLite, in alternating rounds, with the
# servers on CPU 0 and wrk on CPU 1 (so they do not take each other's time):
#   plain   64 KB of ordinary paragraphs;
#   nested  64 KB of block quotes nested 60 deep (just inside the limit of 64), accepted;
#   hostile 64 KB whose Markdown is 8,000 nested quotes, as a release before the limits could
#           have stored it (written into the database, then rendered once when the server
#           starts: refused, so shown as plain paragraphs).
# Before, every view rendered the Markdown again: 8,000 nested quotes took 0.56 s a view.
# Beside each page, nginx serves the same bytes from a file (the floor on this machine).
#
#   scripts/bench-post-structure.sh [seconds per run, default 10] [rounds, default 5]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
rounds=${2:-5}
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
command -v nginx >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null; }
command -v sqlite3 >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq sqlite3 >/dev/null; }
[ -f assets/dist/townhall.css ] || { npm ci --no-audit --no-fund && npm run build; }
bin=${TOWNHALL_BIN:-}
[ -n "$bin" ] || { cargo build --release -q; bin=target/release/townhall; }
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
db="sqlite://$work/bench.db"
port=18381
base=http://127.0.0.1:$port

$bin organisation add --database "$db" --name "Department of Community Services" --slug community-services >/dev/null 2>&1
echo "a long enough password" | $bin user add --database "$db" --email ed@bench.example --name Ed --role editor >/dev/null 2>&1
token=$($bin token create --database "$db" --email ed@bench.example 2>/dev/null)

start_server() {
    TOKIO_WORKER_THREADS=1 taskset -c 0 $bin serve --database "$db" --addr 127.0.0.1:$port --analytics false 2>>"$work/serve.err" &
    server=$!
    for _ in $(seq 100); do curl -sf $base/healthz >/dev/null && return; sleep 0.1; done
    echo "the server did not start"; cat "$work/serve.err"; exit 1
}

post() { # slug body-file
    python3 - "$1" "$2" >"$work/post.json" <<'PY'
import json, sys
slug, path = sys.argv[1], sys.argv[2]
print(json.dumps({"organisation": "community-services", "title": slug, "slug": slug,
                  "summary": "A 64 KB post.", "body": open(path).read(), "status": "published"}))
PY
    curl -sf -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
        --data-binary @"$work/post.json" $base/api/v1/posts >/dev/null
}

python3 - "$work" <<'PY'
import sys
work = sys.argv[1]
size = 64 * 1024
para = "People told us the opening hours suit those who work in the day, and asked for evenings. "
open(f"{work}/plain.md", "w").write("\n\n".join([para] * (size // (len(para) + 2))))
block = "> " * 60 + para + "\n\n"
open(f"{work}/nested.md", "w").write(block * (size // len(block)))
deep = ">" * 8000 + " deep\n\n"
open(f"{work}/hostile.md", "w").write(deep + "\n\n".join([para] * ((size - len(deep)) // (len(para) + 2))))
PY

start_server
post plain "$work/plain.md"
post nested "$work/nested.md"
post hostile "$work/plain.md"
# What an older release could have stored: the Markdown of 8,000 nested quotes, rendered by
# an older renderer. The next start renders it again (and refuses it: plain paragraphs).
body=$(python3 -c 'import sys; print(open(sys.argv[1]).read().replace("\x27", "\x27\x27"), end="")' "$work/hostile.md")
sqlite3 "$work/bench.db" "UPDATE posts SET body_markdown = '$body', renderer = 0 WHERE slug = 'hostile'"
kill $server; wait $server 2>/dev/null || true
start_server
grep -o 'post shown as plain text.*' "$work/serve.err" | head -1 || true

mkdir -p "$work/static/blog"
for slug in plain nested hostile; do
    curl -sf $base/blog/$slug >"$work/static/blog/$slug"
    printf '%-8s Markdown %6d bytes, page %7d bytes\n' "$slug" "$(wc -c <"$work/$slug.md")" \
        "$(wc -c <"$work/static/blog/$slug")"
done
cat >"$work/nginx.conf" <<NGINX
daemon off;
worker_processes 1;
pid $work/nginx.pid;
error_log $work/nginx.err;
events { worker_connections 1024; }
http {
    access_log off;
    server {
        listen 127.0.0.1:18382;
        root $work/static;
        default_type text/html;
    }
}
NGINX
chmod 755 "$work" && chmod -R a+rX "$work/static"   # nginx's workers read as another user
taskset -c 0 nginx -c "$work/nginx.conf" &
sleep 0.5
cmp <(curl -sf http://127.0.0.1:18382/blog/hostile) "$work/static/blog/hostile" || { echo "nginx did not serve the page"; cat "$work/nginx.err"; exit 1; }
echo "wrk -t1 -c32 -d${secs}s --latency on CPU 1, servers on CPU 0, $rounds alternating rounds; load before: $(cut -d' ' -f1-3 /proc/loadavg)"
for round in $(seq "$rounds"); do
    for slug in plain nested hostile; do
        for server in townhall nginx; do
            url=$([ $server = townhall ] && echo $base || echo http://127.0.0.1:18382)/blog/$slug
            out=$(taskset -c 1 wrk -t1 -c32 -d"${secs}s" --latency "$url")
            rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
            p50=$(echo "$out" | awk '$1 == "50%" {print $2}')
            p99=$(echo "$out" | awk '$1 == "99%" {print $2}')
            errors=$(echo "$out" | grep -E 'Non-2xx|Socket errors' || true)
            echo "round $round $slug $server requests/s $rps p50 $p50 p99 $p99 $errors"
        done
    done
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
