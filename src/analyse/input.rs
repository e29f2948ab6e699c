//! Reading responses from CSV or JSON Lines.
//!
//! The format comes from the extension (`.jsonl`/`.ndjson` → JSON Lines, `.csv` → CSV),
//! otherwise from the content (a first non-blank character `{` means JSON Lines). Files must be
//! UTF-8 (a byte-order mark is allowed). Errors name the file and the line.

use crate::domain::table::{Table, TableError, line_of};
use anyhow::{Context, Result, anyhow, bail};
use std::path::Path;
use textkit::Response;

/// Which columns (CSV) or keys (JSON Lines) hold what.
#[derive(Debug, Clone)]
pub struct Columns {
    /// Column with the response text (required).
    pub text: String,
    /// Column with the response id; `None`: use `id` if present, else the 1-based row number.
    pub id: Option<String>,
    /// Column with the respondent segment; `None`: use `segment` if present.
    pub segment: Option<String>,
}

/// The input formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputFormat {
    /// Comma-separated values with a header row.
    Csv,
    /// One JSON object per line.
    JsonLines,
}

/// Chooses the format from the file name, then from the content.
pub fn detect(path: &Path, content: &str) -> InputFormat {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match ext.as_deref() {
        Some("jsonl" | "ndjson") => InputFormat::JsonLines,
        Some("csv") => InputFormat::Csv,
        _ if content.trim_start().starts_with('{') => InputFormat::JsonLines,
        _ => InputFormat::Csv,
    }
}

/// Reads a file of responses.
pub fn read_file(path: &Path, columns: &Columns) -> Result<Vec<Response>> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let name = path.display().to_string();
    parse(
        &bytes,
        detect(
            path,
            &String::from_utf8_lossy(&bytes[..bytes.len().min(4096)]),
        ),
        columns,
    )
    .map_err(|e| anyhow!("{name}: {e:#}"))
}

/// Parses the bytes of a file in the given format.
pub fn parse(bytes: &[u8], format: InputFormat, columns: &Columns) -> Result<Vec<Response>> {
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let line = line_of(bytes, e.valid_up_to());
            bail!(
                "not UTF-8 text (first invalid byte on line {line}); save the file as UTF-8 and try again"
            )
        }
    };
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    match format {
        InputFormat::Csv => parse_csv(text, columns),
        InputFormat::JsonLines => parse_jsonl(text, columns),
    }
}

fn parse_csv(text: &str, columns: &Columns) -> Result<Vec<Response>> {
    if text.trim().is_empty() {
        return Ok(Vec::new());
    }
    let table = Table::read_text(text).map_err(|e| match e {
        TableError::Ragged {
            row,
            cells,
            columns,
        } => anyhow!(
            "malformed CSV on line {row}: a row has {cells} fields where the header has {columns}"
        ),
        TableError::Unreadable { row, reason } => anyhow!("malformed CSV on line {row}: {reason}"),
        other => anyhow!("malformed CSV: {other}"),
    })?;
    let available = || table.header.join(", ");
    let text_col = table.column(&columns.text).ok_or_else(|| {
        anyhow!(
            "no column \"{}\" (columns: {}); choose the text column with --text-column",
            columns.text,
            available()
        )
    })?;
    let optional = |chosen: &Option<String>, default: &str, flag: &str| match chosen {
        Some(c) => table.column(c).map(Some).ok_or_else(|| {
            anyhow!(
                "no column \"{c}\" (columns: {}); choose the {default} column with --{flag}",
                available()
            )
        }),
        None => Ok(table.column(default)),
    };
    let id_col = optional(&columns.id, "id", "id-column")?;
    let seg_col = optional(&columns.segment, "segment", "segment-column")?;
    let mut out = Vec::new();
    for row in &table.rows {
        let get = |i: usize| row.cells[i].as_str();
        let id = match id_col {
            Some(c) if !get(c).trim().is_empty() => get(c).trim().to_string(),
            _ => (row.number - 1).to_string(),
        };
        let segment = seg_col
            .map(|c| get(c).trim().to_string())
            .filter(|s| !s.is_empty());
        out.push(Response::new(id, get(text_col), segment));
    }
    Ok(out)
}

