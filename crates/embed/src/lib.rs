//! Sentence embeddings on the CPU, in-process, with no network: a BERT encoder of the
//! all-MiniLM-L6-v2 class and its WordPiece tokenizer, loaded from a folder holding the
//! model's `config.json`, `vocab.txt` and `model.safetensors` (as sentence-transformers lays
//! them out). Vectors are the mean of the final token vectors, scaled to unit length, as
//! sentence-transformers computes them for this model.
//!
//! Work is split into batches fixed by the input alone (texts ordered by length, then cut by
//! a token budget), and a sentence's vector does not depend on its batch: the same texts give
//! the same vectors whatever the number of threads.

mod bert;
mod safetensors;
mod wordpiece;

use rayon::prelude::*;
use sha2::{Digest, Sha256};
use std::path::Path;

pub use wordpiece::WordPiece;

/// How the model runs, for the record.
pub const RUNTIME: &str = concat!(
    "townhall embed ",
    env!("CARGO_PKG_VERSION"),
    " (pure Rust BERT encoder, f32 on the CPU, matrixmultiply)"
);

/// Tokens per sentence, `[CLS]` and `[SEP]` included; longer texts are cut (the limit
/// sentence-transformers uses for this model).
pub const MAX_TOKENS: usize = 256;
/// Tokens per batch: big enough for efficient matrix products, small enough to stay in cache.
const BATCH_TOKENS: usize = 2048;

/// A loaded sentence-embedding model.
pub struct Model {
    bert: bert::Bert,
    vocab: WordPiece,
    name: String,
    sha256: String,
}

/// Why a model folder could not be used.
#[derive(Debug)]
pub struct LoadError(pub String);

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for LoadError {}

impl Model {
    /// Loads the model in `dir`. Its name is the folder's name.
    pub fn load(dir: &Path) -> Result<Model, LoadError> {
        let read = |file: &str| {
            std::fs::read(dir.join(file))
                .map_err(|e| LoadError(format!("cannot read {}: {e}", dir.join(file).display())))
        };
        let config = read("config.json")?;
        let shape: bert::Shape = serde_json::from_slice(&config)
            .map_err(|e| LoadError(format!("{}: {e}", dir.join("config.json").display())))?;
        let vocab = String::from_utf8(read("vocab.txt")?)
            .map_err(|_| LoadError("vocab.txt is not UTF-8".into()))?;
        if vocab.lines().count() > shape.vocab_size {
            return Err(LoadError(
                "vocab.txt has more tokens than the model's vocab_size".into(),
            ));
        }
        let vocab = WordPiece::from_vocab(&vocab).map_err(LoadError)?;
        let weights = read("model.safetensors")?;
        let sha256 = hex::encode(Sha256::digest(&weights));
        let tensors = safetensors::Tensors::parse(weights).map_err(LoadError)?;
        let bert = bert::Bert::load(shape, &tensors).map_err(LoadError)?;
        let name = dir
            .file_name()
            .map_or_else(|| "model".into(), |n| n.to_string_lossy().into_owned());
        Ok(Model {
            bert,
            vocab,
            name,
            sha256,
        })
    }

    /// The model's name (its folder's name).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// SHA-256 of `model.safetensors`, in hex.
    pub fn sha256(&self) -> &str {
        &self.sha256
    }

    /// Length of the vectors.
    pub fn dim(&self) -> usize {
        self.bert.dim()
    }

    /// Token ids of a text, as the encoder sees it.
    pub fn tokens(&self, text: &str) -> Vec<u32> {
        self.vocab.encode(text, MAX_TOKENS.min(self.bert.max_len()))
    }

    /// Unit vectors of `texts`, `dim()` numbers each, concatenated in input order. Runs on
    /// rayon's threads.
    pub fn embed(&self, texts: &[&str]) -> Vec<f32> {
        let dim = self.dim();
        let tokens: Vec<Vec<u32>> = texts.par_iter().map(|t| self.tokens(t)).collect();
        let mut order: Vec<usize> = (0..texts.len()).collect();
        order.sort_by_key(|&i| (tokens[i].len(), i));
        let mut batches: Vec<&[usize]> = Vec::new();
        let mut start = 0;
        let mut budget = 0;
        for (at, &i) in order.iter().enumerate() {
            budget += tokens[i].len();
            if budget >= BATCH_TOKENS {
                batches.push(&order[start..=at]);
                start = at + 1;
                budget = 0;
            }
        }
        if start < order.len() {
            batches.push(&order[start..]);
        }
        let pieces: Vec<Vec<f32>> = batches
            .par_iter()
            .map(|batch| {
                let sentences: Vec<Vec<u32>> = batch.iter().map(|&i| tokens[i].clone()).collect();
                let mut out = vec![0f32; batch.len() * dim];
                self.bert.mean_pooled(&sentences, &mut out);
                for v in out.chunks_mut(dim) {
                    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
                    if norm > 0.0 {
                        v.iter_mut().for_each(|x| *x /= norm);
                    }
                }
                out
            })
            .collect();
        let mut vectors = vec![0f32; texts.len() * dim];
        for (batch, piece) in batches.iter().zip(pieces) {
            for (&i, v) in batch.iter().zip(piece.chunks(dim)) {
                vectors[i * dim..(i + 1) * dim].copy_from_slice(v);
            }
        }
        vectors
    }
}

#[cfg(test)]
mod tests;
