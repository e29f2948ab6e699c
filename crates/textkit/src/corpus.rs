//! Tokenising a whole set of responses at once: normalise, split into words, drop stop
//! words, stem, and intern every stem into a `u32` id.
//!
//! Built in parallel over chunks; each chunk interns locally (so each distinct word is stemmed
//! once per chunk) and the chunks are merged in order, so ids are deterministic whatever the
//! number of threads.

use crate::lang::Language;
use crate::normalise::normalise;
use rayon::prelude::*;
use std::collections::{HashMap, HashSet};
use unicode_segmentation::UnicodeSegmentation;

/// Responses with fewer words than this are never part of a campaign: "No." a hundred
/// times is agreement, not an organised letter.
pub const MIN_CAMPAIGN_WORDS: usize = 8;

/// Documents per parallel chunk.
const CHUNK: usize = 2048;

/// The tokenised responses.
#[derive(Debug, Default)]
pub struct Corpus {
    /// Stem of each token id.
    pub stems: Vec<String>,
    /// The most frequent written form of each token id (for keywords people can read).
    pub display: Vec<String>,
    offsets: Vec<usize>,
    tokens: Vec<u32>,
    /// Hash of the lower-cased word sequence: equal for exact copies, whatever the markup,
    /// case or punctuation.
    pub exact: Vec<u64>,
    /// Number of words (stop words included) in each response.
    pub words: Vec<u32>,
    shingle_offsets: Vec<usize>,
    shingles: Vec<u32>,
}

impl Corpus {
    /// Tokenises every text (raw, as it arrived: it is normalised here).
    pub fn build<T: AsRef<str> + Sync>(texts: &[T], language: Language) -> Corpus {
        let stop: FxSet<&'static str> = language.stop_words().iter().copied().collect();
        let chunks: Vec<ChunkOut> = texts
            .par_chunks(CHUNK)
            .map(|chunk| tokenise_chunk(chunk, language, &stop))
            .collect();
        merge(chunks)
    }

    /// Number of responses.
    pub fn len(&self) -> usize {
        self.exact.len()
    }

    /// True when there are no responses.
    pub fn is_empty(&self) -> bool {
        self.exact.is_empty()
    }

    /// Content token ids of response `i`, in order.
    pub fn tokens(&self, i: usize) -> &[u32] {
        &self.tokens[self.offsets[i]..self.offsets[i + 1]]
    }

    /// Sorted, distinct hashes of the three-word shingles of response `i` (empty for
    /// responses shorter than [`MIN_CAMPAIGN_WORDS`]).
    pub fn shingles(&self, i: usize) -> &[u32] {
        &self.shingles[self.shingle_offsets[i]..self.shingle_offsets[i + 1]]
    }

    /// Number of distinct token ids.
    pub fn vocab_len(&self) -> usize {
        self.stems.len()
    }
}

struct ChunkOut {
    stems: Vec<String>,
    surfaces: FxMap<String, (u32, u32)>,
    offsets: Vec<usize>,
    tokens: Vec<u32>,
    exact: Vec<u64>,
    words: Vec<u32>,
    shingle_offsets: Vec<usize>,
    shingles: Vec<u32>,
}

/// 64-bit FNV-1a followed by a strong finaliser: fast, deterministic across platforms.
pub(crate) fn hash_bytes(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    mix64(h)
}

/// SplitMix64 finaliser.
pub(crate) fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn tokenise_chunk<T: AsRef<str>>(chunk: &[T], language: Language, stop: &FxSet<&str>) -> ChunkOut {
    let stemmer = language.stemmer();
    let mut out = ChunkOut {
        stems: Vec::new(),
        surfaces: FxMap::default(),
        offsets: vec![0],
        tokens: Vec::new(),
        exact: Vec::with_capacity(chunk.len()),
        words: Vec::with_capacity(chunk.len()),
        shingle_offsets: vec![0],
        shingles: Vec::new(),
    };
    let mut stem_ids: FxMap<String, u32> = FxMap::default();
    let mut word_hashes: Vec<u64> = Vec::new();
    let mut lower = String::new();
    for text in chunk {
        let norm = normalise(text.as_ref());
        word_hashes.clear();
        for word in norm.unicode_words() {
            lower.clear();
            for c in word.chars() {
                // Typographic apostrophes are the same word as typed ones.
                if c == '\u{2019}' || c == '\u{2018}' {
                    lower.push('\'');
                } else {
                    lower.extend(c.to_lowercase());
                }
            }
            word_hashes.push(hash_bytes(lower.as_bytes()));
            if stop.contains(lower.as_str()) || is_noise(&lower) {
                continue;
            }
            let id = match out.surfaces.get_mut(lower.as_str()) {
                Some((id, n)) => {
                    *n += 1;
                    *id
                }
                None => {
                    let base = lower.trim_end_matches("'s").trim_end_matches('\'');
                    let stem = match &stemmer {
                        Some(s) => s.stem(base).into_owned(),
                        None => base.to_string(),
                    };
                    let next = out.stems.len() as u32;
                    let id = *stem_ids.entry(stem.clone()).or_insert_with(|| {
                        out.stems.push(stem);
                        next
                    });
                    out.surfaces.insert(lower.clone(), (id, 1));
                    id
                }
            };
            out.tokens.push(id);
        }
        out.offsets.push(out.tokens.len());
        let mut exact = 0x9e37_79b9_7f4a_7c15u64;
        for h in &word_hashes {
            exact = mix64(exact ^ h);
        }
        out.exact.push(exact);
        out.words.push(word_hashes.len() as u32);
        if word_hashes.len() >= MIN_CAMPAIGN_WORDS {
            let start = out.shingles.len();
            for w in word_hashes.windows(3) {
                let h = mix64(w[0].wrapping_mul(3) ^ w[1].rotate_left(21) ^ w[2]);
                out.shingles.push((h >> 32) as u32);
            }
            out.shingles[start..].sort_unstable();
            let mut write = start;
            for read in start..out.shingles.len() {
                if write == start || out.shingles[read] != out.shingles[write - 1] {
                    out.shingles[write] = out.shingles[read];
                    write += 1;
                }
            }
            out.shingles.truncate(write);
        }
        out.shingle_offsets.push(out.shingles.len());
    }
    out
}

