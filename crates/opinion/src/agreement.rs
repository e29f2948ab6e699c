//! How far two groupings of the same participants agree: the adjusted Rand index, and a
//! comparison of an [`Outcome`] with the groups Pol.is itself exported.

use std::collections::HashMap;

use std::path::Path;

use crate::polis::{self, Export};
use crate::{Analysis, Config, Error, Id, Limits, Outcome, compute};

/// Adjusted Rand index (Hubert and Arabie) of two labellings of the same items: 1 for the same
/// partition, about 0 for chance agreement. Labels are arbitrary; only co-membership counts.
pub fn adjusted_rand_index(a: &[u64], b: &[u64]) -> f64 {
    assert_eq!(
        a.len(),
        b.len(),
        "both labellings must cover the same items"
    );
    let n = a.len() as f64;
    if a.len() < 2 {
        return 1.0;
    }
    let mut table: HashMap<(u64, u64), f64> = HashMap::new();
    let mut rows: HashMap<u64, f64> = HashMap::new();
    let mut cols: HashMap<u64, f64> = HashMap::new();
    for (&x, &y) in a.iter().zip(b) {
        *table.entry((x, y)).or_default() += 1.0;
        *rows.entry(x).or_default() += 1.0;
        *cols.entry(y).or_default() += 1.0;
    }
    let pairs = |c: f64| c * (c - 1.0) / 2.0;
    let index: f64 = table.values().copied().map(pairs).sum();
    let sum_rows: f64 = rows.values().copied().map(pairs).sum();
    let sum_cols: f64 = cols.values().copied().map(pairs).sum();
    let expected = sum_rows * sum_cols / pairs(n);
    let max = (sum_rows + sum_cols) / 2.0;
    if max == expected {
        // Both partitions trivial (one cluster, or all singletons): identical by construction.
        return 1.0;
    }
    (index - expected) / (max - expected)
}

/// Our groups against Pol.is's, over the participants Pol.is placed.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Comparison {
    pub polis_placed: usize,
    /// Of the participants Pol.is placed, how many we placed too.
    pub we_placed_of_theirs: usize,
    /// Everyone we placed.
    pub we_placed: usize,
    pub polis_groups: usize,
    pub our_groups: usize,
    /// Over the participants Pol.is placed; those we did not place form one extra cluster of
    /// their own, so leaving people out costs agreement.
    pub ari: f64,
    /// Over the participants both placed: how alike the groups are where both drew them.
    pub ari_both_placed: f64,
}

/// Computes a Pol.is export folder's groups from its `votes.csv` and `comments.csv` alone and
/// compares them with the groups in its `participants-votes.csv`.
pub fn evaluate_folder(
    dir: &Path,
    limits: &Limits,
    config: &Config,
) -> Result<(Comparison, Analysis), Error> {
    let export = polis::read(dir, limits)?;
    let votes_only = Export {
        participants: None,
        summary: None,
        ..export.clone()
    };
    let analysis = compute(&votes_only.to_vote_data(limits)?, None, config)?;
    Ok((compare_with_polis(&export, &analysis.outcome), analysis))
}

pub fn compare_with_polis(export: &Export, outcome: &Outcome) -> Comparison {
    let theirs = export.polis_groups();
    let mut ours: HashMap<&Id, u64> = HashMap::new();
    for (g, group) in outcome.groups.iter().enumerate() {
        for member in &group.members {
            ours.insert(member, g as u64);
        }
    }
    let unplaced = outcome.groups.len() as u64;
    let mut participants: Vec<&Id> = theirs.keys().collect();
    participants.sort();
    let a: Vec<u64> = participants.iter().map(|p| theirs[*p]).collect();
    let b: Vec<u64> = participants
        .iter()
        .map(|p| ours.get(p).copied().unwrap_or(unplaced))
        .collect();
    let both: Vec<usize> = (0..participants.len())
        .filter(|&i| b[i] != unplaced)
        .collect();
    let ari_both_placed = adjusted_rand_index(
        &both.iter().map(|&i| a[i]).collect::<Vec<_>>(),
        &both.iter().map(|&i| b[i]).collect::<Vec<_>>(),
    );
    let mut distinct: Vec<u64> = theirs.values().copied().collect();
    distinct.sort_unstable();
    distinct.dedup();
    Comparison {
        polis_placed: participants.len(),
        we_placed_of_theirs: participants
            .iter()
            .filter(|p| ours.contains_key(*p))
            .count(),
        we_placed: outcome.participants_counted,
        polis_groups: distinct.len(),
        our_groups: outcome.groups.len(),
        ari: adjusted_rand_index(&a, &b),
        ari_both_placed,
    }
}
