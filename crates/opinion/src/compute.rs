//! One recomputation: matrix, PCA, projection, who is in the conversation, base clusters,
//! groups, then the statements that describe them.

use std::collections::HashMap;

use crate::cluster::{self, Cluster};
use crate::matrix::VoteMatrix;
use crate::outcome::{Direction, Group, KSelection, Outcome, Position, StatementVotes, VoteCounts};
use crate::pca::{self, Pca};
use crate::repness;
use crate::state::{
    BaseClusterState, GroupClusterState, GroupClusteringState, KSmoother, PcaState, State,
};
use crate::{Config, Error, Id, VoteData};

/// The result of [`compute`]: what to show, and what to pass to the next computation.
#[derive(Clone, Debug, PartialEq)]
pub struct Analysis {
    pub outcome: Outcome,
    pub state: State,
}

/// Computes the opinion groups of `data`. With `previous` (the state an earlier call returned
/// for the same conversation) the PCA, the clusters and the choice of the number of groups
/// carry on from where they were; the result depends only on `data`, `previous` and `config`.
pub fn compute(
    data: &VoteData,
    previous: Option<&State>,
    config: &Config,
) -> Result<Analysis, Error> {
    config.validate()?;
    let m = VoteMatrix::build(data);
    let participant = |row: usize| &data.participants()[m.rows[row] as usize];
    let statement_ids: Vec<Id> = m
        .columns
        .iter()
        .map(|&s| data.statements()[s as usize].clone())
        .collect();

    let history = counted_over_time(data, config.min_votes);
    let in_conversation = in_conversation(&m, history.as_deref(), previous, config, &participant);
    let start = warm_components(previous, &statement_ids);
    let pca = if config.fit_on_counted {
        pca::pca(
            &m.keep_rows(&in_conversation),
            start,
            config.pca_max_iters,
            config.seed,
        )
    } else {
        pca::pca(&m, start, config.pca_max_iters, config.seed)
    };
    let projection = pca::project(&m, &pca);

    let members: Vec<usize> = (0..m.n_rows()).filter(|&r| in_conversation[r]).collect();
    let member_points: Vec<[f64; 2]> = members.iter().map(|&r| projection[r]).collect();

    // Base clusters: many small clusters of participants; groups are made of these.
    let previous_base = previous.map(|state| {
        let point_of: HashMap<&Id, u32> = members
            .iter()
            .enumerate()
            .map(|(i, &r)| (participant(r), i as u32))
            .collect();
        state
            .base_clusters
            .iter()
            .map(|c| Cluster::restored(c.id, c.center, &c.members, |id| point_of.get(id).copied()))
            .collect()
    });
    let mut base = cluster::kmeans(
        &member_points,
        None,
        config.base_k,
        previous_base,
        config.base_iters,
    );
    base.sort_by_key(|c| c.id);
    let base_centers: Vec<[f64; 2]> = base.iter().map(|c| c.center).collect();
    let base_weights: Vec<f64> = base.iter().map(|c| c.members.len() as f64).collect();

    let (clusterings, k_selection, smoother) =
        choose_groups(&base, &base_centers, &base_weights, previous, config);
    let chosen = k_selection
        .chosen_k
        .and_then(|k| clusterings.iter().find(|(kk, _)| *kk == k))
        .map(|(_, clusters)| clusters.clone())
        .unwrap_or_default();

    // Row → group, through the base clusters.
    let mut group_of_row: Vec<Option<usize>> = vec![None; m.n_rows()];
    let mut groups: Vec<Group> = Vec::with_capacity(chosen.len());
    for (g, group) in chosen.iter().enumerate() {
        let mut ids: Vec<Id> = Vec::new();
        for &b in &group.members {
            for &point in &base[b as usize].members {
                let row = members[point as usize];
                group_of_row[row] = Some(g);
                ids.push(participant(row).clone());
            }
        }
        ids.sort();
        groups.push(Group {
            id: format!("g{}", g + 1),
            members: ids,
            center: group.center,
            representative: Vec::new(),
        });
    }

    // Vote counts per statement: everyone, and per group.
    let n_groups = groups.len();
    let mut all = vec![VoteCounts::default(); m.n_cols()];
    let mut per_group = vec![vec![VoteCounts::default(); n_groups]; m.n_cols()];
    for (r, group) in group_of_row.iter().enumerate() {
        let (cols, vals) = m.row(r);
        for (&c, &v) in cols.iter().zip(vals) {
            all[c as usize].add(v);
            if let Some(g) = *group {
                per_group[c as usize][g].add(v);
            }
        }
    }
    for (g, group) in groups.iter_mut().enumerate() {
        let stats: Vec<_> = per_group
            .iter()
            .map(|counts| {
                let rest = counts.iter().enumerate().filter(|&(h, _)| h != g).fold(
                    VoteCounts::default(),
                    |acc, (_, c)| VoteCounts {
                        agree: acc.agree + c.agree,
                        disagree: acc.disagree + c.disagree,
                        pass: acc.pass + c.pass,
                        seen: acc.seen + c.seen,
                    },
                );
                repness::statement_stats(counts[g], rest)
            })
            .collect();
        group.representative = repness::select_representative(&statement_ids, &stats);
    }
    let consensus = repness::select_consensus(&statement_ids, &all, &per_group);
    let statement_votes = statement_ids
        .iter()
        .enumerate()
        .map(|(c, id)| StatementVotes {
            statement: id.clone(),
            all: all[c],
            groups: per_group[c].clone(),
            group_aware_consensus: repness::group_aware(&per_group[c], Direction::Agree),
        })
        .collect();

    let positions = (0..m.n_rows())
        .filter(|&r| m.row_votes(r) > 0 || in_conversation[r])
        .map(|r| Position {
            participant: participant(r).clone(),
            x: projection[r][0],
            y: projection[r][1],
            group: group_of_row[r].map(|g| groups[g].id.clone()),
        })
        .collect();
    let unplaced = (0..m.n_rows())
        .filter(|&r| group_of_row[r].is_none())
        .map(|r| participant(r).clone())
        .collect();

    let state = State {
        updates: previous.map_or(0, |s| s.updates) + 1,
        pca: Some(pca_state(&pca, statement_ids.clone())),
        in_conversation: members.iter().map(|&r| participant(r).clone()).collect(),
        base_clusters: base
            .iter()
            .map(|c| BaseClusterState {
                id: c.id,
                center: c.center,
                members: c
                    .members
                    .iter()
                    .map(|&p| participant(members[p as usize]).clone())
                    .collect(),
            })
            .collect(),
        group_clusterings: clusterings
            .iter()
            .map(|(k, clusters)| GroupClusteringState {
                k: *k,
                clusters: clusters
                    .iter()
                    .map(|c| GroupClusterState {
                        id: c.id,
                        center: c.center,
                        members: c.members.iter().map(|&b| base[b as usize].id).collect(),
                    })
                    .collect(),
            })
            .collect(),
        k_smoother: smoother,
    };
    let outcome = Outcome {
        participants_counted: groups.iter().map(|g| g.members.len()).sum(),
        participants_voted: m.n_rows(),
        statements_counted: m.n_cols(),
        groups,
        consensus,
        unplaced,
        positions,
        statement_votes,
        k_selection,
        base_clusters: base.len(),
    };
    Ok(Analysis { outcome, state })
}

