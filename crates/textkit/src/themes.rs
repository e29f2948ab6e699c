//! Themes: what the responses are about.
//!
//! Fitting happens on a deterministic sample of distinct texts (each campaign represented
//! once, so an organised campaign cannot crowd out everyone else); assignment is one linear,
//! parallel pass over every response. Nothing is quadratic in the number of responses: the
//! only pairwise step (the silhouette used to choose the number of themes) runs on a
//! subsample of at most [`SILHOUETTE_SAMPLE`] responses.

use crate::campaigns::{self, CampaignGroup};
use crate::cluster::{self, KMeans, dot};
use crate::corpus::{Corpus, mix64};
use crate::lang::Language;
use crate::normalise::normalise;
use crate::vectorise::{Embedder, Lsa, Sparse, Tfidf, TfidfParams, normalise_dense};
use crate::{Response, Stage};
use rayon::prelude::*;
use serde::Serialize;
use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

mod describe;
use describe::{keywords_per_theme, label_of, pick_quotes, push_bounded};

/// Responses used to compute silhouettes when choosing the number of themes.
pub const SILHOUETTE_SAMPLE: usize = 1500;
/// Quote candidates kept per theme.
const QUOTE_POOL: usize = 60;
/// Longest quote, in characters, before it is cut with an ellipsis.
const QUOTE_CHARS: usize = 400;

/// Everything that shapes a result. Recorded in [`Meta`].
#[derive(Clone)]
pub struct Config {
    /// Language of the responses (stop words, stemmer).
    pub language: Language,
    /// Seed for sampling, k-means++ and MinHash.
    pub seed: u64,
    /// Number of themes wanted; `None` lets the engine choose.
    pub themes: Option<usize>,
    /// Most themes the engine chooses by itself. The silhouette chooses among
    /// `min_themes ..= min(max_themes, round(sqrt(sample / 3)))`: a hundred responses support
    /// about six themes, a few thousand support twenty.
    pub max_themes: usize,
    /// Fewest themes the engine chooses by itself (when there are enough responses).
    pub min_themes: usize,
    /// Distinct texts the themes are fitted on.
    pub sample_size: usize,
    /// Smallest campaign.
    pub min_campaign: usize,
    /// Most dimensions of the latent semantic space (0: plain TF-IDF). The space used has
    /// `min(lsa_dims, max(8, sample / 10))` dimensions: a small sample supports few.
    pub lsa_dims: usize,
    /// TF-IDF parameters.
    pub tfidf: TfidfParams,
    /// k-means restarts (the best objective is kept).
    pub restarts: usize,
    /// A response whose cosine similarity to its nearest theme centre is below this fraction
    /// of the median similarity of that theme's sampled members is `unassigned`. Relative, so
    /// that it means the same whatever the dimension of the space and the tightness of the
    /// theme: "much further from the centre than the theme's typical member".
    pub assign_threshold: f32,
    /// A response also joins its second-nearest theme when that similarity is at least this
    /// fraction of the nearest one's.
    pub second_ratio: f32,
    /// Quotes per theme.
    pub quotes: usize,
    /// Optional sentence embedder that replaces the TF-IDF/LSA vectors.
    pub embedder: Option<Arc<dyn Embedder>>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            language: Language::English,
            seed: 1,
            themes: None,
            max_themes: 20,
            min_themes: 2,
            sample_size: 20_000,
            min_campaign: 3,
            lsa_dims: 100,
            tfidf: TfidfParams {
                min_df: 2,
                bigrams: true,
                common_penalty: 1.0,
                bigram_weight: 0.25,
            },
            restarts: 4,
            assign_threshold: 0.4,
            second_ratio: 0.9,
            quotes: 3,
            embedder: None,
        }
    }
}

/// The result, in the shape of the `townhall analyse` JSON contract (plus `meta`).
#[derive(Debug, Clone, Serialize)]
pub struct Analysis {
    /// Number of responses analysed.
    pub responses: usize,
    /// Themes, largest first.
    pub themes: Vec<Theme>,
    /// Campaigns, largest first.
    pub campaigns: Vec<Campaign>,
    /// Responses in no theme, in input order.
    pub unassigned: Vec<String>,
    /// How the result was made.
    pub meta: Meta,
}

