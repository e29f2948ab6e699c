#!/usr/bin/env bash
# Does counting page views cost anything? Two `townhall serve` processes (release build) on
# copies of the same SQLite database, one with analytics on and one with `--analytics false`,
# loaded alternately (on, off, on, off, …) in one session with a browser's user agent, so that
# every request to the "on" server is counted. The servers run on CPU 0 with one worker
# thread and the load generators on CPU 1, so that neither takes the other's core (sharing
# both cores made a run's p99 vary by a factor of two). Each round has two phases on the hub
# page `/`:
#
#   saturated  wrk -t1 -c32: as many requests as the server takes
#   steady     hey -c16 at a fixed 4,000 requests/s, about a fifth of what the server takes:
#              the latency a visitor sees on a busy but not overloaded node
#
# Prints each run's requests/s and p50/p99, then per phase the median p99 of each side and
# their ratio. Where `perf stat` can count instructions, the saturated runs also give the
# server's instructions per request on each side: the cost of counting a view, free of the
# machine's noise.
#
#   scripts/bench-analytics.sh [rounds, default 4] [seconds per run, default 10]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-4}
secs=${2:-10}
if ! command -v wrk >/dev/null || ! command -v hey >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk hey >/dev/null
fi
[ -f assets/dist/townhall.css ] || { npm ci --no-audit --no-fund && npm run build; }
cargo build --release -q -j 1
bin=${CARGO_TARGET_DIR:-target}/release/townhall
work=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"' EXIT

# The upgrade fixture: three organisations, three published posts, comments, a feed.
for side in on off; do
    cp tests/fixtures/upgrade/sqlite-0005.db "$work/$side.db"
    "$bin" migrate --database "sqlite://$work/$side.db" 2>/dev/null
done
server=(env TOKIO_WORKER_THREADS=1 taskset -c 0 "$bin")
client=(taskset -c 1)
"${server[@]}" serve --database "sqlite://$work/on.db" --addr 127.0.0.1:18281 --analytics true --metrics-addr 127.0.0.1:18291 2>"$work/on.err" &
pids+=($!)
pid_on=$!
"${server[@]}" serve --database "sqlite://$work/off.db" --addr 127.0.0.1:18282 --analytics false 2>"$work/off.err" &
pids+=($!)
pid_off=$!
perf=false
perf stat -x, -e instructions true 2>&1 | grep -q '^[0-9]' && perf=true
for port in 18281 18282; do
    for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
done
ua='Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0'
# Warm both up.
for port in 18281 18282; do "${client[@]}" wrk -t1 -c32 -d3s -H "User-Agent: $ua" "http://127.0.0.1:$port/" >/dev/null; done

to_ms() { # wrk latency (e.g. 812.00us, 26.41ms, 1.02s) in milliseconds
    awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n += 0; else if (v ~ /s$/) n *= 1000; printf "%.3f", n }'
}
: >"$work/results"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
saturated() { # port pid -> "requests/s p50 p99 instructions/request"
    if $perf; then
        perf stat -x, -e instructions -p "$2" -o "$work/perf" -- sleep "$((secs + 1))" &
        perf_pid=$!
    fi
    out=$("${client[@]}" wrk -t1 -c32 -d"${secs}s" --latency -H "User-Agent: $ua" "http://127.0.0.1:$1/")
    ipr=0
    if $perf; then
        wait "$perf_pid"
        requests=$(echo "$out" | awk '/requests in/ {print $1}')
        ipr=$(awk -F, -v n="$requests" '$3 ~ /^instructions/ {printf "%d", $1 / n}' "$work/perf")
    fi
    echo "$(echo "$out" | awk '/Requests\/sec/ {print $2}')" \
        "$(to_ms "$(echo "$out" | awk '$1 == "50%" {print $2}')")" \
        "$(to_ms "$(echo "$out" | awk '$1 == "99%" {print $2}')")" "$ipr"
}
steady() { # port -> "requests/s p50 p99 0"
    out=$("${client[@]}" hey -z "${secs}s" -c 16 -q 250 -H "User-Agent: $ua" "http://127.0.0.1:$1/")
    echo "$(echo "$out" | awk '/Requests\/sec/ {print $2}')" \
        "$(echo "$out" | awk '$1 == "50%" {printf "%.1f", $3 * 1000}')" \
        "$(echo "$out" | awk '$1 == "99%" {printf "%.1f", $3 * 1000}')" 0
}
for round in $(seq "$rounds"); do
    for phase in saturated steady; do
        for side in on off; do
            port=$([ "$side" = on ] && echo 18281 || echo 18282)
            pid=$([ "$side" = on ] && echo "$pid_on" || echo "$pid_off")
            read -r rps p50 p99 ipr < <($phase "$port" "$pid")
            extra=$([ "$ipr" != 0 ] && echo ", $ipr instructions/request" || true)
            echo "round $round $phase analytics $side: $rps requests/s, p50 $p50 ms, p99 $p99 ms$extra"
            echo "$phase $side $p99 $rps $ipr" >>"$work/results"
        done
    done
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
median() { sort -n | awk '{a[NR] = $1} END { if (NR % 2) print a[(NR + 1) / 2]; else printf "%.3f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
of() { awk -v p="$1" -v s="$2" -v c="$3" '$1 == p && $2 == s {print $c}' "$work/results" | median; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }
for phase in saturated steady; do
    on=$(of "$phase" on 3) off=$(of "$phase" off 3)
    echo "$phase: median p99 on $on ms, off $off ms; ratio on/off $(ratio "$on" "$off");" \
        "median requests/s on $(of "$phase" on 4), off $(of "$phase" off 4)"
done
if $perf; then
    on=$(of saturated on 5) off=$(of saturated off 5)
    echo "median instructions/request: on $on, off $off; ratio on/off $(ratio "$on" "$off")"
fi
# The counts really were written: views of / on the "on" server.
sleep 6
views=$(sqlite3 "$work/on.db" "SELECT COALESCE(SUM(views), 0) FROM analytics_pages WHERE path = '/'")
dropped=$(curl -s http://127.0.0.1:18291/metrics | awk '/^townhall_analytics_dropped_total/ {print $2}')
echo "views of / counted by the on server: $views; dropped: ${dropped:-0}"
