//! Semantic themes: what the responses mean rather than which words they share.
//!
//! 1. Embed up to [`Config::embed_limit`] distinct texts (each campaign once) with the
//!    sentence embedder.
//! 2. Find each text's nearest neighbours and pull its vector towards their mean: short
//!    answers are noisy points, their neighbourhood says more reliably what they are about.
//! 3. Spherical k-means on the smoothed vectors, the number of themes chosen from the data
//!    (about one per [`Config::theme_size`] texts) unless requested.
//! 4. `unassigned`, honestly: a text whose theme few of its neighbours share and which is
//!    further from the centre than the theme's typical member belongs nowhere in particular.
//! 5. A second theme when it is nearly as near as the first.
//! 6. Themes are grouped (Ward's agglomeration of their centres, the number of groups by
//!    silhouette unless requested), as a human coding frame has categories above its codes.
//! 7. Responses that were not embedded (beyond the limit) are placed by a ridge regression
//!    from their lexical (TF-IDF/LSA) vector into the semantic space, fitted on the embedded
//!    ones: one linear pass, so a million responses cost seconds after the embedding.

use super::{Assignment, Config, NO_THEME, deterministic_sample, sample_key};
use crate::cluster;
use crate::corpus::Corpus;
use crate::dense::{self, Matrix, Ridge};
use crate::normalise::normalise;
use crate::vectorise::{Embedder, Lsa, Sparse, Tfidf};
use rayon::prelude::*;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

/// Neighbours that smooth a text's vector and judge whether it belongs to its theme.
const NEIGHBOURS: usize = 15;
/// Weight of the neighbourhood's mean against the text's own vector.
const SMOOTHING: f32 = 4.0;
/// Lloyd iterations at most.
const ITERATIONS: usize = 30;
/// Most themes the engine chooses by itself.
const MAX_THEMES: usize = 500;
/// Groups the silhouette chooses among.
const GROUPS: std::ops::RangeInclusive<usize> = 4..=12;
/// Fewest themes worth grouping.
const MIN_THEMES_TO_GROUP: usize = 8;
/// A second theme counts when its similarity is at least this share of the first's.
const SECOND_RATIO: f32 = 0.95;
/// Median content words at or below which texts count as short answers.
const SHORT_WORDS: f32 = 4.0;
/// Responses placed by projection at a time.
const PLACING_CHUNK: usize = 16_384;
/// Dimensions of the lexical space that placements beyond the embedding limit start from.
const PROJECTION_DIMS: usize = 100;

/// What the semantic path records in `meta`.
#[derive(Debug, Clone, Serialize)]
pub struct SemanticMeta {
    /// The embedder's name and model hash.
    pub model: String,
    /// How the model runs.
    pub runtime: String,
    /// Distinct texts embedded.
    pub embedded: usize,
    /// Responses placed through the lexical projection (not embedded themselves).
    pub projected: usize,
    /// See [`NEIGHBOURS`].
    pub neighbours: usize,
    /// See [`SMOOTHING`].
    pub smoothing: f32,
    /// See [`Config::theme_size`].
    pub theme_size: usize,
    /// See [`Config::min_agreement`].
    pub min_agreement: f32,
    /// Median content words per embedded text.
    pub median_words: usize,
    /// Weight of the lexical vector in the clustering space (see [`lexical_share`]).
    pub lexical_weight: f32,
    /// See [`SECOND_RATIO`].
    pub second_ratio: f32,
    /// Wall-clock milliseconds per step (not part of what makes the result reproducible).
    pub timings_ms: BTreeMap<&'static str, u64>,
}

/// The fitted semantic themes.
pub(super) struct Semantic {
    /// Every response's themes.
    pub assignments: Vec<Assignment>,
    /// Themes.
    pub k: usize,
    /// Each theme's group, when themes were grouped.
    pub group_of: Option<Vec<usize>>,
    /// How the number of themes was chosen.
    pub chosen_by: String,
    /// Silhouette of each candidate number of groups.
    pub silhouettes: BTreeMap<usize, f64>,
    /// For `meta`.
    pub meta: SemanticMeta,
}

