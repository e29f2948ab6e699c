#!/usr/bin/env bash
# Serving benchmark: each kind of public page from Townhall (release build, SQLite) beside
# nginx serving the same bytes from files, in one run, alternating rounds. Each server gets
# CPU 0 (Townhall one worker thread, nginx one worker process); wrk runs on CPU 1, so
# neither takes the other's time. The content: 10 posts in one category and topic, one of
# them with 20 approved comments, a consultation, a consultation with 100,000 responses and
# published results (scripts/seed-large-consultation.py), and the programme's empty register.
# Prints one line per round and page, then the medians and the ratio Townhall ÷ nginx.
#
#   scripts/bench-http.sh [seconds per run, default 10] [rounds, default 3]
#   TOWNHALL_BIN=/path/to/townhall scripts/bench-http.sh   # another build
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
rounds=${2:-3}
need() { command -v "$1" >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null; }; }
need wrk wrk
need nginx nginx
[ -f assets/dist/townhall.css ] || { npm ci --no-audit --no-fund && npm run build; }
bin=${TOWNHALL_BIN:-}
[ -n "$bin" ] || { cargo build --release -q; bin=target/release/townhall; }
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
db="sqlite://$work/bench.db"
port=18181
base=http://127.0.0.1:$port
static=http://127.0.0.1:18182

$bin organisation add --database "$db" --name "Department of Community Services" --slug community-services >/dev/null 2>&1
echo "a long enough password" | $bin user add --database "$db" --email ed@bench.example --name "Ed Itor" --role admin >/dev/null 2>&1
token=$($bin token create --database "$db" --email ed@bench.example 2>/dev/null)

# The seeding signs in as an admin with a password alone (--two-factor optional): what is
# measured is what readers get.
TOKIO_WORKER_THREADS=1 taskset -c 0 $bin serve --database "$db" --addr 127.0.0.1:$port \
    --analytics false --trusted-proxies 127.0.0.1/32 --two-factor optional 2>"$work/serve.err" &
server=$!
for _ in $(seq 100); do curl -sf $base/healthz >/dev/null && break; sleep 0.1; done
echo "idle RSS after start (fresh database): $(awk '/VmRSS/ {print $2}' /proc/$server/status) KiB"

api() { # method path json
    curl -sf -X "$1" -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
        -H 'X-Forwarded-For: 10.0.0.1' --data-binary "$3" "$base$2"
}
paragraph="People told us the opening hours suit those who work in the day, and asked for evenings and weekends instead."
for i in $(seq 10); do
    body=$(python3 -c 'import json,sys; print(json.dumps("\n\n".join([sys.argv[1]] * 12)))' "$paragraph")
    api POST /api/v1/posts "{\"organisation\": \"community-services\", \"title\": \"Library opening hours, part $i\",
        \"slug\": \"post-$i\", \"summary\": \"What we heard about opening hours.\", \"body\": $body,
        \"status\": \"published\", \"categories\": [\"Libraries\"], \"topics\": [\"Libraries\"]}" >/dev/null
done
for i in $(seq 20); do
    id=$(curl -sf -H 'Content-Type: application/json' -H "X-Forwarded-For: 10.0.1.$i" \
        --data-binary "{\"name\": \"Reader $i\", \"email\": \"reader$i@example.org\", \"body\": \"$paragraph\"}" \
        $base/api/v1/posts/post-10/comments | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
    api POST "/api/v1/comments/$id/approve" '{}' >/dev/null
done
api POST /api/v1/consultations '{"organisation": "community-services", "title": "Library opening hours",
    "opens_at": "2020-01-01", "closes_at": "2099-01-01",
    "questions": [{"id": "q", "type": "text", "title": "What would you change?", "required": true}]}' >/dev/null
large=$(python3 scripts/seed-large-consultation.py $base "$work/bench.db" "$token" ed@bench.example \
    "a long enough password" 100000)
echo "RSS after seeding (an analysis of 100,000 answers ran, peak $(awk '/VmHWM/ {print $2}' /proc/$server/status) KiB): $(awk '/VmRSS/ {print $2}' /proc/$server/status) KiB"

