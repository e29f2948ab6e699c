//! What a conversation's results page shows, kept from each computation of its groups
//! (`jobs/conversations.rs`): the groups with their members, representative and consensus
//! statements, every statement's votes by group, and the opinion map drawn from the base
//! clusters. It is a fraction of `opinion::Outcome`, which places every participant on the
//! map: at 100,000 participants that is megabytes written at each update and read for each
//! page.

use opinion::{Direction, Id, Outcome, State, VoteCounts};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// The map's drawing area: points lie within [MARGIN, SIZE - MARGIN] on both axes.
pub const MAP_SIZE: f64 = 100.0;
const MAP_MARGIN: f64 = 8.0;
/// The share of the map that the points cover together: each point's area is its share of
/// the people on the map, so a few people or a hundred thousand draw alike.
const COVER: f64 = 0.15;
const MAX_RADIUS: f64 = 8.0;
const MIN_RADIUS: f64 = 1.0;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ConversationResults {
    /// Participants with at least one vote.
    pub voted: usize,
    /// Participants placed in a group (enough votes to count).
    pub counted: usize,
    pub groups: Vec<GroupResult>,
    /// Statements every group agrees (or disagrees) with.
    pub consensus: Vec<Leaning>,
    pub statements: Vec<StatementCounts>,
    pub map: Vec<MapPoint>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupResult {
    /// `g1`, `g2`, …: the computation's id, stable while the number of groups holds.
    pub id: String,
    /// `A`, `B`, …: what people read, as Pol.is names its groups.
    pub label: String,
    /// Participant numbers.
    pub members: Vec<i64>,
    /// Where the group sits on the map, in map units.
    pub x: f64,
    pub y: f64,
    /// What this group thinks that the others do not, strongest first.
    pub representative: Vec<Leaning>,
}

/// A statement with the way a set of participants lean on it and how many of them do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Leaning {
    pub statement: i64,
    /// `agree` or `disagree`.
    pub direction: String,
    /// Of those who voted on it: the share leaning that way, in whole per cent.
    pub percent: u32,
    pub voted: u32,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub agree: u32,
    pub disagree: u32,
    pub pass: u32,
}

