//! The open data registry: every dataset the hub publishes, its documented columns, and the
//! rows it holds. `/data` lists them and serves each as CSV and JSON; the columns' types are
//! Frictionless Table Schema types (`string`, `integer`, `number`, `date`, `datetime`,
//! `boolean`), so a `datapackage.json` can be written from the same registry.
//!
//! To add a dataset: describe its fields and write a function that reads its rows from the
//! [`Db`] (one `Vec<Value>` per row, values in field order), then add it to [`DATASETS`].
//! Lists (a project's commitments) are one string, the items separated by `;`.

use crate::domain::time::Timestamp;
use crate::store::Db;
use crate::store::posts::PostFilter;
use crate::store::versions::Topic;
use serde::Serialize;
use serde::ser::SerializeMap;
use serde_json::{Value, json};
use std::future::Future;
use std::pin::Pin;

/// The licence every dataset is published under.
pub const LICENCE: (&str, &str) = (
    "Open Government Licence v3.0",
    "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/",
);

/// A Frictionless Table Schema field type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FieldType {
    String,
    Integer,
    Number,
    Date,
    Datetime,
    Boolean,
}

#[derive(Debug, Clone, Serialize)]
pub struct Field {
    pub name: &'static str,
    #[serde(rename = "type")]
    pub kind: FieldType,
    pub description: &'static str,
}

const fn field(name: &'static str, kind: FieldType, description: &'static str) -> Field {
    Field {
        name,
        kind,
        description,
    }
}

/// What a dataset's row function returns: rows of values in field order.
pub type Rows<'a> = Pin<Box<dyn Future<Output = anyhow::Result<Vec<Vec<Value>>>> + Send + 'a>>;

#[derive(Serialize)]
pub struct Dataset {
    /// The file name: `/data/{name}.csv`.
    pub name: &'static str,
    pub title: &'static str,
    pub description: &'static str,
    pub fields: &'static [Field],
    #[serde(skip)]
    pub rows: for<'a> fn(&'a Db) -> Rows<'a>,
    /// What its rows show, so its files can be kept until that changes; `None` for one
    /// whose rows change with every response.
    #[serde(skip)]
    pub shows: Option<&'static [Topic]>,
}

const PROGRAMME: &[Topic] = &[Topic::Register, Topic::Organisations, Topic::Exercises];

impl std::fmt::Debug for Dataset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dataset").field("name", &self.name).finish()
    }
}

/// One row as a JSON object with its keys in field order.
pub struct Row<'a> {
    pub fields: &'a [Field],
    pub values: &'a [Value],
}

impl Serialize for Row<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.fields.len()))?;
        for (f, v) in self.fields.iter().zip(self.values) {
            map.serialize_entry(f.name, v)?;
        }
        map.end()
    }
}

impl Dataset {
    pub async fn rows(&self, db: &Db) -> anyhow::Result<Vec<Vec<Value>>> {
        (self.rows)(db).await
    }

    /// CSV with a header row of field names; nulls are empty cells. Text a spreadsheet would
    /// take for a formula (`=`, `+`, `-`, `@` first) starts with an apostrophe: some of it
    /// (quotes from responses) was written by strangers.
    pub fn to_csv(&self, rows: &[Vec<Value>]) -> anyhow::Result<String> {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(self.fields.iter().map(|f| f.name))?;
        for row in rows {
            w.write_record(row.iter().map(|v| match v {
                Value::Null => String::new(),
                Value::String(s) => crate::analyse::report::cell(s),
                other => other.to_string(),
            }))?;
        }
        Ok(String::from_utf8(w.into_inner()?)?)
    }

    /// `{"items": [{field: value, ...}]}`, keys in field order.
    pub fn to_json(&self, rows: &[Vec<Value>]) -> anyhow::Result<String> {
        let items: Vec<Row> = rows
            .iter()
            .map(|values| Row {
                fields: self.fields,
                values,
            })
            .collect();
        #[derive(Serialize)]
        struct Items<'a> {
            items: Vec<Row<'a>>,
        }
        Ok(serde_json::to_string(&Items { items })?)
    }
}

/// A Frictionless Data Package descriptor for every dataset, as CSV files named `{name}.csv`
/// beside it (what `townhall export` writes as `datapackage.json`).
pub fn datapackage() -> Value {
    let resources: Vec<Value> = DATASETS
        .iter()
        .map(|d| {
            json!({
                "name": d.name,
                "title": d.title,
                "description": d.description,
                "path": format!("{}.csv", d.name),
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "schema": {"fields": d.fields},
            })
        })
        .collect();
    json!({
        "profile": "tabular-data-package",
        "name": "townhall",
        "title": "Townhall open data",
        "licenses": [{"name": "OGL-UK-3.0", "title": LICENCE.0, "path": LICENCE.1}],
        "resources": resources,
    })
}

