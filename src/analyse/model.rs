//! Which engine finds themes: semantic (a local sentence-embedding model, see the `embed`
//! crate) when the model is installed, else the lexical engine, with a note saying so in the
//! result's `meta`. The model is read from disk once and shared; nothing is downloaded.

use anyhow::{Result, anyhow};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Where `make model` installs the model, relative to the working directory (or to the
/// folder two levels above the executable, as for `target/release/townhall`).
pub const DEFAULT_MODEL_DIR: &str = "models/all-MiniLM-L6-v2";

/// The theme engine an analysis runs with.
#[derive(Clone, Default)]
pub struct Engine {
    model: Option<Arc<embed::Model>>,
    note: Option<String>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.model {
            Some(m) => write!(f, "Engine(semantic: {})", m.name()),
            None => write!(f, "Engine(lexical)"),
        }
    }
}

impl Engine {
    /// The lexical engine, chosen on purpose (no note).
    pub fn lexical() -> Engine {
        Engine::default()
    }

    /// The engine for `--model DIR` (which must load) or, without it, the model in the
    /// default place if it is installed there; otherwise the lexical engine with a note.
    pub fn find(dir: Option<&Path>) -> Result<Engine> {
        let found = match dir {
            Some(d) => Some(d.to_path_buf()),
            None => default_dir(),
        };
        let Some(dir) = found else {
            return Ok(Engine {
                model: None,
                note: Some(format!(
                    "no sentence-embedding model in {DEFAULT_MODEL_DIR}: themes come from the lexical engine; install the model with `make model` (or pass --model DIR) for semantic themes"
                )),
            });
        };
        let model = embed::Model::load(&dir).map_err(|e| {
            anyhow!(
                "cannot load the sentence-embedding model in {}: {e}; run `make model` to install it again, or pass --lexical",
                dir.display()
            )
        })?;
        Ok(Engine {
            model: Some(Arc::new(model)),
            note: None,
        })
    }

    /// Why the analysis is not semantic, if it is not and was not asked to be lexical.
    pub fn note(&self) -> Option<&str> {
        self.note.as_deref()
    }

    /// `base` with this engine's embedder and note.
    pub fn configure(&self, base: textkit::Config) -> textkit::Config {
        textkit::Config {
            embedder: self.model.clone().map(|m| m as Arc<dyn textkit::Embedder>),
            note: self.note.clone(),
            ..base
        }
    }
}

/// The default model folder, if the model is installed there.
fn default_dir() -> Option<PathBuf> {
    let beside_exe = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent()?.parent()?.parent().map(Path::to_path_buf))
        .map(|root| root.join(DEFAULT_MODEL_DIR));
    std::iter::once(PathBuf::from(DEFAULT_MODEL_DIR))
        .chain(beside_exe)
        .find(|d| d.join("model.safetensors").is_file())
}
