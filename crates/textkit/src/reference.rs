//! Reference methods the engine is measured against (see BENCHMARKS.md): what a careful
//! analyst would get from a textbook pipeline. They share the engine's tokeniser so that the
//! comparison is about grouping, not about stop words.

use crate::cluster;
use crate::corpus::Corpus;
use crate::lang::Language;
use crate::vectorise::{Tfidf, TfidfParams};

/// Plain TF-IDF (unigrams, standard smoothed IDF, unit rows) and Euclidean k-means with
/// k-means++ seeding, one run, with the `k` it is given. Returns the cluster of each text.
pub fn tfidf_kmeans<T: AsRef<str> + Sync>(texts: &[T], k: usize, seed: u64) -> Vec<usize> {
    let corpus = Corpus::build(texts, Language::English);
    let all: Vec<usize> = (0..texts.len()).collect();
    let tfidf = Tfidf::fit(
        &corpus,
        &all,
        &TfidfParams {
            min_df: 1,
            bigrams: false,
            common_penalty: 0.0,
            bigram_weight: 0.0,
        },
    );
    let rows: Vec<_> = all
        .iter()
        .map(|&i| tfidf.vector(corpus.tokens(i)))
        .collect();
    if rows.is_empty() {
        return Vec::new();
    }
    cluster::kmeans(&rows, tfidf.len().max(1), k, false, 1, seed).assign
}
