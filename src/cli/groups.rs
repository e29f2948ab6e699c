//! `townhall groups DIR`: opinion groups from a Pol.is-format export, as JSON on stdout (the
//! shape is fixed in PRODUCT.md). The maths is the `opinion` crate's; this reads the folder,
//! says what it is doing on a terminal, and writes the answer with the export's own ids.

use anyhow::{Context, Result};
use opinion::{Config, Id, Limits, Outcome};
use serde::Serialize;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;

/// Arguments of `townhall groups`.
#[derive(clap::Args, Debug, Clone)]
pub struct GroupsArgs {
    /// A folder with Pol.is's `votes.csv` and `comments.csv`, or only `participants-votes.csv`.
    pub dir: PathBuf,
    /// Write the JSON to this file instead of standard output.
    #[arg(long, env = "TOWNHALL_OUT")]
    pub out: Option<PathBuf>,
}

/// The answer, as PRODUCT.md gives it, with the detail a researcher checks it by.
#[derive(Serialize)]
struct Answer {
    /// Participants placed in a group (voted on min(7, statements) statements).
    participants: usize,
    groups: Vec<Group>,
    consensus: Vec<Consensus>,
    /// Participants who voted but too little to be placed.
    unplaced: Vec<String>,
    meta: Meta,
}

#[derive(Serialize)]
struct Group {
    id: String,
    participants: Vec<String>,
    representative: Vec<Representative>,
}

/// A statement that sets a group apart: the share of the group agreeing and disagreeing
/// (pseudo-counted), which way it sets them apart, and the z statistic of the group
/// against everyone else.
#[derive(Serialize)]
struct Representative {
    statement: String,
    agree: f64,
    disagree: f64,
    direction: opinion::Direction,
    z: f64,
}

/// A statement nearly everyone agrees (or disagrees) with, with the share and its z statistic.
#[derive(Serialize)]
struct Consensus {
    statement: String,
    direction: opinion::Direction,
    agree: f64,
    disagree: f64,
    z: f64,
    /// Every group's pseudo-counted share the same way, multiplied: high only when every
    /// group leans that way.
    group_aware: f64,
}

#[derive(Serialize)]
struct Meta {
    participants_voted: usize,
    statements_counted: usize,
    /// Silhouette of each number of groups tried.
    silhouettes: Vec<(usize, f64)>,
}

/// Runs `townhall groups`.
pub fn run(args: &GroupsArgs) -> Result<()> {
    let terminal = std::io::stderr().is_terminal();
    let say = |line: &str| {
        if terminal {
            eprintln!("{line}");
        }
    };
    say(&format!("Reading the votes in {}…", args.dir.display()));
    let votes = opinion::polis::read_votes(&args.dir, &Limits::default())
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    say(&format!(
        "Placing {} participants by {} votes…",
        votes.participants().len(),
        votes.vote_records()
    ));
    let analysis =
        opinion::compute(&votes, None, &Config::default()).map_err(|e| anyhow::anyhow!("{e}"))?;
    let json = serde_json::to_string_pretty(&answer(&analysis.outcome))?;
    match &args.out {
        Some(path) => std::fs::write(path, json + "\n")
            .with_context(|| format!("cannot write {}", path.display()))?,
        None => {
            let mut out = std::io::stdout().lock();
            writeln!(out, "{json}")?;
        }
    }
    Ok(())
}

fn answer(outcome: &Outcome) -> Answer {
    let ids = |ids: &[Id]| ids.iter().map(Id::to_string).collect();
    let groups = (outcome.groups.iter())
        .map(|g| Group {
            id: g.id.clone(),
            participants: ids(&g.members),
            representative: (g.representative.iter())
                .map(|r| Representative {
                    statement: r.statement.to_string(),
                    agree: rounded(r.stats.p_agree),
                    disagree: rounded(r.stats.p_disagree),
                    direction: r.repful_for,
                    z: rounded(r.repness_test),
                })
                .collect(),
        })
        .collect();
    let counts = |statement: &Id| {
        (outcome.statement_votes.iter())
            .find(|s| &s.statement == statement)
            .map(|s| s.all)
            .unwrap_or_default()
    };
    // The same pseudo-counted share as the representative statements'.
    let share = |n: u32, seen: u32| (f64::from(n) + 1.0) / (f64::from(seen) + 2.0);
    let consensus = [
        (opinion::Direction::Agree, &outcome.consensus.agree),
        (opinion::Direction::Disagree, &outcome.consensus.disagree),
    ]
    .into_iter()
    .flat_map(|(direction, list)| list.iter().map(move |c| (direction, c)))
    .map(|(direction, c)| {
        let all = counts(&c.statement);
        Consensus {
            statement: c.statement.to_string(),
            direction,
            agree: rounded(share(all.agree, all.seen)),
            disagree: rounded(share(all.disagree, all.seen)),
            z: rounded(c.p_test),
            group_aware: rounded(c.group_aware),
        }
    })
    .collect();
    Answer {
        participants: outcome.participants_counted,
        groups,
        consensus,
        unplaced: ids(&outcome.unplaced),
        meta: Meta {
            participants_voted: outcome.participants_voted,
            statements_counted: outcome.statements_counted,
            silhouettes: (outcome.k_selection.silhouettes.iter())
                .map(|&(k, s)| (k, rounded(s)))
                .collect(),
        },
    }
}

/// Four decimals: more would be noise to a reader of the JSON.
fn rounded(x: f64) -> f64 {
    (x * 1e4).round() / 1e4
}
