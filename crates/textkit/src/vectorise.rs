//! Turning responses into vectors.
//!
//! The default is TF-IDF over stems and adjacent-stem bigrams, fitted on the sample, with
//! words that appear in a large share of the responses weighted down (they are about the
//! question, not about a theme), followed by latent semantic analysis (a truncated SVD computed
//! with a randomised range finder) that lets responses using related words land close together.
//!
//! An [`Embedder`] (for example a sentence-embedding model loaded from a file on local disk)
//! can replace the TF-IDF/LSA vectors: set `Config::embedder`. Keywords are still computed
//! from TF-IDF so that themes stay explainable.

use crate::corpus::Corpus;
use crate::rng::Rng;
use std::collections::HashMap;

/// A sparse vector: (feature, weight) pairs, ascending by feature.
pub type Sparse = Vec<(u32, f32)>;

/// A source of dense sentence vectors, such as a local embedding model. Must be pure and
/// deterministic for the analysis to be reproducible.
pub trait Embedder: Send + Sync {
    /// Name and version recorded in the result's `meta`, e.g. `"minilm-l6@sha256:…"`.
    fn name(&self) -> String;
    /// How the model runs, for `meta` (e.g. the runtime and its version).
    fn runtime(&self) -> String {
        String::new()
    }
    /// Length of the vectors.
    fn dim(&self) -> usize;
    /// The unit vectors of normalised texts, `dim()` numbers each, concatenated in order.
    fn embed(&self, texts: &[&str]) -> Vec<f32>;
}

/// A local sentence-embedding model (see the `embed` crate) as an embedder.
impl Embedder for embed::Model {
    fn name(&self) -> String {
        format!("{}@sha256:{}", embed::Model::name(self), self.sha256())
    }
    fn runtime(&self) -> String {
        embed::RUNTIME.to_string()
    }
    fn dim(&self) -> usize {
        embed::Model::dim(self)
    }
    fn embed(&self, texts: &[&str]) -> Vec<f32> {
        embed::Model::embed(self, texts)
    }
}

/// Parameters of the TF-IDF vectoriser.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TfidfParams {
    /// Features must appear in at least this many sampled responses.
    pub min_df: usize,
    /// Whether adjacent-stem bigrams are features too.
    pub bigrams: bool,
    /// Words in a share `p` of responses are weighted by `(1 - p)^common_penalty` on top of
    /// IDF: words of the question itself otherwise dominate every theme.
    pub common_penalty: f32,
    /// Weight of bigram features relative to words: phrases make readable keywords but,
    /// weighted fully, split themes by wording.
    pub bigram_weight: f32,
}

/// The fitted TF-IDF model.
#[derive(Debug, Clone)]
pub struct Tfidf {
    uni: Vec<u32>,
    bi: HashMap<u64, u32>,
    weight: Vec<f32>,
    /// Token ids of each feature (one for a word, two for a bigram).
    pub features: Vec<(u32, Option<u32>)>,
    /// Sampled responses containing each feature.
    pub df: Vec<u32>,
    /// Number of sampled responses.
    pub docs: usize,
}

const NONE: u32 = u32::MAX;

fn pair(a: u32, b: u32) -> u64 {
    (u64::from(a) << 32) | u64::from(b)
}

