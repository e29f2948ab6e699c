//! What a computation returns: serialisable as it is for a web page or a JSON file.

use serde::Serialize;

use crate::Id;

/// The opinion groups of one conversation at one moment.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Outcome {
    /// N: participants in the conversation (placed in a group).
    pub participants_counted: usize,
    /// Participants with at least one vote on record, hidden statements included.
    pub participants_voted: usize,
    /// Statements in the maths: not hidden, at least one vote.
    pub statements_counted: usize,
    pub groups: Vec<Group>,
    pub consensus: Consensus,
    /// Participants who voted but are not counted (too few votes so far), in id order.
    pub unplaced: Vec<Id>,
    /// Every participant with a vote on a counted statement, on the opinion map.
    pub positions: Vec<Position>,
    /// Counts per counted statement: everyone, then each group in `groups` order.
    pub statement_votes: Vec<StatementVotes>,
    pub k_selection: KSelection,
    pub base_clusters: usize,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Group {
    /// `g1`, `g2`, … stable across warm-started updates while the number of groups holds.
    pub id: String,
    /// Participant ids in id order.
    pub members: Vec<Id>,
    /// Centre of the group on the opinion map.
    pub center: [f64; 2],
    /// At most five, agreements first (Pol.is's selection).
    pub representative: Vec<RepresentativeStatement>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    Agree,
    Disagree,
}

/// A group's votes on one statement compared with every other group's.
///
/// Proportions are pseudo-counted, `(n + 1) / (N + 2)`, so a handful of votes cannot make a
/// certainty. `*_test` values are z statistics: the one-proportion test against one half, and
/// the two-proportion test of this group against the others together.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StatementStats {
    pub n_agree: u32,
    pub n_disagree: u32,
    /// Votes of any kind, passes included.
    pub n_seen: u32,
    pub p_agree: f64,
    pub p_disagree: f64,
    pub p_agree_test: f64,
    pub p_disagree_test: f64,
    /// `p_agree` over the other groups' pseudo-counted agreement.
    pub repness_agree: f64,
    pub repness_disagree: f64,
    pub repness_agree_test: f64,
    pub repness_disagree_test: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RepresentativeStatement {
    pub statement: Id,
    /// The direction whose group-versus-rest test is stronger.
    pub repful_for: Direction,
    /// Chosen as the group's best agreement, shown first whatever its rank.
    pub best_agree: bool,
    pub n_success: u32,
    pub n_trials: u32,
    pub p_success: f64,
    pub p_test: f64,
    pub repness: f64,
    pub repness_test: f64,
    pub stats: StatementStats,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Consensus {
    pub agree: Vec<ConsensusStatement>,
    pub disagree: Vec<ConsensusStatement>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ConsensusStatement {
    pub statement: Id,
    pub n_success: u32,
    pub n_trials: u32,
    pub p_success: f64,
    pub p_test: f64,
    /// Product over groups of each group's pseudo-counted agreement (or disagreement):
    /// Pol.is's group-aware consensus, high only when every group leans the same way.
    pub group_aware: f64,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct VoteCounts {
    pub agree: u32,
    pub disagree: u32,
    pub pass: u32,
    pub seen: u32,
}

impl VoteCounts {
    pub(crate) fn add(&mut self, vote: i8) {
        match vote {
            1 => self.agree += 1,
            -1 => self.disagree += 1,
            _ => self.pass += 1,
        }
        self.seen += 1;
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StatementVotes {
    pub statement: Id,
    /// Everyone who voted, unplaced participants included.
    pub all: VoteCounts,
    /// One entry per group, in `Outcome::groups` order.
    pub groups: Vec<VoteCounts>,
    /// Pol.is's group-aware consensus on agreement: Π over groups of (agree + 1) / (seen + 2).
    pub group_aware_consensus: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Position {
    pub participant: Id,
    pub x: f64,
    pub y: f64,
    /// `None` for unplaced participants, who are drawn but not grouped.
    pub group: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct KSelection {
    /// Silhouette of each number of groups tried.
    pub silhouettes: Vec<(usize, f64)>,
    /// The best by silhouette this time.
    pub best_k: Option<usize>,
    /// The one used: the best only once it has been best `group_k_buffer` times in a row.
    pub chosen_k: Option<usize>,
}
