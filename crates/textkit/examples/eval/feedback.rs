//! Patient feedback: themes of 10,334 short answers compared with the 44 subcategories and 9
//! categories people coded them into.
//!
//! Figures, as for ArgKP: Hungarian-matched F1 (macro over the human codes; a response in two
//! themes counts in both), NMI and ARI, and coverage (share of responses in some theme). NMI is
//! given two ways: over the responses placed in a theme (how BERTopic's published figures on
//! this file treat its outliers) and with `unassigned` as one more cluster (stricter). Themes
//! are scored against subcategories; categories are scored against the themes and, when the
//! engine grouped its themes, against the groups.

use super::read;
use std::collections::HashMap;
use std::path::Path;
use std::time::Instant;
use textkit::metrics::{adjusted_rand_index, matched_f1, normalised_mutual_information};
use textkit::{Config, Response, analyse};

/// One grouping's figures against one human coding.
fn score(found: &[Vec<usize>], truth: &[usize], codes: usize) -> String {
    let n = truth.len();
    let mut primary = vec![usize::MAX; n];
    for (t, g) in found.iter().enumerate() {
        for &i in g {
            if primary[i] == usize::MAX {
                primary[i] = t;
            }
        }
    }
    let placed: Vec<usize> = (0..n).filter(|&i| primary[i] != usize::MAX).collect();
    let nmi_placed = normalised_mutual_information(
        &placed.iter().map(|&i| truth[i]).collect::<Vec<_>>(),
        &placed.iter().map(|&i| primary[i]).collect::<Vec<_>>(),
    );
    let with_unassigned: Vec<usize> = primary
        .iter()
        .map(|&p| if p == usize::MAX { found.len() } else { p })
        .collect();
    let mut reference = vec![Vec::new(); codes];
    for (i, &c) in truth.iter().enumerate() {
        reference[c].push(i);
    }
    let f1 = matched_f1(found, &reference);
    format!(
        "F1 macro {:.3}  NMI placed {:.3}  NMI all {:.3}  ARI {:.3}  coverage {:.3}  clusters {}",
        f1.macro_f1,
        nmi_placed,
        normalised_mutual_information(truth, &with_unassigned),
        adjusted_rand_index(truth, &with_unassigned),
        placed.len() as f64 / n.max(1) as f64,
        found.len()
    )
}

/// Scores the engine with `cfg` on `feedback.csv`.
pub fn run(file: &Path, cfg: &Config) -> Result<(), Box<dyn std::error::Error>> {
    if !file.exists() {
        println!(
            "Feedback data not found at {}: skipping it (pass --feedback FILE).",
            file.display()
        );
        return Ok(());
    }
    let rows = read(file)?;
    let codes = |key: &str| -> (Vec<usize>, Vec<String>) {
        let mut names: Vec<String> = rows.iter().map(|r| r[key].clone()).collect();
        names.sort();
        names.dedup();
        let index: HashMap<&str, usize> = names
            .iter()
            .enumerate()
            .map(|(i, s)| (s.as_str(), i))
            .collect();
        (
            rows.iter().map(|r| index[r[key].as_str()]).collect(),
            names.clone(),
        )
    };
    let (sub, sub_names) = codes("subcategory");
    let (cat, cat_names) = codes("category");
    let responses: Vec<Response> = rows
        .iter()
        .map(|r| Response::new(r["id"].clone(), r["text"].clone(), None))
        .collect();
    let index: HashMap<&str, usize> = responses
        .iter()
        .enumerate()
        .map(|(i, r)| (r.id.as_str(), i))
        .collect();
    let started = Instant::now();
    let result = analyse(&responses, cfg);
    let seconds = started.elapsed().as_secs_f64();
    let themes: Vec<Vec<usize>> = result
        .themes
        .iter()
        .map(|t| t.members.iter().map(|m| index[m.as_str()]).collect())
        .collect();
    println!(
        "{} responses, {} themes, {} groups, {:.1} s ({})",
        responses.len(),
        result.themes.len(),
        result.groups.len(),
        seconds,
        result.meta.vectoriser
    );
    println!(
        "  themes vs {} subcategories: {}",
        sub_names.len(),
        score(&themes, &sub, sub_names.len())
    );
    println!(
        "  themes vs {} categories:    {}",
        cat_names.len(),
        score(&themes, &cat, cat_names.len())
    );
    if !result.groups.is_empty() {
        let theme_index: HashMap<&str, usize> = result
            .themes
            .iter()
            .enumerate()
            .map(|(i, t)| (t.id.as_str(), i))
            .collect();
        let groups: Vec<Vec<usize>> = result
            .groups
            .iter()
            .map(|g| {
                let mut ms: Vec<usize> = g
                    .themes
                    .iter()
                    .flat_map(|t| themes[theme_index[t.as_str()]].clone())
                    .collect();
                ms.sort_unstable();
                ms.dedup();
                ms
            })
            .collect();
        println!(
            "  groups vs {} categories:    {}",
            cat_names.len(),
            score(&groups, &cat, cat_names.len())
        );
    }
    if let Some(meta) = &result.meta.semantic {
        println!(
            "  embedded {}, projected {}, median content words {}, lexical weight {}, timings (ms): {:?}",
            meta.embedded, meta.projected, meta.median_words, meta.lexical_weight, meta.timings_ms
        );
    }
    // The largest themes' labels beside the subcategory most of their members were coded as.
    println!(
        "\n  | theme | responses | label | keywords | subcategory most coded (share of the theme) |"
    );
    println!("  |---|---|---|---|---|");
    for t in result.themes.iter().take(10) {
        let mut counts: HashMap<usize, usize> = HashMap::new();
        for m in &t.members {
            *counts.entry(sub[index[m.as_str()]]).or_default() += 1;
        }
        let (best, n) = counts
            .into_iter()
            .max_by_key(|&(c, n)| (n, std::cmp::Reverse(c)))
            .unwrap_or((0, 0));
        println!(
            "  | {} | {} | {} | {} | {} ({:.0}%) |",
            t.id,
            t.count,
            t.label,
            t.keywords
                .iter()
                .take(4)
                .cloned()
                .collect::<Vec<_>>()
                .join(", "),
            sub_names[best],
            100.0 * n as f64 / t.count.max(1) as f64
        );
    }
    Ok(())
}
