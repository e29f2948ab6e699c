//! Languages: stop words and stemmers.
//!
//! English is complete. Welsh has a stop-word list and no stemmer yet (rust-stemmers has no
//! Welsh algorithm): words are used as they are, which still groups responses, only less
//! tightly. Adding a language means a variant here, its stop words and, if one exists, a stemmer.

use rust_stemmers::{Algorithm, Stemmer};
use serde::{Deserialize, Serialize};

/// The language of a set of responses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    /// English: Snowball (Porter 2) stemmer and an English stop-word list.
    #[default]
    English,
    /// Welsh (Cymraeg): stop-word list only, no stemming.
    Welsh,
}

impl Language {
    /// Stop words: words that say nothing about what a response is about.
    pub fn stop_words(self) -> &'static [&'static str] {
        match self {
            Language::English => ENGLISH_STOP,
            Language::Welsh => WELSH_STOP,
        }
    }

    /// A stemmer for the language, if there is one.
    pub fn stemmer(self) -> Option<Stemmer> {
        match self {
            Language::English => Some(Stemmer::create(Algorithm::English)),
            Language::Welsh => None,
        }
    }

    /// The language's name as recorded in `meta`.
    pub fn name(self) -> &'static str {
        match self {
            Language::English => "english",
            Language::Welsh => "welsh",
        }
    }
}

/// English stop words: function words plus the words every consultation response uses
/// ("think", "would", "people") that never distinguish one theme from another.
const ENGLISH_STOP: &[&str] = &[
    "a", "about", "above", "after", "again", "against", "all", "also", "am", "an", "and", "any",
    "are", "aren't", "as", "at", "be", "because", "been", "before", "being", "below", "between",
    "both", "but", "by", "can", "can't", "cannot", "could", "couldn't", "did", "didn't", "do",
    "does", "doesn't", "doing", "don't", "down", "during", "each", "either", "else", "etc",
    "even", "ever", "every", "few", "for", "from", "further", "get", "gets", "got", "had",
    "hadn't", "has", "hasn't", "have", "haven't", "having", "he", "he'd", "he'll", "he's", "her",
    "here", "here's", "hers", "herself", "him", "himself", "his", "how", "how's", "however", "i",
    "i'd", "i'll", "i'm", "i've", "ie", "if", "in", "into", "is", "isn't", "it", "it's", "its",
    "itself", "just", "let's", "may", "me", "might", "more", "most", "much", "must", "mustn't",
    "my", "myself", "no", "nor", "not", "now", "of", "off", "often", "on", "once", "one", "only",
    "or", "other", "ought", "our", "ours", "ourselves", "out", "over", "own", "per", "quite",
    "rather", "really", "same", "shall", "shan't", "she", "she'd", "she'll", "she's", "should",
    "shouldn't", "so", "some", "such", "than", "that", "that's", "the", "their", "theirs",
    "them", "themselves", "then", "there", "there's", "these", "they", "they'd", "they'll",
    "they're", "they've", "thing", "things", "think", "this", "those", "though", "through",
    "thus", "to", "too", "under", "until", "up", "upon", "us", "very", "via", "was", "wasn't",
    "way", "we", "we'd", "we'll", "we're", "we've", "well", "were", "weren't", "what", "what's",
    "when", "when's", "where", "where's", "whether", "which", "while", "who", "who's", "whom",
    "why", "why's", "will", "with", "within", "without", "won't", "would", "wouldn't", "yes",
    "yet", "you", "you'd", "you'll", "you're", "you've", "your", "yours", "yourself",
    "yourselves", "many", "lot", "lots", "make", "makes", "made", "like", "want", "need", "use",
    "used", "using", "people", "believe", "feel", "agree", "disagree", "still", "already",
    "always", "never", "something", "anything", "everything", "nothing", "someone", "anyone",
    "everyone", "able", "go", "going", "know", "see", "say", "said", "take", "put", "come",
    "give", "let", "keep", "seem", "therefore", "since", "another", "around", "across",
    "towards", "toward", "whilst", "less", "least", "new", "good", "bad", "better", "way",
    "ways", "will", "many", "new", "dont", "cant", "wont", "im", "ive", "isnt", "doesnt",
];

/// Welsh stop words (common function words, pronouns, forms of "bod").
const WELSH_STOP: &[&str] = &[
    "a", "ac", "am", "ar", "at", "bod", "bydd", "byddai", "bydd", "dan", "dros", "drwy", "dy",
    "e", "ei", "eich", "ein", "eu", "fe", "fi", "fy", "gan", "gyda", "hi", "hwn", "hwnnw",
    "hon", "honno", "hynny", "i", "mae", "maen", "mai", "nad", "nag", "nhw", "ni", "nid", "o",
    "oedd", "oes", "os", "pan", "pob", "sydd", "trwy", "un", "wedi", "wrth", "y", "ych", "yn",
    "yr", "yw", "'r", "'n", "'i", "'w", "fel", "ond", "neu", "iawn", "hefyd", "dim", "rwy",
    "rydw", "rydym", "roedd", "oherwydd", "mwy", "dylai", "gall", "gallai", "allan", "ati",
    "ato", "iddo", "iddi", "iddynt", "arno", "arni", "ynddo", "hyn", "yma", "yno", "beth",
    "pwy", "sut", "pam", "ble", "pryd", "ydy", "ydw", "ydych", "ydyn",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn english_stems_and_welsh_does_not() {
        let s = Language::English.stemmer().expect("english has a stemmer");
        assert_eq!(s.stem("waiting"), "wait");
        assert!(Language::Welsh.stemmer().is_none());
        assert!(Language::Welsh.stop_words().contains(&"yn"));
    }
}
