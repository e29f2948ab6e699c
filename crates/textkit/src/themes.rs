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
use crate::vectorise::{Embedder, Lsa, Sparse, Tfidf, TfidfParams};
use crate::{Response, Stage};
use rayon::prelude::*;
use serde::Serialize;
use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

mod describe;
mod semantic;
use describe::{keywords_per_theme, label_of, phrase_label, pick_quotes, push_bounded};
pub use semantic::SemanticMeta;

/// A response's nearest theme, second theme (each [`NO_THEME`] when none) and its similarity
/// to the nearest.
type Assignment = (u32, u32, f32);
/// No theme.
const NO_THEME: u32 = u32::MAX;

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
    /// Sentence embedder: when set, themes are semantic (see `themes::semantic`) and
    /// TF-IDF only describes them.
    pub embedder: Option<Arc<dyn Embedder>>,
    /// With an embedder, the weight of the lexical (TF-IDF/LSA) vector beside the sentence
    /// vector in the clustering space (0: sentence vectors alone).
    pub lexical_weight: f32,
    /// Number of groups of themes wanted (semantic themes); `None` lets the engine choose.
    pub groups: Option<usize>,
    /// Most distinct texts embedded; the rest are placed from their lexical vectors.
    pub embed_limit: usize,
    /// Most words embedded (the model's work grows with them): long answers are embedded
    /// fewer at a time, so the time a large consultation takes stays bounded.
    pub embed_words: usize,
    /// With an embedder, the engine aims at about one theme per this many distinct texts:
    /// the granularity of a human coding frame's codes (groups of themes give its categories).
    pub theme_size: usize,
    /// With an embedder, a response is `unassigned` when fewer than this share of its
    /// nearest neighbours share its theme and it is further from the theme's centre than
    /// the theme's median member.
    pub min_agreement: f32,
    /// Why the result is not what the caller asked for (for example: no embedding model was
    /// found, so the lexical engine ran), recorded in `meta.note`.
    pub note: Option<String>,
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
            lexical_weight: 1.5,
            groups: None,
            embed_limit: 12_000,
            embed_words: 160_000,
            theme_size: 20,
            min_agreement: 0.2,
            note: None,
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
    /// Groups of themes, largest first (semantic themes only, when there are enough themes):
    /// the categories above the themes' codes.
    pub groups: Vec<Group>,
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
    /// The theme's group (`g1`, …), when themes were grouped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
}

/// A group of related themes.
#[derive(Debug, Clone, Serialize)]
pub struct Group {
    /// `g1`, `g2`, … by size.
    pub id: String,
    /// The label of its largest theme.
    pub label: String,
    /// Words and phrases that distinguish the group.
    pub keywords: Vec<String>,
    /// Distinct responses in any of its themes.
    pub count: usize,
    /// Share of responses, each campaign counted once (as for themes).
    pub share: f64,
    /// Its themes' ids, largest first.
    pub themes: Vec<String>,
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
    /// The semantic path's model, settings and timings (absent for the lexical engine).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub semantic: Option<SemanticMeta>,
    /// See [`Config::note`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
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

/// How the fitted lexical model turns a response into a vector.
enum Space {
    Sparse,
    Lsa(Lsa),
}

impl Space {
    fn dim(&self, tfidf: &Tfidf) -> usize {
        match self {
            Space::Sparse => tfidf.len(),
            Space::Lsa(l) => l.dim,
        }
    }

