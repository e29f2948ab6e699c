//! Campaign detection: exact copies and near-copies of one text.
//!
//! 1. Exact copies (same words in the same order after normalisation, whatever the markup,
//!    case or punctuation) are grouped by hash.
//! 2. One representative per group gets a MinHash signature over its three-word shingles
//!    ([`HASHES`] hashes), cut into [`BANDS`] bands of [`ROWS`] rows (locality-sensitive
//!    hashing). Texts that share a band are *candidates*: the chance of becoming candidates is
//!    about 0.93 at Jaccard 0.5 and 0.99 at 0.6.
//! 3. Every candidate pair is *verified* on the real shingle sets: it is a near-copy when the
//!    overlap `|A∩B| / min(|A|,|B|)` is at least [`MIN_OVERLAP`] and the Jaccard similarity
//!    `|A∩B| / |A∪B|` at least [`MIN_JACCARD`]. Overlap tolerates a personal paragraph added to
//!    a letter; the Jaccard floor stops a short text quoted inside a long essay from counting;
//!    and at least [`MIN_SHARED`] shingles must be shared, so that short answers sharing a
//!    stock phrase are not taken for copies.
//! 4. Verified pairs are joined (union–find). The most copied text of each group stands for
//!    it, and every member must itself be a verified near-copy of that text (joining is
//!    transitive, so a chain of small differences could otherwise drift into unrelated text).
//!    A group of at least `min_size` responses (default 3) is a campaign. Texts shorter than
//!    [`MIN_CAMPAIGN_WORDS`] words never are.
//!
//! Cost is linear: each band is sorted once, and inside a bucket each text is compared with
//! at most [`LEADERS`] bucket leaders, never with every other member.

use crate::corpus::FxMap as HashMap;
use crate::corpus::{Corpus, MIN_CAMPAIGN_WORDS, mix64};
use rayon::prelude::*;

/// Number of MinHash functions.
pub const HASHES: usize = BANDS * ROWS;
/// Number of LSH bands.
pub const BANDS: usize = 20;
/// Rows per LSH band.
pub const ROWS: usize = 3;
/// Minimum overlap coefficient of shingle sets for a verified near-copy.
pub const MIN_OVERLAP: f64 = 0.7;
/// Minimum Jaccard similarity of shingle sets for a verified near-copy.
pub const MIN_JACCARD: f64 = 0.3;
/// Minimum number of shared shingles for a verified near-copy (about a dozen words in the same
/// order): short texts that share a stock phrase ("the right to keep and bear arms") are not
/// copies of each other. Exact copies need no such overlap.
pub const MIN_SHARED: usize = 12;
/// Comparisons per text per bucket, which bounds the work in a bucket of a huge campaign.
const LEADERS: usize = 4;

/// A detected campaign: response indices (ascending) and the index of its canonical text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CampaignGroup {
    /// Indices of every response in the campaign, ascending.
    pub members: Vec<usize>,
    /// The index of the response whose text stands for the campaign: the most copied exact
    /// text (ties: the earliest).
    pub canonical: usize,
}

