//! Dense unit vectors (sentence embeddings) and what the semantic themes do with them:
//! nearest neighbours, neighbourhood smoothing, spherical k-means, average-linkage grouping
//! and a ridge regression from lexical to semantic space.
//!
//! Matrix products go through `matrixmultiply` one block per rayon task; every result is
//! computed in an order fixed by the input, so it is the same whatever the thread count.

use crate::rng::Rng;
use rayon::prelude::*;

/// Rows of equal length, stored row after row.
#[derive(Debug, Clone, PartialEq)]
pub struct Matrix {
    /// Number of rows.
    pub rows: usize,
    /// Length of each row.
    pub dim: usize,
    /// `rows × dim` numbers.
    pub data: Vec<f32>,
}

/// Query rows per block of a blocked product: 256 × 20,000 similarities is 20 MB.
const BLOCK: usize = 256;

impl Matrix {
    /// A matrix of `rows` rows of zeros.
    pub fn zeros(rows: usize, dim: usize) -> Matrix {
        Matrix {
            rows,
            dim,
            data: vec![0.0; rows * dim],
        }
    }

    /// Row `i`.
    pub fn row(&self, i: usize) -> &[f32] {
        &self.data[i * self.dim..(i + 1) * self.dim]
    }

    /// Row `i`, mutably.
    pub fn row_mut(&mut self, i: usize) -> &mut [f32] {
        &mut self.data[i * self.dim..(i + 1) * self.dim]
    }

    /// The rows listed, in that order.
    pub fn select(&self, rows: &[usize]) -> Matrix {
        let mut out = Matrix::zeros(rows.len(), self.dim);
        for (o, &i) in rows.iter().enumerate() {
            out.row_mut(o).copy_from_slice(self.row(i));
        }
        out
    }

    /// Scales every row to unit length (zero rows stay zero).
    pub fn normalise_rows(&mut self) {
        let dim = self.dim;
        for r in self.data.chunks_mut(dim.max(1)) {
            crate::vectorise::normalise_dense(r);
        }
    }
}

/// `out = a bᵀ` for `a` (m × d) and `b` (n × d): every row of `a` against every row of `b`.
fn product(a: &[f32], m: usize, b: &Matrix, out: &mut [f32]) {
    let d = b.dim;
    assert!(a.len() >= m * d && out.len() >= m * b.rows);
    // SAFETY: the asserted lengths cover every element the strides reach.
    unsafe {
        matrixmultiply::sgemm(
            m,
            d,
            b.rows,
            1.0,
            a.as_ptr(),
            d as isize,
            1,
            b.data.as_ptr(),
            1,
            d as isize,
            0.0,
            out.as_mut_ptr(),
            b.rows as isize,
            1,
        );
    }
}

/// Calls `f(i, similarities of row i of a to every row of b)` for every row of `a`, a block
/// of rows per task, and collects the results in row order.
fn each_similarity_row<T: Send>(
    a: &Matrix,
    b: &Matrix,
    f: impl Fn(usize, &[f32]) -> T + Sync,
) -> Vec<T> {
    (0..a.rows.div_ceil(BLOCK))
        .into_par_iter()
        .flat_map_iter(|block| {
            let start = block * BLOCK;
            let m = BLOCK.min(a.rows - start);
            let mut sims = vec![0f32; m * b.rows];
            product(&a.data[start * a.dim..], m, b, &mut sims);
            (0..m)
                .map(|r| f(start + r, &sims[r * b.rows..(r + 1) * b.rows]))
                .collect::<Vec<T>>()
        })
        .collect()
}

/// Each row's `k` most similar other rows (cosine of unit rows), most similar first, ties
/// to the lower index: `(neighbour, similarity)`.
pub fn neighbours(x: &Matrix, k: usize) -> Vec<Vec<(u32, f32)>> {
    let k = k.min(x.rows.saturating_sub(1));
    each_similarity_row(x, x, |i, sims| {
        let mut cand: Vec<(u32, f32)> = (0..sims.len())
            .filter(|&j| j != i)
            .map(|j| (j as u32, sims[j]))
            .collect();
        let order = |a: &(u32, f32), b: &(u32, f32)| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0));
        if k < cand.len() {
            cand.select_nth_unstable_by(k, order);
        }
        // A copy, not a truncation: the row's candidates would keep their whole capacity.
        let mut top = cand[..k.min(cand.len())].to_vec();
        top.sort_by(order);
        top
    })
}