fn parse_jsonl(text: &str, columns: &Columns) -> Result<Vec<Response>> {
    let id_key = columns.id.as_deref().unwrap_or("id");
    let seg_key = columns.segment.as_deref().unwrap_or("segment");
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let value: serde_json::Value = serde_json::from_str(line)
            .map_err(|e| anyhow!("line {}: not valid JSON ({e})", n + 1))?;
        let obj = value.as_object().ok_or_else(|| {
            anyhow!(
                "line {}: expected a JSON object with \"{}\"",
                n + 1,
                columns.text
            )
        })?;
        let text = match obj.get(&columns.text) {
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(serde_json::Value::Null) | None => bail!(
                "line {}: no \"{}\" field; choose it with --text-column",
                n + 1,
                columns.text
            ),
            Some(other) => other.to_string(),
        };
        let scalar = |v: Option<&serde_json::Value>| match v {
            Some(serde_json::Value::String(s)) if !s.trim().is_empty() => {
                Some(s.trim().to_string())
            }
            Some(serde_json::Value::Number(x)) => Some(x.to_string()),
            Some(serde_json::Value::Bool(b)) => Some(b.to_string()),
            _ => None,
        };
        let id = scalar(obj.get(id_key)).unwrap_or_else(|| (out.len() + 1).to_string());
        out.push(Response::new(id, text, scalar(obj.get(seg_key))));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn cols() -> Columns {
        Columns {
            text: "text".into(),
            id: None,
            segment: None,
        }
    }

    #[test]
    fn csv_with_defaults_and_row_numbers() {
        let r = parse(
            b"\xEF\xBB\xBFtext,segment\n\"Fix, the buses\",individual\nmore,\n",
            InputFormat::Csv,
            &cols(),
        )
        .expect("parses");
        assert_eq!(
            r,
            vec![
                Response::new("1", "Fix, the buses", Some("individual".into())),
                Response::new("2", "more", None)
            ]
        );
    }

    #[test]
    fn csv_errors_are_clear() {
        let e = parse(b"id,body\n1,x\n", InputFormat::Csv, &cols()).expect_err("no text column");
        assert!(
            e.to_string()
                .contains("no column \"text\" (columns: id, body)"),
            "{e}"
        );
        let e = parse(b"id,text\n1,x,extra\n", InputFormat::Csv, &cols()).expect_err("ragged");
        assert!(e.to_string().contains("line 2"), "{e}");
        let e = parse(b"text\n\xff\xfe\n", InputFormat::Csv, &cols()).expect_err("not utf-8");
        assert!(
            e.to_string()
                .contains("not UTF-8 text (first invalid byte on line 2)"),
            "{e}"
        );
    }

    #[test]
    fn jsonl_ids_numbers_and_errors() {
        let r = parse(
            b"{\"id\": 7, \"text\": \"a\", \"segment\": \"org\"}\n\n{\"text\": \"b\"}\n",
            InputFormat::JsonLines,
            &cols(),
        )
        .expect("parses");
        assert_eq!(
            r,
            vec![
                Response::new("7", "a", Some("org".into())),
                Response::new("2", "b", None)
            ]
        );
        let e =
            parse(b"{\"text\": \"a\"}\n[1]\n", InputFormat::JsonLines, &cols()).expect_err("array");
        assert!(e.to_string().starts_with("line 2:"), "{e}");
    }

    #[test]
    fn format_detection() {
        assert_eq!(
            detect(Path::new("a.ndjson"), "id,text"),
            InputFormat::JsonLines
        );
        assert_eq!(detect(Path::new("a.CSV"), "{"), InputFormat::Csv);
        assert_eq!(
            detect(Path::new("export.txt"), "  {\"text\":1}"),
            InputFormat::JsonLines
        );
        assert_eq!(detect(Path::new("export"), "text\nhello"), InputFormat::Csv);
    }

    proptest! {
        #[test]
        fn reader_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            let _ = parse(&bytes, InputFormat::Csv, &cols());
            let _ = parse(&bytes, InputFormat::JsonLines, &cols());
        }

        #[test]
        fn csv_round_trips_any_text(texts in proptest::collection::vec("\\PC*", 1..20)) {
            let mut w = csv::Writer::from_writer(Vec::new());
            w.write_record(["id", "text"]).expect("header");
            for (i, t) in texts.iter().enumerate() {
                w.write_record([format!("r{i}").as_str(), t]).expect("row");
            }
            let bytes = w.into_inner().expect("flush");
            let r = parse(&bytes, InputFormat::Csv, &cols()).expect("parses");
            prop_assert_eq!(r.len(), texts.len());
            for (resp, t) in r.iter().zip(&texts) {
                prop_assert_eq!(&resp.text, t);
            }
        }
    }
}
