//! Campaign detection measured on planted near-copies. Campaigns of known size (copies of a
//! letter with small edits, personal sentences added, HTML wrappers) are planted among real,
//! independently written texts (the ArgKP arguments, if present; otherwise synthetic responses),
//! and detected campaigns are compared with planted ones, member by member and pair by pair.
//!
//! `cargo run --release -p textkit --example campaigns -- [ARGKP_DIR]`

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use textkit::rng::Rng;
use textkit::synth::{campaign_copy, generate};
use textkit::themes::campaign_groups;
use textkit::{Config, Response};

fn background() -> (String, Vec<String>) {
    let dir = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("../shared/data/argkp"));
    let mut texts = Vec::new();
    for split in ["train", "dev"] {
        if let Ok(mut r) = csv::Reader::from_path(dir.join(format!("arguments_{split}.csv"))) {
            texts.extend(
                r.records()
                    .filter_map(Result::ok)
                    .filter_map(|rec| rec.get(1).map(str::to_string)),
            );
        }
    }
    if texts.is_empty() {
        println!(
            "ArgKP not found in {}: planting into synthetic responses instead.",
            dir.display()
        );
        let synthetic: Vec<String> = generate(20_000, 0, 0.0, 3)
            .into_iter()
            .map(|s| s.text)
            .collect();
        return ("synthetic responses".into(), synthetic);
    }
    ("ArgKP arguments".into(), texts)
}

fn main() {
    let (name, base) = background();
    println!("background: {} {name}", base.len());
    for (campaigns, max_size, seed) in [(4usize, 300usize, 1u64), (20, 60, 2), (60, 12, 3)] {
        let mut rng = Rng::new(seed);
        // (text, planted campaign)
        let mut data: Vec<(String, Option<usize>)> =
            base.iter().map(|t| (t.clone(), None)).collect();
        for c in 0..campaigns {
            let size = 3 + rng.below(max_size - 2);
            for _ in 0..size {
                let at = rng.below(data.len() + 1);
                data.insert(at, (campaign_copy(c, &mut rng), Some(c)));
            }
        }
        let responses: Vec<Response> = data
            .iter()
            .enumerate()
            .map(|(i, (t, _))| Response::new(format!("r{i}"), t.clone(), None))
            .collect();
        let found = campaign_groups(&responses, &Config::default());
        let mut found_of: HashMap<usize, usize> = HashMap::new();
        for (c, g) in found.iter().enumerate() {
            for &m in &g.members {
                found_of.insert(m, c);
            }
        }
        let planted = data.iter().filter(|d| d.1.is_some()).count();
        let right = found_of.keys().filter(|&&i| data[i].1.is_some()).count();
        let pairs = |m: &HashMap<(usize, usize), u64>| -> u64 {
            m.values().map(|&v| v * v.saturating_sub(1) / 2).sum()
        };
        let mut f: HashMap<(usize, usize), u64> = HashMap::new();
        let mut p: HashMap<(usize, usize), u64> = HashMap::new();
        let mut b: HashMap<(usize, usize), u64> = HashMap::new();
        for (i, d) in data.iter().enumerate() {
            let fc = found_of.get(&i).copied();
            if let Some(x) = fc {
                *f.entry((x, 0)).or_insert(0) += 1;
            }
            if let Some(y) = d.1 {
                *p.entry((y, 0)).or_insert(0) += 1;
            }
            if let (Some(x), Some(y)) = (fc, d.1) {
                *b.entry((x, y)).or_insert(0) += 1;
            }
        }
        let ratio = |a: u64, d: u64| if d == 0 { 1.0 } else { a as f64 / d as f64 };
        let realised: HashSet<usize> = data.iter().filter_map(|d| d.1).collect();
        println!(
            "{} campaigns planted ({planted} copies, sizes 3..={max_size}) among {} texts: {} found; member precision {:.3} recall {:.3}; pair precision {:.3} recall {:.3}",
            realised.len(),
            data.len(),
            found.len(),
            ratio(right as u64, found_of.len() as u64),
            ratio(right as u64, planted as u64),
            ratio(pairs(&b), pairs(&f)),
            ratio(pairs(&b), pairs(&p)),
        );
        if std::env::var("PEEK").is_ok() {
            for g in found
                .iter()
                .filter(|g| g.members.iter().any(|&m| data[m].1.is_none()))
                .take(3)
            {
                for &m in g.members.iter().filter(|&&m| data[m].1.is_none()).take(3) {
                    println!("    false: {:?}", data[m].0);
                }
            }
        }
    }
}