fn warm_components(previous: Option<&State>, statements: &[Id]) -> [Option<Vec<f64>>; 2] {
    let Some(prev) = previous.and_then(|s| s.pca.as_ref()) else {
        return [None, None];
    };
    let index: HashMap<&Id, usize> = prev
        .statements
        .iter()
        .enumerate()
        .map(|(i, id)| (id, i))
        .collect();
    // A statement new since the last update starts at 0: the iteration gives it its weight.
    prev.components.clone().map(|component| {
        Some(
            statements
                .iter()
                .map(|id| {
                    index
                        .get(id)
                        .and_then(|&i| component.get(i).copied())
                        .unwrap_or(0.0)
                })
                .collect(),
        )
    })
}

fn pca_state(pca: &Pca, statements: Vec<Id>) -> PcaState {
    PcaState {
        statements,
        center: pca.center.clone(),
        components: pca.components.clone(),
    }
}

/// Pol.is's `in-conv`: participants who have voted on at least min(`min_votes`, statements)
/// statements, plus everyone who was in before; while fewer than `greedy_participants` are
/// in, the most active others are added so that a young conversation still shows groups.
///
/// Votes are counted as Pol.is counts them, on its raw matrix: hidden statements included,
/// both in a participant's votes and in the number of statements. With `history` (from
/// [`counted_over_time`]) a participant who met the rule at any moment is in too.
fn in_conversation<'a>(
    m: &VoteMatrix,
    history: Option<&[bool]>,
    previous: Option<&State>,
    config: &Config,
    participant: &dyn Fn(usize) -> &'a Id,
) -> Vec<bool> {
    let votes = |r: usize| m.row_votes(r) + m.hidden_votes[r] as usize;
    let threshold = config.min_votes.min(m.n_cols() + m.hidden_columns).max(1);
    let mut inside: Vec<bool> = (0..m.n_rows())
        .map(|r| votes(r) >= threshold || history.is_some_and(|h| h[m.rows[r] as usize]))
        .collect();
    if let Some(state) = previous {
        let before: std::collections::HashSet<&Id> = state.in_conversation.iter().collect();
        for (r, flag) in inside.iter_mut().enumerate() {
            *flag |= before.contains(participant(r));
        }
    }
    let count = |inside: &[bool]| inside.iter().filter(|&&x| x).count();
    let before_greedy = count(&inside);
    if before_greedy < config.greedy_participants {
        let mut others: Vec<usize> = (0..m.n_rows()).filter(|&r| !inside[r]).collect();
        others.sort_by_key(|&r| std::cmp::Reverse(votes(r))); // stable: ties in id order
        for r in others
            .into_iter()
            .take(config.greedy_participants - before_greedy)
        {
            inside[r] = true;
        }
    }
    // A place on the map needs a vote on a statement still shown; someone whose every vote
    // was on statements since hidden has none (Pol.is would put them at the centre).
    for (r, flag) in inside.iter_mut().enumerate() {
        *flag &= m.row_votes(r) > 0;
    }
    inside
}