/// Each row pulled towards its neighbourhood: `row + weight · mean(neighbourhood)`, unit
/// length, where a neighbourhood lists `(row, multiplicity)`. Short answers are noisy points;
/// their neighbourhood says more reliably what they are about.
pub fn smooth(x: &Matrix, neighbourhoods: &[Vec<(u32, u32)>], weight: f32) -> Matrix {
    let mut out = x.clone();
    for (i, nb) in neighbourhoods.iter().enumerate() {
        let total: u32 = nb.iter().map(|e| e.1).sum();
        if total == 0 {
            continue;
        }
        let row = out.row_mut(i);
        for &(j, times) in nb {
            let w = weight * times as f32 / total as f32;
            for (o, v) in row.iter_mut().zip(x.row(j as usize)) {
                *o += w * v;
            }
        }
    }
    out.normalise_rows();
    out
}

/// A spherical k-means result.
pub struct Clustering {
    /// Unit centres, one row per cluster.
    pub centres: Matrix,
    /// Each row's cluster.
    pub assign: Vec<u32>,
}

/// Spherical k-means (cosine) of rows with weights (how many responses each row stands for):
/// k-means++ seeding, then Lloyd iterations until nothing moves (at most `iterations`). An
/// emptied cluster is re-seeded with the row furthest from its centre.
pub fn kmeans(x: &Matrix, weights: &[f32], k: usize, iterations: usize, seed: u64) -> Clustering {
    let n = x.rows;
    let k = k.clamp(1, n.max(1));
    let mut rng = Rng::new(seed ^ 0xd3a5);
    // k-means++ on cosine distance (1 - similarity).
    let mut centres = Matrix::zeros(k, x.dim);
    let first = rng.below(n);
    centres.row_mut(0).copy_from_slice(x.row(first));
    let mut nearest: Vec<f32> = vec![f32::INFINITY; n];
    for c in 1..k {
        let last = centres.row(c - 1).to_vec();
        nearest
            .par_iter_mut()
            .enumerate()
            .for_each(|(i, d)| *d = d.min((1.0 - dot(x.row(i), &last)).max(0.0)));
        let total: f64 = (nearest.iter().zip(weights))
            .map(|(&d, &w)| f64::from(d * d * w))
            .sum();
        let pick = if total <= 0.0 {
            rng.below(n)
        } else {
            let mut target = rng.next_f64() * total;
            let mut chosen = n - 1;
            for (i, (&d, &w)) in nearest.iter().zip(weights).enumerate() {
                target -= f64::from(d * d * w);
                if target <= 0.0 {
                    chosen = i;
                    break;
                }
            }
            chosen
        };
        centres.row_mut(c).copy_from_slice(x.row(pick));
    }
    let mut assign = vec![u32::MAX; n];
    for _ in 0..iterations.max(1) {
        let best: Vec<(u32, f32)> = each_similarity_row(x, &centres, |_, sims| argmax(sims));
        let mut moved = false;
        for (a, &(b, _)) in assign.iter_mut().zip(&best) {
            if *a != b {
                *a = b;
                moved = true;
            }
        }
        let mut sums = Matrix::zeros(k, x.dim);
        let mut sizes = vec![0usize; k];
        for (i, &a) in assign.iter().enumerate() {
            sizes[a as usize] += 1;
            for (s, v) in sums.row_mut(a as usize).iter_mut().zip(x.row(i)) {
                *s += weights[i] * v;
            }
        }
        for c in 0..k {
            if sizes[c] == 0 {
                // The row least similar to its own centre starts the empty cluster.
                let far = (0..n)
                    .filter(|&i| sizes[assign[i] as usize] > 1)
                    .min_by(|&a, &b| best[a].1.total_cmp(&best[b].1).then(a.cmp(&b)));
                if let Some(i) = far {
                    sizes[assign[i] as usize] -= 1;
                    let old = assign[i] as usize;
                    for (s, v) in sums.row_mut(old).iter_mut().zip(x.row(i)) {
                        *s -= weights[i] * v;
                    }
                    assign[i] = c as u32;
                    sizes[c] = 1;
                    sums.row_mut(c).copy_from_slice(x.row(i));
                    moved = true;
                }
            }
        }
        sums.normalise_rows();
        centres = sums;
        if !moved {
            break;
        }
    }
    Clustering { centres, assign }
}

/// Index and value of the largest element (the first on ties).
fn argmax(v: &[f32]) -> (u32, f32) {
    let mut best = (0u32, f32::NEG_INFINITY);
    for (j, &s) in v.iter().enumerate() {
        if s > best.1 {
            best = (j as u32, s);
        }
    }
    best
}