impl Tfidf {
    /// Fits on the responses `sample` of `corpus`.
    pub fn fit(corpus: &Corpus, sample: &[usize], p: &TfidfParams) -> Tfidf {
        let mut df_uni = vec![0u32; corpus.vocab_len()];
        let mut df_bi: HashMap<u64, u32> = HashMap::new();
        let mut seen: Vec<u32> = Vec::new();
        let mut seen_bi: Vec<u64> = Vec::new();
        for &i in sample {
            let t = corpus.tokens(i);
            seen.clear();
            seen.extend_from_slice(t);
            seen.sort_unstable();
            seen.dedup();
            for &w in &seen {
                df_uni[w as usize] += 1;
            }
            if p.bigrams {
                seen_bi.clear();
                seen_bi.extend(
                    t.windows(2)
                        .filter(|w| w[0] != w[1])
                        .map(|w| pair(w[0], w[1])),
                );
                seen_bi.sort_unstable();
                seen_bi.dedup();
                for &b in &seen_bi {
                    *df_bi.entry(b).or_insert(0) += 1;
                }
            }
        }
        let m = sample.len().max(1);
        let mut features = Vec::new();
        let mut df = Vec::new();
        let mut uni = vec![NONE; corpus.vocab_len()];
        let min_df = p.min_df.max(1) as u32;
        for (w, &d) in df_uni.iter().enumerate() {
            if d >= min_df {
                uni[w] = features.len() as u32;
                features.push((w as u32, None));
                df.push(d);
            }
        }
        let mut bis: Vec<(u64, u32)> = df_bi
            .into_iter()
            .filter(|(_, d)| *d >= min_df.max(2))
            .collect();
        bis.sort_unstable();
        let mut bi = HashMap::with_capacity(bis.len());
        for (k, d) in bis {
            bi.insert(k, features.len() as u32);
            features.push(((k >> 32) as u32, Some(k as u32)));
            df.push(d);
        }
        let weight = df
            .iter()
            .zip(&features)
            .map(|(&d, ft)| {
                let bw = if ft.1.is_some() {
                    f64::from(p.bigram_weight)
                } else {
                    1.0
                };
                let share = f64::from(d) / m as f64;
                let idf = ((1.0 + m as f64) / (1.0 + f64::from(d))).ln() + 1.0;
                // Floored, so that when every response says the same words they still count.
                (bw * idf
                    * (1.0 - share)
                        .max(0.0)
                        .powf(f64::from(p.common_penalty))
                        .max(0.05)) as f32
            })
            .collect();
        Tfidf {
            uni,
            bi,
            weight,
            features,
            df,
            docs: m,
        }
    }

    /// Number of features.
    pub fn len(&self) -> usize {
        self.features.len()
    }

    /// True when no feature survived (e.g. every response is empty).
    pub fn is_empty(&self) -> bool {
        self.features.is_empty()
    }

    /// The unit-length TF-IDF vector of a token sequence (sublinear term frequency);
    /// empty when no token is a feature.
    pub fn vector(&self, tokens: &[u32]) -> Sparse {
        let mut v: Sparse = Vec::with_capacity(tokens.len() * 2);
        for &t in tokens {
            if let Some(&f) = self.uni.get(t as usize)
                && f != NONE
            {
                v.push((f, 1.0));
            }
        }
        if !self.bi.is_empty() {
            for w in tokens.windows(2) {
                if let Some(&f) = self.bi.get(&pair(w[0], w[1])) {
                    v.push((f, 1.0));
                }
            }
        }
        v.sort_unstable_by_key(|e| e.0);
        let mut out: Sparse = Vec::with_capacity(v.len());
        for (f, c) in v {
            match out.last_mut() {
                Some(last) if last.0 == f => last.1 += c,
                _ => out.push((f, c)),
            }
        }
        for e in &mut out {
            e.1 = (1.0 + e.1.ln()) * self.weight[e.0 as usize];
        }
        normalise_sparse(&mut out);
        if out.iter().all(|e| e.1 == 0.0) {
            out.clear();
        }
        out
    }
}

/// Scales a sparse vector to unit length (leaves a zero vector alone).
pub fn normalise_sparse(v: &mut Sparse) {
    let norm: f32 = v.iter().map(|e| e.1 * e.1).sum::<f32>().sqrt();
    if norm > 0.0 {
        for e in v.iter_mut() {
            e.1 /= norm;
        }
    }
}

/// Scales a dense vector to unit length; returns false for a zero vector.
pub fn normalise_dense(v: &mut [f32]) -> bool {
    let norm: f32 = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 1e-12 {
        for x in v.iter_mut() {
            *x /= norm;
        }
        true
    } else {
        false
    }
}

/// A latent semantic projection: features → `dim` dense dimensions.
#[derive(Debug, Clone)]
pub struct Lsa {
    /// Row-major `features × dim` matrix.
    proj: Vec<f32>,
    /// Number of output dimensions.
    pub dim: usize,
}

