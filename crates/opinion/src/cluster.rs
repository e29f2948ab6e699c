//! Pol.is's k-means: "first k distinct points" initialisation, warm starts that keep the
//! previous clusters and split off the most distant points, optional weights, and the
//! silhouette used to choose the number of groups.

use std::collections::HashSet;

/// Pol.is's `same-clustering?` tolerance: clusters whose sorted centres all moved less than
/// this are considered converged.
const SAME_CLUSTERING: f64 = 0.01;

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Cluster {
    pub id: u32,
    pub center: [f64; 2],
    /// Indices into the points clustered.
    pub members: Vec<u32>,
}

impl Cluster {
    /// A cluster kept in a [`crate::State`], its members saved by key (a participant's id, a
    /// base cluster's id) turned into indices of the points clustered now; members no longer
    /// among them are left out.
    pub fn restored<K>(
        id: u32,
        center: [f64; 2],
        members: &[K],
        index_of: impl Fn(&K) -> Option<u32>,
    ) -> Cluster {
        Cluster {
            id,
            center,
            members: members.iter().filter_map(index_of).collect(),
        }
    }
}

/// k-means over `points`. `previous` (members already mapped to indices of `points`, absent
/// ones dropped) warm-starts it as Pol.is's `clean-start-clusters` does; without it the
/// first `k` distinct points are the starting centres (Pol.is's `init-clusters`). Clusters
/// left empty by a step are dropped, so fewer than `k` may come back.
pub(crate) fn kmeans(
    points: &[[f64; 2]],
    weights: Option<&[f64]>,
    k: usize,
    previous: Option<Vec<Cluster>>,
    max_iters: usize,
) -> Vec<Cluster> {
    if points.is_empty() || k == 0 {
        return Vec::new();
    }
    let mut clusters = match previous {
        Some(previous) if !previous.is_empty() => clean_start(points, weights, previous, k),
        _ => first_distinct(points, k),
    };
    for _ in 0..max_iters.max(1) {
        let next = step(points, weights, &clusters);
        let converged = same_clustering(&clusters, &next);
        clusters = next;
        if converged {
            break;
        }
    }
    clusters
}

fn first_distinct(points: &[[f64; 2]], k: usize) -> Vec<Cluster> {
    let mut seen = HashSet::new();
    points
        .iter()
        .filter(|p| seen.insert(key(p)))
        .take(k)
        .enumerate()
        .map(|(id, &center)| Cluster {
            id: id as u32,
            center,
            members: Vec::new(),
        })
        .collect()
}

fn key(p: &[f64; 2]) -> [u64; 2] {
    // +0.0 so that -0.0 and 0.0 are one point.
    [(p[0] + 0.0).to_bits(), (p[1] + 0.0).to_bits()]
}

/// Assigns every point to its nearest centre (the first one on a tie), recomputes centres as
/// (weighted) means and drops clusters that got no member.
fn step(points: &[[f64; 2]], weights: Option<&[f64]>, clusters: &[Cluster]) -> Vec<Cluster> {
    let mut members: Vec<Vec<u32>> = vec![Vec::new(); clusters.len()];
    for (i, p) in points.iter().enumerate() {
        members[nearest(p, clusters).0].push(i as u32);
    }
    clusters
        .iter()
        .zip(members)
        .filter(|(_, members)| !members.is_empty())
        .map(|(cluster, members)| Cluster {
            id: cluster.id,
            center: weighted_mean(points, weights, &members),
            members,
        })
        .collect()
}

fn nearest(p: &[f64; 2], clusters: &[Cluster]) -> (usize, f64) {
    let mut best = (0, f64::INFINITY);
    for (i, cluster) in clusters.iter().enumerate() {
        let d = distance2(p, &cluster.center);
        if d < best.1 {
            best = (i, d);
        }
    }
    best
}

pub(crate) fn distance2(a: &[f64; 2], b: &[f64; 2]) -> f64 {
    let (dx, dy) = (a[0] - b[0], a[1] - b[1]);
    dx * dx + dy * dy
}

