//! Times a full recomputation and a warm-started one on a synthetic conversation of 100,000
//! participants, 2,000 statements and 5,000,000 votes with three hidden opinion blocs, and
//! prints the peak memory of the process. Votes carry their times, as from a Pol.is
//! `votes.csv`, so the in-conversation rule is replayed over the history (the heavier path).
//!
//! `cargo run --release -p opinion --example groups_at_scale [DIR]`
//!
//! With DIR, the conversation (before the extra votes of the warm start) is also written there
//! as a Pol.is export (`votes.csv`, `comments.csv`), for timing `townhall groups DIR`.

use std::io::Write;
use std::time::Instant;

use opinion::{Config, Id, SplitMix64, Vote, VoteData, compute};

const PARTICIPANTS: u64 = 100_000;
const STATEMENTS: u64 = 2_000;
const VOTES: u64 = 5_000_000;
/// Share of each bloc among participants.
const BLOC_SHARES: [f64; 3] = [0.5, 0.3, 0.2];
const PASS_RATE: f64 = 0.15;

fn main() -> Result<(), opinion::Error> {
    let mut rng = SplitMix64(20_240_601);
    // Each bloc leans a way on each statement: the probability that a member agrees (when
    // not passing). Statements are partly shared ground, partly divisive.
    let lean: Vec<[f64; 3]> = (0..STATEMENTS)
        .map(|_| {
            let common = rng.next_f64();
            [(); 3].map(|_| (0.5 * common + 0.5 * rng.next_f64()).clamp(0.02, 0.98))
        })
        .collect();
    let blocs: Vec<usize> = (0..PARTICIPANTS)
        .map(|_| {
            let u = rng.next_f64();
            if u < BLOC_SHARES[0] {
                0
            } else if u < BLOC_SHARES[0] + BLOC_SHARES[1] {
                1
            } else {
                2
            }
        })
        .collect();

    let export = match std::env::args().nth(1) {
        Some(dir) => Some(Export::create(std::path::Path::new(&dir))?),
        None => None,
    };
    let mut clock = Clock { now: 0, export };
    let started = Instant::now();
    let mut data = VoteData::new();
    let mut cast = 0u64;
    let mean = VOTES / PARTICIPANTS;
    for pair in (0..PARTICIPANTS).step_by(2) {
        // Pairs of participants share 2 × mean votes, so the total is exactly VOTES while
        // individual counts range from 10 to 90.
        let spread = rng.next_u64() % (mean - 9);
        for (participant, count) in [(pair, mean + spread), (pair + 1, mean - spread)] {
            cast += count;
            add_votes(
                &mut data,
                &mut rng,
                &mut clock,
                &lean,
                blocs[participant as usize],
                participant,
                count,
            )?;
        }
    }
    assert_eq!(cast, VOTES);
    if let Some(export) = clock.export.take() {
        export.finish()?;
    }
    println!(
        "generated {} participants × {} statements, {} votes in {:.2} s",
        data.participants().len(),
        data.statements().len(),
        data.vote_records(),
        started.elapsed().as_secs_f64()
    );

    let config = Config::default();
    let started = Instant::now();
    let cold = compute(&data, None, &config)?;
    let cold_time = started.elapsed().as_secs_f64();
    report("full recomputation", cold_time, &cold.outcome, &blocs);

    // A warm start after 1% more votes: 1,000 newcomers and more votes from earlier ones.
    for participant in PARTICIPANTS..PARTICIPANTS + 1_000 {
        add_votes(
            &mut data,
            &mut rng,
            &mut clock,
            &lean,
            (participant % 3) as usize,
            participant,
            20,
        )?;
    }
    for _ in 0..1_500 {
        let participant = rng.next_u64() % PARTICIPANTS;
        add_votes(
            &mut data,
            &mut rng,
            &mut clock,
            &lean,
            blocs[participant as usize],
            participant,
            20,
        )?;
    }
    let started = Instant::now();
    let warm = compute(&data, Some(&cold.state), &config)?;
    let warm_time = started.elapsed().as_secs_f64();
    report(
        &format!("warm-started ({} votes)", data.vote_records()),
        warm_time,
        &warm.outcome,
        &blocs,
    );
    println!("peak memory (VmHWM): {}", peak_memory());
    Ok(())
}