/// One theme.
#[derive(Debug, Clone, Serialize)]
pub struct Theme {
    /// `t1`, `t2`, … by size.
    pub id: String,
    /// A short label: the theme's key phrase or first keywords.
    pub label: String,
    /// Words and phrases that distinguish the theme, most distinctive first.
    pub keywords: Vec<String>,
    /// Distinct responses in the theme.
    pub count: usize,
    /// Share of responses with each campaign counted once (see the crate docs).
    pub share: f64,
    /// Ids of every response in the theme, in input order.
    pub members: Vec<String>,
    /// Representative responses: closest to the theme centre and distinct from each other.
    pub quotes: Vec<Quote>,
    /// Responses per segment.
    pub segments: BTreeMap<String, usize>,
}

/// A representative response.
#[derive(Debug, Clone, Serialize)]
pub struct Quote {
    /// Response id.
    pub id: String,
    /// Normalised text (shortened with an ellipsis when long).
    pub text: String,
}

/// An organised campaign: copies and near-copies of one text.
#[derive(Debug, Clone, Serialize)]
pub struct Campaign {
    /// `c1`, `c2`, … by size.
    pub id: String,
    /// Responses in the campaign.
    pub count: usize,
    /// The campaign's text (its most copied version), normalised.
    pub canonical: String,
    /// Ids of every response in the campaign, in input order.
    pub members: Vec<String>,
}

/// What the engine did, so a result can be reproduced and audited.
#[derive(Debug, Clone, Serialize)]
pub struct Meta {
    /// Engine name.
    pub engine: &'static str,
    /// Engine version.
    pub version: &'static str,
    /// Seed.
    pub seed: u64,
    /// Language.
    pub language: &'static str,
    /// How responses became vectors.
    pub vectoriser: String,
    /// Themes requested (`null`: chosen by the engine).
    pub themes_requested: Option<usize>,
    /// How the number of themes was chosen, with the criterion's values.
    pub themes_chosen_by: String,
    /// Silhouette of each candidate number of themes, when the engine chose.
    pub silhouettes: BTreeMap<usize, f64>,
    /// Distinct texts available for fitting, and how many were sampled.
    pub distinct_texts: usize,
    /// Responses the themes were fitted on.
    pub sample_size: usize,
    /// TF-IDF features.
    pub features: usize,
    /// Parameters.
    pub parameters: Parameters,
    /// How shares are counted.
    pub share_rule: &'static str,
}

/// Parameters recorded in [`Meta`].
#[derive(Debug, Clone, Serialize)]
pub struct Parameters {
    /// See [`Config::max_themes`].
    pub max_themes: usize,
    /// See [`Config::min_themes`].
    pub min_themes: usize,
    /// See [`Config::sample_size`].
    pub sample_limit: usize,
    /// See [`Config::min_campaign`].
    pub min_campaign: usize,
    /// Shortest campaign text, in words.
    pub min_campaign_words: usize,
    /// Near-copy verification: minimum overlap coefficient of shingle sets.
    pub campaign_min_overlap: f64,
    /// Near-copy verification: minimum Jaccard similarity of shingle sets.
    pub campaign_min_jaccard: f64,
    /// Near-copy verification: minimum number of shared shingles.
    pub campaign_min_shared: usize,
    /// MinHash bands × rows.
    pub minhash: String,
    /// See [`Config::lsa_dims`].
    pub lsa_dims: usize,
    /// TF-IDF parameters.
    pub tfidf: TfidfParams,
    /// See [`Config::restarts`].
    pub restarts: usize,
    /// See [`Config::assign_threshold`].
    pub assign_threshold: f32,
    /// See [`Config::second_ratio`].
    pub second_ratio: f32,
}

/// Analyses responses with the given configuration.
pub fn analyse(responses: &[Response], config: &Config) -> Analysis {
    analyse_with_progress(responses, config, &|_| {})
}

/// How the fitted model turns a response into a vector.
enum Space<'a> {
    Sparse,
    Lsa(Lsa),
    Embed(&'a dyn Embedder),
}

impl Space<'_> {
    fn dim(&self, tfidf: &Tfidf) -> usize {
        match self {
            Space::Sparse => tfidf.len(),
            Space::Lsa(l) => l.dim,
            Space::Embed(e) => e.dim(),
        }
    }

    /// The unit vector of response `i` (empty when it has no content).
    fn vector(&self, tfidf: &Tfidf, corpus: &Corpus, text: &str, i: usize) -> Sparse {
        let sparse = tfidf.vector(corpus.tokens(i));
        match self {
            Space::Sparse => sparse,
            Space::Lsa(lsa) => {
                if sparse.is_empty() {
                    return Vec::new();
                }
                let mut d = vec![0f32; lsa.dim];
                if lsa.project(&sparse, &mut d) {
                    dense_to_sparse(d)
                } else {
                    Vec::new()
                }
            }
            Space::Embed(e) => {
                if corpus.tokens(i).is_empty() {
                    return Vec::new();
                }
                let mut d = vec![0f32; e.dim()];
                e.embed(&normalise(text), &mut d);
                if normalise_dense(&mut d) {
                    dense_to_sparse(d)
                } else {
                    Vec::new()
                }
            }
        }
    }
}