impl Lsa {
    /// Fits a rank-`dim` truncated SVD of the sample matrix (rows: unit TF-IDF vectors) with a
    /// randomised range finder and two power iterations (Halko, Martinsson & Tropp 2011).
    pub fn fit(rows: &[Sparse], features: usize, dim: usize, seed: u64) -> Lsa {
        let m = rows.len();
        let dim = dim.min(m).min(features).max(1);
        let l = (dim + 10).min(m).min(features).max(dim);
        let mut rng = Rng::new(seed ^ 0x15a);
        let omega: Vec<f32> = (0..features * l).map(|_| rng.normal() as f32).collect();
        // Y = A Ω  (m × l)
        let mut y = mul_a(rows, &omega, l, m);
        orthonormalise(&mut y, m, l);
        for _ in 0..2 {
            let mut z = mul_at(rows, &y, l, features);
            orthonormalise(&mut z, features, l);
            y = mul_a(rows, &z, l, m);
            orthonormalise(&mut y, m, l);
        }
        // Bᵀ = Aᵀ Q  (features × l), C = B Bᵀ (l × l)
        let bt = mul_at(rows, &y, l, features);
        let mut c = vec![0f64; l * l];
        for f in 0..features {
            let r = &bt[f * l..(f + 1) * l];
            for a in 0..l {
                let ra = f64::from(r[a]);
                if ra == 0.0 {
                    continue;
                }
                for b in a..l {
                    c[a * l + b] += ra * f64::from(r[b]);
                }
            }
        }
        for a in 0..l {
            for b in 0..a {
                c[a * l + b] = c[b * l + a];
            }
        }
        let (vals, vecs) = jacobi_eigen(&mut c, l);
        let mut order: Vec<usize> = (0..l).collect();
        order.sort_by(|a, b| vals[*b].total_cmp(&vals[*a]));
        // Right singular vectors V = Bᵀ W Σ⁻¹; projecting a row on V gives its U Σ coordinates.
        let mut proj = vec![0f32; features * dim];
        for (j, &o) in order.iter().take(dim).enumerate() {
            let sigma = vals[o].max(1e-12).sqrt();
            for f in 0..features {
                let r = &bt[f * l..(f + 1) * l];
                let mut s = 0f64;
                for k in 0..l {
                    s += f64::from(r[k]) * vecs[k * l + o];
                }
                proj[f * dim + j] = (s / sigma) as f32;
            }
        }
        Lsa { proj, dim }
    }

    /// Projects a sparse vector and scales the result to unit length (false if it is zero).
    pub fn project(&self, v: &Sparse, out: &mut [f32]) -> bool {
        out.iter_mut().for_each(|x| *x = 0.0);
        for &(f, w) in v {
            let row = &self.proj[f as usize * self.dim..(f as usize + 1) * self.dim];
            for (o, r) in out.iter_mut().zip(row) {
                *o += w * r;
            }
        }
        normalise_dense(out)
    }
}

/// `A X` for sparse rows A (m × features) and dense row-major X (features × l).
fn mul_a(rows: &[Sparse], x: &[f32], l: usize, m: usize) -> Vec<f32> {
    let mut y = vec![0f32; m * l];
    for (i, row) in rows.iter().enumerate() {
        let yi = &mut y[i * l..(i + 1) * l];
        for &(f, w) in row {
            let xf = &x[f as usize * l..(f as usize + 1) * l];
            for (a, b) in yi.iter_mut().zip(xf) {
                *a += w * b;
            }
        }
    }
    y
}

/// `Aᵀ Y` for sparse rows A (m × features) and dense row-major Y (m × l).
fn mul_at(rows: &[Sparse], y: &[f32], l: usize, features: usize) -> Vec<f32> {
    let mut z = vec![0f32; features * l];
    for (i, row) in rows.iter().enumerate() {
        let yi = &y[i * l..(i + 1) * l];
        for &(f, w) in row {
            let zf = &mut z[f as usize * l..(f as usize + 1) * l];
            for (a, b) in zf.iter_mut().zip(yi) {
                *a += w * b;
            }
        }
    }
    z
}