/// The two most similar centres of every row of `x`: `(first, its similarity, second, its
/// similarity)`; the second is `u32::MAX` when there is one centre.
pub fn two_nearest(x: &Matrix, centres: &Matrix) -> Vec<(u32, f32, u32, f32)> {
    each_similarity_row(x, centres, |_, sims| {
        let mut best = (u32::MAX, f32::NEG_INFINITY);
        let mut second = (u32::MAX, f32::NEG_INFINITY);
        for (j, &s) in sims.iter().enumerate() {
            if s > best.1 {
                second = best;
                best = (j as u32, s);
            } else if s > second.1 {
                second = (j as u32, s);
            }
        }
        (best.0, best.1, second.0, second.1)
    })
}

/// Dot product.
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// The merges of Ward's agglomeration of rows with sizes (the merge that least increases
/// the within-group sum of squares first, by the Lance–Williams update): `(kept, absorbed)`
/// pairs; [`cut`] turns them into groups. Weighted by size, so a large theme is not pulled
/// into a group as easily as a small one.
pub fn ward(x: &Matrix, sizes: &[f32]) -> Vec<(usize, usize)> {
    let n = x.rows;
    let mut size: Vec<f64> = sizes.iter().map(|&s| f64::from(s.max(1e-6))).collect();
    let mut cost = vec![0f64; n * n];
    for i in 0..n {
        for j in 0..n {
            let d: f64 = (x.row(i).iter().zip(x.row(j)))
                .map(|(a, b)| f64::from(a - b) * f64::from(a - b))
                .sum();
            cost[i * n + j] = size[i] * size[j] / (size[i] + size[j]) * d;
        }
    }
    let mut alive: Vec<bool> = vec![true; n];
    let mut merges = Vec::with_capacity(n.saturating_sub(1));
    for _ in 1..n {
        let mut best = (0, 0, f64::INFINITY);
        for i in (0..n).filter(|&i| alive[i]) {
            for j in (i + 1..n).filter(|&j| alive[j]) {
                if cost[i * n + j] < best.2 {
                    best = (i, j, cost[i * n + j]);
                }
            }
        }
        let (a, b, ab) = best;
        for c in (0..n).filter(|&c| alive[c] && c != a && c != b) {
            let merged = ((size[a] + size[c]) * cost[a * n + c]
                + (size[b] + size[c]) * cost[b * n + c]
                - size[c] * ab)
                / (size[a] + size[b] + size[c]);
            cost[a * n + c] = merged;
            cost[c * n + a] = merged;
        }
        size[a] += size[b];
        alive[b] = false;
        merges.push((a, b));
    }
    merges
}

/// The groups left after the first merges that bring `n` rows down to `groups`: each row's
/// group, numbered in order of first appearance.
pub fn cut(n: usize, merges: &[(usize, usize)], groups: usize) -> Vec<usize> {
    let mut owner: Vec<usize> = (0..n).collect();
    let find = |owner: &Vec<usize>, mut i: usize| {
        while owner[i] != i {
            i = owner[i];
        }
        i
    };
    for &(a, b) in merges.iter().take(n.saturating_sub(groups.max(1))) {
        let (ra, rb) = (find(&owner, a), find(&owner, b));
        owner[rb] = ra;
    }
    let mut number = std::collections::HashMap::new();
    (0..n)
        .map(|i| {
            let root = find(&owner, i);
            let next = number.len();
            *number.entry(root).or_insert(next)
        })
        .collect()
}

/// A linear map from one space to another, fitted by ridge regression.
pub struct Ridge {
    /// `inputs × outputs`, row-major.
    weights: Vec<f32>,
    inputs: usize,
    outputs: usize,
}

impl Ridge {
    /// Fits `y ≈ x W` with penalty `lambda · |W|²` (x: n × inputs, y: n × outputs).
    pub fn fit(x: &Matrix, y: &Matrix, lambda: f64) -> Ridge {
        let (p, q) = (x.dim, y.dim);
        let mut a = vec![0f64; p * p];
        let mut b = vec![0f64; p * q];
        for i in 0..x.rows.min(y.rows) {
            let (xi, yi) = (x.row(i), y.row(i));
            for r in 0..p {
                let v = f64::from(xi[r]);
                if v == 0.0 {
                    continue;
                }
                for c in 0..p {
                    a[r * p + c] += v * f64::from(xi[c]);
                }
                for c in 0..q {
                    b[r * q + c] += v * f64::from(yi[c]);
                }
            }
        }
        for r in 0..p {
            a[r * p + r] += lambda;
        }
        let w = solve_spd(&mut a, &mut b, p, q);
        Ridge {
            weights: w.iter().map(|&v| v as f32).collect(),
            inputs: p,
            outputs: q,
        }
    }