# The pages, as a reader gets them (no cookie, no Accept-Encoding: the same bytes nginx sends).
pages=(
    "hub /"
    "post-with-20-comments /blog/post-10"
    "category /blog/categories/libraries"
    "blog-atom-feed /blog/feed.atom"
    "organisation /organisations/community-services"
    "topic /topics/libraries"
    "consultations /consultations"
    "consultation /consultations/library-opening-hours"
    "programme /programme"
    "open-data-csv /data/posts.csv"
    "results-100k-responses /consultations/$large/results"
)
mkdir -p "$work/static"
for entry in "${pages[@]}"; do
    set -- $entry
    curl -sf "$base$2" -o "$work/static/$1"
    printf '%-24s %-40s %7d bytes\n' "$1" "$2" "$(wc -c <"$work/static/$1")"
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
        listen 127.0.0.1:18182;
        root $work/static;
        default_type text/html;
    }
}
NGINX
chmod 755 "$work" && chmod -R a+rX "$work/static"   # nginx's workers read as another user
taskset -c 0 nginx -c "$work/nginx.conf" &
sleep 0.5
for entry in "${pages[@]}"; do
    set -- $entry
    cmp -s <(curl -sf "$base$2") "$work/static/$1" || { echo "Townhall's $2 changed between reads"; exit 1; }
    cmp -s <(curl -sf "$static/$1") "$work/static/$1" || { echo "nginx did not serve $1"; cat "$work/nginx.err"; exit 1; }
done

echo "wrk -t1 -c32 -d${secs}s --latency on CPU 1, servers on CPU 0, $rounds alternating rounds; load before: $(cut -d' ' -f1-3 /proc/loadavg)"
: >"$work/results"
for round in $(seq "$rounds"); do
    for entry in "${pages[@]}"; do
        set -- $entry
        for who in townhall nginx; do
            url=$([ $who = townhall ] && echo "$base$2" || echo "$static/$1")
            out=$(taskset -c 1 wrk -t1 -c32 -d"${secs}s" --latency "$url")
            rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
            p99=$(echo "$out" | awk '$1 == "99%" {print $2}')
            errors=$(echo "$out" | grep -E 'Non-2xx|Socket errors' | tr -s ' ' || true)
            echo "round $round $1 $who requests/s $rps p99 $p99 $errors"
            echo "$1 $who $rps $p99" >>"$work/results"
        done
    done
done
echo "RSS after the runs: $(awk '/VmRSS/ {print $2}' /proc/$server/status) KiB; load after: $(cut -d' ' -f1-3 /proc/loadavg)"

# A miss on the large results page: each new response changes the results, so the next
# reader's request makes the page again (from the kept tally and the responses since).
for i in $(seq 21); do
    curl -sf -o /dev/null -H 'Content-Type: application/json' -H "X-Forwarded-For: 10.9.0.$i" \
        --data '{"answers": {"change": "Open on Sundays", "satisfied": 4}, "segment": "An individual"}' \
        "$base/api/v1/consultations/$large/responses"
    curl -sf -o /dev/null -w '%{time_total}\n' "$base/consultations/$large/results"
done | tail -n 20 | sort -n | awk '{t[NR] = $1 * 1000} END {printf "results page of 100,000 responses, made again after a new response: median %.1f ms, slowest %.1f ms (20 requests)\n", (t[10] + t[11]) / 2, t[NR]}'
# CPU a cold page costs the server, from the process's user and system time (clock ticks):
# each request asks for an address not kept yet (a query the page ignores), so the page is
# made every time, over one kept-alive connection (as a browser or a proxy asks). Three ways:
# made for an API client (an Authorization header: made, not kept), made and kept (no
# Accept-Encoding), and made and kept with its brotli variant made for a browser.
ticks() { awk '{print $14 + $15}' /proc/$server/stat; }
cold() { # label curl-arguments...
    local label=$1 before; shift
    before=$(ticks); curl -s "$@" >/dev/null; sleep 0.5; echo "$label $before $(ticks)"
}
for entry in "${pages[@]}"; do
    set -- $entry
    n=400
    {
        cold made -H "Authorization: Bearer $token" "$base$2?made=[1-$n]"
        cold kept "$base$2?kept=[1-$n]"
        cold brotli -H 'Accept-Encoding: gzip, deflate, br, zstd' "$base$2?brotli=[1-$n]"
    } | awk -v page="$1" -v hz="$(getconf CLK_TCK)" -v n=$n \
        '{ms[$1] = ($3 - $2) * 1000 / hz / n}
         END {printf "cold %-24s CPU a page: made %.2f ms; made and kept %.2f ms; made, kept and compressed for a browser %.2f ms (%d pages each)\n", page, ms["made"], ms["kept"], ms["brotli"], n}'
done
python3 - "$work/results" <<'PY'
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    page, who, rps, p99 = line.split()
    unit = {"us": 0.001, "ms": 1, "s": 1000}
    ms = next(float(p99[: -len(u)]) * f for u, f in sorted(unit.items(), key=lambda x: -len(x[0])) if p99.endswith(u))
    runs.setdefault(page, {}).setdefault(who, []).append((float(rps), ms))