/// Modified Gram–Schmidt on the columns of a row-major `n × l` matrix. The columns are copied
/// out to contiguous memory first: strided access made this the slowest step of the fit.
fn orthonormalise(x: &mut [f32], n: usize, l: usize) {
    let mut cols: Vec<Vec<f32>> = (0..l)
        .map(|j| (0..n).map(|i| x[i * l + j]).collect())
        .collect();
    for j in 0..l {
        let (done, rest) = cols.split_at_mut(j);
        let col = &mut rest[0];
        for prev in done.iter() {
            let dot: f64 = col.iter().zip(prev).map(|(a, b)| f64::from(a * b)).sum();
            let dot = dot as f32;
            for (a, b) in col.iter_mut().zip(prev) {
                *a -= dot * b;
            }
        }
        let norm = col.iter().map(|a| f64::from(a * a)).sum::<f64>().sqrt() as f32;
        for a in col.iter_mut() {
            *a = if norm > 1e-12 { *a / norm } else { 0.0 };
        }
    }
    for (j, col) in cols.iter().enumerate() {
        for (i, v) in col.iter().enumerate() {
            x[i * l + j] = *v;
        }
    }
}

/// Eigen-decomposition of a symmetric `n × n` matrix by cyclic Jacobi rotations. Returns the
/// eigenvalues and the eigenvectors as the columns of a row-major matrix.
pub fn jacobi_eigen(a: &mut [f64], n: usize) -> (Vec<f64>, Vec<f64>) {
    let mut v = vec![0f64; n * n];
    for i in 0..n {
        v[i * n + i] = 1.0;
    }
    for _sweep in 0..60 {
        let off: f64 = (0..n)
            .flat_map(|p| (p + 1..n).map(move |q| (p, q)))
            .map(|(p, q)| a[p * n + q] * a[p * n + q])
            .sum();
        let total: f64 = a.iter().map(|x| x * x).sum::<f64>().max(1e-300);
        if off <= 1e-22 * total {
            break;
        }
        for p in 0..n {
            for q in p + 1..n {
                let apq = a[p * n + q];
                if apq.abs() < 1e-300 {
                    continue;
                }
                let theta = (a[q * n + q] - a[p * n + p]) / (2.0 * apq);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let t = if theta == 0.0 { 1.0 } else { t };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for k in 0..n {
                    let akp = a[k * n + p];
                    let akq = a[k * n + q];
                    a[k * n + p] = c * akp - s * akq;
                    a[k * n + q] = s * akp + c * akq;
                }
                for k in 0..n {
                    let apk = a[p * n + k];
                    let aqk = a[q * n + k];
                    a[p * n + k] = c * apk - s * aqk;
                    a[q * n + k] = s * apk + c * aqk;
                }
                for k in 0..n {
                    let vkp = v[k * n + p];
                    let vkq = v[k * n + q];
                    v[k * n + p] = c * vkp - s * vkq;
                    v[k * n + q] = s * vkp + c * vkq;
                }
            }
        }
    }
    ((0..n).map(|i| a[i * n + i]).collect(), v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jacobi_finds_known_eigenvalues() {
        // [[2,1],[1,2]] has eigenvalues 1 and 3.
        let mut a = vec![2.0, 1.0, 1.0, 2.0];
        let (mut vals, _) = jacobi_eigen(&mut a, 2);
        vals.sort_by(f64::total_cmp);
        assert!(
            (vals[0] - 1.0).abs() < 1e-9 && (vals[1] - 3.0).abs() < 1e-9,
            "{vals:?}"
        );
    }

    #[test]
    fn lsa_puts_co_occurring_words_together() {
        // Features 0 and 1 always co-occur; 2 and 3 always co-occur.
        let mut rows: Vec<Sparse> = Vec::new();
        for i in 0..40 {
            let mut r: Sparse = if i % 2 == 0 {
                vec![(0, 1.0), (1, 1.0)]
            } else {
                vec![(2, 1.0), (3, 1.0)]
            };
            normalise_sparse(&mut r);
            rows.push(r);
        }
        let lsa = Lsa::fit(&rows, 4, 2, 1);
        let mut a = vec![0f32; 2];
        let mut b = vec![0f32; 2];
        let mut c = vec![0f32; 2];
        assert!(lsa.project(&vec![(0, 1.0)], &mut a));
        assert!(lsa.project(&vec![(1, 1.0)], &mut b));
        assert!(lsa.project(&vec![(2, 1.0)], &mut c));
        let dot = |x: &[f32], y: &[f32]| x.iter().zip(y).map(|(p, q)| p * q).sum::<f32>();
        assert!(dot(&a, &b) > 0.99, "words that co-occur map together");
        assert!(
            dot(&a, &c).abs() < 0.1,
            "words that never co-occur stay apart"
        );
    }
}