fn add_votes(
    data: &mut VoteData,
    rng: &mut SplitMix64,
    clock: &mut Clock,
    lean: &[[f64; 3]],
    bloc: usize,
    participant: u64,
    count: u64,
) -> Result<(), opinion::Error> {
    // Distinct statements (rejection: counts are tiny next to 2,000); a repeat would only
    // replace the earlier vote anyway.
    let mut seen = Vec::with_capacity(count as usize);
    while seen.len() < count as usize {
        let statement = rng.next_u64() % STATEMENTS;
        if seen.contains(&statement) {
            continue;
        }
        seen.push(statement);
        let vote = if rng.next_f64() < PASS_RATE {
            Vote::Pass
        } else if rng.next_f64() < lean[statement as usize][bloc] {
            Vote::Agree
        } else {
            Vote::Disagree
        };
        clock.now += 1;
        data.add_vote_at(
            Id::Number(participant),
            Id::Number(statement),
            vote,
            clock.now,
        )?;
        if let Some(export) = clock.export.as_mut() {
            export.vote(clock.now, statement, participant, vote)?;
        }
    }
    Ok(())
}

fn report(label: &str, seconds: f64, outcome: &opinion::Outcome, blocs: &[usize]) {
    let sizes: Vec<usize> = outcome.groups.iter().map(|g| g.members.len()).collect();
    // How well the groups recover the hidden blocs, over the participants placed.
    let mut truth = Vec::new();
    let mut found = Vec::new();
    for (g, group) in outcome.groups.iter().enumerate() {
        for member in &group.members {
            if let Id::Number(p) = member
                && let Some(&bloc) = blocs.get(*p as usize)
            {
                truth.push(bloc as u64);
                found.push(g as u64);
            }
        }
    }
    println!(
        "{label}: {seconds:.2} s; N = {}, groups {:?}, silhouettes {:?}, ARI against the hidden blocs {:.3}",
        outcome.participants_counted,
        sizes,
        outcome
            .k_selection
            .silhouettes
            .iter()
            .map(|(k, s)| format!("{k}: {s:.3}"))
            .collect::<Vec<_>>(),
        opinion::agreement::adjusted_rand_index(&truth, &found)
    );
}

fn peak_memory() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with("VmHWM"))
                .map(|l| l.split_whitespace().skip(1).collect::<Vec<_>>().join(" "))
        })
        .unwrap_or_else(|| "unknown (no /proc/self/status)".into())
}

/// The time of the last vote cast, and where votes are written while an export is wanted.
struct Clock {
    now: u64,
    export: Option<Export>,
}

/// The synthetic conversation as a Pol.is export, written as it is generated.
struct Export {
    dir: std::path::PathBuf,
    votes: std::io::BufWriter<std::fs::File>,
}

impl Export {
    fn create(dir: &std::path::Path) -> Result<Export, opinion::Error> {
        let io = |source| opinion::Error::Io {
            path: dir.to_owned(),
            source,
        };
        std::fs::create_dir_all(dir).map_err(io)?;
        let file = std::fs::File::create(dir.join("votes.csv")).map_err(io)?;
        let mut votes = std::io::BufWriter::new(file);
        writeln!(votes, "timestamp,datetime,comment-id,voter-id,vote").map_err(io)?;
        Ok(Export {
            dir: dir.to_owned(),
            votes,
        })
    }

    fn vote(
        &mut self,
        time: u64,
        statement: u64,
        participant: u64,
        vote: Vote,
    ) -> Result<(), opinion::Error> {
        // Pol.is writes a human-readable time beside the milliseconds: one of its length.
        writeln!(
            self.votes,
            "{time},Mon Jul 17 16:10:15 UTC 2017,{statement},{participant},{}",
            vote.code()
        )
        .map_err(|source| opinion::Error::Io {
            path: self.dir.join("votes.csv"),
            source,
        })
    }

    fn finish(mut self) -> Result<(), opinion::Error> {
        let io = |source| opinion::Error::Io {
            path: self.dir.clone(),
            source,
        };
        self.votes.flush().map_err(io)?;
        let mut comments = String::from(
            "timestamp,datetime,comment-id,author-id,agrees,disagrees,moderated,comment-body\n",
        );
        for statement in 0..STATEMENTS {
            comments += &format!("0,,{statement},0,0,0,1,Statement {statement}\n");
        }
        std::fs::write(self.dir.join("comments.csv"), comments).map_err(io)
    }
}