fn dense_to_sparse(d: Vec<f32>) -> Sparse {
    d.into_iter()
        .enumerate()
        .map(|(i, x)| (i as u32, x))
        .collect()
}

/// Analyses responses, calling `progress` as each stage starts.
pub fn analyse_with_progress(
    responses: &[Response],
    config: &Config,
    progress: &(dyn Fn(Stage) + Sync),
) -> Analysis {
    let n = responses.len();
    progress(Stage::Tokenising);
    let texts: Vec<&str> = responses.iter().map(|r| r.text.as_str()).collect();
    let corpus = Corpus::build(&texts, config.language);

    progress(Stage::Campaigns);
    let groups = campaigns::detect(&corpus, config.min_campaign, config.seed);
    let mut campaign_of = vec![u32::MAX; n];
    for (c, g) in groups.iter().enumerate() {
        for &m in &g.members {
            campaign_of[m] = c as u32;
        }
    }

    progress(Stage::Themes);
    // Distinct texts with content; a campaign is represented by its canonical text only.
    let mut seen: HashSet<u64> = HashSet::new();
    let distinct: Vec<usize> = (0..n)
        .filter(|&i| {
            !corpus.tokens(i).is_empty()
                && (campaign_of[i] == u32::MAX || groups[campaign_of[i] as usize].canonical == i)
                && seen.insert(corpus.exact[i])
        })
        .collect();
    drop(seen);
    let sample = deterministic_sample(&distinct, config.sample_size, config.seed);
    // A handful of texts cannot have words in common: let every word count.
    let tfidf_params = if sample.len() < 20 {
        TfidfParams {
            min_df: 1,
            ..config.tfidf.clone()
        }
    } else {
        config.tfidf.clone()
    };
    let tfidf = Tfidf::fit(&corpus, &sample, &tfidf_params);
    let sample_sparse: Vec<Sparse> = sample
        .par_iter()
        .map(|&i| tfidf.vector(corpus.tokens(i)))
        .collect();
    let space = match &config.embedder {
        Some(e) => Space::Embed(e.as_ref()),
        None if config.lsa_dims > 0 && sample.len() >= 20 && tfidf.len() >= 4 => {
            Space::Lsa(Lsa::fit(
                &sample_sparse,
                tfidf.len(),
                config.lsa_dims.min((sample.len() / 10).max(8)),
                config.seed,
            ))
        }
        None => Space::Sparse,
    };
    let dim = space.dim(&tfidf);
    let rows: Vec<Sparse> = match &space {
        Space::Sparse => sample_sparse,
        _ => sample
            .par_iter()
            .map(|&i| space.vector(&tfidf, &corpus, &responses[i].text, i))
            .collect(),
    };
    // Rows without content cannot shape a theme.
    let fit_rows: Vec<Sparse> = rows.into_iter().filter(|r| !r.is_empty()).collect();
    let (model, chosen_by, silhouettes) = choose_and_fit(&fit_rows, dim, config);
    let floors: Vec<f32> = model.as_ref().map_or_else(Vec::new, |m| {
        member_floors(m, &fit_rows, config.assign_threshold)
    });

    progress(Stage::Assigning);
    let assignments: Vec<(u32, u32, f32)> = (0..n)
        .into_par_iter()
        .with_min_len(1024)
        .map(|i| match &model {
            Some(m) => assign(
                m,
                &floors,
                &space.vector(&tfidf, &corpus, &responses[i].text, i),
                config,
            ),
            None => (u32::MAX, u32::MAX, 0.0),
        })
        .collect();

    let k = model.as_ref().map_or(0, |m| m.k);
    let weights: Vec<f64> = (0..n)
        .map(|i| match campaign_of[i] {
            u32::MAX => 1.0,
            c => 1.0 / groups[c as usize].members.len() as f64,
        })
        .collect();
    let total_weight =
        (n - groups.iter().map(|g| g.members.len()).sum::<usize>()) as f64 + groups.len() as f64;

    let mut members: Vec<Vec<usize>> = vec![Vec::new(); k];
    let mut pools: Vec<Vec<(f32, usize)>> = vec![Vec::new(); k];
    let mut unassigned = Vec::new();
    for (i, &(a, b, sim)) in assignments.iter().enumerate() {
        if a == u32::MAX {
            unassigned.push(responses[i].id.clone());
            continue;
        }
        members[a as usize].push(i);
        if b != u32::MAX {
            members[b as usize].push(i);
        }
        let copy = campaign_of[i] != u32::MAX && groups[campaign_of[i] as usize].canonical != i;
        if !copy {
            push_bounded(&mut pools[a as usize], (sim, i), QUOTE_POOL);
        }
    }

    let keywords = keywords_per_theme(&corpus, &tfidf, &sample, &assignments, k);
    let mut themes: Vec<Theme> = (0..k)
        .filter(|&c| !members[c].is_empty())
        .map(|c| {
            let mut ms = members[c].clone();
            ms.sort_unstable();
            let weight: f64 = ms.iter().map(|&i| weights[i]).sum();
            let mut segments = BTreeMap::new();
            if responses.iter().any(|r| r.segment.is_some()) {
                for &i in &ms {
                    let s = responses[i]
                        .segment
                        .clone()
                        .unwrap_or_else(|| "unspecified".to_string());
                    *segments.entry(s).or_insert(0) += 1;
                }
            }
            let kw: Vec<String> = keywords[c].clone();
            Theme {
                id: String::new(),
                label: label_of(&kw),
                keywords: kw,
                count: ms.len(),
                share: if total_weight > 0.0 {
                    round4(weight / total_weight)
                } else {
                    0.0
                },
                quotes: pick_quotes(&pools[c], &corpus, responses, config.quotes),
                members: ms.iter().map(|&i| responses[i].id.clone()).collect(),
                segments,
            }
        })
        .collect();
    themes.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.label.cmp(&b.label)));
    for (j, t) in themes.iter_mut().enumerate() {
        t.id = format!("t{}", j + 1);
    }
    let campaigns_out = groups
        .iter()
        .enumerate()
        .map(|(c, g)| Campaign {
            id: format!("c{}", c + 1),
            count: g.members.len(),
            canonical: normalise(&responses[g.canonical].text),
            members: g.members.iter().map(|&i| responses[i].id.clone()).collect(),
        })
        .collect();
    let vectoriser = match &space {
        Space::Sparse => "tfidf".to_string(),
        Space::Lsa(l) => format!("tfidf+lsa({})", l.dim),
        Space::Embed(e) => format!("embedder:{}", e.name()),
    };
    Analysis {
        responses: n,
        themes,
        campaigns: campaigns_out,
        unassigned,
        meta: Meta {
            engine: "townhall-textkit",
            version: env!("CARGO_PKG_VERSION"),
            seed: config.seed,
            language: config.language.name(),
            vectoriser,
            themes_requested: config.themes,
            themes_chosen_by: chosen_by,
            silhouettes,
            distinct_texts: distinct.len(),
            sample_size: sample.len(),
            features: tfidf.len(),
            parameters: Parameters {
                max_themes: config.max_themes,
                min_themes: config.min_themes,
                sample_limit: config.sample_size,
                min_campaign: config.min_campaign,
                min_campaign_words: crate::corpus::MIN_CAMPAIGN_WORDS,
                campaign_min_overlap: campaigns::MIN_OVERLAP,
                campaign_min_jaccard: campaigns::MIN_JACCARD,
                campaign_min_shared: campaigns::MIN_SHARED,
                minhash: format!("{}x{}", campaigns::BANDS, campaigns::ROWS),
                lsa_dims: config.lsa_dims,
                tfidf: config.tfidf.clone(),
                restarts: config.restarts,
                assign_threshold: config.assign_threshold,
                second_ratio: config.second_ratio,
            },
            share_rule: "share = (members, each campaign member weighing 1/campaign size) / (responses outside campaigns + number of campaigns)",
        },
    }
}

fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

/// Up to `limit` indices, chosen by a seeded hash so the same input and seed give the same
/// sample; returned in input order.
pub fn deterministic_sample(items: &[usize], limit: usize, seed: u64) -> Vec<usize> {
    if items.len() <= limit {
        return items.to_vec();
    }
    let mut keyed: Vec<(u64, usize)> = items
        .iter()
        .map(|&i| (mix64(seed ^ (i as u64).wrapping_mul(0x9e37_79b9)), i))
        .collect();
    keyed.select_nth_unstable(limit);
    let mut out: Vec<usize> = keyed[..limit].iter().map(|e| e.1).collect();
    out.sort_unstable();
    out
}

/// Picks the number of themes (requested, or the best silhouette) and fits k-means.
fn choose_and_fit(
    rows: &[Sparse],
    dim: usize,
    config: &Config,
) -> (Option<KMeans>, String, BTreeMap<usize, f64>) {
    let mut scores = BTreeMap::new();
    if rows.is_empty() {
        return (None, "no responses with content".into(), scores);
    }
    if let Some(k) = config.themes {
        let k = k.clamp(1, rows.len());
        return (
            Some(cluster::kmeans(
                rows,
                dim,
                k,
                true,
                config.restarts,
                config.seed,
            )),
            "requested".into(),
            scores,
        );
    }
    let by_size = ((rows.len() as f64 / 3.0).sqrt().round() as usize).max(rows.len().min(2));
    let max_k = config.max_themes.min(by_size);
    if max_k < 2 {
        return (
            Some(cluster::kmeans(rows, dim, 1, true, 1, config.seed)),
            "too few responses: one theme".into(),
            scores,
        );
    }
    let sub_idx = deterministic_sample(
        &(0..rows.len()).collect::<Vec<_>>(),
        SILHOUETTE_SAMPLE,
        config.seed ^ 0x51,
    );
    let sub: Vec<Sparse> = sub_idx.iter().map(|&i| rows[i].clone()).collect();
    let refs: Vec<&Sparse> = sub.iter().collect();
    let sim = cluster::similarity_matrix(&refs, dim);
    let candidates: Vec<usize> = (config.min_themes.max(2)..=max_k).collect();
    let results: Vec<(usize, f64)> = candidates
        .par_iter()
        .map(|&k| {
            let km = cluster::kmeans(&sub, dim, k, true, 2, config.seed);
            (k, cluster::silhouette(&sim, &km.assign, k))
        })
        .collect();
    let mut best = (candidates[0], f64::NEG_INFINITY);
    for (k, s) in results {
        scores.insert(k, (s * 10_000.0).round() / 10_000.0);
        if s > best.1 + 1e-9 {
            best = (k, s);
        }
    }
    // Restarts matter most on small samples; on large ones each run is already stable.
    let restarts = if rows.len() > 5000 {
        config.restarts.min(2)
    } else {
        config.restarts
    };
    let km = cluster::kmeans(rows, dim, best.0, true, restarts, config.seed);
    (
        Some(km),
        format!("silhouette over k = {}..={}", candidates[0], max_k),
        scores,
    )
}

