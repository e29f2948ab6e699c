//! Writing a result as JSON (the contract), HTML (a standalone, accessible report) or CSV
//! (one row per theme).

use anyhow::{Context, Result};
use minijinja::{AutoEscape, Environment, Value, context};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use textkit::Analysis;

/// The HTML report template, compiled into the binary.
const REPORT_TEMPLATE: &str = include_str!("../../templates/analyse/report.html");

/// Writes the contract's JSON (with the extra `meta` object).
pub fn json(analysis: &Analysis, out: &mut dyn Write) -> Result<()> {
    serde_json::to_writer(&mut *out, analysis).context("cannot write the JSON")?;
    out.write_all(b"\n").context("cannot write the JSON")?;
    Ok(())
}

/// A cell for a spreadsheet: text starting with `=`, `+`, `-`, `@` or a tab is prefixed with
/// an apostrophe, so that a response cannot become a formula when the file is opened.
pub fn cell(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    }
}

/// Writes one CSV row per theme: `id,label,keywords,count,share,quotes`. Keywords are joined
/// with `; `, quotes with a blank line between them (inside one quoted cell).
pub fn csv(analysis: &Analysis, out: &mut dyn Write) -> Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(["id", "label", "keywords", "count", "share", "quotes"])?;
    for t in &analysis.themes {
        let quotes: Vec<String> = t
            .quotes
            .iter()
            .map(|q| format!("{}: {}", q.id, q.text))
            .collect();
        w.write_record([
            t.id.clone(),
            cell(&t.label),
            cell(&t.keywords.join("; ")),
            t.count.to_string(),
            format!("{:.4}", t.share),
            cell(&quotes.join("\n\n")),
        ])?;
    }
    w.flush().context("cannot write the CSV")?;
    Ok(())
}

struct Bar {
    id: String,
    label: String,
    count: usize,
    percent: String,
    y: usize,
    width: f64,
}

struct SegmentRow {
    id: String,
    label: String,
    counts: Vec<usize>,
}

/// Renders the standalone HTML report.
pub fn html(analysis: &Analysis, source: &str, out: &mut dyn Write) -> Result<()> {
    let mut env = Environment::new();
    env.set_auto_escape_callback(|_| AutoEscape::Html);
    env.add_template("report.html", REPORT_TEMPLATE)
        .context("the report template is invalid")?;
    let max_share = analysis
        .themes
        .iter()
        .map(|t| t.share)
        .fold(0.0f64, f64::max)
        .max(1e-9);
    let bars: Vec<Bar> = analysis
        .themes
        .iter()
        .enumerate()
        .map(|(i, t)| Bar {
            id: t.id.clone(),
            label: t.label.chars().take(40).collect(),
            count: t.count,
            percent: format!("{:.1}%", t.share * 100.0),
            y: i * 32,
            width: (t.share / max_share * 360.0).max(1.0),
        })
        .collect();
    let segments: Vec<String> = analysis
        .themes
        .iter()
        .flat_map(|t| t.segments.keys().cloned())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let segment_rows: Vec<SegmentRow> = analysis
        .themes
        .iter()
        .map(|t| SegmentRow {
            id: t.id.clone(),
            label: t.label.clone(),
            counts: segments
                .iter()
                .map(|s| t.segments.get(s).copied().unwrap_or(0))
                .collect(),
        })
        .collect();
    let shares: Vec<String> = analysis
        .themes
        .iter()
        .map(|t| format!("{:.1}%", t.share * 100.0))
        .collect();
    let meta =
        serde_json::to_string_pretty(&analysis.meta).context("cannot describe the analysis")?;
    let summary = bars
        .iter()
        .map(|b| format!("{} {}", b.label, b.percent))
        .collect::<Vec<_>>()
        .join("; ");
    // A view without member lists: a million ids have no place in a page.
    let obj = |pairs: Vec<(&str, Value)>| {
        Value::from(
            pairs
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect::<BTreeMap<String, Value>>(),
        )
    };
    let strings = |v: &[String]| Value::from(v.to_vec());
    let view = obj(vec![
        ("responses", Value::from(analysis.responses)),
        (
            "themes",
            Value::from(
                analysis
                    .themes
                    .iter()
                    .map(|t| {
                        let quotes: Vec<Value> = t
                            .quotes
                            .iter()
                            .map(|q| {
                                obj(vec![
                                    ("id", Value::from(q.id.clone())),
                                    ("text", Value::from(q.text.clone())),
                                ])
                            })
                            .collect();
                        obj(vec![
                            ("id", Value::from(t.id.clone())),
                            ("label", Value::from(t.label.clone())),
                            ("keywords", strings(&t.keywords)),
                            ("count", Value::from(t.count)),
                            ("quotes", Value::from(quotes)),
                        ])
                    })
                    .collect::<Vec<_>>(),
            ),
        ),
        (
            "campaigns",
            Value::from(
                analysis
                    .campaigns
                    .iter()
                    .map(|c| {
                        obj(vec![
                            ("id", Value::from(c.id.clone())),
                            ("count", Value::from(c.count)),
                            ("canonical", Value::from(c.canonical.clone())),
                        ])
                    })
                    .collect::<Vec<_>>(),
            ),
        ),
        ("unassigned", Value::from(analysis.unassigned.len())),
        (
            "meta",
            obj(vec![
                ("engine", Value::from(analysis.meta.engine)),
                ("version", Value::from(analysis.meta.version)),
                ("seed", Value::from(analysis.meta.seed)),
            ]),
        ),
    ]);
    let bars_value = Value::from(
        bars.iter()
            .map(|b| {
                obj(vec![
                    ("id", Value::from(b.id.clone())),
                    ("label", Value::from(b.label.clone())),
                    ("count", Value::from(b.count)),
                    ("percent", Value::from(b.percent.clone())),
                    ("y", Value::from(b.y)),
                    ("width", Value::from(format!("{:.1}", b.width))),
                    ("text_x", Value::from(format!("{:.1}", 205.0 + b.width))),
                ])
            })
            .collect::<Vec<_>>(),
    );
    let rows_value = Value::from(
        segment_rows
            .iter()
            .map(|r| {
                obj(vec![
                    ("id", Value::from(r.id.clone())),
                    ("label", Value::from(r.label.clone())),
                    ("counts", Value::from(r.counts.clone())),
                ])
            })
            .collect::<Vec<_>>(),
    );
    let html = env
        .get_template("report.html")
        .and_then(|t| {
            t.render(context! {
                a => view,
                source => source,
                bars => bars_value,
                chart_height => (bars.len() * 32).max(32),
                chart_summary => summary,
                shares => shares,
                segments => segments,
                segment_rows => rows_value,
                meta => meta,
            })
        })
        .context("cannot render the HTML report")?;
    out.write_all(html.as_bytes())
        .context("cannot write the HTML report")?;
    Ok(())
}
