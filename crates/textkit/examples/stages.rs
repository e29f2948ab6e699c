//! Times each stage of the engine on a CSV of responses (`id,text,segment`), for profiling.
//!
//! `cargo run --release -p textkit --example stages -- FILE`

use std::time::Instant;
use textkit::corpus::Corpus;
use textkit::{Config, Language, Response};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args().nth(1).ok_or("usage: stages FILE")?;
    let t = Instant::now();
    let mut r = csv::Reader::from_path(&path)?;
    let responses: Vec<Response> = r
        .records()
        .filter_map(Result::ok)
        .map(|rec| {
            Response::new(
                rec.get(0).unwrap_or(""),
                rec.get(1).unwrap_or(""),
                rec.get(2).map(str::to_string),
            )
        })
        .collect();
    println!("read {} in {:?}", responses.len(), t.elapsed());
    let t = Instant::now();
    let n: usize = responses
        .iter()
        .map(|r| textkit::normalise(&r.text).len())
        .sum();
    println!("normalise only: {:?} ({n} bytes)", t.elapsed());
    let t = Instant::now();
    let texts: Vec<&str> = responses.iter().map(|r| r.text.as_str()).collect();
    let corpus = Corpus::build(&texts, Language::English);
    println!("corpus (normalise + tokenise, parallel): {:?}", t.elapsed());
    let t = Instant::now();
    let c = textkit::campaigns::detect(&corpus, 3, 1);
    println!("campaigns: {:?} ({} found)", t.elapsed(), c.len());
    let t = Instant::now();
    let a = textkit::analyse(&responses, &Config::default());
    println!(
        "whole analysis: {:?} ({} themes)",
        t.elapsed(),
        a.themes.len()
    );
    Ok(())
}