fn weighted_mean(points: &[[f64; 2]], weights: Option<&[f64]>, members: &[u32]) -> [f64; 2] {
    let (mut x, mut y, mut total) = (0.0, 0.0, 0.0);
    for &m in members {
        let w = weights.map_or(1.0, |w| w[m as usize]);
        x += w * points[m as usize][0];
        y += w * points[m as usize][1];
        total += w;
    }
    if total > 0.0 {
        [x / total, y / total]
    } else {
        [0.0, 0.0]
    }
}

fn same_clustering(a: &[Cluster], b: &[Cluster]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let sorted = |clusters: &[Cluster]| {
        let mut centers: Vec<[f64; 2]> = clusters.iter().map(|c| c.center).collect();
        centers.sort_by(|p, q| p[0].total_cmp(&q[0]).then(p[1].total_cmp(&q[1])));
        centers
    };
    sorted(a)
        .iter()
        .zip(&sorted(b))
        .all(|(p, q)| distance2(p, q).sqrt() < SAME_CLUSTERING)
}

/// Pol.is's `clean-start-clusters`: recentre the previous clusters on their members' new
/// positions, merge any that coincide, then while there are fewer clusters than `k` (and than
/// distinct points) split off the point farthest from every centre as a cluster of its own.
/// The previous structure is kept and only grown where the data has moved away from it.
fn clean_start(
    points: &[[f64; 2]],
    weights: Option<&[f64]>,
    previous: Vec<Cluster>,
    k: usize,
) -> Vec<Cluster> {
    let mut clusters: Vec<Cluster> = previous
        .into_iter()
        .filter(|c| !c.members.is_empty())
        .map(|c| Cluster {
            center: weighted_mean(points, weights, &c.members),
            ..c
        })
        .collect();
    if clusters.is_empty() {
        return first_distinct(points, k);
    }
    clusters = merge_identical(clusters);
    let distinct = points.iter().map(key).collect::<HashSet<_>>().len();
    let possible = k.min(distinct);
    while clusters.len() < possible {
        let (farthest, distance) = points
            .iter()
            .enumerate()
            .map(|(i, p)| (i, nearest(p, &clusters).1))
            .fold(
                (0, -1.0),
                |best, (i, d)| if d > best.1 { (i, d) } else { best },
            );
        if distance <= 0.0 {
            break;
        }
        for cluster in &mut clusters {
            cluster.members.retain(|&m| m as usize != farthest);
        }
        clusters.retain(|c| !c.members.is_empty());
        let id = clusters.iter().map(|c| c.id + 1).max().unwrap_or(0);
        clusters.push(Cluster {
            id,
            center: points[farthest],
            members: vec![farthest as u32],
        });
        for cluster in &mut clusters {
            cluster.center = weighted_mean(points, weights, &cluster.members);
        }
    }
    clusters
}

fn merge_identical(clusters: Vec<Cluster>) -> Vec<Cluster> {
    let mut merged: Vec<Cluster> = Vec::with_capacity(clusters.len());
    for cluster in clusters {
        match merged.iter_mut().find(|m| m.center == cluster.center) {
            Some(existing) => {
                if cluster.members.len() > existing.members.len() {
                    existing.id = cluster.id;
                }
                existing.members.extend(cluster.members);
            }
            None => merged.push(cluster),
        }
    }
    merged
}

/// Mean silhouette over the clustered points, unweighted as Pol.is computes it over base
/// clusters; a point alone in its cluster scores 0.
pub(crate) fn silhouette(points: &[[f64; 2]], clusters: &[Cluster]) -> f64 {
    let mut total = 0.0;
    let mut count = 0usize;
    for (own, cluster) in clusters.iter().enumerate() {
        for &member in &cluster.members {
            count += 1;
            if cluster.members.len() < 2 {
                continue;
            }
            let p = &points[member as usize];
            let mean_distance = |c: &Cluster| {
                let others = c.members.iter().filter(|&&m| m != member);
                let n = others.clone().count();
                others
                    .map(|&m| distance2(p, &points[m as usize]).sqrt())
                    .sum::<f64>()
                    / n as f64
            };
            let a = mean_distance(cluster);
            let b = clusters
                .iter()
                .enumerate()
                .filter(|&(i, c)| i != own && !c.members.is_empty())
                .map(|(_, c)| mean_distance(c))
                .fold(f64::INFINITY, f64::min);
            let larger = a.max(b);
            if b.is_finite() && larger > 0.0 {
                total += (b - a) / larger;
            }
        }
    }
    if count == 0 {
        0.0
    } else {
        total / count as f64
    }
}

