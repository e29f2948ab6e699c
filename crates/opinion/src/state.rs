//! What one computation hands to the next so that it warm-starts, as Pol.is carries its
//! conversation from update to update. Keyed by ids, never by dense indices, so it stays valid
//! when participants or statements are added.

use serde::{Deserialize, Serialize};

use crate::Id;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct State {
    /// Computations that led to this state.
    pub updates: u64,
    pub pca: Option<PcaState>,
    /// Once in the conversation, a participant stays in (Pol.is's `in-conv`).
    pub in_conversation: Vec<Id>,
    pub base_clusters: Vec<BaseClusterState>,
    /// One clustering of the base clusters per number of groups tried.
    pub group_clusterings: Vec<GroupClusteringState>,
    pub k_smoother: Option<KSmoother>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PcaState {
    /// The statements the vectors below are indexed by.
    pub statements: Vec<Id>,
    pub center: Vec<f64>,
    pub components: [Vec<f64>; 2],
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BaseClusterState {
    pub id: u32,
    pub center: [f64; 2],
    pub members: Vec<Id>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GroupClusteringState {
    pub k: usize,
    pub clusters: Vec<GroupClusterState>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GroupClusterState {
    pub id: u32,
    pub center: [f64; 2],
    /// Base cluster ids.
    pub members: Vec<u32>,
}

/// Pol.is's `group-k-smoother`: the number of groups shown changes only after another number
/// has been the best by silhouette `group_k_buffer` updates in a row, so that the groups on
/// screen do not flicker between two and three as votes trickle in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KSmoother {
    pub last_k: usize,
    pub last_k_count: u32,
    pub smoothed_k: usize,
}

impl KSmoother {
    pub(crate) fn next(previous: Option<KSmoother>, best_k: usize, buffer: u32) -> KSmoother {
        let count = match previous {
            Some(p) if p.last_k == best_k => p.last_k_count + 1,
            _ => 1,
        };
        let smoothed_k = match previous {
            Some(p) if count < buffer => p.smoothed_k,
            _ => best_k,
        };
        KSmoother {
            last_k: best_k,
            last_k_count: count,
            smoothed_k,
        }
    }
}
