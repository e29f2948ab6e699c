#!/usr/bin/env bash
# Conversation votes while the opinion groups are recomputed: a conversation of 100,000
# participants × 2,000 statements × 5,000,000 votes (the synthetic Pol.is export of
# `cargo run --release -p opinion --example groups_at_scale`, imported), published and open;
# `townhall serve` (release build, SQLite) takes votes at a constant rate with wrk, each
# request from its participant's own address through the trusted proxy, while its worker
# recomputes the groups (at most about once a second while new votes arrive). Then the same
# run with the worker held off (its claim on the conversation set a day ahead), for comparison.
#
# The load is an open loop as far as wrk allows: every connection waits for its slot in one
# schedule at the asked rate (the Lua `delay()` hook, with a monotonic clock), so a slow answer
# does not slow the next sends while another connection is free; sends that left more than
# 10 ms behind their slot are counted ("late"). Most votes come from participants who have
# voted already, on a random statement; 10% from a new participant, who joins with that vote.
#
# Checks: every vote acknowledged (303) is stored (rows in conversation_votes before and after);
# any other answer is counted and fails the run. Prints, for each run, one line: the rate
# achieved, latency p50 / p99 / p99.9 / max as wrk measured it, the recomputations that ran
# during it and how long each took (the worker's own debug log: from reading the votes to
# saving the groups), and the votes stored.
#
#   scripts/bench-votes.sh [seconds per run, default 30] [votes a second, default 500]
#   TOWNHALL_BIN=/path/to/townhall scripts/bench-votes.sh     # another build
#   BENCH_VOTES_CACHE=DIR    where the export (~250 MB) and the imported database (~260 MB) are
#                            kept between runs (default: $TMPDIR/townhall-bench-votes)
#   BENCH_VOTES_PERF=FILE    also profiles the server during the first run (perf record -g)
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-30}
rate=${2:-500}
connections=256
need() { command -v "$1" >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null; }; }
need wrk wrk
need sqlite3 sqlite3
bin=${TOWNHALL_BIN:-}
[ -n "$bin" ] || { cargo build --release -q; bin=target/release/townhall; }
cache=${BENCH_VOTES_CACHE:-${TMPDIR:-/tmp}/townhall-bench-votes}
mkdir -p "$cache"
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; [ -z "${BENCH_VOTES_KEEP_LOG:-}" ] || cp "$work/serve.err" "$BENCH_VOTES_KEEP_LOG"; rm -rf "$work"' EXIT
port=18191
base=http://127.0.0.1:$port
slug=votes-at-scale

# The export is made once (comments.csv is written last); the import again whenever another
# binary asks (its migrations may differ), and each run gets its own copy.
if [ ! -s "$cache/export/comments.csv" ]; then
    echo "writing the synthetic export (100,000 × 2,000 × 5,000,000) to $cache/export"
    cargo run --release -q -p opinion --example groups_at_scale "$cache/export" >/dev/null
fi
stamp=$(cksum <"$bin")
if [ ! -s "$cache/imported.db" ] || [ "$(cat "$cache/imported.by" 2>/dev/null)" != "$stamp" ]; then
    rm -f "$cache"/imported.db*
    $bin organisation add --database "sqlite://$cache/imported.db" --name "Department of Community Services" \
        --slug community-services >/dev/null 2>&1
    started=$(date +%s.%N)
    $bin import polis "$cache/export" --org community-services --slug $slug \
        --database "sqlite://$cache/imported.db" 2>&1 | tail -n 1
    echo "import took $(awk -v a="$started" -v b="$(date +%s.%N)" 'BEGIN {printf "%.0f", b - a}') s"
    sqlite3 "$cache/imported.db" "UPDATE conversations SET published = 1, opens_at = 0,
        closes_at = 4102444800 WHERE slug = '$slug'; PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null
    echo "$stamp" >"$cache/imported.by"
fi
cp "$cache/imported.db" "$work/bench.db"
# Written to disk before the server starts: the copy's write-back would otherwise share the
# disk with the server's first commits.
sync "$work/bench.db"
db=$work/bench.db
q() { sqlite3 -cmd '.timeout 5000' "$db" "$@"; }
id=$(q "SELECT id FROM conversations WHERE slug = '$slug'")
echo "conversation: $(q "SELECT COUNT(*) FROM conversation_participants WHERE conversation_id = $id") participants, $(q "SELECT COUNT(*) FROM conversation_statements WHERE conversation_id = $id AND status = 'approved'") statements shown, $(q "SELECT COUNT(*) FROM conversation_votes WHERE conversation_id = $id") votes; database $(du -m "$db" | cut -f1) MB"

NO_COLOR=1 TOWNHALL_LOG=info,sqlx=warn,tower_http=warn,townhall::jobs::conversations=debug,townhall::store::checkpoint=debug \
    $bin serve --database "sqlite://$db" --addr 127.0.0.1:$port --analytics false \
    --trusted-proxies 127.0.0.1/32 --votes-per-address 1000000 >"$work/serve.err" 2>&1 &