/// Inputs shared with the lexical path.
pub(super) struct Inputs<'a> {
    pub texts: &'a [&'a str],
    pub corpus: &'a Corpus,
    /// Distinct texts with content (campaigns by their canonical text).
    pub distinct: &'a [usize],
    /// The response whose text stands for each response (itself, or its campaign's canonical).
    pub stands_for: &'a [usize],
    /// Whether each response is in a campaign (campaigns count once).
    pub in_campaign: &'a [bool],
    pub tfidf: &'a Tfidf,
    pub sample_sparse: &'a [Sparse],
}

impl Semantic {
    /// No text with content: every response is unassigned.
    fn nothing(n: usize, embedder: &dyn Embedder, config: &Config) -> Semantic {
        Semantic {
            assignments: vec![(NO_THEME, NO_THEME, 0.0); n],
            k: 0,
            group_of: None,
            chosen_by: "no responses with content".into(),
            silhouettes: BTreeMap::new(),
            meta: SemanticMeta {
                model: embedder.name(),
                runtime: embedder.runtime(),
                embedded: 0,
                projected: 0,
                neighbours: NEIGHBOURS,
                smoothing: SMOOTHING,
                theme_size: config.theme_size,
                min_agreement: config.min_agreement,
                median_words: 0,
                lexical_weight: 0.0,
                second_ratio: SECOND_RATIO,
                timings_ms: BTreeMap::new(),
            },
        }
    }
}