/// Weighted k-means from several starts, keeping the clustering with the smallest weighted
/// within-cluster sum of squares. The first start is Pol.is's (`init-clusters`: the first k
/// distinct points), the others k-means++ draws (Arthur and Vassilvitskii) from a generator
/// seeded with `seed`, so the result never fits worse than Pol.is's single start and, given
/// enough starts, is the best fit whatever order the points came in. Clusters are numbered by
/// their first member.
pub(crate) fn kmeans_best_of(
    points: &[[f64; 2]],
    weights: Option<&[f64]>,
    k: usize,
    max_iters: usize,
    starts: usize,
    seed: u64,
) -> Vec<Cluster> {
    let mut best = kmeans(points, weights, k, None, max_iters);
    let mut best_cost = within_cost(points, weights, &best);
    let mut rng = crate::SplitMix64(seed ^ (k as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    for _ in 1..starts {
        let start = plus_plus_start(points, weights, k, &mut rng);
        let clusters = kmeans(points, weights, k, Some(start), max_iters);
        let cost = within_cost(points, weights, &clusters);
        // A start that lost clusters to emptiness answers a different question.
        if clusters.len() > best.len() || (clusters.len() == best.len() && cost < best_cost) {
            best = clusters;
            best_cost = cost;
        }
    }
    best.sort_by_key(|c| c.members.iter().min().copied());
    for (id, cluster) in best.iter_mut().enumerate() {
        cluster.id = id as u32;
        cluster.members.sort_unstable();
    }
    best
}

/// k-means++ seeding: each next centre is a point drawn with probability proportional to
/// its weight times its squared distance to the nearest centre so far.
fn plus_plus_start(
    points: &[[f64; 2]],
    weights: Option<&[f64]>,
    k: usize,
    rng: &mut crate::SplitMix64,
) -> Vec<Cluster> {
    let weight = |i: usize| weights.map_or(1.0, |w| w[i]);
    let draw = |scores: &[f64], rng: &mut crate::SplitMix64| {
        let total: f64 = scores.iter().sum();
        let mut target = rng.next_f64() * total;
        for (i, &s) in scores.iter().enumerate() {
            if target < s {
                return i;
            }
            target -= s;
        }
        scores.iter().rposition(|&s| s > 0.0).unwrap_or(0)
    };
    let first = draw(&(0..points.len()).map(weight).collect::<Vec<_>>(), rng);
    let mut centers = vec![points[first]];
    let mut nearest2: Vec<f64> = points
        .iter()
        .map(|p| distance2(p, &points[first]))
        .collect();
    while centers.len() < k {
        let scores: Vec<f64> = (0..points.len()).map(|i| weight(i) * nearest2[i]).collect();
        if scores.iter().all(|&s| s <= 0.0) {
            break; // fewer distinct points than k
        }
        let next = draw(&scores, rng);
        centers.push(points[next]);
        for (d, p) in nearest2.iter_mut().zip(points) {
            *d = d.min(distance2(p, &points[next]));
        }
    }
    // Members are what the warm start recentres on: each point goes to its nearest centre.
    let mut clusters: Vec<Cluster> = centers
        .iter()
        .enumerate()
        .map(|(id, &center)| Cluster {
            id: id as u32,
            center,
            members: Vec::new(),
        })
        .collect();
    for (i, p) in points.iter().enumerate() {
        let (c, _) = nearest(p, &clusters);
        clusters[c].members.push(i as u32);
    }
    clusters
}

/// Weighted sum of squared distances of the points to their cluster's centre.
fn within_cost(points: &[[f64; 2]], weights: Option<&[f64]>, clusters: &[Cluster]) -> f64 {
    clusters
        .iter()
        .flat_map(|c| {
            c.members.iter().map(move |&m| {
                weights.map_or(1.0, |w| w[m as usize]) * distance2(&points[m as usize], &c.center)
            })
        })
        .sum()
}
