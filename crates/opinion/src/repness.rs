//! Representative and consensus statements, as Pol.is's `repness.clj` and `stats.clj` choose
//! them.

use crate::Id;
use crate::outcome::{
    Consensus, ConsensusStatement, Direction, RepresentativeStatement, StatementStats, VoteCounts,
};

/// One-sided z for 90% confidence (Pol.is's `z-sig-90?`).
pub const Z_90: f64 = 1.2816;
const MAX_REPRESENTATIVE: usize = 5;
const MAX_CONSENSUS: usize = 5;

/// z statistic of `successes` out of `trials` against one half, both pseudo-counted by one.
pub fn prop_test(successes: u32, trials: u32) -> f64 {
    let (s, n) = (f64::from(successes) + 1.0, f64::from(trials) + 1.0);
    2.0 * n.sqrt() * (s / n - 0.5)
}

/// z statistic of the difference between two proportions, all counts pseudo-counted by one;
/// 0 when the pooled proportion is 1 (the test is undefined there).
pub fn two_prop_test(
    successes_in: u32,
    successes_out: u32,
    trials_in: u32,
    trials_out: u32,
) -> f64 {
    let [s1, s2, n1, n2] =
        [successes_in, successes_out, trials_in, trials_out].map(|x| f64::from(x) + 1.0);
    let (p1, p2) = (s1 / n1, s2 / n2);
    let pooled = (s1 + s2) / (n1 + n2);
    if pooled == 1.0 {
        return 0.0;
    }
    (p1 - p2) / (pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2)).sqrt()
}

fn pseudo(successes: u32, trials: u32) -> f64 {
    (f64::from(successes) + 1.0) / (f64::from(trials) + 2.0)
}

pub(crate) fn statement_stats(group: VoteCounts, rest: VoteCounts) -> StatementStats {
    let p_agree = pseudo(group.agree, group.seen);
    let p_disagree = pseudo(group.disagree, group.seen);
    StatementStats {
        n_agree: group.agree,
        n_disagree: group.disagree,
        n_seen: group.seen,
        p_agree,
        p_disagree,
        p_agree_test: prop_test(group.agree, group.seen),
        p_disagree_test: prop_test(group.disagree, group.seen),
        repness_agree: p_agree / pseudo(rest.agree, rest.seen),
        repness_disagree: p_disagree / pseudo(rest.disagree, rest.seen),
        repness_agree_test: two_prop_test(group.agree, rest.agree, group.seen, rest.seen),
        repness_disagree_test: two_prop_test(group.disagree, rest.disagree, group.seen, rest.seen),
    }
}

/// Pol.is's `finalize-cmt-stats`: present the direction whose group-versus-rest test is
/// stronger.
fn finalise(statement: &Id, s: &StatementStats, best_agree: bool) -> RepresentativeStatement {
    let agree = s.repness_agree_test > s.repness_disagree_test;
    RepresentativeStatement {
        statement: statement.clone(),
        repful_for: if agree {
            Direction::Agree
        } else {
            Direction::Disagree
        },
        best_agree,
        n_success: if agree { s.n_agree } else { s.n_disagree },
        n_trials: s.n_seen,
        p_success: if agree { s.p_agree } else { s.p_disagree },
        p_test: if agree {
            s.p_agree_test
        } else {
            s.p_disagree_test
        },
        repness: if agree {
            s.repness_agree
        } else {
            s.repness_disagree
        },
        repness_test: if agree {
            s.repness_agree_test
        } else {
            s.repness_disagree_test
        },
        stats: s.clone(),
    }
}

fn metric(r: &RepresentativeStatement) -> f64 {
    r.repness * r.repness_test * r.p_success * r.p_test
}

fn passes(s: &StatementStats) -> bool {
    (s.repness_agree_test > Z_90 && s.p_agree_test > Z_90)
        || (s.repness_disagree_test > Z_90 && s.p_disagree_test > Z_90)
}