pub(super) fn fit(input: &Inputs, embedder: &dyn Embedder, config: &Config) -> Semantic {
    let mut timings = BTreeMap::new();
    let mut clock = Instant::now();
    let mut lap = |name: &'static str, timings: &mut BTreeMap<&'static str, u64>| {
        timings.insert(name, clock.elapsed().as_millis() as u64);
        clock = Instant::now();
    };
    let embedded = budgeted_sample(input, config);
    if embedded.is_empty() {
        return Semantic::nothing(input.texts.len(), embedder, config);
    }
    let texts: Vec<String> = embedded
        .par_iter()
        .map(|&i| normalise(input.texts[i]))
        .collect();
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let vectors = Matrix {
        rows: embedded.len(),
        dim: embedder.dim(),
        data: embedder.embed(&refs),
    };
    lap("embedding", &mut timings);

    // The lexical view of the same texts: it also places responses beyond the embedding
    // limit, and a little of it in the clustering space keeps apart answers that mean
    // different things in the same words' neighbourhood (arguments on one topic, say).
    let median_words = {
        let mut w: Vec<usize> = embedded
            .iter()
            .map(|&i| input.corpus.tokens(i).len())
            .collect();
        w.sort_unstable();
        w.get(w.len() / 2).copied().unwrap_or(0)
    };
    let lexical_weight = config.lexical_weight * lexical_share(median_words);
    // Texts left out of the embedding are placed from their lexical vectors.
    let some_not_embedded = embedded.len() < input.distinct.len();
    let lexical = (lexical_weight > 0.0 || some_not_embedded)
        .then(|| Lexical::fit(input, &embedded, config.seed))
        .flatten();
    let raw = match &lexical {
        Some(l) if lexical_weight > 0.0 => hybrid(&vectors, &l.rows, lexical_weight),
        _ => vectors,
    };

    // How many responses each embedded text stands for: every response with that exact text,
    // each campaign once. Fitting on distinct texts with these weights is fitting on the
    // responses, at the cost of the distinct texts.
    let mut count_of: HashMap<u64, u32> = HashMap::new();
    for i in 0..input.texts.len() {
        if input.corpus.words[i] > 0 && (!input.in_campaign[i] || input.stands_for[i] == i) {
            *count_of.entry(input.corpus.exact[i]).or_default() += 1;
        }
    }
    let counts: Vec<u32> = (embedded.iter())
        .map(|&i| {
            count_of
                .get(&input.corpus.exact[i])
                .copied()
                .unwrap_or(1)
                .max(1)
        })
        .collect();
    let weights: Vec<f32> = counts.iter().map(|&c| c as f32).collect();
    let nb = dense::neighbours(&raw, NEIGHBOURS);
    let hoods = neighbourhoods(&nb, &counts);
    let smooth = dense::smooth(&raw, &hoods, SMOOTHING);
    drop(raw);
    let m = embedded.len();
    let represented: f64 = weights.iter().map(|&w| f64::from(w)).sum();
    let (k, chosen_by) = match config.themes {
        Some(k) => (k.clamp(1, m.max(1)), "requested".to_string()),
        None => (
            ((represented / config.theme_size.max(1) as f64).round() as usize)
                .clamp(1, MAX_THEMES.min(m.max(1))),
            format!("about one theme per {} responses", config.theme_size),
        ),
    };
    let clustering = dense::kmeans(&smooth, &weights, k, ITERATIONS, config.seed);
    let nearest = dense::two_nearest(&smooth, &clustering.centres);
    lap("clustering", &mut timings);

    // Belonging: neighbours sharing the theme, or nearer the centre than its typical member.
    let mut sims: Vec<Vec<(f32, u32)>> = vec![Vec::new(); k];
    for (&(a, s, _, _), &c) in nearest.iter().zip(&counts) {
        sims[a as usize].push((s, c));
    }
    let medians: Vec<f32> = sims.into_iter().map(weighted_median).collect();
    let row_assignment: Vec<Assignment> = (0..m)
        .map(|r| {
            let (a, s1, b, s2) = nearest[r];
            let total: u32 = hoods[r].iter().map(|e| e.1).sum();
            let agree = if total == 0 {
                1.0
            } else {
                (hoods[r].iter())
                    .filter(|&&(j, _)| nearest[j as usize].0 == a)
                    .map(|e| e.1)
                    .sum::<u32>() as f32
                    / total as f32
            };
            if agree < config.min_agreement && s1 < medians[a as usize] {
                return (NO_THEME, NO_THEME, s1);
            }
            let two = b != NO_THEME && s2 >= SECOND_RATIO * s1;
            (a, if two { b } else { NO_THEME }, s1)
        })
        .collect();

    // Every response takes the assignment of the embedded text it stands for, when there is
    // one; the rest are projected.
    let row_of: HashMap<u64, usize> = embedded
        .iter()
        .enumerate()
        .map(|(r, &i)| (input.corpus.exact[i], r))
        .collect();
    let n = input.texts.len();
    let mut assignments: Vec<Assignment> = (0..n)
        .map(|i| {
            let s = input.stands_for[i];
            if input.corpus.words[s] == 0 {
                return (NO_THEME, NO_THEME, 0.0);
            }
            match row_of.get(&input.corpus.exact[s]) {
                Some(&r) => row_assignment[r],
                None => (NO_THEME, NO_THEME, f32::NAN),
            }
        })
        .collect();
    let missing: Vec<usize> = (0..n).filter(|&i| assignments[i].2.is_nan()).collect();
    if let (false, Some(lexical)) = (missing.is_empty(), &lexical) {
        let placed = project(
            input,
            lexical,
            &smooth,
            &clustering.centres,
            &row_assignment,
            &missing,
        );
        for (i, a) in missing.iter().zip(placed) {
            assignments[*i] = a;
        }
    }
    lap("placing", &mut timings);

    let (group_of, silhouettes) = if k >= MIN_THEMES_TO_GROUP {
        let mut sizes = vec![0f32; k];
        for (&(a, _, _, _), &w) in nearest.iter().zip(&weights) {
            sizes[a as usize] += w;
        }
        let (g, s) = group_themes(
            &clustering.centres,
            &sizes,
            &smooth,
            &row_assignment,
            config,
        );
        (Some(g), s)
    } else {
        (None, BTreeMap::new())
    };
    lap("grouping", &mut timings);

    Semantic {
        assignments,
        k,
        group_of,
        chosen_by,
        silhouettes,
        meta: SemanticMeta {
            model: embedder.name(),
            runtime: embedder.runtime(),
            embedded: m,
            projected: missing.len(),
            neighbours: NEIGHBOURS,
            smoothing: SMOOTHING,
            theme_size: config.theme_size,
            min_agreement: config.min_agreement,
            median_words,
            lexical_weight,
            second_ratio: SECOND_RATIO,
            timings_ms: timings,
        },
    }
}