/// Pol.is's rule replayed over the conversation's history, for data whose votes carry their
/// times: for each participant (by index in `data`), whether at the moment of one of their
/// votes they had voted on min(`min_votes`, statements then) statements. Pol.is recomputes
/// every second or so as votes arrive and never takes anyone out, so a participant who
/// answered every statement while there were only four stays in with four votes. Statements
/// count from their first vote (when they enter Pol.is's matrix; a statement's author votes
/// on it as it is written). `None` without times.
///
/// Only the vote rule is replayed, not the greedy top-up: that depends on how often the
/// updates ran and would admit whoever happened to vote first.
fn counted_over_time(data: &VoteData, min_votes: usize) -> Option<Vec<bool>> {
    let times = data.times()?;
    let entries = data.entries();
    let mut first_vote = vec![u64::MAX; data.statements().len()];
    for (entry, &time) in entries.iter().zip(times) {
        let first = &mut first_vote[entry.statement as usize];
        *first = (*first).min(time);
    }
    let mut opened: Vec<u64> = first_vote.into_iter().filter(|&t| t != u64::MAX).collect();
    opened.sort_unstable();

    // Each participant's votes in the order cast (a counting sort by participant).
    let n = data.participants().len();
    let mut start = vec![0u32; n + 1];
    for entry in entries {
        start[entry.participant as usize + 1] += 1;
    }
    for p in 0..n {
        start[p + 1] += start[p];
    }
    let mut fill = start.clone();
    let mut order = vec![0u32; entries.len()];
    for (i, entry) in entries.iter().enumerate() {
        let slot = &mut fill[entry.participant as usize];
        order[*slot as usize] = i as u32;
        *slot += 1;
    }

    // `last_voter[s]` is the last participant seen voting on s: a repeated vote on the same
    // statement is not a new one.
    let mut last_voter = vec![u32::MAX; data.statements().len()];
    let mut counted = vec![false; n];
    for (p, counted) in counted.iter_mut().enumerate() {
        let mut distinct = 0usize;
        for &i in &order[start[p] as usize..start[p + 1] as usize] {
            let statement = entries[i as usize].statement as usize;
            if last_voter[statement] == p as u32 {
                continue;
            }
            last_voter[statement] = p as u32;
            distinct += 1;
            let statements_then = opened.partition_point(|&t| t <= times[i as usize]);
            if distinct >= min_votes.min(statements_then).max(1) {
                *counted = true;
                break;
            }
        }
    }
    Some(counted)
}