/// Pol.is's `beats-best-agr?`: the statement a group most clearly agrees on, preferring one
/// that also sets it apart from the others.
fn beats_best_agree(s: &StatementStats, best: Option<&StatementStats>) -> bool {
    if s.n_agree == 0 && s.n_disagree == 0 {
        return false;
    }
    let agree_rep =
        |s: &StatementStats| s.repness_agree * s.repness_agree_test * s.p_agree * s.p_agree_test;
    match best {
        Some(best) if best.repness_agree > 1.0 => agree_rep(s) > agree_rep(best),
        Some(best) => s.p_agree * s.p_agree_test > best.p_agree * best.p_agree_test,
        None => s.p_agree_test > Z_90 || (s.repness_agree > 1.0 && s.p_agree > 0.5),
    }
}

/// Pol.is's `select-rep-comments` for one group. `stats` has one entry per counted statement.
/// Statements passing both tests (90%) in one direction qualify; the best five by
/// repness × repness test × p × p test are kept, the group's best agreement first, then
/// agreements before disagreements. With none qualifying, the best agreement alone (or, if
/// there is none, the strongest statement by test) still represents the group.
pub(crate) fn select_representative(
    statements: &[Id],
    stats: &[StatementStats],
) -> Vec<RepresentativeStatement> {
    let mut sufficient = Vec::new();
    let mut best: Option<RepresentativeStatement> = None;
    let mut best_agree: Option<usize> = None;
    for (column, s) in stats.iter().enumerate() {
        if passes(s) {
            sufficient.push(finalise(&statements[column], s, false));
        }
        let strongest = s.repness_agree_test.max(s.repness_disagree_test);
        if sufficient.is_empty() && best.as_ref().is_none_or(|b| strongest > b.repness_test) {
            best = Some(finalise(&statements[column], s, false));
        }
        if beats_best_agree(s, best_agree.map(|b| &stats[b])) {
            best_agree = Some(column);
        }
    }
    let best_agree = best_agree.map(|column| finalise(&statements[column], &stats[column], true));
    if sufficient.is_empty() {
        return best_agree.or(best).into_iter().collect();
    }
    if let Some(b) = &best_agree {
        sufficient.retain(|r| r.statement != b.statement);
    }
    sufficient.sort_by(|a, b| metric(b).total_cmp(&metric(a)));
    let mut chosen: Vec<RepresentativeStatement> = best_agree
        .into_iter()
        .chain(sufficient)
        .take(MAX_REPRESENTATIVE)
        .collect();
    // Stable: within each direction the order above is kept.
    chosen.sort_by_key(|r| r.repful_for == Direction::Disagree);
    chosen
}

/// Pol.is's `select-consensus-comments` over everyone who voted: a statement is consensus
/// when its pseudo-counted proportion is above one half and significantly so (90%), the five
/// strongest by p × z in each direction. `group_counts[column]` has one entry per group and
/// gives each statement's group-aware figure.
pub(crate) fn select_consensus(
    statements: &[Id],
    all: &[VoteCounts],
    group_counts: &[Vec<VoteCounts>],
) -> Consensus {
    let pick = |direction: Direction| {
        let mut candidates: Vec<ConsensusStatement> = all
            .iter()
            .enumerate()
            .filter_map(|(column, counts)| {
                let successes = match direction {
                    Direction::Agree => counts.agree,
                    Direction::Disagree => counts.disagree,
                };
                let p = pseudo(successes, counts.seen);
                let z = prop_test(successes, counts.seen);
                (p > 0.5 && z > Z_90).then(|| ConsensusStatement {
                    statement: statements[column].clone(),
                    n_success: successes,
                    n_trials: counts.seen,
                    p_success: p,
                    p_test: z,
                    group_aware: group_aware(&group_counts[column], direction),
                })
            })
            .collect();
        candidates.sort_by(|a, b| (b.p_success * b.p_test).total_cmp(&(a.p_success * a.p_test)));
        candidates.truncate(MAX_CONSENSUS);
        candidates
    };
    Consensus {
        agree: pick(Direction::Agree),
        disagree: pick(Direction::Disagree),
    }
}

pub(crate) fn group_aware(groups: &[VoteCounts], direction: Direction) -> f64 {
    groups
        .iter()
        .map(|g| match direction {
            Direction::Agree => pseudo(g.agree, g.seen),
            Direction::Disagree => pseudo(g.disagree, g.seen),
        })
        .product()
}
