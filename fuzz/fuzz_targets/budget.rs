// The time bound the sanitise targets check while fuzzing: coverage instrumentation makes the
// code several times slower, so this is five times the real bound (750 ms for 64 KB, in
// proportion below that, never less than 50 ms): it catches work that grows faster than the
// input. The real bound, 150 ms for 64 KB in a plain release build, is checked on the corpus
// afterwards by `crates/sanitise/examples/time_inputs.rs` (scripts/fuzz-sanitise.sh). Shared
// by `markdown.rs` and `feed_html.rs` with `include!`.

const MAX_INPUT: usize = 64 * 1024;

fn time_bound(len: usize) -> std::time::Duration {
    let per_64k_micros: u64 = std::env::var("SANITISE_FUZZ_MICROS_PER_64K")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(750_000);
    std::time::Duration::from_micros((per_64k_micros * len as u64 / MAX_INPUT as u64).max(50_000))
}

/// Runs `f` on `input` (cut to [`MAX_INPUT`] bytes) and fails if it took longer than its bound.
fn within_bound<R>(data: &[u8], f: impl FnOnce(&str) -> R) -> R {
    let input = String::from_utf8_lossy(&data[..data.len().min(MAX_INPUT)]);
    let start = std::time::Instant::now();
    let out = f(&input);
    let took = start.elapsed();
    let bound = time_bound(input.len());
    assert!(took <= bound, "{} bytes took {took:?} (bound {bound:?})", input.len());
    out
}