/// Finds campaigns of at least `min_size` responses, largest first (ties: earliest canonical).
pub fn detect(corpus: &Corpus, min_size: usize, seed: u64) -> Vec<CampaignGroup> {
    let n = corpus.len();
    // 1. Exact copies.
    let mut group_of: Vec<u32> = vec![u32::MAX; n];
    let mut reps: Vec<usize> = Vec::new();
    let mut sizes: Vec<usize> = Vec::new();
    let mut by_hash: HashMap<u64, u32> = HashMap::default();
    for (i, slot) in group_of.iter_mut().enumerate() {
        if (corpus.words[i] as usize) < MIN_CAMPAIGN_WORDS || corpus.shingles(i).is_empty() {
            continue;
        }
        let g = *by_hash.entry(corpus.exact[i]).or_insert_with(|| {
            reps.push(i);
            sizes.push(0);
            (reps.len() - 1) as u32
        });
        *slot = g;
        sizes[g as usize] += 1;
    }
    drop(by_hash);
    let groups = reps.len();

    // 2. MinHash signatures of the representatives.
    let (mul, add) = hash_params(seed);
    // Values are compared as signed integers: any fixed order works for MinHash, and signed
    // minimum vectorises on every x86-64 (unsigned minimum needs SSE4.1).
    let signatures: Vec<[i32; HASHES]> = reps
        .par_iter()
        .map(|&i| {
            let mut sig = [i32::MAX; HASHES];
            for &s in corpus.shingles(i) {
                for h in 0..HASHES {
                    let v = s.wrapping_mul(mul[h]).wrapping_add(add[h]);
                    let v = (v ^ (v >> 15)) as i32;
                    sig[h] = sig[h].min(v);
                }
            }
            sig
        })
        .collect();

    // 3. Candidates per band, verified, joined.
    let mut uf = UnionFind::new(groups);
    // Each key packs a 32-bit band hash above the text's index: sorting plain u64s is about twice
    // as fast as sorting pairs, and the rare 32-bit collision only costs a verification.
    let mut keys: Vec<u64> = Vec::with_capacity(groups);
    for band in 0..BANDS {
        keys.clear();
        keys.par_extend(signatures.par_iter().enumerate().map(|(g, sig)| {
            let mut k = mix64(band as u64 + 1);
            for r in 0..ROWS {
                k = mix64(k ^ u64::from(sig[band * ROWS + r] as u32));
            }
            (k & 0xffff_ffff_0000_0000) | g as u64
        }));
        keys.par_sort_unstable();
        let mut buckets: Vec<(usize, usize)> = Vec::new();
        let mut start = 0;
        while start < keys.len() {
            let mut end = start + 1;
            while end < keys.len() && keys[end] >> 32 == keys[start] >> 32 {
                end += 1;
            }
            if end - start > 1 {
                buckets.push((start, end));
            }
            start = end;
        }
        // Verification is pure, so buckets are checked in parallel; joining stays sequential.
        let verified: Vec<(usize, usize)> = buckets
            .par_iter()
            .flat_map_iter(|&(s, e)| verify_bucket(&keys[s..e], &reps, &signatures, corpus))
            .collect();
        for (a, b) in verified {
            uf.union(a, b);
        }
    }
    // 4. The most copied exact text of each component stands for it (ties: the earliest).
    let mut best: HashMap<usize, usize> = HashMap::default();
    for g in 0..groups {
        let root = uf.find(g);
        let e = best.entry(root).or_insert(g);
        if (sizes[g], std::cmp::Reverse(reps[g])) > (sizes[*e], std::cmp::Reverse(reps[*e])) {
            *e = g;
        }
    }
    // 5. Star check against that text: joining is transitive, and a chain of texts each a
    //    near-copy of the next can drift far from where it started. Only texts that are
    //    themselves near-copies of the campaign's text stay in it.
    let mut comp_size: HashMap<usize, usize> = HashMap::default();
    let mut kept = vec![false; groups];
    for g in 0..groups {
        let root = uf.find(g);
        let c = best[&root];
        if c == g || near_copy(corpus.shingles(reps[g]), corpus.shingles(reps[c])) {
            kept[g] = true;
            *comp_size.entry(root).or_insert(0) += sizes[g];
        }
    }
    let mut members: HashMap<usize, Vec<usize>> = HashMap::default();
    for (i, &g) in group_of.iter().enumerate() {
        if g == u32::MAX || !kept[g as usize] {
            continue;
        }
        let root = uf.find(g as usize);
        if comp_size[&root] >= min_size.max(2) {
            members.entry(root).or_default().push(i);
        }
    }
    let mut out: Vec<CampaignGroup> = members
        .into_iter()
        .map(|(root, members)| CampaignGroup {
            members,
            canonical: reps[best[&root]],
        })
        .collect();
    out.sort_by_key(|c| (std::cmp::Reverse(c.members.len()), c.canonical));
    out
}

/// Verified near-copy pairs in one LSH bucket: each text is compared with the bucket's first
/// few distinct texts ("leaders") only, so a bucket of a huge campaign costs linear time.
fn verify_bucket(
    bucket: &[u64],
    reps: &[usize],
    signatures: &[[i32; HASHES]],
    corpus: &Corpus,
) -> Vec<(usize, usize)> {
    let mut leaders: Vec<usize> = Vec::with_capacity(LEADERS);
    let mut pairs = Vec::new();
    for &key in bucket {
        let g = (key & 0xffff_ffff) as usize;
        let mut joined = false;
        for &l in &leaders {
            // The signatures estimate Jaccard for free; far below the verification threshold
            // the exact check cannot pass and is skipped.
            if estimated_jaccard(&signatures[l], &signatures[g]) >= MIN_JACCARD / 2.0
                && near_copy(corpus.shingles(reps[l]), corpus.shingles(reps[g]))
            {
                pairs.push((l, g));
                joined = true;
                break;
            }
        }
        if !joined && leaders.len() < LEADERS {
            leaders.push(g);
        }
    }
    pairs
}