/// The dataset called `name`.
pub fn find(name: &str) -> Option<&'static Dataset> {
    DATASETS.iter().find(|d| d.name == name)
}

use FieldType::{Date, Datetime, Integer, Number, String as Text};

/// Every published dataset, in the order `/data` lists them.
pub static DATASETS: &[Dataset] = &[
    Dataset {
        name: "posts",
        title: "Blog posts",
        description: "Every published blog post, newest first.",
        fields: &[
            field("slug", Text, "The post's short name, unique on the hub"),
            field("title", Text, "The post's title"),
            field(
                "organisation",
                Text,
                "The slug of the organisation that published it",
            ),
            field("published", Datetime, "When it was published (UTC)"),
            field(
                "categories",
                Text,
                "Its categories' names, separated by semicolons",
            ),
            field("url", Text, "Where to read it, relative to the hub"),
        ],
        rows: posts,
        shows: Some(&[Topic::Posts, Topic::Organisations]),
    },
    Dataset {
        name: "programme-projects",
        title: "Programme: projects",
        description: "Every project in the programme register, with its phase, status and links.",
        fields: &[
            field("slug", Text, "The project's short name, unique on the hub"),
            field("title", Text, "The project's title"),
            field("summary", Text, "What the project is for"),
            field("phase", Text, "discovery, alpha, beta, live or retired"),
            field("status", Text, "on_track, at_risk, off_track or done"),
            field("owner_team", Text, "The team that owns it"),
            field("start_date", Date, "When it started"),
            field("end_date", Date, "When it is due to end"),
            field(
                "organisations",
                Text,
                "Slugs of the organisations it belongs to, separated by semicolons",
            ),
            field(
                "commitments",
                Text,
                "Slugs of the commitments it delivers, separated by semicolons",
            ),
            field(
                "themes",
                Text,
                "Slugs of the themes of those commitments, separated by semicolons",
            ),
            field(
                "topics",
                Text,
                "Slugs of its topics, separated by semicolons",
            ),
            field(
                "updated",
                Datetime,
                "When the project was last changed (UTC)",
            ),
            field(
                "statements",
                Integer,
                "How many \"you said, we did\" statements on published results led to it",
            ),
            field(
                "statements_through_commitments",
                Integer,
                "How many more led to a commitment it delivers, not to it",
            ),
            field("url", Text, "Its page, relative to the hub"),
        ],
        rows: projects,
        shows: Some(PROGRAMME),
    },
    Dataset {
        name: "programme-commitments",
        title: "Programme: commitments",
        description: "What the strategies commit to, under each theme.",
        fields: &[
            field("slug", Text, "The commitment's short name"),
            field("title", Text, "What is committed to"),
            field("theme", Text, "The slug of its theme"),
            field(
                "action_ref",
                Text,
                "The reference of the external action it answers, if any",
            ),
            field("action_title", Text, "The title of that action"),
            field("projects", Integer, "How many projects deliver it"),
            field("url", Text, "Its page, relative to the hub"),
        ],
        rows: commitments,
        shows: Some(PROGRAMME),
    },
    Dataset {
        name: "programme-themes",
        title: "Programme: themes",
        description: "The themes of each strategy.",
        fields: &[
            field("slug", Text, "The theme's short name"),
            field("title", Text, "The theme's title"),
            field("strategy", Text, "The slug of its strategy"),
            field("summary", Text, "What the theme means"),
            field(
                "projects",
                Integer,
                "How many projects serve a commitment under it",
            ),
            field("url", Text, "Its page, relative to the hub"),
        ],
        rows: themes,
        shows: Some(PROGRAMME),
    },
    Dataset {
        name: "programme-updates",
        title: "Programme: project updates",
        description: "Every dated update on every project, newest first.",
        fields: &[
            field("project", Text, "The slug of the project"),
            field("date", Date, "The date of the update"),
            field("text", Text, "What happened"),
            field(
                "phase",
                Text,
                "The phase the project moved to with this update, if it moved",
            ),
            field("status", Text, "The status given with this update, if any"),
        ],
        rows: updates,
        shows: Some(PROGRAMME),
    },
    Dataset {
        name: "case-studies",
        title: "Programme: case studies",
        description: "Case studies of the programme's work.",
        fields: &[
            field("slug", Text, "The case study's short name"),
            field("title", Text, "Its title"),
            field("summary", Text, "Its summary"),
            field("published", Date, "When it was published"),
            field(
                "projects",
                Text,
                "Slugs of the projects it is about, separated by semicolons",
            ),
            field(
                "themes",
                Text,
                "Slugs of its themes, separated by semicolons",
            ),
            field("url", Text, "Its page, relative to the hub"),
        ],
        rows: case_studies,
        shows: Some(PROGRAMME),
    },
    Dataset {
        name: "consultations",
        title: "Consultations and surveys",
        description: "Every published consultation, survey and review, with how many responded.",
        fields: &[
            field("slug", Text, "The exercise's short name, unique on the hub"),
            field("title", Text, "Its title"),
            field("kind", Text, "consultation, survey or review"),
            field(
                "organisation",
                Text,
                "The slug of the organisation that ran it",
            ),
            field("opens_at", Datetime, "When it opened for responses (UTC)"),
            field("closes_at", Datetime, "When it closed, or closes (UTC)"),
            field("responses", Integer, "How many responses it received"),
            field(
                "results_published",
                Datetime,
                "When its results were published (UTC), if they have been",
            ),
            field("url", Text, "Its page, relative to the hub"),
        ],
        rows: consultations,
        shows: None,
    },
    Dataset {
        name: "consultation-results",
        title: "Consultation results",
        description: "The published, anonymised results of every consultation and survey: closed questions' counts, themes found in free text (with campaigns counted once), who responded, scores, and \u{201c}you said, we did\u{201d}.",
        fields: &[
            field("consultation", Text, "The exercise's slug"),
            field(
                "section",
                Text,
                "option, theme, campaign, segment, level or action",
            ),
            field(
                "question_id",
                Text,
                "The question, segment question or dimension it belongs to",
            ),
            field(
                "question",
                Text,
                "Its text (for an action: what people said)",
            ),
            field(
                "label",
                Text,
                "The option, theme, campaign text, segment answer, level, or (for an action) the theme it answers",
            ),
            field("count", Integer, "How many responses"),
            field(
                "share",
                Number,
                "Themes: the share of responses, each campaign counted once",
            ),
            field(
                "detail",
                Text,
                "Themes: key words; campaigns: detected, confirmed; actions: what was done, with linked commitments and projects",
            ),
        ],
        rows: consultation_results,
        shows: Some(&[
            Topic::AnyResults,
            Topic::Exercises,
            Topic::Register,
            Topic::Organisations,
        ]),
    },
];