/// The similarity below which a response is too far from each theme: `fraction` of the median
/// similarity of the theme's sampled members to its centre (never below 0.05).
fn member_floors(model: &KMeans, rows: &[Sparse], fraction: f32) -> Vec<f32> {
    let mut sims: Vec<Vec<f32>> = vec![Vec::new(); model.k];
    for (row, &c) in rows.iter().zip(&model.assign) {
        sims[c].push(dot(row, model.centroid(c)));
    }
    sims.into_iter()
        .map(|mut s| {
            if s.is_empty() {
                return 0.05;
            }
            s.sort_by(f32::total_cmp);
            (fraction * s[s.len() / 2]).max(0.05)
        })
        .collect()
}

/// Nearest theme, second theme (or `u32::MAX`) and similarity to the nearest.
fn assign(model: &KMeans, floors: &[f32], v: &Sparse, config: &Config) -> (u32, u32, f32) {
    if v.is_empty() {
        return (u32::MAX, u32::MAX, 0.0);
    }
    let mut best = (u32::MAX, f32::NEG_INFINITY);
    let mut second = (u32::MAX, f32::NEG_INFINITY);
    for j in 0..model.k {
        let s = dot(v, model.centroid(j));
        if s > best.1 {
            second = best;
            best = (j as u32, s);
        } else if s > second.1 {
            second = (j as u32, s);
        }
    }
    if best.1 < floors[best.0 as usize] {
        return (u32::MAX, u32::MAX, best.1);
    }
    let two = second.0 != u32::MAX
        && second.1 >= floors[second.0 as usize]
        && second.1 >= config.second_ratio * best.1;
    (best.0, if two { second.0 } else { u32::MAX }, best.1)
}

/// Re-exported for the campaign evaluation: the campaign groups alone.
pub fn campaign_groups(responses: &[Response], config: &Config) -> Vec<CampaignGroup> {
    let texts: Vec<&str> = responses.iter().map(|r| r.text.as_str()).collect();
    let corpus = Corpus::build(&texts, config.language);
    campaigns::detect(&corpus, config.min_campaign, config.seed)
}

#[cfg(test)]
mod tests;