/// The distinct texts to embed: in a seeded random order, as many as fit in
/// [`Config::embed_limit`] texts and [`Config::embed_words`] words (the model's work grows with
/// words, so long answers are embedded fewer at a time); returned in input order.
fn budgeted_sample(input: &Inputs, config: &Config) -> Vec<usize> {
    let mut order: Vec<(u64, usize)> = (input.distinct.iter())
        .map(|&i| (sample_key(config.seed, i), i))
        .collect();
    order.sort_unstable();
    let mut words = 0usize;
    let mut out: Vec<usize> = Vec::new();
    for (_, i) in order {
        // Texts longer than the model reads cost what it reads.
        let cost = (input.corpus.words[i] as usize).min(embed::MAX_TOKENS);
        if out.len() >= config.embed_limit || (words + cost > config.embed_words && !out.is_empty())
        {
            break;
        }
        words += cost;
        out.push(i);
    }
    out.sort_unstable();
    out
}

/// Each row's neighbourhood as the responses would have it: its own copies first (identical
/// texts are each other's nearest neighbours), then its nearest distinct texts with their
/// multiplicities, [`NEIGHBOURS`] responses in all. `(row, multiplicity)`.
fn neighbourhoods(nb: &[Vec<(u32, f32)>], counts: &[u32]) -> Vec<Vec<(u32, u32)>> {
    let want = NEIGHBOURS as u32;
    (0..nb.len())
        .map(|r| {
            let copies = (counts[r] - 1).min(want);
            let mut out = Vec::new();
            if copies > 0 {
                out.push((r as u32, copies));
            }
            let mut used = copies;
            for &(j, _) in &nb[r] {
                if used >= want {
                    break;
                }
                let take = counts[j as usize].min(want - used);
                out.push((j, take));
                used += take;
            }
            out
        })
        .collect()
}

/// The median of values with multiplicities (1 when there are none).
fn weighted_median(mut values: Vec<(f32, u32)>) -> f32 {
    values.sort_by(|a, b| a.0.total_cmp(&b.0));
    let total: u64 = values.iter().map(|v| u64::from(v.1)).sum();
    let mut seen = 0u64;
    for (v, c) in &values {
        seen += u64::from(*c);
        if 2 * seen > total {
            return *v;
        }
    }
    1.0
}

/// How much of [`Config::lexical_weight`] a corpus gets, from the median number of content
/// words in its texts: none when that is at most [`SHORT_WORDS`] (a few words' TF-IDF vector
/// is noise beside what a sentence embedding knows), all from twice that (paragraphs'
/// distinctive words separate arguments that embed alike), linearly between.
fn lexical_share(median_words: usize) -> f32 {
    ((median_words as f32 - SHORT_WORDS) / SHORT_WORDS).clamp(0.0, 1.0)
}

/// Unit rows `[a ; weight · b]`: two views of the same texts side by side.
fn hybrid(a: &Matrix, b: &Matrix, weight: f32) -> Matrix {
    let mut out = Matrix::zeros(a.rows, a.dim + b.dim);
    for r in 0..a.rows {
        let row = out.row_mut(r);
        row[..a.dim].copy_from_slice(a.row(r));
        for (o, v) in row[a.dim..].iter_mut().zip(b.row(r)) {
            *o = weight * v;
        }
    }
    out.normalise_rows();
    out
}

/// The embedded texts' TF-IDF vectors in a latent semantic space.
struct Lexical {
    lsa: Lsa,
    /// One unit row per embedded text (zero when it has no content words).
    rows: Matrix,
}

impl Lexical {
    fn fit(input: &Inputs, embedded: &[usize], seed: u64) -> Option<Lexical> {
        let features = input.tfidf.len();
        if features < 2 || input.sample_sparse.len() < 2 {
            return None;
        }
        let lsa = Lsa::fit(
            input.sample_sparse,
            features,
            PROJECTION_DIMS.min(input.sample_sparse.len() / 2).max(1),
            seed,
        );
        let mut rows = Matrix::zeros(embedded.len(), lsa.dim);
        for (r, &i) in embedded.iter().enumerate() {
            let v = input.tfidf.vector(input.corpus.tokens(i));
            lsa.project(&v, rows.row_mut(r));
        }
        Some(Lexical { lsa, rows })
    }

    fn vector(&self, input: &Inputs, i: usize) -> Vec<f32> {
        let mut out = vec![0f32; self.lsa.dim];
        self.lsa
            .project(&input.tfidf.vector(input.corpus.tokens(i)), &mut out);
        out
    }
}

