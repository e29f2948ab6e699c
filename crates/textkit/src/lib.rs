//! The evidence engine: turns thousands of free-text responses into an honest, auditable
//! account of what people said. Pure Rust, synchronous, no I/O, deterministic for a seed.
//!
//! ```
//! use textkit::{analyse, Config, Response};
//! let buses = ["late", "fares", "timetable", "routes", "drivers"];
//! let library = ["books", "opening hours", "computers", "staff", "study space"];
//! let responses: Vec<Response> = (0..30)
//!     .map(|i| Response::new(format!("r{i}"), match i % 2 {
//!         0 => format!("The bus {} and the bus {} need fixing", buses[i % 5], buses[(i / 5) % 5]),
//!         _ => format!("The library {} and library {} matter", library[i % 5], library[(i / 7) % 5]),
//!     }, None))
//!     .collect();
//! let result = analyse(&responses, &Config::default());
//! assert_eq!(result.responses, 30);
//! assert!(result.themes.len() >= 2);
//! ```
//!
//! # What it does
//!
//! 1. **Normalise** ([`normalise()`]): HTML tags and entities from other tools, NFKC, invisible
//!    characters, whitespace. Then tokenise (Unicode word boundaries), drop stop words and stem
//!    ([`Language`]), interning stems as `u32` ids ([`corpus::Corpus`]).
//! 2. **Campaigns** ([`campaigns`]): exact and near-copies of one text (MinHash/LSH candidates
//!    over three-word shingles, verified on the real shingle sets), 3+ responses by default.
//! 3. **Themes** ([`themes`]): TF-IDF with question words weighted down, latent semantic
//!    analysis, spherical k-means fitted on a deterministic sample (the number of themes chosen
//!    by silhouette unless requested), then one linear pass assigns every response to its
//!    nearest theme, a second theme when nearly as near, or `unassigned` when no theme is near.
//!
//! # Counting
//!
//! - A theme's `count` is the number of distinct responses in it (campaign members included).
//! - A theme's `share` counts each campaign **once**: every campaign member weighs
//!   `1 / campaign size`, every other response weighs 1, and
//!   `share = (sum of weights of the theme's members) / (responses not in a campaign + number of campaigns)`.
//!   Shares of several themes can add up to more than 1 because a response may be in two themes.
//! - `segments` counts the theme's responses per segment (each response once, campaigns not
//!   collapsed: it answers "who wrote these").
//!
//! # Reproducing a result
//!
//! [`Analysis::meta`] records the engine version, seed, language and every parameter: the
//! same input with the same `meta` gives the same output, whatever the number of threads.

pub mod campaigns;
pub mod cluster;
pub mod corpus;
pub mod dense;
pub mod lang;
pub mod metrics;
pub mod normalise;
pub mod reference;
pub mod rng;
pub mod synth;
pub mod themes;
pub mod vectorise;

pub use lang::Language;
pub use normalise::normalise;
pub use themes::{
    Analysis, Campaign, Config, Group, Meta, Quote, Theme, analyse, analyse_with_progress,
};
pub use vectorise::Embedder;

/// One response to a question.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Response {
    /// The response's identifier, unique within a run.
    pub id: String,
    /// What the person wrote, as it arrived (may contain HTML).
    pub text: String,
    /// The respondent's segment, for example "individual" or "organisation".
    pub segment: Option<String>,
}

impl Response {
    /// A response.
    pub fn new(id: impl Into<String>, text: impl Into<String>, segment: Option<String>) -> Self {
        Response {
            id: id.into(),
            text: text.into(),
            segment,
        }
    }
}

/// The stages reported to a progress callback, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Normalising and tokenising.
    Tokenising,
    /// Looking for campaigns.
    Campaigns,
    /// Embedding distinct texts with the sentence embedder.
    Embedding,
    /// Fitting themes on the sample.
    Themes,
    /// Assigning every response to themes.
    Assigning,
}
