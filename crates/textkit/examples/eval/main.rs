//! Quality evaluation of the themes on two real, human-coded data sets:
//!
//! - **ArgKP** (IBM Debater): arguments grouped by experts under key points, per topic and
//!   stance ([`argkp`]);
//! - **patient feedback**: short answers to NHS Friends and Family Test questions, coded by
//!   the trusts' staff into 9 categories and 44 subcategories ([`feedback`]).
//!
//! ```text
//! cargo run --release -p textkit --example eval -- [--model DIR] [--argkp DIR] [--feedback FILE] [--only argkp|feedback]
//! ```
//!
//! `--model` (default `models/all-MiniLM-L6-v2` when it exists; `--model none` for the lexical
//! engine) turns on semantic themes. Engine parameters can be overridden for experiments with
//! TK_LSA, TK_THRESHOLD, TK_SECOND, TK_PENALTY, TK_MAX_THEMES, TK_MIN_DF, TK_BIGRAMS,
//! TK_RESTARTS, TK_SEED, TK_BIGRAM_WEIGHT, TK_THEME_SIZE, TK_AGREEMENT, TK_THEMES, TK_GROUPS and TK_LEXICAL.

mod argkp;
mod feedback;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use textkit::Config;

fn env<T: std::str::FromStr>(name: &str) -> Option<T> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

fn config() -> Config {
    let mut c = Config::default();
    if let Some(v) = env("TK_LSA") {
        c.lsa_dims = v;
    }
    if let Some(v) = env("TK_THRESHOLD") {
        c.assign_threshold = v;
    }
    if let Some(v) = env("TK_SECOND") {
        c.second_ratio = v;
    }
    if let Some(v) = env("TK_PENALTY") {
        c.tfidf.common_penalty = v;
    }
    if let Some(v) = env("TK_MAX_THEMES") {
        c.max_themes = v;
    }
    if let Some(v) = env("TK_MIN_DF") {
        c.tfidf.min_df = v;
    }
    if let Some(v) = env::<u8>("TK_BIGRAMS") {
        c.tfidf.bigrams = v != 0;
    }
    if let Some(v) = env("TK_RESTARTS") {
        c.restarts = v;
    }
    if let Some(v) = env("TK_SEED") {
        c.seed = v;
    }
    if let Some(v) = env("TK_BIGRAM_WEIGHT") {
        c.tfidf.bigram_weight = v;
    }
    if let Some(v) = env("TK_THEME_SIZE") {
        c.theme_size = v;
    }
    if let Some(v) = env("TK_AGREEMENT") {
        c.min_agreement = v;
    }
    c.themes = env("TK_THEMES");
    c.groups = env("TK_GROUPS");
    if let Some(v) = env("TK_LEXICAL") {
        c.lexical_weight = v;
    }
    c
}

/// A CSV file as rows of column name → value.
fn read(path: &Path) -> Result<Vec<HashMap<String, String>>, Box<dyn std::error::Error>> {
    let mut r = csv::Reader::from_path(path)?;
    let headers = r.headers()?.clone();
    let mut out = Vec::new();
    for rec in r.records() {
        let rec = rec?;
        out.push(
            headers
                .iter()
                .zip(rec.iter())
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect(),
        );
    }
    Ok(out)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut model = Some(PathBuf::from("models/all-MiniLM-L6-v2")).filter(|p| p.exists());
    let mut argkp_dir = PathBuf::from("../shared/data/argkp");
    let mut feedback_file = PathBuf::from("../shared/data/nhs-feedback/feedback.csv");
    let mut only: Option<String> = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{a} needs a value"));
        match a.as_str() {
            "--model" => model = Some(PathBuf::from(value()?)).filter(|p| p.as_os_str() != "none"),
            "--argkp" => argkp_dir = PathBuf::from(value()?),
            "--feedback" => feedback_file = PathBuf::from(value()?),
            "--only" => only = Some(value()?),
            other => return Err(format!("unknown argument {other}").into()),
        }
    }
    let mut cfg = config();
    match &model {
        Some(dir) => {
            let m = embed::Model::load(dir)?;
            println!("model: {} (sha256 {})", m.name(), m.sha256());
            cfg.embedder = Some(Arc::new(m));
        }
        None => println!("model: none (lexical engine)"),
    }
    if only.as_deref() != Some("feedback") {
        println!("\n# ArgKP");
        argkp::run(&argkp_dir, &cfg)?;
    }
    if only.as_deref() != Some("argkp") {
        println!("\n# Patient feedback");
        feedback::run(&feedback_file, &cfg)?;
    }
    Ok(())
}
