//! Describing a theme: its keywords, a label made from them, and representative quotes.

use super::{QUOTE_CHARS, Quote};
use crate::Response;
use crate::corpus::Corpus;
use crate::normalise::normalise;
use crate::vectorise::Tfidf;
use std::collections::HashSet;

pub(super) fn push_bounded(pool: &mut Vec<(f32, usize)>, item: (f32, usize), limit: usize) {
    pool.push(item);
    if pool.len() >= limit * 2 {
        pool.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        pool.truncate(limit);
    }
}

/// Keywords of each theme from its sampled members: features that are much more common in the
/// theme than overall (`p_in · ln(p_in / p_all)`), phrases and words not repeating each other.
pub(super) fn keywords_per_theme(
    corpus: &Corpus,
    tfidf: &Tfidf,
    sample: &[usize],
    assignments: &[(u32, u32, f32)],
    k: usize,
) -> Vec<Vec<String>> {
    let f = tfidf.len();
    let mut df_in = vec![0u32; k * f];
    let mut size = vec![0u32; k];
    for &i in sample {
        let c = assignments[i].0;
        if c == u32::MAX {
            continue;
        }
        let c = c as usize;
        size[c] += 1;
        let mut feats: Vec<u32> = tfidf.vector(corpus.tokens(i)).iter().map(|e| e.0).collect();
        feats.dedup();
        for ft in feats {
            df_in[c * f + ft as usize] += 1;
        }
    }
    let m = tfidf.docs as f64;
    (0..k)
        .map(|c| {
            if size[c] == 0 {
                return Vec::new();
            }
            let s = f64::from(size[c]);
            let min_in = if size[c] >= 10 { 2 } else { 1 };
            let mut scored: Vec<(f64, usize)> = (0..f)
                .filter(|&ft| df_in[c * f + ft] >= min_in)
                .map(|ft| {
                    let p_in = f64::from(df_in[c * f + ft]) / s;
                    let p_all = (f64::from(tfidf.df[ft]) + 1.0) / (m + 1.0);
                    // Phrases read better than single words: a small bonus.
                    let bonus = if tfidf.features[ft].1.is_some() {
                        1.15
                    } else {
                        1.0
                    };
                    (bonus * p_in * (p_in / p_all).ln(), ft)
                })
                .filter(|e| e.0 > 0.0)
                .collect();
            scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
            let mut used: HashSet<u32> = HashSet::new();
            let mut out = Vec::new();
            for (_, ft) in scored {
                let (a, b) = tfidf.features[ft];
                if used.contains(&a) || b.is_some_and(|b| used.contains(&b)) {
                    continue;
                }
                used.insert(a);
                let text = match b {
                    Some(b) => {
                        used.insert(b);
                        format!(
                            "{} {}",
                            corpus.display[a as usize], corpus.display[b as usize]
                        )
                    }
                    None => corpus.display[a as usize].clone(),
                };
                out.push(text);
                if out.len() == 6 {
                    break;
                }
            }
            out
        })
        .collect()
}

/// A label: the leading key phrase, or the first two keywords.
pub(super) fn label_of(keywords: &[String]) -> String {
    match keywords {
        [] => "(no keywords)".to_string(),
        [one] => one.clone(),
        [first, second, ..] if first.contains(' ') => {
            let _ = second;
            first.clone()
        }
        [first, second, ..] => format!("{first}, {second}"),
    }
}

/// Most central responses considered for a phrase label.
const LABEL_CANDIDATES: usize = 30;
/// Longest phrase label, in characters and in words.
const LABEL_CHARS: usize = 60;
const LABEL_WORDS: usize = 10;

/// A label a person would write: the most central short response (two to ten words, or a
/// single word when no central response is longer) among the theme's most central ones,
/// without its final punctuation and with a capital letter. `None` when none is short.
pub(super) fn phrase_label(pool: &[(f32, usize)], responses: &[Response]) -> Option<String> {
    let mut pool = pool.to_vec();
    pool.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    let candidates: Vec<String> = (pool.iter().take(LABEL_CANDIDATES))
        .map(|&(_, i)| {
            let text = normalise(&responses[i].text);
            (text.trim_end_matches(|c: char| c.is_ascii_punctuation() || c.is_whitespace()))
                .to_string()
        })
        .filter(|t| t.chars().count() <= LABEL_CHARS && t.chars().any(char::is_alphanumeric))
        .collect();
    let words = |t: &String| t.split_whitespace().count();
    let chosen = (candidates
        .iter()
        .find(|t| (2..=LABEL_WORDS).contains(&words(t))))
    .or_else(|| candidates.iter().find(|t| words(t) == 1))?;
    let mut chars = chosen.chars();
    let first = chars.next()?;
    Some(first.to_uppercase().chain(chars).collect())
}

/// Quotes: the closest to the centre first, skipping near-repeats of a chosen quote and very
/// short responses while longer ones remain.
pub(super) fn pick_quotes(
    pool: &[(f32, usize)],
    corpus: &Corpus,
    responses: &[Response],
    limit: usize,
) -> Vec<Quote> {
    let mut pool = pool.to_vec();
    pool.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut chosen: Vec<usize> = Vec::new();
    for min_words in [5u32, 1] {
        for &(_, i) in &pool {
            if chosen.len() >= limit {
                break;
            }
            if corpus.words[i] < min_words || chosen.contains(&i) {
                continue;
            }
            let repeat = chosen.iter().any(|&j| {
                corpus.exact[i] == corpus.exact[j]
                    || token_jaccard(corpus.tokens(i), corpus.tokens(j)) > 0.6
            });
            if !repeat {
                chosen.push(i);
            }
        }
    }
    chosen
        .into_iter()
        .map(|i| {
            let text = normalise(&responses[i].text);
            let text = if text.chars().count() > QUOTE_CHARS {
                let cut: String = text.chars().take(QUOTE_CHARS).collect();
                format!("{}…", cut.trim_end())
            } else {
                text
            };
            Quote {
                id: responses[i].id.clone(),
                text,
            }
        })
        .collect()
}

fn token_jaccard(a: &[u32], b: &[u32]) -> f64 {
    let sa: HashSet<u32> = a.iter().copied().collect();
    let sb: HashSet<u32> = b.iter().copied().collect();
    let inter = sa.intersection(&sb).count() as f64;
    let union = (sa.len() + sb.len()) as f64 - inter;
    if union == 0.0 { 1.0 } else { inter / union }
}