impl From<VoteCounts> for Counts {
    fn from(c: VoteCounts) -> Counts {
        Counts {
            agree: c.agree,
            disagree: c.disagree,
            pass: c.pass,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatementCounts {
    pub statement: i64,
    pub all: Counts,
    /// One per group, in `groups` order.
    pub groups: Vec<Counts>,
}

/// One base cluster of participants with similar votes, on the map.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MapPoint {
    pub x: f64,
    pub y: f64,
    pub r: f64,
    pub participants: usize,
    /// Index into `groups`.
    pub group: Option<usize>,
}

/// A participant or statement id of a conversation kept here: always a number.
fn number(id: &Id) -> Option<i64> {
    match id {
        Id::Number(n) => i64::try_from(*n).ok(),
        Id::Text(_) => None,
    }
}

fn percent(part: u32, whole: u32) -> u32 {
    if whole == 0 {
        0
    } else {
        ((f64::from(part) * 100.0 / f64::from(whole)).round()) as u32
    }
}

fn direction(d: Direction) -> String {
    match d {
        Direction::Agree => "agree",
        Direction::Disagree => "disagree",
    }
    .to_string()
}

impl ConversationResults {
    /// The results of one computation.
    pub fn new(outcome: &Outcome, state: &State) -> ConversationResults {
        let group_of: HashMap<&Id, usize> = (outcome.groups.iter().enumerate())
            .flat_map(|(i, g)| g.members.iter().map(move |m| (m, i)))
            .collect();
        let votes: HashMap<&Id, &opinion::StatementVotes> = (outcome.statement_votes.iter())
            .map(|s| (&s.statement, s))
            .collect();
        let leaning = |statement: &Id, d: Direction, counts: VoteCounts| {
            let part = match d {
                Direction::Agree => counts.agree,
                Direction::Disagree => counts.disagree,
            };
            Some(Leaning {
                statement: number(statement)?,
                direction: direction(d),
                percent: percent(part, counts.seen),
                voted: counts.seen,
            })
        };
        // Points and group centres share one scale that keeps the map's proportions.
        let clusters = &state.base_clusters;
        let xs = clusters.iter().map(|c| c.center[0]);
        let ys = clusters.iter().map(|c| c.center[1]);
        let (x0, x1) = xs.fold((f64::MAX, f64::MIN), |(a, b), x| (a.min(x), b.max(x)));
        let (y0, y1) = ys.fold((f64::MAX, f64::MIN), |(a, b), y| (a.min(y), b.max(y)));
        let span = (x1 - x0).max(y1 - y0);
        let scale = if span > 0.0 {
            (MAP_SIZE - 2.0 * MAP_MARGIN) / span
        } else {
            0.0
        };
        let place = |[x, y]: [f64; 2]| {
            (
                round2(MAP_SIZE / 2.0 + (x - (x0 + x1) / 2.0) * scale),
                // Up is positive on the axes and down on a screen.
                round2(MAP_SIZE / 2.0 - (y - (y0 + y1) / 2.0) * scale),
            )
        };
        let people = clusters
            .iter()
            .map(|c| c.members.len())
            .sum::<usize>()
            .max(1);
        let area_each = COVER * MAP_SIZE * MAP_SIZE / people as f64;
        let map = (clusters.iter())
            .filter(|c| !c.members.is_empty())
            .map(|c| {
                let (x, y) = place(c.center);
                MapPoint {
                    x,
                    y,
                    r: round2(
                        (c.members.len() as f64 * area_each / std::f64::consts::PI)
                            .sqrt()
                            .clamp(MIN_RADIUS, MAX_RADIUS),
                    ),
                    participants: c.members.len(),
                    group: c.members.first().and_then(|m| group_of.get(m).copied()),
                }
            })
            .collect();
        let groups = (outcome.groups.iter().enumerate())
            .map(|(i, g)| {
                let (x, y) = place(g.center);
                GroupResult {
                    id: g.id.clone(),
                    label: group_label(i),
                    members: g.members.iter().filter_map(number).collect(),
                    x,
                    y,
                    representative: (g.representative.iter())
                        .filter_map(|r| {
                            let counts = votes.get(&r.statement)?.groups.get(i)?;
                            leaning(&r.statement, r.repful_for, *counts)
                        })
                        .collect(),
                }
            })
            .collect();
        let consensus = (outcome
            .consensus
            .agree
            .iter()
            .map(|c| (c, Direction::Agree)))
        .chain((outcome.consensus.disagree.iter()).map(|c| (c, Direction::Disagree)))
        .filter_map(|(c, d)| leaning(&c.statement, d, votes.get(&c.statement)?.all))
        .collect();
        let statements = (outcome.statement_votes.iter())
            .filter_map(|s| {
                Some(StatementCounts {
                    statement: number(&s.statement)?,
                    all: s.all.into(),
                    groups: s.groups.iter().map(|&c| c.into()).collect(),
                })
            })
            .collect();
        ConversationResults {
            voted: outcome.participants_voted,
            counted: outcome.participants_counted,
            groups,
            consensus,
            statements,
            map,
        }
    }

    /// The group `participant` is in, if placed.
    pub fn group_of(&self, participant: i64) -> Option<&GroupResult> {
        (self.groups.iter()).find(|g| g.members.binary_search(&participant).is_ok())
    }
}

/// `A` for the first group, `B` for the second…
pub fn group_label(index: usize) -> String {
    char::from(b'A' + (index % 26) as u8).to_string()
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use opinion::{Config, VoteData};

    /// Two camps of ten who vote opposite ways on six statements.
    fn two_camps() -> (Outcome, State) {
        let mut data = VoteData::default();
        for p in 0..20u64 {
            for s in 0..6u64 {
                let agree = (p < 10) == (s % 2 == 0);
                let vote = if agree {
                    opinion::Vote::Agree
                } else {
                    opinion::Vote::Disagree
                };
                data.add_vote_at(Id::Number(p), Id::Number(s), vote, p * 100 + s)
                    .unwrap();
            }
        }
        let analysis = opinion::compute(&data, None, &Config::default()).unwrap();
        (analysis.outcome, analysis.state)
    }

    #[test]
    fn results_keep_groups_counts_and_a_map_inside_its_frame() {
        let (outcome, state) = two_camps();
        let results = ConversationResults::new(&outcome, &state);
        assert_eq!((results.voted, results.counted), (20, 20));
        assert_eq!(results.groups.len(), 2);
        let labels: Vec<&str> = results.groups.iter().map(|g| g.label.as_str()).collect();
        assert_eq!(labels, ["A", "B"]);
        let sizes: Vec<usize> = results.groups.iter().map(|g| g.members.len()).collect();
        assert_eq!(sizes, [10, 10]);
        // Each camp agrees with its own statements, all of them, so each is representative.
        for g in &results.groups {
            assert!(!g.representative.is_empty());
            assert!(
                g.representative
                    .iter()
                    .all(|r| r.percent == 100 && r.voted == 10)
            );
        }
        assert_eq!(results.statements.len(), 6);
        assert!(
            results
                .statements
                .iter()
                .all(|s| s.all.agree == 10 && s.groups.len() == 2)
        );
        let on_map: usize = results.map.iter().map(|p| p.participants).sum();
        assert_eq!(on_map, 20);
        assert!(results.map.iter().all(|p| {
            (MAP_MARGIN..=MAP_SIZE - MAP_MARGIN).contains(&p.x)
                && (MAP_MARGIN..=MAP_SIZE - MAP_MARGIN).contains(&p.y)
                && p.group.is_some()
        }));
        let member = results.groups[1].members[0];
        assert_eq!(results.group_of(member).unwrap().label, "B");
        assert!(results.group_of(999).is_none());
        // What is stored reads back the same.
        let json = serde_json::to_string(&results).unwrap();
        assert_eq!(
            serde_json::from_str::<ConversationResults>(&json).unwrap(),
            results
        );
    }
}
