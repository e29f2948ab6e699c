//! `townhall export --out DIR`: every open dataset as CSV and JSON, described by a
//! Frictionless Data `datapackage.json` — the same files `/data` serves, from the same
//! registry (`crate::opendata`).

use crate::opendata::{DATASETS, datapackage};
use crate::store::Db;
use anyhow::{Context, Result};
use std::io::IsTerminal;
use std::path::Path;

/// Writes every dataset to `out` (created if missing); files are written under a temporary
/// name and renamed, so a reader never sees half a file.
pub async fn run(db: &Db, out: &Path) -> Result<()> {
    std::fs::create_dir_all(out).with_context(|| {
        format!(
            "cannot create the folder {} (check the path and permissions)",
            out.display()
        )
    })?;
    let progress = std::io::stderr().is_terminal();
    for (i, d) in DATASETS.iter().enumerate() {
        if progress {
            eprintln!("[{}/{}] {}", i + 1, DATASETS.len(), d.name);
        }
        let rows = d
            .rows(db)
            .await
            .with_context(|| format!("cannot read the dataset {}", d.name))?;
        write(out, &format!("{}.csv", d.name), d.to_csv(&rows)?.as_bytes())?;
        write(
            out,
            &format!("{}.json", d.name),
            d.to_json(&rows)?.as_bytes(),
        )?;
    }
    let package = serde_json::to_string_pretty(&datapackage())?;
    write(out, "datapackage.json", package.as_bytes())?;
    if progress {
        eprintln!(
            "wrote {} datasets and datapackage.json to {}",
            DATASETS.len(),
            out.display()
        );
    }
    Ok(())
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> Result<()> {
    let path = dir.join(name);
    let tmp = dir.join(format!(".{name}.tmp"));
    std::fs::write(&tmp, bytes).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, &path).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}