/// Places responses that were not embedded: their LSA vector mapped into the smoothed
/// clustering space by ridge regression, then the nearest centre, if as near as most of the
/// theme's embedded members are when mapped the same way. Similarities of projected
/// responses are returned minus one, so that quotes come from embedded responses first.
fn project(
    input: &Inputs,
    lexical: &Lexical,
    smooth: &Matrix,
    centres: &Matrix,
    rows: &[Assignment],
    missing: &[usize],
) -> Vec<Assignment> {
    let x = &lexical.rows;
    let ridge = Ridge::fit(x, smooth, 1.0);
    let map = |v: &[f32]| -> Vec<f32> {
        let mut out = vec![0f32; smooth.dim];
        ridge.apply(v, &mut out);
        crate::vectorise::normalise_dense(&mut out);
        out
    };
    // Each theme's floor: the 20th percentile of its kept members' mapped similarity.
    let mut mapped = Matrix::zeros(x.rows, smooth.dim);
    for r in 0..x.rows {
        mapped.row_mut(r).copy_from_slice(&map(x.row(r)));
    }
    let mut sims: Vec<Vec<f32>> = vec![Vec::new(); centres.rows];
    for (r, &(a, _, _)) in rows.iter().enumerate() {
        if a != NO_THEME {
            sims[a as usize].push(dense::dot(mapped.row(r), centres.row(a as usize)));
        }
    }
    let floors: Vec<f32> = sims
        .into_iter()
        .map(|mut s| {
            s.sort_by(f32::total_cmp);
            s.get(s.len() / 5)
                .copied()
                .unwrap_or(f32::INFINITY)
                .max(0.05)
        })
        .collect();
    // In chunks: a million mapped vectors at once would take 2 GB.
    let mut out = Vec::with_capacity(missing.len());
    for chunk in missing.chunks(PLACING_CHUNK) {
        let rows: Vec<Vec<f32>> = chunk
            .par_iter()
            .map(|&i| map(&lexical.vector(input, input.stands_for[i])))
            .collect();
        let placed = Matrix {
            rows: rows.len(),
            dim: smooth.dim,
            data: rows.concat(),
        };
        out.extend(
            dense::two_nearest(&placed, centres)
                .into_iter()
                .map(|(a, s1, b, s2)| {
                    if a == NO_THEME || s1 < floors[a as usize] {
                        return (NO_THEME, NO_THEME, s1 - 1.0);
                    }
                    let two = b != NO_THEME && s2 >= SECOND_RATIO * s1 && s2 >= floors[b as usize];
                    (a, if two { b } else { NO_THEME }, s1 - 1.0)
                }),
        );
    }
    out
}

/// Groups the themes: Ward's agglomeration of their centres, cut where the silhouette of the
/// embedded texts (a subsample) is best.
fn group_themes(
    centres: &Matrix,
    sizes: &[f32],
    smooth: &Matrix,
    rows: &[Assignment],
    config: &Config,
) -> (Vec<usize>, BTreeMap<usize, f64>) {
    let merges = dense::ward(centres, sizes);
    if let Some(g) = config.groups {
        return (dense::cut(centres.rows, &merges, g), BTreeMap::new());
    }
    let seed = config.seed;
    let placed: Vec<usize> = (0..rows.len()).filter(|&r| rows[r].0 != NO_THEME).collect();
    let sub = deterministic_sample(&placed, super::SILHOUETTE_SAMPLE, seed ^ 0x6a);
    let vectors = smooth.select(&sub);
    let mut sim = vec![0f32; sub.len() * sub.len()];
    sim.par_chunks_mut(sub.len().max(1))
        .enumerate()
        .for_each(|(i, line)| {
            for (j, s) in line.iter_mut().enumerate() {
                *s = dense::dot(vectors.row(i), vectors.row(j));
            }
        });
    let mut scores = BTreeMap::new();
    let mut best = (0usize, f64::NEG_INFINITY);
    for g in GROUPS.filter(|&g| g < centres.rows) {
        let group_of = dense::cut(centres.rows, &merges, g);
        let assign: Vec<usize> = sub.iter().map(|&r| group_of[rows[r].0 as usize]).collect();
        let s = cluster::silhouette(&sim, &assign, g);
        scores.insert(g, (s * 10_000.0).round() / 10_000.0);
        if s > best.1 + 1e-9 {
            best = (g, s);
        }
    }
    (dense::cut(centres.rows, &merges, best.0.max(1)), scores)
}
