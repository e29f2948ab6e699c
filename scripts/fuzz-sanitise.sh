#!/usr/bin/env bash
# Fuzzes the sanitise crate with cargo-fuzz (libFuzzer) for SECONDS each (default 300): the
# Markdown renderer, and a feed item's HTML cleaned and read as text. An input fails the run
# if it panics, lets a script through, or grows slower than the input (a loose bound that
# allows for the instrumentation: fuzz/fuzz_targets/budget.rs). Then every input of the
# corpus is timed in a plain release build against the real bound, 150 ms for 64 KB
# (crates/sanitise/examples/time_inputs.rs). Inputs up to 64 KB; the seeds in fuzz/seeds/
# start each run, the corpus grows in fuzz/corpus/ (not committed). No sanitizer (ASan would
# distort the timings). The machine's stable toolchain builds the targets with
# RUSTC_BOOTSTRAP=1, which lets cargo-fuzz pass the flags libFuzzer needs.
#
#   scripts/fuzz-sanitise.sh [seconds per target, default 300]
set -euo pipefail
seconds=${1:-300}
cd "$(dirname "$0")/../fuzz"
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --version 0.13.2 --locked
# Long inputs to start from (libFuzzer grows short ones): dense structure of about 64 KB each.
python3 - <<'PY'
import os
k = 64 * 1024
para = "People told us the opening hours suit those who work in the day. "
seeds = {
    "markdown": {
        "table": "|a|b|\n|-|-|\n" + "|x|y|\n" * (k // 6),
        "list": "- a\n" * (k // 4),
        "emphasis": "*a* " * (k // 4),
        "nested-quotes": ("> " * 60 + para + "\n\n") * (k // 190),
        "references": "[x]: https://example.org/" + "a&" * 1000 + "\n\n" + "[x] " * ((k - 2100) // 4),
        "headings": "## Same\n\n" * 1000,
    },
    "feed_html": {
        "paragraphs": "<p>x" * (k // 4),
        "cells": "<table><tr>" + "<td>x" * (k // 5),
        "divs": "<div>" * (k // 11) + "x" + "</div>" * (k // 11),
        "tables-in-links": "<a><table><a>" * (k // 13),
        "formatting": "<b><i>x</b>y</i>" * (k // 16),
    },
}
for target, files in seeds.items():
    os.makedirs(f"corpus/{target}", exist_ok=True)
    for name, text in files.items():
        open(f"corpus/{target}/long-{name}", "w").write(text[:k])
PY
for target in markdown feed_html; do
    mkdir -p "corpus/$target"
    echo "== $target, ${seconds}s"
    log=$(mktemp)
    if RUSTC_BOOTSTRAP=1 cargo fuzz run --sanitizer none "$target" "corpus/$target" "seeds/$target" -- \
        -max_len=65536 -len_control=0 -max_total_time="$seconds" -timeout=10 -print_final_stats=1 >"$log" 2>&1; then
        grep -E '^#[0-9]+ +DONE|^stat::' "$log"
    else
        grep -v '^[[:space:]]*\[' "$log" | cut -c1-300 | tail -30
        echo "$target failed: the input is in fuzz/artifacts/$target/"
        exit 1
    fi
    kind=$([ "$target" = markdown ] && echo --markdown || echo --feed)
    (cd .. && cargo run --release -q -p sanitise --example time_inputs -- "$kind" "fuzz/corpus/$target" "fuzz/seeds/$target")
done