    /// `x W` for one row.
    pub fn apply(&self, x: &[f32], out: &mut [f32]) {
        out.iter_mut().for_each(|o| *o = 0.0);
        for (r, &v) in x.iter().enumerate().take(self.inputs) {
            if v == 0.0 {
                continue;
            }
            let w = &self.weights[r * self.outputs..(r + 1) * self.outputs];
            for (o, wv) in out.iter_mut().zip(w) {
                *o += v * wv;
            }
        }
    }
}

/// Solves `A X = B` for symmetric positive definite `A` (p × p) by Cholesky; `B` is p × q.
fn solve_spd(a: &mut [f64], b: &mut [f64], p: usize, q: usize) -> Vec<f64> {
    // A = L Lᵀ, L stored in the lower triangle of `a`.
    for j in 0..p {
        let mut d = a[j * p + j];
        for k in 0..j {
            d -= a[j * p + k] * a[j * p + k];
        }
        let d = d.max(1e-12).sqrt();
        a[j * p + j] = d;
        for i in j + 1..p {
            let mut s = a[i * p + j];
            for k in 0..j {
                s -= a[i * p + k] * a[j * p + k];
            }
            a[i * p + j] = s / d;
        }
    }
    for c in 0..q {
        // L z = b, then Lᵀ x = z.
        for i in 0..p {
            let mut s = b[i * q + c];
            for k in 0..i {
                s -= a[i * p + k] * b[k * q + c];
            }
            b[i * q + c] = s / a[i * p + i];
        }
        for i in (0..p).rev() {
            let mut s = b[i * q + c];
            for k in i + 1..p {
                s -= a[k * p + i] * b[k * q + c];
            }
            b[i * q + c] = s / a[i * p + i];
        }
    }
    b.to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Three tight bundles of directions in four dimensions.
    fn bundles() -> Matrix {
        let mut m = Matrix::zeros(60, 4);
        for i in 0..60 {
            let row = m.row_mut(i);
            row[i % 3] = 1.0;
            row[3] = 0.05 * (i % 5) as f32;
        }
        m.normalise_rows();
        m
    }

    #[test]
    fn neighbours_are_the_most_similar_rows() {
        let m = bundles();
        let nb = neighbours(&m, 5);
        for (i, list) in nb.iter().enumerate() {
            assert_eq!(list.len(), 5);
            assert!(
                list.iter()
                    .all(|&(j, _)| j as usize % 3 == i % 3 && j as usize != i)
            );
            assert!(list.windows(2).all(|w| w[0].1 >= w[1].1));
        }
    }

    #[test]
    fn kmeans_recovers_bundles_and_is_repeatable() {
        let m = bundles();
        let a = kmeans(&m, &[1.0; 60], 3, 20, 7);
        for i in 0..60 {
            assert_eq!(a.assign[i], a.assign[i % 3]);
        }
        assert_ne!(a.assign[0], a.assign[1]);
        assert_eq!(a.assign, kmeans(&m, &[1.0; 60], 3, 20, 7).assign);
    }

    #[test]
    fn ward_joins_the_closest_first() {
        let mut m = Matrix::zeros(4, 2);
        m.data = vec![1.0, 0.0, 0.99, 0.14, 0.0, 1.0, 0.14, 0.99];
        m.normalise_rows();
        let merges = ward(&m, &[1.0; 4]);
        assert_eq!(cut(4, &merges, 2), vec![0, 0, 1, 1]);
        assert_eq!(cut(4, &merges, 4), vec![0, 1, 2, 3]);
        assert_eq!(cut(4, &merges, 1), vec![0, 0, 0, 0]);
    }

    #[test]
    fn ridge_recovers_a_linear_map() {
        let mut rng = Rng::new(3);
        let mut x = Matrix::zeros(200, 3);
        x.data.iter_mut().for_each(|v| *v = rng.normal() as f32);
        let mut y = Matrix::zeros(200, 2);
        for i in 0..200 {
            let r = x.row(i).to_vec();
            y.row_mut(i).copy_from_slice(&[2.0 * r[0] - r[2], r[1]]);
        }
        let fit = Ridge::fit(&x, &y, 1e-6);
        let mut out = [0f32; 2];
        fit.apply(&[1.0, 2.0, 3.0], &mut out);
        assert!(
            (out[0] - -1.0).abs() < 1e-3 && (out[1] - 2.0).abs() < 1e-3,
            "{out:?}"
        );
    }
}