fn consultations(db: &Db) -> Rows<'_> {
    Box::pin(async move {
        let mut rows = Vec::new();
        for e in db.public_exercises(None, None).await? {
            rows.push(vec![
                json!(e.slug),
                json!(e.title),
                json!(e.kind),
                json!(e.organisation_slug),
                datetime(e.opens_at),
                datetime(e.closes_at),
                json!(db.response_count(e.id).await?),
                e.results_published_at.map_or(Value::Null, datetime),
                json!(format!("/consultations/{}", e.slug)),
            ]);
        }
        Ok(rows)
    })
}

fn consultation_results(db: &Db) -> Rows<'_> {
    Box::pin(async move {
        let mut rows = Vec::new();
        for e in db.public_exercises(None, None).await? {
            if e.results_published_at.is_none() {
                continue;
            }
            // One exercise that cannot be put together must not take the download (and the
            // export) down for every organisation.
            let results = match crate::listening::results(db, &e).await {
                Ok(results) => results,
                Err(error) => {
                    tracing::error!(exercise = %e.slug, %error, "results left out of the download");
                    continue;
                }
            };
            for r in crate::listening::result_rows(&results) {
                let number = |s: &str| s.parse::<f64>().map_or(Value::Null, |n| json!(n));
                let integer = |s: &str| s.parse::<i64>().map_or(Value::Null, |n| json!(n));
                rows.push(vec![
                    json!(e.slug),
                    json!(r[0]),
                    json!(r[1]),
                    json!(r[2]),
                    json!(r[3]),
                    integer(&r[4]),
                    number(&r[5]),
                    json!(r[6]),
                ]);
            }
        }
        Ok(rows)
    })
}

fn joined(refs: &[crate::store::programme::Ref]) -> Value {
    json!(
        refs.iter()
            .map(|r| r.slug.as_str())
            .collect::<Vec<_>>()
            .join(";")
    )
}

fn datetime(t: Timestamp) -> Value {
    json!(t.rfc3339())
}

fn date(t: Option<Timestamp>) -> Value {
    t.map_or(Value::Null, |t| json!(t.iso_date()))
}