server=$!
for _ in $(seq 100); do curl -sf $base/healthz >/dev/null && break; sleep 0.1; done

# The worker's updates, from its log: "start SECONDS" and "saved SECONDS TOOK THROUGH" lines,
# times in seconds since midnight UTC (as `date +%s.%N` modulo a day).
updates() {
    sed 's/\x1b\[[0-9;]*m//g' "$work/serve.err" | awk '
        / conversation groups update/ {
            split(substr($1, index($1, "T") + 1), hms, ":"); t = hms[1] * 3600 + hms[2] * 60 + hms[3]
            for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
            if ($0 ~ /update started/) print "start", t
            else print "saved", t, f["seconds"], f["through"]
        }'
}
wait_for() { # pattern: until a line of updates() matches
    for _ in $(seq 1200); do updates | grep -q "$1" && return; sleep 0.1; done
    echo "the worker did not log '$1' within 2 minutes" >&2
    return 1
}

cat >"$work/vote.lua" <<LUA
-- Votes at one rate across every connection and thread: each send waits for the next slot.
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clock, bench_timespec *t);
]]
local ts = ffi.new("bench_timespec")
local function now_ms()
    ffi.C.clock_gettime(1, ts)
    return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
end
local choices = { "agree", "disagree", "pass" }
local threads = {}
local count = 0

function setup(thread)
    count = count + 1
    thread:set("tid", count)
    table.insert(threads, thread)
end

local interval, next_at, run, joined = nil, nil, nil, 0
statuses, late = {}, 0

