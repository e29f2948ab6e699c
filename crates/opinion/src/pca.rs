//! Two principal components by power iteration on the sparse, centred vote matrix, and
//! Pol.is's sparsity-aware projection of participants onto them.
//!
//! Pol.is fills every missing vote with its statement's mean before centring, so a missing
//! entry is exactly zero after centring: the products below visit only the votes cast and
//! give the same result as the dense computation.

use crate::matrix::VoteMatrix;

/// Iterations stop once the component moves less than this between two steps.
const CONVERGED: f64 = 1e-10;

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Pca {
    /// Column means over the votes cast (a pass counts as 0).
    pub center: Vec<f64>,
    /// Unit vectors, one entry per matrix column; a zero vector when the data has no variance
    /// left in that direction.
    pub components: [Vec<f64>; 2],
    pub iterations: [usize; 2],
}

pub(crate) fn column_means(m: &VoteMatrix) -> Vec<f64> {
    let mut sum = vec![0.0; m.n_cols()];
    let mut count = vec![0u32; m.n_cols()];
    for r in 0..m.n_rows() {
        let (cols, vals) = m.row(r);
        for (&c, &v) in cols.iter().zip(vals) {
            sum[c as usize] += f64::from(v);
            count[c as usize] += 1;
        }
    }
    sum.iter()
        .zip(&count)
        .map(|(&s, &n)| if n == 0 { 0.0 } else { s / f64::from(n) })
        .collect()
}

/// `start` holds the previous update's components (warm start) where there are any; a cold
/// component starts from a seeded pseudo-random vector, as Pol.is starts from `rand`.
pub(crate) fn pca(
    m: &VoteMatrix,
    start: [Option<Vec<f64>>; 2],
    max_iters: usize,
    seed: u64,
) -> Pca {
    let center = column_means(m);
    let n = m.n_cols();
    let wanted = 2.min(n).min(m.n_rows());
    let mut components = [vec![0.0; n], vec![0.0; n]];
    let mut iterations = [0, 0];
    let [first_start, second_start] = start;
    for (i, start) in [first_start, second_start]
        .into_iter()
        .enumerate()
        .take(wanted)
    {
        let start = start
            .filter(|v| v.len() == n && v.iter().any(|&x| x != 0.0))
            .unwrap_or_else(|| random_unit_vector(n, seed.wrapping_add(i as u64)));
        let deflate = if i == 1 {
            Some(components[0].as_slice())
        } else {
            None
        };
        let (component, iters) = power_iteration(m, &center, start, deflate, max_iters);
        components[i] = component;
        iterations[i] = iters;
    }
    Pca {
        center,
        components,
        iterations,
    }
}

/// The leading eigenvector of XᵀX (X centred), with `deflate`'s direction factored out of
/// every row first when given, as Pol.is's Gram-Schmidt `factor-matrix` does for the second
/// component: X' = X (I − p pᵀ).
fn power_iteration(
    m: &VoteMatrix,
    center: &[f64],
    start: Vec<f64>,
    deflate: Option<&[f64]>,
    max_iters: usize,
) -> (Vec<f64>, usize) {
    let mut vector = start;
    if let Some(p) = deflate {
        remove_direction(&mut vector, p);
    }
    if !normalise(&mut vector) {
        return (vector, 0);
    }
    let mut product = vec![0.0; vector.len()];
    for iteration in 1..=max_iters.max(1) {
        xtx_times(m, center, &vector, &mut product);
        if let Some(p) = deflate {
            remove_direction(&mut product, p);
        }
        if !normalise(&mut product) {
            // No variance left in any direction orthogonal to `deflate`.
            return (vec![0.0; vector.len()], iteration);
        }
        let moved = product
            .iter()
            .zip(&vector)
            .map(|(a, b)| (a - b) * (a - b))
            .sum::<f64>()
            .sqrt();
        std::mem::swap(&mut vector, &mut product);
        if moved < CONVERGED {
            return (vector, iteration);
        }
    }
    (vector, max_iters.max(1))
}

/// `out = Xᵀ X v` for the centred matrix, one pass over the votes cast.
fn xtx_times(m: &VoteMatrix, center: &[f64], v: &[f64], out: &mut [f64]) {
    out.fill(0.0);
    for r in 0..m.n_rows() {
        let (cols, vals) = m.row(r);
        let mut dot = 0.0;
        for (&c, &x) in cols.iter().zip(vals) {
            dot += (f64::from(x) - center[c as usize]) * v[c as usize];
        }
        if dot != 0.0 {
            for (&c, &x) in cols.iter().zip(vals) {
                out[c as usize] += dot * (f64::from(x) - center[c as usize]);
            }
        }
    }
}

fn remove_direction(v: &mut [f64], unit: &[f64]) {
    let along: f64 = v.iter().zip(unit).map(|(a, b)| a * b).sum();
    for (x, u) in v.iter_mut().zip(unit) {
        *x -= along * u;
    }
}

/// Scales `v` to unit length; false (and `v` untouched) when it is zero.
fn normalise(v: &mut [f64]) -> bool {
    let norm = v.iter().map(|x| x * x).sum::<f64>().sqrt();
    if norm == 0.0 || !norm.is_finite() {
        return false;
    }
    v.iter_mut().for_each(|x| *x /= norm);
    true
}

fn random_unit_vector(n: usize, seed: u64) -> Vec<f64> {
    let mut rng = SplitMix64(seed);
    (0..n).map(|_| rng.next_f64()).collect()
}

/// Pol.is's `sparsity-aware-project-ptpt`: the centred votes a participant cast, projected on
/// the two components, then pushed out by √(statements / votes cast). Without the scaling a
/// participant who saw few statements would sit near the centre only because the unseen
/// statements count as "average"; with it, their few votes speak for a full ballot.
pub(crate) fn project(m: &VoteMatrix, pca: &Pca) -> Vec<[f64; 2]> {
    let n = m.n_cols() as f64;
    let [pc1, pc2] = &pca.components;
    (0..m.n_rows())
        .map(|r| {
            let (cols, vals) = m.row(r);
            let (mut x, mut y) = (0.0, 0.0);
            for (&c, &v) in cols.iter().zip(vals) {
                let centred = f64::from(v) - pca.center[c as usize];
                x += centred * pc1[c as usize];
                y += centred * pc2[c as usize];
            }
            let scale = (n / (cols.len().max(1) as f64)).sqrt();
            [x * scale, y * scale]
        })
        .collect()
}

/// A small, fast, seedable generator (Steele, Lea and Flood's SplitMix64): enough for start
/// vectors and synthetic data, and identical on every platform.
#[derive(Clone, Debug)]
pub struct SplitMix64(pub u64);

impl SplitMix64 {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}
