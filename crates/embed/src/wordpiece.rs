//! BERT's uncased WordPiece tokenizer, as the model was trained with it: clean the text,
//! put spaces around CJK characters, lower-case and strip accents, split on whitespace and
//! punctuation, then cut each word into the longest pieces found in the vocabulary.

use std::collections::HashMap;
use unicode_general_category::{GeneralCategory, get_general_category};
use unicode_normalization::UnicodeNormalization;

/// Longer words become `[UNK]`, as in BERT.
const MAX_WORD_CHARS: usize = 100;

/// The vocabulary and the special tokens' ids.
pub struct WordPiece {
    ids: HashMap<String, u32>,
    /// `[UNK]`.
    pub unk: u32,
    /// `[CLS]`, first of every sequence.
    pub cls: u32,
    /// `[SEP]`, last of every sequence.
    pub sep: u32,
}

impl WordPiece {
    /// Reads `vocab.txt` (one token per line; the line number is the id).
    pub fn from_vocab(vocab: &str) -> Result<WordPiece, String> {
        let ids: HashMap<String, u32> = vocab
            .lines()
            .enumerate()
            .map(|(i, t)| (t.to_string(), i as u32))
            .collect();
        let id = |t: &str| {
            ids.get(t)
                .copied()
                .ok_or_else(|| format!("vocab.txt has no {t}"))
        };
        Ok(WordPiece {
            unk: id("[UNK]")?,
            cls: id("[CLS]")?,
            sep: id("[SEP]")?,
            ids,
        })
    }

    /// Token ids of `text` between `[CLS]` and `[SEP]`, at most `max_len` in all.
    pub fn encode(&self, text: &str, max_len: usize) -> Vec<u32> {
        let mut out = vec![self.cls];
        let budget = max_len.saturating_sub(1);
        'words: for word in basic_tokens(text) {
            for id in self.pieces(&word) {
                if out.len() >= budget {
                    break 'words;
                }
                out.push(id);
            }
        }
        out.push(self.sep);
        out
    }

    /// Greedy longest-match-first pieces of one word.
    fn pieces(&self, word: &str) -> Vec<u32> {
        let chars: Vec<(usize, char)> = word.char_indices().collect();
        if chars.len() > MAX_WORD_CHARS {
            return vec![self.unk];
        }
        let mut out = Vec::new();
        let mut start = 0;
        let mut candidate = String::with_capacity(word.len() + 2);
        while start < chars.len() {
            let mut end = chars.len();
            let mut found = None;
            while start < end {
                candidate.clear();
                if start > 0 {
                    candidate.push_str("##");
                }
                let from = chars[start].0;
                let to = chars.get(end).map_or(word.len(), |c| c.0);
                candidate.push_str(&word[from..to]);
                if let Some(&id) = self.ids.get(candidate.as_str()) {
                    found = Some(id);
                    break;
                }
                end -= 1;
            }
            match found {
                Some(id) => out.push(id),
                None => return vec![self.unk],
            }
            start = end;
        }
        out
    }
}

/// Words and punctuation marks, lower-cased and without accents.
fn basic_tokens(text: &str) -> Vec<String> {
    let mut cleaned = String::with_capacity(text.len());
    for c in text.chars() {
        if c == '\0' || c == '\u{fffd}' || is_control(c) {
            continue;
        }
        if is_cjk(c) {
            cleaned.push(' ');
            cleaned.push(c);
            cleaned.push(' ');
        } else if c.is_whitespace() {
            cleaned.push(' ');
        } else {
            cleaned.push(c);
        }
    }
    let mut out = Vec::new();
    for word in cleaned.split_whitespace() {
        let folded: String = word
            .to_lowercase()
            .nfd()
            .filter(|&c| get_general_category(c) != GeneralCategory::NonspacingMark)
            .collect();
        let mut current = String::new();
        for c in folded.chars() {
            if is_punctuation(c) {
                if !current.is_empty() {
                    out.push(std::mem::take(&mut current));
                }
                out.push(c.to_string());
            } else {
                current.push(c);
            }
        }
        if !current.is_empty() {
            out.push(current);
        }
    }
    out
}

/// Control characters other than the whitespace ones, and format characters (BERT's rule).
fn is_control(c: char) -> bool {
    if matches!(c, '\t' | '\n' | '\r') {
        return false;
    }
    matches!(
        get_general_category(c),
        GeneralCategory::Control
            | GeneralCategory::Format
            | GeneralCategory::PrivateUse
            | GeneralCategory::Surrogate
    )
}

/// ASCII non-alphanumeric printable characters, and every Unicode punctuation category.
fn is_punctuation(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_punctuation();
    }
    matches!(
        get_general_category(c),
        GeneralCategory::ConnectorPunctuation
            | GeneralCategory::DashPunctuation
            | GeneralCategory::OpenPunctuation
            | GeneralCategory::ClosePunctuation
            | GeneralCategory::InitialPunctuation
            | GeneralCategory::FinalPunctuation
            | GeneralCategory::OtherPunctuation
    )
}

/// The CJK Unified Ideographs blocks, which BERT splits into single characters.
fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x4E00..=0x9FFF
        | 0x3400..=0x4DBF
        | 0x20000..=0x2A6DF
        | 0x2A700..=0x2B73F
        | 0x2B740..=0x2B81F
        | 0x2B820..=0x2CEAF
        | 0xF900..=0xFAFF
        | 0x2F800..=0x2FA1F)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vocab() -> WordPiece {
        let words = "[PAD]\n[UNK]\n[CLS]\n[SEP]\nthe\nnurse\n##s\nwere\nlove\n##ly\n!\ncafe\n,";
        WordPiece::from_vocab(words).unwrap()
    }

    #[test]
    fn splits_words_into_pieces_and_punctuation() {
        let wp = vocab();
        assert_eq!(
            wp.encode("The NURSES were lovely!", 64),
            vec![2, 4, 5, 6, 7, 8, 9, 10, 3]
        );
    }

    #[test]
    fn folds_accents_and_marks_unknown_words() {
        let wp = vocab();
        assert_eq!(wp.encode("Café, zebra", 64), vec![2, 11, 12, 1, 3]);
    }

    #[test]
    fn truncates_to_the_maximum_length() {
        let wp = vocab();
        let ids = wp.encode("the the the the the the", 4);
        assert_eq!(ids, vec![2, 4, 4, 3]);
    }
}
