//! Writes synthetic consultation responses as CSV (`id,text,segment`) for benchmarks.
//!
//! `cargo run --release -p textkit --example generate -- --count 1000000 --out /tmp/r1m.csv
//! [--campaigns 6] [--campaign-share 0.05] [--seed 1]`

use std::io::Write;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut count = 10_000usize;
    let mut out = String::from("responses.csv");
    let mut campaigns = 6usize;
    let mut share = 0.05f64;
    let mut seed = 1u64;
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < args.len() {
        let value = args.get(i + 1).ok_or("missing value")?;
        match args[i].as_str() {
            "--count" => count = value.parse()?,
            "--out" => out = value.clone(),
            "--campaigns" => campaigns = value.parse()?,
            "--campaign-share" => share = value.parse()?,
            "--seed" => seed = value.parse()?,
            other => return Err(format!("unknown argument {other}").into()),
        }
        i += 2;
    }
    let file = std::fs::File::create(&out)?;
    let mut w = csv::Writer::from_writer(std::io::BufWriter::new(file));
    w.write_record(["id", "text", "segment"])?;
    // Generate in blocks so a million responses never sit in memory at once.
    let block = 100_000;
    let mut done = 0;
    while done < count {
        let n = block.min(count - done);
        for mut s in textkit::synth::generate(n, campaigns, share, seed.wrapping_add(done as u64)) {
            s.id = format!("r{}", done + s.id[1..].parse::<usize>()?);
            w.write_record([&s.id, &s.text, &s.segment])?;
        }
        done += n;
    }
    w.flush()?;
    std::io::stderr().flush()?;
    eprintln!("wrote {count} responses to {out}");
    Ok(())
}
