//! k-means (spherical for the engine, plain Euclidean for the reference baseline), k-means++
//! seeding, and the silhouette criterion used to choose the number of themes.

use crate::rng::Rng;
use crate::vectorise::Sparse;
use rayon::prelude::*;

/// A fitted clustering.
#[derive(Debug, Clone)]
pub struct KMeans {
    /// Row-major `k × dim` centroids (unit length when spherical).
    pub centroids: Vec<f32>,
    /// Number of clusters.
    pub k: usize,
    /// Dimension.
    pub dim: usize,
    /// Cluster of each row.
    pub assign: Vec<usize>,
    /// Σ over rows of `2 x·c − |c|²` for the row's centroid (higher is better; for unit rows
    /// this is `1 − ‖x − c‖²`, so maximising it is minimising the k-means objective).
    pub objective: f64,
}

/// Dot product of a sparse vector with a dense one.
pub fn dot(x: &Sparse, c: &[f32]) -> f32 {
    x.iter().map(|&(f, w)| w * c[f as usize]).sum()
}

impl KMeans {
    /// Centroid `j`.
    pub fn centroid(&self, j: usize) -> &[f32] {
        &self.centroids[j * self.dim..(j + 1) * self.dim]
    }
}

/// Runs k-means `restarts` times from k-means++ seeds and keeps the best objective.
/// `spherical` normalises centroids to unit length (cosine similarity).
pub fn kmeans(
    rows: &[Sparse],
    dim: usize,
    k: usize,
    spherical: bool,
    restarts: usize,
    seed: u64,
) -> KMeans {
    let k = k.clamp(1, rows.len().max(1));
    (0..restarts.max(1))
        .map(|r| lloyd(rows, dim, k, spherical, seed.wrapping_add(r as u64 * 7919)))
        .reduce(|a, b| if b.objective > a.objective { b } else { a })
        .unwrap_or_else(|| lloyd(rows, dim, k, spherical, seed))
}

/// Rows as the inner loop wants them: dense rows (LSA, embeddings) in one contiguous block,
/// whose dot products the compiler vectorises; sparse rows as they are.
enum Rows<'a> {
    Dense(Vec<f32>),
    Sparse(&'a [Sparse]),
}

impl Rows<'_> {
    fn new(rows: &[Sparse], dim: usize) -> Rows<'_> {
        if !rows.is_empty() && rows.iter().all(|r| r.len() == dim) {
            Rows::Dense(rows.iter().flat_map(|r| r.iter().map(|e| e.1)).collect())
        } else {
            Rows::Sparse(rows)
        }
    }

    fn dot(&self, i: usize, dim: usize, c: &[f32]) -> f32 {
        match self {
            Rows::Dense(d) => d[i * dim..(i + 1) * dim]
                .iter()
                .zip(c)
                .map(|(a, b)| a * b)
                .sum(),
            Rows::Sparse(r) => dot(&r[i], c),
        }
    }
}

fn lloyd(rows: &[Sparse], dim: usize, k: usize, spherical: bool, seed: u64) -> KMeans {
    let mut rng = Rng::new(seed);
    let mut centroids = plus_plus(rows, dim, k, &mut rng);
    let fast = Rows::new(rows, dim);
    let mut assign = vec![usize::MAX; rows.len()];
    let mut objective = f64::NEG_INFINITY;
    for _iter in 0..30 {
        let sq: Vec<f32> = (0..k)
            .map(|j| {
                centroids[j * dim..(j + 1) * dim]
                    .iter()
                    .map(|x| x * x)
                    .sum()
            })
            .collect();
        let best: Vec<(usize, f32)> = (0..rows.len())
            .into_par_iter()
            .with_min_len(256)
            .map(|i| {
                let mut best = (0, f32::NEG_INFINITY);
                for j in 0..k {
                    let s = 2.0 * fast.dot(i, dim, &centroids[j * dim..(j + 1) * dim]) - sq[j];
                    if s > best.1 {
                        best = (j, s);
                    }
                }
                best
            })
            .collect();
        let changed = best.iter().zip(&assign).any(|(b, a)| b.0 != *a);
        objective = best.iter().map(|b| f64::from(b.1)).sum();
        for (a, b) in assign.iter_mut().zip(&best) {
            *a = b.0;
        }
        if !changed {
            break;
        }
        // New centroids: means of members; an emptied cluster takes the worst-fitting row.
        let mut sums = vec![0f32; k * dim];
        let mut counts = vec![0usize; k];
        for (x, &j) in rows.iter().zip(&assign) {
            counts[j] += 1;
            for &(f, w) in x {
                sums[j * dim + f as usize] += w;
            }
        }
        for j in 0..k {
            let c = &mut sums[j * dim..(j + 1) * dim];
            if counts[j] == 0 {
                let worst = best
                    .iter()
                    .enumerate()
                    .min_by(|a, b| a.1.1.total_cmp(&b.1.1))
                    .map_or(0, |(i, _)| i);
                for &(f, w) in &rows[worst] {
                    c[f as usize] = w;
                }
            } else {
                for v in c.iter_mut() {
                    *v /= counts[j] as f32;
                }
            }
            if spherical {
                crate::vectorise::normalise_dense(c);
            }
        }
        centroids = sums;
    }
    KMeans {
        centroids,
        k,
        dim,
        assign,
        objective,
    }
}