print("| page | Townhall requests/s (p99) | nginx, the same bytes (p99) | Townhall ÷ nginx |")
print("|---|---|---|---|")
for page, by in runs.items():
    t = statistics.median(r for r, _ in by["townhall"]); tp = statistics.median(p for _, p in by["townhall"])
    n = statistics.median(r for r, _ in by["nginx"]); np_ = statistics.median(p for _, p in by["nginx"])
    print(f"| {page} | {t:,.0f} ({tp:.2f} ms) | {n:,.0f} ({np_:.2f} ms) | {t / n:.2f} |")
PY

# Durable anonymous comments: wrk posts the comment form (each request from its own address
# through the trusted proxy, so the per-address limit does not refuse it); then every comment
# wrk saw acknowledged must be in the database. As for responses
# (scripts/response-durability.py --runs wrk), the server has the whole machine, shared with
# wrk -t2.
need sqlite3 sqlite3
kill $server; wait $server 2>/dev/null || true
$bin serve --database "$db" --addr 127.0.0.1:$port --analytics false \
    --trusted-proxies 127.0.0.1/32 2>>"$work/serve.err" &
server=$!
for _ in $(seq 100); do curl -sf $base/healthz >/dev/null && break; sleep 0.1; done
cat >"$work/comment.lua" <<'LUA'
local n = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Origin"] = "http://127.0.0.1:18181"
wrk.body = "name=Reader&email=reader%40example.org&body=We+would+use+the+library+in+the+evenings."
request = function()
    n = n + 1
    local ip = string.format("10.%d.%d.%d", math.floor(n / 65536) % 256, math.floor(n / 256) % 256, n % 256)
    return wrk.format(nil, nil, { ["X-Forwarded-For"] = ip })
end
LUA
before=$(sqlite3 "$work/bench.db" "SELECT COUNT(*) FROM comments")
out=$(wrk -t2 -c32 -d"${secs}s" --latency -s "$work/comment.lua" $base/blog/post-1/comments)
sent=$(echo "$out" | awk '/requests in/ {print $1}')
refused=$(echo "$out" | awk '/Non-2xx/ {print $4}')
stored=$(( $(sqlite3 "$work/bench.db" "SELECT COUNT(*) FROM comments") - before ))
echo "comment POSTs, wrk -t2 -c32 -d${secs}s: $(echo "$out" | awk '/Requests\/sec/ {print $2}')/s, p99 $(echo "$out" | awk '$1 == "99%" {print $2}'), answered $sent, refused ${refused:-0}, stored $stored"
[ "$stored" -ge $(( sent - ${refused:-0} )) ] || { echo "acknowledged comments are missing"; exit 1; }
kill $server; wait $server 2>/dev/null || true

# Memory with the demo's content: `serve` on a copy of the demo's database, idle after
# start, then after a reader has walked every public page it links to (each kept, with its
# variants). The demo process itself also holds what seeding used, so it is shown apart.
need sqlite3 sqlite3
$bin demo --addr 127.0.0.1:18185 >"$work/demo.out" 2>"$work/demo.err" &
demo=$!
for _ in $(seq 300); do grep -q '^Townhall demo' "$work/demo.out" 2>/dev/null && break; sleep 0.2; done
sleep 3
echo "demo process (seeding and serving): idle RSS $(awk '/VmRSS/ {print $2}' /proc/$demo/status) KiB"
demo_db=$(for fd in /proc/$demo/fd/*; do readlink "$fd"; done | awk '/demo\.db$/ { print; exit }' || true)
sqlite3 "$demo_db" ".backup $work/demo-copy.db"
kill $demo; wait $demo 2>/dev/null || true
$bin serve --database "sqlite://$work/demo-copy.db" --addr 127.0.0.1:18183 --analytics false \
    2>>"$work/serve.err" &
demo=$!
for _ in $(seq 100); do curl -sf http://127.0.0.1:18183/healthz >/dev/null && break; sleep 0.1; done
sleep 3
idle=$(awk '/VmRSS/ {print $2}' /proc/$demo/status)
pages=$(python3 - http://127.0.0.1:18183 <<'PY'
import re, sys, urllib.request
base = sys.argv[1]
def get(path, encoding):
    req = urllib.request.Request(base + path, headers={"Accept-Encoding": encoding})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.read()
    except Exception:
        return None
seen, queue = set(), ["/"]
while queue and len(seen) < 3000:
    path = queue.pop()
    if path in seen:
        continue
    seen.add(path)
    html = get(path, "identity")
    get(path, "gzip, br")
    for href in re.findall(r'href="(/[^"#]*)"', (html or b"").decode("utf-8", "replace")):
        href = href.replace("&amp;", "&")
        if not href.startswith(("/admin", "/assets", "/sign-in", "/api")) and "/respond" not in href:
            queue.append(href)
print(len(seen))
PY
)
sleep 1
echo "serve with the demo's content (SQLite): idle RSS $idle KiB; after reading $pages public pages $(awk '/VmRSS/ {print $2}' /proc/$demo/status) KiB"