function init(args)
    -- args: rate, threads, run label
    interval = 1000 * tonumber(args[2]) / tonumber(args[1])
    run = args[3]
    math.randomseed(tid * 7919 + #run)
    wrk.method = "POST"
end

function delay()
    local t = now_ms()
    if next_at == nil then next_at = t + math.random() * interval end
    next_at = next_at + interval
    local d = next_at - t
    if d < -10 then late = late + 1 end
    if d < 0 then return 0 end
    return math.floor(d)
end

function request()
    local p
    if joined == 0 or math.random() < 0.1 then
        joined = joined + 1
        p = joined
    else
        p = math.random(joined)
    end
    local cookie = string.format("bench-%s-%02d-%024d", run, tid, p)
    local ip = string.format("10.%d.%d.%d", tid, math.floor(p / 256) % 256, p % 256)
    local body = string.format("statement=%d&vote=%s", math.random(0, 1999), choices[math.random(3)])
    return wrk.format(nil, "/conversations/$slug/vote", {
        ["Content-Type"] = "application/x-www-form-urlencoded",
        ["Origin"] = "http://127.0.0.1:$port",
        ["Cookie"] = "townhall_participant=" .. cookie,
        ["X-Forwarded-For"] = ip,
    }, body)
end

function response(status, headers, body)
    statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
    local by, lates = {}, 0
    for _, t in ipairs(threads) do
        for code, n in pairs(t:get("statuses")) do by[code] = (by[code] or 0) + n end
        lates = lates + t:get("late")
    end
    local codes = {}
    for code, n in pairs(by) do table.insert(codes, code .. ":" .. n) end
    table.sort(codes)
    io.write(string.format("RESULT requests %d seconds %.2f p50 %.2f p99 %.2f p999 %.2f max %.2f late %d statuses %s errors %d\n",
        summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000,
        latency:percentile(99) / 1000, latency:percentile(99.9) / 1000, latency.max / 1000, lates,
        table.concat(codes, ","),
        summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status + summary.errors.timeout))
end
LUA

ticks() { awk '{print $14 + $15}' /proc/$server/stat; }
# CPU of each of the server's threads (id, name, clock ticks), to say which thread took it.
threads() { for t in /proc/$server/task/*; do echo "${t##*/} $(tr ' ' _ <"$t/comm") $(awk '{print $14 + $15}' "$t/stat")"; done 2>/dev/null; }
votes() { q "SELECT COUNT(*) FROM conversation_votes WHERE conversation_id = $id"; }
run() { # label
    local label=$1 before after t0 t1 c0 c1 out line
    before=$(votes)
    t0=$(date +%s.%N); c0=$(ticks)
    local load_before; load_before=$(cut -d' ' -f1-3 /proc/loadavg)
    threads >"$work/threads.before"
    [ -z "${BENCH_VOTES_PERF:-}" ] || [ "$label" != with-recomputation ] ||
        perf record -F 499 -g -p $server -o "$BENCH_VOTES_PERF" -- sleep "$secs" >/dev/null 2>&1 &
    out=$(wrk -t1 -c$connections -d"${secs}s" --timeout 10s -s "$work/vote.lua" "$base" -- "$rate" 1 "$label")
    t1=$(date +%s.%N); c1=$(ticks)
    after=$(votes)
    threads >"$work/threads.after"
    line=$(echo "$out" | grep '^RESULT')
    # Recomputations that overlapped the run: started before its end, saved after its start.
    local recomputations
    recomputations=$(updates | awk -v t0="$t0" -v t1="$t1" '
        BEGIN { t0 = t0 % 86400; t1 = t1 % 86400 }
        $1 == "start" { start = $2 }
        $1 == "saved" { if ($2 - $3 <= t1 && $2 >= t0) { n++; d = d sprintf("%s%.1f s", (n > 1 ? ", " : ""), $3) } start = "" }
        END { if (start != "" && start <= t1) { n++; d = d sprintf("%sone still running at the end, %.1f s in", (n > 1 ? ", " : ""), t1 - start) }
              printf "%d%s", n, (n ? " (" d ")" : "") }')
    echo "$line" | awk -v label="$label" -v secs="$secs" -v rate="$rate" -v stored=$((after - before)) \
        -v rec="$recomputations" -v cpu="$(awk -v c="$((c1 - c0))" -v hz="$(getconf CLK_TCK)" -v t="$t0 $t1" 'BEGIN {split(t, x, " "); printf "%.0f", c * 100 / hz / (x[2] - x[1])}')" \
        -v ld="$load_before → $(cut -d' ' -f1-3 /proc/loadavg)" '
        { for (i = 2; i < NF; i += 2) r[$i] = $(i + 1) }
        END {
            split(r["statuses"], codes, ","); acked = 0; other = 0
            for (i in codes) { split(codes[i], kv, ":"); if (kv[1] == 303) acked += kv[2]; else other += kv[2] }
            printf "%s: asked %d/s, achieved %.1f/s (%d in %.1f s, %d sent late); latency p50 %.2f ms, p99 %.2f ms, p99.9 %.2f ms, max %.1f ms; acknowledged (303) %d, other answers %d, socket errors %d; votes stored %d; recomputations during the run: %s; server CPU %d%%; load %s\n",
                label, rate, r["requests"] / r["seconds"], r["requests"], r["seconds"], r["late"], r["p50"], r["p99"], r["p999"], r["max"],
                acked, other, r["errors"], stored, rec, cpu, ld
            if (other > 0 || r["errors"] > 0) { print "  answers by status: " r["statuses"] }
            if (stored < acked) { print "  ACKNOWLEDGED VOTES ARE MISSING"; exit 1 }
            if (other > 0 || r["errors"] > 0) exit 2
        }' || return
    awk -v hz="$(getconf CLK_TCK)" -v t="$t0 $t1" 'NR == FNR { b[$1] = $3; next }
        { split(t, x, " "); c = ($3 - b[$1]) * 100 / hz / (x[2] - x[1]); if (c >= 1) printf "%.0f%% %s %s\n", c, $2, $1 }' \
        "$work/threads.before" "$work/threads.after" | sort -nr | head -n 6 | tr '\n' ' ' |
        sed 's/^/  server threads by CPU (share of one core, name, id): /; s/ $/\n/'
}

# 1. With recomputation: the imported votes are uncounted, so the worker takes the
# conversation at once; the run starts when that first (cold) recomputation has started, and
# a second once it has been saved (the worker then reads only the votes cast since).
wait_for '^start'
echo "load before the runs: $(cut -d' ' -f1-3 /proc/loadavg); wrk -t1 -c$connections, $rate votes/s for ${secs}s"
status=0
run with-recomputation || status=$?
# 1b. The worker keeps the votes it has read (jobs/conversations.rs): once its first, cold
# recomputation (which reads every vote) is saved, each update reads only the new votes.
wait_for '^saved'
run with-warm-recomputation || status=$?

# 2. Without: once the worker has counted every vote and let its claim go, the claim is set a
# day ahead, so the worker (which takes only unclaimed or lapsed claims) leaves it alone.
last_vote=$(q "SELECT MAX(id) FROM conversation_votes WHERE conversation_id = $id")
for _ in $(seq 1200); do
    [ "$(q "SELECT claimed_at IS NULL AND through_vote = $last_vote FROM conversation_groups WHERE conversation_id = $id")" = 1 ] && break
    sleep 0.1
done
q "UPDATE conversation_groups SET claimed_at = strftime('%s', 'now') + 86400 WHERE conversation_id = $id"
sleep 2
run without-recomputation || status=$?
q "UPDATE conversation_groups SET claimed_at = NULL WHERE conversation_id = $id"

echo "worker: every recomputation in this session (seconds, through vote):"
updates | awk '$1 == "saved" { printf "  %.1f s (through vote %s)\n", $3, $4 }'
echo "WAL after the runs: $(du -m "$db-wal" 2>/dev/null | cut -f1) MB; server errors logged: $(grep -ci error "$work/serve.err" || true)"
kill $server 2>/dev/null; wait $server 2>/dev/null || true
exit $status
