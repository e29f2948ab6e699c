//! Compares our groups with Pol.is's on the real conversations in `../shared/data/polis`,
//! beside the repository (or the folder given as the first argument): the groups are computed
//! from `votes.csv` and `comments.csv` only, then set against `participants-votes.csv`.
//!
//! The votes carry their times, so who is counted is Pol.is's rule replayed over each
//! conversation's history; on these four that places exactly whom the final counts place
//! (the seventh statement opened within three minutes of the start). Where we leave people
//! unplaced whom Pol.is placed (Brexit, football concussions), older Pol.is versions placed
//! participants with fewer than 7 votes, as the crate documentation explains.
//!
//! `cargo run --release -p opinion --example polis_agreement [-- DIR]`

use std::path::PathBuf;

use opinion::agreement::{Comparison, evaluate_folder};
use opinion::{Config, Limits};

const CONVERSATIONS: [&str; 4] = [
    "15-per-hour-seattle",
    "brexit-consensus",
    "canadian-electoral-reform",
    "football-concussions",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = std::env::args()
        .nth(1)
        .map_or_else(|| PathBuf::from("../shared/data/polis"), PathBuf::from);
    let limits = Limits::default();

    println!(
        "| conversation | Pol.is placed | we placed (of Pol.is's) | Pol.is groups | our groups | ARI | ARI where both placed |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    let ours = run(&root, &limits, &Config::default(), true)?;
    println!();
    println!(
        "Median ARI: {:.3}. Same number of groups: {} of 4.",
        median(&ours),
        ours.iter()
            .filter(|c| c.our_groups == c.polis_groups)
            .count()
    );
    println!(
        "ARI is over the participants Pol.is placed; those we leave unplaced count as one extra cluster."
    );
    println!(
        "Who is counted: Pol.is's 7-vote rule replayed over the votes' times, hidden statements included."
    );
    println!(
        "Groups: k chosen on Pol.is's single-start clusterings; the groups shown are the best fit of {} starts.",
        Config::default().group_starts
    );
    let polis_exact = run(&root, &limits, &Config::polis(), false)?;
    println!(
        "With Pol.is's exact choices (Config::polis()): median ARI {:.3}, groups {:?}.",
        median(&polis_exact),
        polis_exact.iter().map(|c| c.our_groups).collect::<Vec<_>>()
    );
    Ok(())
}

fn run(
    root: &std::path::Path,
    limits: &Limits,
    config: &Config,
    print: bool,
) -> Result<Vec<Comparison>, opinion::Error> {
    let mut comparisons = Vec::new();
    for name in CONVERSATIONS {
        let (c, _) = evaluate_folder(&root.join(name), limits, config)?;
        if print {
            println!(
                "| {name} | {} | {} ({}) | {} | {} | {:.3} | {:.3} |",
                c.polis_placed,
                c.we_placed,
                c.we_placed_of_theirs,
                c.polis_groups,
                c.our_groups,
                c.ari,
                c.ari_both_placed
            );
        }
        comparisons.push(c);
    }
    Ok(comparisons)
}

fn median(comparisons: &[Comparison]) -> f64 {
    let mut aris: Vec<f64> = comparisons.iter().map(|c| c.ari).collect();
    aris.sort_by(f64::total_cmp);
    let n = aris.len();
    if n % 2 == 1 {
        aris[n / 2]
    } else {
        (aris[n / 2 - 1] + aris[n / 2]) / 2.0
    }
}