    /// The unit vector of response `i` (empty when it has no content).
    fn vector(&self, tfidf: &Tfidf, corpus: &Corpus, i: usize) -> Sparse {
        let sparse = tfidf.vector(corpus.tokens(i));
        match self {
            Space::Sparse => sparse,
            Space::Lsa(lsa) => lsa_vector(lsa, &sparse),
        }
    }
}

/// A TF-IDF vector projected into the latent semantic space, as a unit vector (empty when it
/// has no content).
fn lsa_vector(lsa: &Lsa, sparse: &Sparse) -> Sparse {
    if sparse.is_empty() {
        return Vec::new();
    }
    let mut d = vec![0f32; lsa.dim];
    if lsa.project(sparse, &mut d) {
        dense_to_sparse(d)
    } else {
        Vec::new()
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
    // Distinct texts with content; a campaign is represented by its canonical text only. To a
    // sentence embedder "Nothing" and "No" are content; to TF-IDF, stop words are not.
    let has_content = |i: usize| match config.embedder {
        Some(_) => corpus.words[i] > 0,
        None => !corpus.tokens(i).is_empty(),
    };
    let mut seen: HashSet<u64> = HashSet::new();
    let distinct: Vec<usize> = (0..n)
        .filter(|&i| {
            has_content(i)
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
    let fitted = match &config.embedder {
        Some(embedder) => {
            progress(Stage::Embedding);
            let stands_for: Vec<usize> = (0..n)
                .map(|i| match campaign_of[i] {
                    u32::MAX => i,
                    c => groups[c as usize].canonical,
                })
                .collect();
            let in_campaign: Vec<bool> = campaign_of.iter().map(|&c| c != u32::MAX).collect();
            let inputs = semantic::Inputs {
                texts: &texts,
                corpus: &corpus,
                distinct: &distinct,
                stands_for: &stands_for,
                in_campaign: &in_campaign,
                tfidf: &tfidf,
                sample_sparse: &sample_sparse,
            };
            let fit = semantic::fit(&inputs, embedder.as_ref(), config);
            progress(Stage::Assigning);
            Fitted {
                assignments: fit.assignments,
                k: fit.k,
                group_of: fit.group_of,
                chosen_by: fit.chosen_by,
                silhouettes: fit.silhouettes,
                vectoriser: format!("embedder:{}", fit.meta.model),
                semantic: Some(fit.meta),
            }
        }
        None => lexical(
            &corpus,
            &tfidf,
            sample_sparse,
            sample.len(),
            config,
            progress,
        ),
    };
    let Fitted {
        assignments,
        k,
        group_of,
        chosen_by,
        silhouettes,
        vectoriser,
        semantic: semantic_meta,
    } = fitted;
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
    let share_of = |ms: &[usize]| -> f64 {
        let weight: f64 = ms.iter().map(|&i| weights[i]).sum();
        if total_weight > 0.0 {
            round4(weight / total_weight)
        } else {
            0.0
        }
    };
    let any_segment = responses.iter().any(|r| r.segment.is_some());
    // (cluster index, theme): the cluster index links a theme to its group.
    let mut themes: Vec<(usize, Theme)> = (0..k)
        .filter(|&c| !members[c].is_empty())
        .map(|c| {
            let mut ms = members[c].clone();
            ms.sort_unstable();
            let mut segments = BTreeMap::new();
            if any_segment {
                for &i in &ms {
                    let s = responses[i]
                        .segment
                        .clone()
                        .unwrap_or_else(|| "unspecified".to_string());
                    *segments.entry(s).or_insert(0) += 1;
                }
            }
            let kw: Vec<String> = keywords[c].clone();
            // Semantic themes are tight enough that their most central short answer says
            // what they are about; lexical ones are described by their words.
            let label = semantic_meta
                .as_ref()
                .and_then(|_| phrase_label(&pools[c], responses))
                .unwrap_or_else(|| label_of(&kw));
            let theme = Theme {
                id: String::new(),
                label,
                keywords: kw,
                count: ms.len(),
                share: share_of(&ms),
                quotes: pick_quotes(&pools[c], &corpus, responses, config.quotes),
                members: ms.iter().map(|&i| responses[i].id.clone()).collect(),
                segments,
                group: None,
            };
            (c, theme)
        })
        .collect();
    themes.sort_by(|a, b| (b.1.count.cmp(&a.1.count)).then_with(|| a.1.label.cmp(&b.1.label)));
    for (j, (_, t)) in themes.iter_mut().enumerate() {
        t.id = format!("t{}", j + 1);
    }
    let theme_groups = match &group_of {
        Some(group_of) => group_themes(
            &mut themes,
            group_of,
            &members,
            &GroupInputs {
                corpus: &corpus,
                tfidf: &tfidf,
                sample: &sample,
                assignments: &assignments,
            },
            &share_of,
        ),
        None => Vec::new(),
    };
    let themes: Vec<Theme> = themes.into_iter().map(|(_, t)| t).collect();
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
    Analysis {
        responses: n,
        themes,
        groups: theme_groups,
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
            semantic: semantic_meta,
            note: config.note.clone(),
        },
    }
}

/// What describing groups needs from the analysis.
struct GroupInputs<'a> {
    corpus: &'a Corpus,
    tfidf: &'a Tfidf,
    sample: &'a [usize],
    assignments: &'a [Assignment],
}

/// The groups of themes, largest first, each theme told its group's id. `group_of` gives each
/// cluster's group; `members` each cluster's responses.
fn group_themes(
    themes: &mut [(usize, Theme)],
    group_of: &[usize],
    members: &[Vec<usize>],
    input: &GroupInputs,
    share_of: &dyn Fn(&[usize]) -> f64,
) -> Vec<Group> {
    let count = group_of.iter().max().map_or(0, |g| g + 1);
    let by_group: Vec<Assignment> = (input.assignments.iter())
        .map(|&(a, _, s)| match a {
            NO_THEME => (NO_THEME, NO_THEME, s),
            a => (group_of[a as usize] as u32, NO_THEME, s),
        })
        .collect();
    let keywords = keywords_per_theme(input.corpus, input.tfidf, input.sample, &by_group, count);
    let mut out: Vec<(usize, Group)> = (0..count)
        .filter_map(|g| {
            // Themes are already largest first.
            let mine: Vec<&(usize, Theme)> =
                themes.iter().filter(|(c, _)| group_of[*c] == g).collect();
            let first = mine.first()?;
            let mut ms: Vec<usize> = mine.iter().flat_map(|(c, _)| members[*c].clone()).collect();
            ms.sort_unstable();
            ms.dedup();
            Some((
                g,
                Group {
                    id: String::new(),
                    label: first.1.label.clone(),
                    keywords: keywords[g].clone(),
                    count: ms.len(),
                    share: share_of(&ms),
                    themes: mine.iter().map(|(_, t)| t.id.clone()).collect(),
                },
            ))
        })
        .collect();
    out.sort_by(|a, b| (b.1.count.cmp(&a.1.count)).then_with(|| a.1.label.cmp(&b.1.label)));
    let mut id_of = vec![String::new(); count];
    for (j, (g, group)) in out.iter_mut().enumerate() {
        group.id = format!("g{}", j + 1);
        id_of[*g] = group.id.clone();
    }
    for (c, t) in themes.iter_mut() {
        t.group = Some(id_of[group_of[*c]].clone());
    }
    out.into_iter().map(|(_, g)| g).collect()
}

/// What fitting produced, whichever path ran.
struct Fitted {
    assignments: Vec<Assignment>,
    k: usize,
    group_of: Option<Vec<usize>>,
    chosen_by: String,
    silhouettes: BTreeMap<usize, f64>,
    vectoriser: String,
    semantic: Option<SemanticMeta>,
}

/// The lexical engine: TF-IDF (and LSA when the sample supports it), k-means on the sample,
/// one linear pass over every response.
fn lexical(
    corpus: &Corpus,
    tfidf: &Tfidf,
    sample_sparse: Vec<Sparse>,
    sample_len: usize,
    config: &Config,
    progress: &(dyn Fn(Stage) + Sync),
) -> Fitted {
    let space = if config.lsa_dims > 0 && sample_len >= 20 && tfidf.len() >= 4 {
        Space::Lsa(Lsa::fit(
            &sample_sparse,
            tfidf.len(),
            config.lsa_dims.min((sample_len / 10).max(8)),
            config.seed,
        ))
    } else {
        Space::Sparse
    };
    let dim = space.dim(tfidf);
    let rows: Vec<Sparse> = match &space {
        Space::Sparse => sample_sparse,
        Space::Lsa(lsa) => sample_sparse
            .par_iter()
            .map(|v| lsa_vector(lsa, v))
            .collect(),
    };
    // Rows without content cannot shape a theme.
    let fit_rows: Vec<Sparse> = rows.into_iter().filter(|r| !r.is_empty()).collect();
    let (model, chosen_by, silhouettes) = choose_and_fit(&fit_rows, dim, config);
    let floors: Vec<f32> = model.as_ref().map_or_else(Vec::new, |m| {
        member_floors(m, &fit_rows, config.assign_threshold)
    });

    progress(Stage::Assigning);
    let assignments: Vec<Assignment> = (0..corpus.len())
        .into_par_iter()
        .with_min_len(1024)
        .map(|i| match &model {
            Some(m) => assign(m, &floors, &space.vector(tfidf, corpus, i), config),
            None => (NO_THEME, NO_THEME, 0.0),
        })
        .collect();
    Fitted {
        assignments,
        k: model.as_ref().map_or(0, |m| m.k),
        group_of: None,
        chosen_by,
        silhouettes,
        vectoriser: match &space {
            Space::Sparse => "tfidf".to_string(),
            Space::Lsa(l) => format!("tfidf+lsa({})", l.dim),
        },
        semantic: None,
    }
}

fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

/// Where index `i` falls in the seeded random order every sample of the engine is drawn in.
fn sample_key(seed: u64, i: usize) -> u64 {
    mix64(seed ^ (i as u64).wrapping_mul(0x9e37_79b9))
}

/// Up to `limit` indices, chosen by a seeded hash so the same input and seed give the same
/// sample; returned in input order.
pub fn deterministic_sample(items: &[usize], limit: usize, seed: u64) -> Vec<usize> {
    if items.len() <= limit {
        return items.to_vec();
    }
    let mut keyed: Vec<(u64, usize)> = items.iter().map(|&i| (sample_key(seed, i), i)).collect();
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
