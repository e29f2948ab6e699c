#!/usr/bin/env bash
# End-to-end benchmark of `townhall analyse` (file read → JSON written) at 10k, 100k and 1M
# synthetic responses: wall time and peak resident memory, with the sentence-embedding model
# (semantic themes; installed first by scripts/fetch-model.sh) and with --lexical. Results go
# in BENCHMARKS.md ("Evidence engine").
#
#   scripts/bench-analyse.sh [SIZES...]     e.g. scripts/bench-analyse.sh 10000 100000 1000000
#
# Uses both cores for the timed runs. Set CARGO_TARGET_DIR to reuse a build.
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("$@")
[ ${#sizes[@]} -eq 0 ] && sizes=(10000 100000 1000000)
target="${CARGO_TARGET_DIR:-target}"
cargo build --release -p textkit --example generate >/dev/null
cargo build --release --bin townhall >/dev/null
bash scripts/fetch-model.sh
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo); load before: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-10s %-9s %10s %10s %8s %8s %10s %10s\n' responses engine "input MB" "wall s" "RSS MB" themes campaigns embedded
for n in "${sizes[@]}"; do
  "$target/release/examples/generate" --count "$n" --out "$work/r.csv" 2>/dev/null
  for engine in semantic lexical; do
    flag=(); [ "$engine" = lexical ] && flag=(--lexical)
    /usr/bin/time -f '%e %M' -o "$work/time" "$target/release/townhall" analyse "$work/r.csv" "${flag[@]}" --out "$work/out.json"
    read -r wall rss_kb < "$work/time"
    summary=$(python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(len(d['themes']), len(d['campaigns']), d['meta'].get('semantic', {}).get('embedded', '-'))" "$work/out.json")
    printf '%-10s %-9s %10.1f %10s %8.0f %8s %10s %10s\n' "$n" "$engine" "$(echo "$(stat -c %s "$work/r.csv") / 1048576" | bc -l)" "$wall" "$(echo "$rss_kb / 1024" | bc -l)" $summary
  done
done