/// k-means++ seeding (Arthur & Vassilvitskii 2007) on unit rows, where ‖x − c‖² = 2 − 2 x·c.
fn plus_plus(rows: &[Sparse], dim: usize, k: usize, rng: &mut Rng) -> Vec<f32> {
    let mut centroids = vec![0f32; k * dim];
    if rows.is_empty() {
        return centroids;
    }
    let mut chosen = rng.below(rows.len());
    let mut d2: Vec<f64> = vec![f64::INFINITY; rows.len()];
    for j in 0..k {
        let c = &mut centroids[j * dim..(j + 1) * dim];
        for &(f, w) in &rows[chosen] {
            c[f as usize] = w;
        }
        if j + 1 == k {
            break;
        }
        let c = &centroids[j * dim..(j + 1) * dim];
        for (d, x) in d2.iter_mut().zip(rows) {
            let nd = f64::from(2.0 - 2.0 * dot(x, c)).max(0.0);
            if nd < *d {
                *d = nd;
            }
        }
        let total: f64 = d2.iter().sum();
        if total <= 0.0 {
            chosen = rng.below(rows.len());
            continue;
        }
        let mut target = rng.next_f64() * total;
        chosen = rows.len() - 1;
        for (i, d) in d2.iter().enumerate() {
            target -= d;
            if target <= 0.0 {
                chosen = i;
                break;
            }
        }
    }
    centroids
}

/// Pairwise cosine similarities of (unit) rows, densely: used for silhouettes on a subsample.
pub fn similarity_matrix(rows: &[&Sparse], dim: usize) -> Vec<f32> {
    let n = rows.len();
    let mut out = vec![0f32; n * n];
    out.par_chunks_mut(n.max(1))
        .enumerate()
        .for_each(|(i, line)| {
            let mut dense = vec![0f32; dim];
            for &(f, w) in rows[i] {
                dense[f as usize] = w;
            }
            for (j, slot) in line.iter_mut().enumerate() {
                *slot = dot(rows[j], &dense);
            }
        });
    out
}

/// Mean silhouette (cosine distance) of an assignment, from a similarity matrix. Rows in
/// singleton clusters score 0, as usual.
pub fn silhouette(sim: &[f32], assign: &[usize], k: usize) -> f64 {
    let n = assign.len();
    if n < 2 || k < 2 {
        return 0.0;
    }
    let mut sizes = vec![0usize; k];
    for &a in assign {
        sizes[a] += 1;
    }
    let total: f64 = (0..n)
        .into_par_iter()
        .map(|i| {
            let mut sums = vec![0f64; k];
            for j in 0..n {
                if j != i {
                    sums[assign[j]] += 1.0 - f64::from(sim[i * n + j]);
                }
            }
            let own = assign[i];
            if sizes[own] <= 1 {
                return 0.0;
            }
            let a = sums[own] / (sizes[own] - 1) as f64;
            let b = (0..k)
                .filter(|c| *c != own && sizes[*c] > 0)
                .map(|c| sums[c] / sizes[c] as f64)
                .fold(f64::INFINITY, f64::min);
            if !b.is_finite() {
                return 0.0;
            }
            let m = a.max(b);
            if m > 0.0 { (b - a) / m } else { 0.0 }
        })
        .sum();
    total / n as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blobs() -> Vec<Sparse> {
        // Three well separated directions with a little noise in a fourth dimension.
        (0..60)
            .map(|i| {
                let mut v: Sparse = vec![((i % 3) as u32, 1.0), (3, 0.05 * (i % 5) as f32)];
                v.sort_by_key(|e| e.0);
                crate::vectorise::normalise_sparse(&mut v);
                v
            })
            .collect()
    }

    #[test]
    fn recovers_separated_clusters() {
        let rows = blobs();
        let km = kmeans(&rows, 4, 3, true, 3, 42);
        for i in 0..60 {
            assert_eq!(km.assign[i], km.assign[i % 3], "row {i}");
        }
        assert_ne!(km.assign[0], km.assign[1]);
        assert_ne!(km.assign[1], km.assign[2]);
    }

    #[test]
    fn silhouette_prefers_the_true_k() {
        let rows = blobs();
        let refs: Vec<&Sparse> = rows.iter().collect();
        let sim = similarity_matrix(&refs, 4);
        let s3 = silhouette(&sim, &kmeans(&rows, 4, 3, true, 3, 1).assign, 3);
        let s2 = silhouette(&sim, &kmeans(&rows, 4, 2, true, 3, 1).assign, 2);
        assert!(s3 > 0.9 && s3 > s2, "s3={s3} s2={s2}");
    }

    #[test]
    fn same_seed_same_result() {
        let rows = blobs();
        assert_eq!(
            kmeans(&rows, 4, 3, false, 1, 9).assign,
            kmeans(&rows, 4, 3, false, 1, 9).assign
        );
    }
}