/// Words that carry no theme: single letters and numbers.
fn is_noise(w: &str) -> bool {
    let mut chars = w.chars();
    let first = chars.next();
    let single_ascii = first.is_some_and(|c| c.is_ascii()) && chars.next().is_none();
    single_ascii
        || w.chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == ',')
}

fn merge(chunks: Vec<ChunkOut>) -> Corpus {
    let mut corpus = Corpus {
        offsets: vec![0],
        shingle_offsets: vec![0],
        ..Corpus::default()
    };
    let mut global: FxMap<String, u32> = FxMap::default();
    // Written form → (id, count), to pick a readable form for each stem.
    let mut forms: FxMap<String, (u32, u32)> = FxMap::default();
    for chunk in chunks {
        let remap: Vec<u32> = chunk
            .stems
            .into_iter()
            .map(|stem| {
                let next = corpus.stems.len() as u32;
                *global.entry(stem.clone()).or_insert_with(|| {
                    corpus.stems.push(stem);
                    next
                })
            })
            .collect();
        for (form, (local, n)) in chunk.surfaces {
            let e = forms.entry(form).or_insert((remap[local as usize], 0));
            e.1 += n;
        }
        let base = corpus.tokens.len();
        corpus
            .tokens
            .extend(chunk.tokens.iter().map(|t| remap[*t as usize]));
        corpus
            .offsets
            .extend(chunk.offsets[1..].iter().map(|o| o + base));
        let sbase = corpus.shingles.len();
        corpus.shingles.extend_from_slice(&chunk.shingles);
        corpus
            .shingle_offsets
            .extend(chunk.shingle_offsets[1..].iter().map(|o| o + sbase));
        corpus.exact.extend(chunk.exact);
        corpus.words.extend(chunk.words);
    }
    let mut best: Vec<(u32, &str)> = vec![(0, ""); corpus.stems.len()];
    for (form, (id, n)) in &forms {
        let slot = &mut best[*id as usize];
        // Most frequent form; ties go to the shorter, then alphabetically first, form.
        if *n > slot.0 || (*n == slot.0 && (form.len(), form.as_str()) < (slot.1.len(), slot.1)) {
            *slot = (*n, form.as_str());
        }
    }
    corpus.display = best
        .iter()
        .zip(&corpus.stems)
        .map(|((_, f), s)| {
            if f.is_empty() {
                s.clone()
            } else {
                (*f).to_string()
            }
        })
        .collect();
    corpus
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stems_drop_stop_words_and_share_ids() {
        let c = Corpus::build(
            &["The waiting times are long", "<p>Waiting TIME</p>"],
            Language::English,
        );
        assert_eq!(c.len(), 2);
        let a: Vec<&str> = c
            .tokens(0)
            .iter()
            .map(|t| c.stems[*t as usize].as_str())
            .collect();
        assert_eq!(a, ["wait", "time", "long"]);
        assert_eq!(c.tokens(1), &c.tokens(0)[..2]);
        assert_eq!(c.display[c.tokens(0)[0] as usize], "waiting");
    }

    #[test]
    fn exact_hash_ignores_markup_and_case() {
        let c = Corpus::build(
            &[
                "Save our library, please!",
                "<b>save</b> OUR library please",
                "Save our pool",
            ],
            Language::English,
        );
        assert_eq!(c.exact[0], c.exact[1]);
        assert_ne!(c.exact[0], c.exact[2]);
    }

    #[test]
    fn ids_do_not_depend_on_chunking() {
        let texts: Vec<String> = (0..5000)
            .map(|i| format!("word{} shared text {}", i % 7, i % 3))
            .collect();
        let c = Corpus::build(&texts, Language::English);
        let first: Vec<&str> = c
            .tokens(4999)
            .iter()
            .map(|t| c.stems[*t as usize].as_str())
            .collect();
        assert_eq!(first, ["word1", "share", "text"]);
    }
}

/// A fast, deterministic hasher for short keys (words, ids): the Fx hash used inside rustc.
/// Not resistant to crafted collisions, which is acceptable here: keys are words of a file the
/// operator chose to analyse, and the worst case is slower, never wrong.
#[derive(Default, Clone, Copy)]
pub struct FxHasher(u64);

impl std::hash::Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut b = [0u8; 8];
            b.copy_from_slice(c);
            self.add(u64::from_le_bytes(b));
        }
        for &b in chunks.remainder() {
            self.add(u64::from(b));
        }
    }
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }
    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

impl FxHasher {
    fn add(&mut self, x: u64) {
        self.0 = (self.0.rotate_left(5) ^ x).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

/// `HashMap` with [`FxHasher`].
pub type FxMap<K, V> = HashMap<K, V, std::hash::BuildHasherDefault<FxHasher>>;
/// `HashSet` with [`FxHasher`].
pub type FxSet<K> = HashSet<K, std::hash::BuildHasherDefault<FxHasher>>;