type Clusterings = Vec<(usize, Vec<Cluster>)>;

/// Clusters the base clusters' centres (weighted by their sizes) into 2..=max_k groups, scores
/// each by silhouette and picks k through the smoother.
fn choose_groups(
    base: &[Cluster],
    centers: &[[f64; 2]],
    weights: &[f64],
    previous: Option<&State>,
    config: &Config,
) -> (Clusterings, KSelection, Option<KSmoother>) {
    let previous_smoother = previous.and_then(|s| s.k_smoother);
    match base.len() {
        0 => return (Vec::new(), KSelection::default(), previous_smoother),
        1 => {
            let only = vec![Cluster {
                id: 0,
                center: centers[0],
                members: vec![0],
            }];
            let selection = KSelection {
                silhouettes: Vec::new(),
                best_k: Some(1),
                chosen_k: Some(1),
            };
            return (vec![(1, only)], selection, previous_smoother);
        }
        _ => {}
    }
    // Pol.is's `max-k-fn`: more groups only once there are enough base clusters to form them.
    let max_k = config
        .max_groups
        .min(2 + base.len() / 12)
        .min(base.len())
        .max(2);
    let index_of_id: HashMap<u32, u32> = base
        .iter()
        .enumerate()
        .map(|(i, c)| (c.id, i as u32))
        .collect();
    let mut clusterings = Vec::new();
    let mut silhouettes = Vec::new();
    for k in 2..=max_k {
        let warm = previous
            .and_then(|s| s.group_clusterings.iter().find(|g| g.k == k))
            .map(|g| {
                g.clusters
                    .iter()
                    .map(|c| {
                        Cluster::restored(c.id, c.center, &c.members, |b| {
                            index_of_id.get(b).copied()
                        })
                    })
                    .collect()
            });
        let cold = warm.is_none();
        let mut clusters = cluster::kmeans(centers, Some(weights), k, warm, config.group_iters);
        clusters.sort_by_key(|c| c.id);
        silhouettes.push((k, cluster::silhouette(centers, &clusters)));
        clusterings.push((k, clusters, cold));
    }
    // Highest silhouette; on a tie the smaller k.
    // More groups only when they separate clearly better: silhouettes of a few dozen base
    // clusters differ by a few hundredths from noise alone (see `Config::k_margin`).
    let best_k = silhouettes
        .iter()
        .fold((0, f64::NEG_INFINITY), |best, &(k, s)| {
            if s > best.1 + config.k_margin {
                (k, s)
            } else {
                best
            }
        })
        .0;
    let mut smoother = KSmoother::next(previous_smoother, best_k, config.group_k_buffer);
    if !clusterings
        .iter()
        .any(|(k, _, _)| *k == smoother.smoothed_k)
    {
        smoother.smoothed_k = best_k;
    }
    // The groups shown, when they have no previous clustering to carry on from, are the best
    // fit of many starts rather than whatever the first k base clusters led to: on a
    // continuum of opinion 2-means has many near-equal local optima (20 on the Seattle
    // conversation), and which one a single start falls into depends only on who voted
    // first. The number of groups is still chosen on Pol.is's single-start clusterings above.
    let chosen = smoother.smoothed_k;
    for (k, clusters, cold) in &mut clusterings {
        if *k == chosen && *cold && config.group_starts > 1 {
            *clusters = cluster::kmeans_best_of(
                centers,
                Some(weights),
                *k,
                config.group_iters,
                config.group_starts,
                config.seed,
            );
        }
    }
    let selection = KSelection {
        silhouettes,
        best_k: Some(best_k),
        chosen_k: Some(chosen),
    };
    let clusterings = clusterings.into_iter().map(|(k, c, _)| (k, c)).collect();
    (clusterings, selection, Some(smoother))
}