fn posts(db: &Db) -> Rows<'_> {
    Box::pin(async move {
        let (posts, _) = db.public_posts(PostFilter::default(), 100_000, 0).await?;
        let ids: Vec<i64> = posts.iter().map(|p| p.id).collect();
        let details = db.post_details(&ids).await?;
        Ok(posts
            .iter()
            .map(|p| {
                let categories = details
                    .get(&p.id)
                    .map(|(_, c)| {
                        c.iter()
                            .map(|c| c.name.as_str())
                            .collect::<Vec<_>>()
                            .join(";")
                    })
                    .unwrap_or_default();
                vec![
                    json!(p.slug),
                    json!(p.title),
                    json!(p.organisation_slug),
                    p.published_at.map_or(Value::Null, datetime),
                    json!(categories),
                    json!(format!("/blog/{}", p.slug)),
                ]
            })
            .collect())
    })
}

fn projects(db: &Db) -> Rows<'_> {
    Box::pin(async move {
        let register = db.register().await?;
        let counts = db.project_statement_counts().await?;
        Ok(register
            .projects
            .iter()
            .map(|p| {
                let q = &p.project;
                let (_, direct, through) = (counts.iter().find(|c| c.0 == q.id))
                    .copied()
                    .unwrap_or_default();
                vec![
                    json!(q.slug),
                    json!(q.title),
                    json!(q.summary),
                    json!(q.phase),
                    json!(q.status),
                    json!(q.owner_team),
                    date(q.start_date),
                    date(q.end_date),
                    joined(&p.organisations),
                    joined(&p.commitments),
                    joined(&p.themes),
                    joined(&p.topics),
                    datetime(q.updated_at),
                    json!(direct),
                    json!(through),
                    json!(format!("/programme/projects/{}", q.slug)),
                ]
            })
            .collect())
    })
}

fn commitments(db: &Db) -> Rows<'_> {
    Box::pin(async move {
        let register = db.register().await?;
        Ok(register
            .commitments
            .iter()
            .map(|c| {
                let n = register.projects_for_commitment(c.id);
                vec![
                    json!(c.slug),
                    json!(c.title),
                    json!(c.theme_slug),
                    json!(c.action_ref),
                    json!(c.action_title),
                    json!(n),
                    json!(format!("/programme/commitments/{}", c.slug)),
                ]
            })
            .collect())
    })
}

fn themes(db: &Db) -> Rows<'_> {
    Box::pin(async move {
        let register = db.register().await?;
        Ok(register
            .themes
            .iter()
            .map(|t| {
                let n = register.projects_in_theme(t.id);
                vec![
                    json!(t.slug),
                    json!(t.title),
                    json!(t.strategy_slug),
                    json!(t.summary),
                    json!(n),
                    json!(format!("/programme/themes/{}", t.slug)),
                ]
            })
            .collect())
    })
}

fn updates(db: &Db) -> Rows<'_> {
    Box::pin(async move {
        Ok(db
            .recent_updates(1_000_000)
            .await?
            .iter()
            .map(|u| {
                vec![
                    json!(u.project_slug),
                    date(Some(u.dated)),
                    json!(u.body),
                    json!(u.phase),
                    json!(u.status),
                ]
            })
            .collect())
    })
}

fn case_studies(db: &Db) -> Rows<'_> {
    Box::pin(async move {
        Ok(db
            .case_studies()
            .await?
            .iter()
            .map(|c| {
                vec![
                    json!(c.case_study.slug),
                    json!(c.case_study.title),
                    json!(c.case_study.summary),
                    date(Some(c.case_study.published_at)),
                    joined(&c.projects),
                    joined(&c.themes),
                    json!(format!("/programme/case-studies/{}", c.case_study.slug)),
                ]
            })
            .collect())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_registry_is_consistent_and_describes_itself_as_a_data_package() {
        let mut names = std::collections::HashSet::new();
        for d in DATASETS {
            assert!(names.insert(d.name), "{} is listed once", d.name);
            assert!(!d.fields.is_empty());
            assert!(find(d.name).is_some());
        }
        let package = datapackage();
        let resources = package["resources"].as_array().unwrap();
        assert_eq!(resources.len(), DATASETS.len());
        assert_eq!(resources[1]["path"], "programme-projects.csv");
        assert_eq!(resources[1]["schema"]["fields"][6]["type"], "date");
    }

    #[test]
    fn rows_become_csv_and_ordered_json() {
        let d = find("programme-updates").unwrap();
        let rows = vec![vec![
            json!("p"),
            json!("2026-01-02"),
            json!("a, \"quoted\" text"),
            Value::Null,
            json!("done"),
        ]];
        let csv = d.to_csv(&rows).unwrap();
        assert_eq!(
            csv,
            "project,date,text,phase,status\np,2026-01-02,\"a, \"\"quoted\"\" text\",,done\n"
        );
        let json = d.to_json(&rows).unwrap();
        assert!(
            json.starts_with(r#"{"items":[{"project":"p","date":"2026-01-02","#),
            "{json}"
        );
    }
}
