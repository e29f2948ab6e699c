//! `townhall analyse`: themes, campaigns and quotes from a CSV or JSON Lines file of
//! responses, written as JSON (default), HTML or CSV. The engine is `textkit`; this module
//! reads the file, reports progress and writes the result.

pub mod input;
pub mod model;
pub mod report;

use anyhow::{Context, Result, anyhow};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use textkit::{Config, Language, Stage};

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// The JSON documented in PRODUCT.md (plus a `meta` object).
    Json,
    /// A standalone, accessible HTML report.
    Html,
    /// One CSV row per theme: id, label, keywords, count, share, quotes.
    Csv,
}

/// Languages the engine knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Lang {
    /// English.
    English,
    /// Welsh (stop words, no stemming yet).
    Welsh,
}

/// Arguments of `townhall analyse`.
#[derive(clap::Args, Debug, Clone)]
pub struct AnalyseArgs {
    /// CSV file (with a header row) or JSON Lines file (objects with `id`, `text`, optional `segment`).
    pub file: PathBuf,
    /// Column (CSV) or key (JSON Lines) holding the response text.
    #[arg(long, env = "TOWNHALL_TEXT_COLUMN", default_value = "text")]
    pub text_column: String,
    /// Column or key holding the response id [default: `id` if present, else the row number].
    #[arg(long, env = "TOWNHALL_ID_COLUMN")]
    pub id_column: Option<String>,
    /// Column or key holding the respondent segment [default: `segment` if present].
    #[arg(long, env = "TOWNHALL_SEGMENT_COLUMN")]
    pub segment_column: Option<String>,
    /// Output format.
    #[arg(long, env = "TOWNHALL_FORMAT", value_enum, default_value = "json")]
    pub format: Format,
    /// Write the result to this file instead of standard output.
    #[arg(long, env = "TOWNHALL_OUT")]
    pub out: Option<PathBuf>,
    /// Number of themes wanted [default: chosen by the engine].
    #[arg(long, env = "TOWNHALL_THEMES", value_parser = clap::value_parser!(u16).range(1..=500))]
    pub themes: Option<u16>,
    /// Seed: the same file, settings and seed always give the same result.
    #[arg(long, env = "TOWNHALL_SEED", default_value_t = 1)]
    pub seed: u64,
    /// Language of the responses.
    #[arg(long, env = "TOWNHALL_LANGUAGE", value_enum, default_value = "english")]
    pub language: Lang,
    /// The sentence-embedding model for semantic themes (a folder with config.json, vocab.txt
    /// and model.safetensors) [default: models/all-MiniLM-L6-v2, installed by `make model`,
    /// when it is there].
    #[arg(long, env = "TOWNHALL_MODEL", conflicts_with = "lexical")]
    pub model: Option<PathBuf>,
    /// Find themes with the lexical engine (TF-IDF) even when the model is installed: faster,
    /// weaker on short answers.
    #[arg(long, env = "TOWNHALL_LEXICAL")]
    pub lexical: bool,
}

/// Runs the command. Errors are one line, for `error: …` on stderr.
pub fn run(args: &AnalyseArgs) -> Result<()> {
    let progress = std::io::stderr().is_terminal();
    let started = std::time::Instant::now();
    let say = |msg: &str| {
        if progress {
            eprintln!("[{:6.1}s] {msg}", started.elapsed().as_secs_f64());
        }
    };
    say(&format!("reading {}", args.file.display()));
    let columns = input::Columns {
        text: args.text_column.clone(),
        id: args.id_column.clone(),
        segment: args.segment_column.clone(),
    };
    let responses = input::read_file(&args.file, &columns)?;
    let engine = if args.lexical {
        model::Engine::lexical()
    } else {
        model::Engine::find(args.model.as_deref())?
    };
    if let Some(note) = engine.note() {
        eprintln!("note: {note}");
    }
    let config = engine.configure(Config {
        seed: args.seed,
        themes: args.themes.map(usize::from),
        language: match args.language {
            Lang::English => Language::English,
            Lang::Welsh => Language::Welsh,
        },
        ..Config::default()
    });
    let report_stage = |stage: Stage| {
        if progress {
            let what = match stage {
                Stage::Tokenising => "normalising and tokenising",
                Stage::Campaigns => "looking for campaigns",
                Stage::Embedding => "embedding distinct texts with the sentence model",
                Stage::Themes => "finding themes",
                Stage::Assigning => "assigning responses to themes",
            };
            say(&format!("{what} ({} responses)", responses.len()));
        }
    };
    // The engine should never panic; if a bug makes it, the user still gets one line.
    let previous_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let analysed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        textkit::analyse_with_progress(&responses, &config, &report_stage)
    }));
    std::panic::set_hook(previous_hook);
    let analysis = analysed.map_err(|_| {
        anyhow!(
            "internal error in the analysis engine; please report it with the file that caused it"
        )
    })?;

    say("writing the result");
    let source = args.file.file_name().map_or_else(
        || args.file.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let mut buf: Box<dyn Write> = match &args.out {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path)
                .with_context(|| format!("cannot create {}", path.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    match args.format {
        Format::Json => report::json(&analysis, &mut buf)?,
        Format::Html => report::html(&analysis, &source, &mut buf)?,
        Format::Csv => report::csv(&analysis, &mut buf)?,
    }
    buf.flush().context("cannot write the result")?;
    say("done");
    Ok(())
}