/// Share of equal MinHash values: an unbiased estimate of the Jaccard similarity.
fn estimated_jaccard(a: &[i32; HASHES], b: &[i32; HASHES]) -> f64 {
    a.iter().zip(b).filter(|(x, y)| x == y).count() as f64 / HASHES as f64
}

/// The verification step: a real similarity on the full shingle sets.
pub fn near_copy(a: &[u32], b: &[u32]) -> bool {
    if a.is_empty() || b.is_empty() {
        return false;
    }
    let shared = intersection(a, b);
    if shared < MIN_SHARED {
        return false;
    }
    let inter = shared as f64;
    let small = a.len().min(b.len()) as f64;
    let union = (a.len() + b.len()) as f64 - inter;
    inter / small >= MIN_OVERLAP && inter / union >= MIN_JACCARD
}

fn intersection(a: &[u32], b: &[u32]) -> usize {
    let (mut i, mut j, mut n) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                n += 1;
                i += 1;
                j += 1;
            }
        }
    }
    n
}

fn hash_params(seed: u64) -> ([u32; HASHES], [u32; HASHES]) {
    let mut mul = [0u32; HASHES];
    let mut add = [0u32; HASHES];
    let mut s = mix64(seed ^ 0x5eed_ca3a_0000_0001);
    for h in 0..HASHES {
        s = mix64(s.wrapping_add(0x9e37_79b9_7f4a_7c15));
        mul[h] = (s as u32) | 1;
        add[h] = (s >> 32) as u32;
    }
    (mul, add)
}

struct UnionFind {
    parent: Vec<usize>,
}

impl UnionFind {
    fn new(n: usize) -> Self {
        UnionFind {
            parent: (0..n).collect(),
        }
    }
    fn find(&mut self, mut x: usize) -> usize {
        while self.parent[x] != x {
            self.parent[x] = self.parent[self.parent[x]];
            x = self.parent[x];
        }
        x
    }
    fn union(&mut self, a: usize, b: usize) {
        let (ra, rb) = (self.find(a), self.find(b));
        // The smaller index becomes the root, so results do not depend on visiting order.
        if ra < rb {
            self.parent[rb] = ra;
        } else if rb < ra {
            self.parent[ra] = rb;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::Language;

    const LETTER: &str = "I am writing to oppose the closure of the Riverside branch library. \
        It is used every day by children after school, by older people who have no internet \
        at home and by job seekers. Closing it would save very little money and cost the \
        community a great deal.";

    #[test]
    fn finds_copies_and_near_copies_but_not_ordinary_responses() {
        let texts = vec![
            LETTER.to_string(),
            format!("<p>{LETTER}</p>"),
            LETTER
                .replace("every day", "each day")
                .replace("great deal", "lot"),
            format!("My grandmother goes there on Tuesdays and loves it. {LETTER}"),
            "The buses are late every morning and the fares keep going up for no reason.".into(),
            "Please fix the potholes on the high street before someone gets badly hurt.".into(),
            "The library should open on Sundays so working families can use it too.".into(),
        ];
        let c = Corpus::build(&texts, Language::English);
        let found = detect(&c, 3, 7);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].members, vec![0, 1, 2, 3]);
        assert_eq!(found[0].canonical, 0);
    }

    #[test]
    fn two_copies_are_not_a_campaign() {
        let texts = vec![
            LETTER.to_string(),
            LETTER.to_string(),
            "Something else entirely here today".into(),
        ];
        let c = Corpus::build(&texts, Language::English);
        assert!(detect(&c, 3, 1).is_empty());
    }

    #[test]
    fn short_identical_answers_are_not_a_campaign() {
        let texts = vec!["No."; 50];
        let c = Corpus::build(&texts, Language::English);
        assert!(detect(&c, 3, 1).is_empty());
    }

    #[test]
    fn verification_thresholds() {
        let a: Vec<u32> = (0..40).collect();
        let b: Vec<u32> = (10..50).collect(); // 30 shared of 40: overlap 0.75, Jaccard 0.6
        assert!(near_copy(&a, &b));
        let short: Vec<u32> = (0..10).collect(); // 9 shared of 10: too little text to call it a copy
        assert!(!near_copy(&short, &(1..11).collect::<Vec<u32>>()));
        let c: Vec<u32> = (20..60).collect(); // 20 shared: overlap 0.5
        assert!(!near_copy(&a, &c));
        let long: Vec<u32> = (0..200).collect(); // a contained in a much longer text: Jaccard 0.2
        assert!(!near_copy(&a, &long));
    }
}
