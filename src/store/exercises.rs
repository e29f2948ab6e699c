//! Exercises (consultations, surveys, reviews), their responses and the evidence log.
//!
//! A response is written in one transaction with its contact email (kept in its own table)
//! and its receipt, and is keyed by the sender's submission key, so a resent submission
//! finds the first one instead of making a second.

use super::{
    Backend, Conn, Db, Json, StoreError, StoreResult, TagTable, now, on, one, read, save_sql,
    tag_id, write,
};
use crate::domain::WindowState;
use crate::domain::evidence::NewEvidence;
use crate::domain::exercise::{Answer, Definition, Tally, ValidDefinition};
use crate::domain::time::Timestamp;
use crate::store::rate_limits::Limit;
use crate::store::versions::Topic;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Exercise {
    pub id: i64,
    pub organisation_id: i64,
    pub organisation_slug: String,
    pub organisation_name: String,
    pub slug: String,
    pub kind: String,
    pub title: String,
    pub summary: String,
    pub body_html: String,
    pub opens_at: Timestamp,
    pub closes_at: Timestamp,
    pub published: bool,
    pub results_published_at: Option<Timestamp>,
    pub definition: Json<Definition>,
    pub updated_at: Timestamp,
}

impl Exercise {
    /// A copy of the stored definition (validated before it was stored), to read or change.
    pub fn definition(&self) -> Definition {
        self.definition.0.clone()
    }

    /// Whether it is open at time `at`.
    pub fn state(&self, at: Timestamp) -> WindowState {
        crate::domain::window_state(self.opens_at, self.closes_at, at)
    }
}

macro_rules! select_exercises {
    ($rest:literal) => {
        concat!(
            "SELECT e.id, e.organisation_id, o.slug AS organisation_slug, o.name AS
             organisation_name, e.slug, e.kind,
                    e.title, e.summary, e.body_html, e.opens_at, e.closes_at, e.published,
                    e.results_published_at,
                    e.definition, e.updated_at
             FROM exercises e JOIN organisations o ON o.id = e.organisation_id ",
            $rest
        )
    };
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct StoredResponse {
    pub id: i64,
    pub reference: String,
    pub answers: Json<BTreeMap<String, Answer>>,
    pub segments: Json<BTreeMap<String, String>>,
    pub source: String,
    pub submitted_at: Timestamp,
}

/// A stored tally of an exercise's results ([`Db::result_tally`]).
#[derive(Debug, sqlx::FromRow)]
pub struct StoredTally {
    /// The fingerprint of the definition it was counted under.
    pub definition: String,
    /// Every response up to this id is counted.
    pub through_id: i64,
    pub tally: Json<Tally>,
    /// How many responses there are now up to `through_id` (PostgreSQL only: see
    /// [`Db::result_tally`]).
    pub present: Option<i64>,
}

/// What a tally reads of a response.
#[derive(Debug, sqlx::FromRow)]
pub struct CountedResponse {
    pub id: i64,
    pub answers: Json<BTreeMap<String, Answer>>,
    pub segments: Json<BTreeMap<String, String>>,
    pub submitted_at: Timestamp,
}

/// What a respondent sent, ready to store.
pub struct NewResponse<'a> {
    /// Unique per exercise: the same key again finds the stored response.
    pub submission_key: &'a str,
    /// A hash of what was sent, when a resend must match it (API clients' keys).
    pub request_hash: Option<&'a str>,
    pub answers_json: &'a str,
    pub segments_json: &'a str,
    pub source: &'a str,
    pub email: Option<&'a str>,
    /// The receipt to queue when an email was given: (subject, body).
    pub receipt: Option<(String, String)>,
    /// The sender's per-address limit, counted in the same write.
    pub limit: Option<Limit>,
}

/// What [`Db::submit_response`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Submitted {
    /// Stored, with this reference.
    New(String),
    /// Over the sender's per-address limit: nothing stored.
    OverLimit,
    /// Sent before with the same key (and the same content, where that is checked): the
    /// stored response's reference.
    Again(String),
    /// The key was used before for different content: nothing stored, nothing told.
    KeyReused,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct EvidenceItem {
    pub id: i64,
    pub question_id: String,
    pub source_type: String,
    pub collected_on: String,
    pub segment: String,
    pub body: String,
    pub created_at: Timestamp,
}

/// The address and searchable text of an exercise: summary, description and questions.
fn search_text(def: &ValidDefinition, body_html: &str) -> (String, String) {
    let d = &def.definition;
    let mut body = format!(
        "{}\n{}",
        d.summary,
        crate::domain::text::searchable_text(body_html)
    );
    for q in &d.questions {
        body.push('\n');
        body.push_str(&q.title);
    }
    (format!("/consultations/{}", def.slug), body)
}

/// A random response reference such as `TH-7KQ2-M9XD` (no 0/O or 1/I to misread).
pub fn new_reference() -> String {
    const ALPHABET: &[u8] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).expect("the operating system provides randomness");
    let chars: String = bytes
        .iter()
        .map(|b| ALPHABET[(*b as usize) % ALPHABET.len()] as char)
        .collect();
    format!("TH-{}-{}", &chars[..4], &chars[4..])
}

/// Writes an exercise's topics (made on first use) and its search entry inside the caller's
/// transaction; shared by create and update.
async fn write_exercise_links(
    conn: Conn<'_>,
    id: i64,
    organisation_id: i64,
    def: &ValidDefinition,
    body_html: &str,
    published_at: Option<Timestamp>,
) -> StoreResult<()> {
    on!(conn, |c| {
        for name in &def.definition.topics {
            let topic = tag_id(Conn::from(&mut *c), TagTable::Topics, name.trim()).await?;
            sqlx::query(
                "INSERT INTO exercise_topics (exercise_id, topic_id) VALUES ($1, $2)
                 ON CONFLICT DO NOTHING",
            )
            .bind(id)
            .bind(topic)
            .execute(&mut *c)
            .await?;
        }
        let (url, body) = search_text(def, body_html);
        let doc = super::search::Document {
            kind: "consultation",
            ref_id: id,
            organisation_id: Some(organisation_id),
            published_at,
            url: &url,
            title: def.definition.title.trim(),
            body: &body,
        };
        super::search::index(Conn::from(&mut *c), &doc).await?;
    });
    Ok(())
}

impl Db {
    /// Writes a new exercise (`existing` is `None`, made by `user_id`) or a new version of one
    /// (everything derived from its definition replaced), with its topics and search entry, in
    /// one transaction; a taken slug is a conflict.
    pub async fn save_exercise(
        &self,
        existing: Option<i64>,
        organisation_id: i64,
        def: &ValidDefinition,
        body_html: &str,
        published: bool,
        user_id: Option<i64>,
    ) -> StoreResult<i64> {
        let done: StoreResult<_> = async {
            let t = now();
            let json = serde_json::to_string(&def.definition).expect("definitions serialise");
            let d = &def.definition;
            let sql = save_sql(
                existing,
                "INSERT INTO exercises (organisation_id, slug, kind, title, summary, body_html,
                                        opens_at, closes_at, published, definition, updated_at,
                                        created_by, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $11) RETURNING id",
                "UPDATE exercises SET organisation_id = $1, slug = $2, kind = $3, title = $4,
                        summary = $5, body_html = $6, opens_at = $7, closes_at = $8,
                        published = $9, definition = $10, updated_at = $11
                 WHERE id = $12 RETURNING id",
            );
            write!(self, |pool| {
                let mut tx = pool.begin().await?;
                let q = sqlx::query_scalar(sql)
                    .bind(organisation_id)
                    .bind(def.slug.as_str())
                    .bind(&d.kind)
                    .bind(d.title.trim())
                    .bind(d.summary.trim())
                    .bind(body_html)
                    .bind(def.opens_at)
                    .bind(def.closes_at)
                    .bind(published)
                    .bind(&json)
                    .bind(t);
                let q = match existing {
                    Some(id) => q.bind(id),
                    None => q.bind(user_id),
                };
                let id = one(q.fetch_optional(&mut *tx).await)?;
                if existing.is_some() {
                    sqlx::query("DELETE FROM exercise_topics WHERE exercise_id = $1")
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                }
                let published_at = published.then_some(t);
                let conn = Conn::from(&mut *tx);
                write_exercise_links(conn, id, organisation_id, def, body_html, published_at)
                    .await?;
                tx.commit().await?;
                Ok(id)
            })
        }
        .await;
        if let Ok(id) = &done {
            self.changed(&[Topic::Exercises, Topic::Results(*id)])
                .await?;
        }
        done
    }

    pub async fn exercise_by_slug(&self, slug: &str) -> StoreResult<Exercise> {
        one(read!(self, |pool| sqlx::query_as(select_exercises!(
            "WHERE e.slug = $1"
        ))
        .bind(slug)
        .fetch_optional(pool)
        .await))
    }

    pub async fn exercise(&self, id: i64) -> StoreResult<Exercise> {
        one(read!(self, |pool| sqlx::query_as(select_exercises!(
            "WHERE e.id = $1"
        ))
        .bind(id)
        .fetch_optional(pool)
        .await))
    }

    /// Published exercises, soonest closing first; `organisation_id` and `topic_id` narrow it.
    pub async fn public_exercises(
        &self,
        organisation_id: Option<i64>,
        topic_id: Option<i64>,
    ) -> StoreResult<Vec<Exercise>> {
        Ok(read!(self, |pool| {
            sqlx::query_as(select_exercises!(
                "WHERE e.published AND ($1 IS NULL OR e.organisation_id = $1)
                   AND ($2 IS NULL OR EXISTS (SELECT 1 FROM exercise_topics et WHERE
                   et.exercise_id =
                   e.id AND et.topic_id = $2))
                 ORDER BY e.closes_at DESC, e.id DESC"
            ))
            .bind(organisation_id)
            .bind(topic_id)
            .fetch_all(pool)
            .await
        })?)
    }

    /// Every exercise of some organisations, for the admin list.
    pub async fn exercises_of(&self, organisation_ids: &[i64]) -> StoreResult<Vec<Exercise>> {
        let all: Vec<Exercise> = read!(self, |pool| sqlx::query_as(select_exercises!(
            "ORDER BY e.updated_at DESC"
        ))
        .fetch_all(pool)
        .await)?;
        Ok(all
            .into_iter()
            .filter(|e| organisation_ids.contains(&e.organisation_id))
            .collect())
    }

    pub async fn exercise_topics(&self, exercise_id: i64) -> StoreResult<Vec<super::posts::Tag>> {
        Ok(read!(self, |pool| {
            sqlx::query_as(
                "SELECT t.id, t.slug, t.name FROM topics t JOIN exercise_topics et ON et.topic_id
                     =
                 t.id
                 WHERE et.exercise_id = $1 ORDER BY t.name",
            )
            .bind(exercise_id)
            .fetch_all(pool)
            .await
        })?)
    }

    pub async fn set_results_published(
        &self,
        exercise_id: i64,
        published: bool,
    ) -> StoreResult<()> {
        let done: StoreResult<_> = async {
            let at = published.then(now);
            write!(self, |pool| sqlx::query(
                "UPDATE exercises SET results_published_at = $1 WHERE id = $2"
            )
            .bind(at)
            .bind(exercise_id)
            .execute(pool)
            .await
            .map(|r| r.rows_affected()))?;
            Ok(())
        }
        .await;
        if done.is_ok() {
            self.changed(&[Topic::Exercises, Topic::Results(exercise_id)])
                .await?;
        }
        done
    }

    /// Stores a response unless one with the same submission key exists. Commits before
    /// returning, so an answer means the response is durable.
    pub async fn submit_response(
        &self,
        exercise_id: i64,
        response: &NewResponse<'_>,
    ) -> StoreResult<Submitted> {
        let t = now();
        let reference = new_reference();
        // Owned: the write runs on the writer's task.
        let key = response.submission_key.to_string();
        let request_hash = response.request_hash.map(str::to_string);
        let answers = response.answers_json.to_string();
        let segments = response.segments_json.to_string();
        let source = response.source.to_string();
        let email = response.email.map(str::to_string);
        let receipt = response.receipt.clone();
        let limit = response.limit.clone();
        // Many people respond at once: committed with the other writes waiting, the limit's
        // hit with the response.
        self.grouped(move |mut conn| {
            Box::pin(async move {
                if let Some(limit) = limit
                    && limit.is_passed(conn.reborrow(), t).await?
                {
                    return Ok(Submitted::OverLimit);
                }
                on!(conn, |c| {
                    let id: Option<i64> = sqlx::query_scalar(
                        "INSERT INTO responses (exercise_id, reference, submission_key, answers,
                         segments, source, submitted_at, request_hash)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                         ON CONFLICT (exercise_id, submission_key) DO NOTHING RETURNING id",
                    )
                    .bind(exercise_id)
                    .bind(&reference)
                    .bind(&key)
                    .bind(&answers)
                    .bind(&segments)
                    .bind(&source)
                    .bind(t)
                    .bind(&request_hash)
                    .fetch_optional(&mut *c)
                    .await
                    .map_err(StoreError::from_sqlx)?;
                    let Some(id) = id else {
                        let (existing, hash): (String, Option<String>) = sqlx::query_as(
                            "SELECT reference, request_hash FROM responses
                             WHERE exercise_id = $1 AND submission_key = $2",
                        )
                        .bind(exercise_id)
                        .bind(&key)
                        .fetch_one(&mut *c)
                        .await?;
                        return Ok(match request_hash {
                            Some(sent) if hash.as_deref() != Some(sent.as_str()) => {
                                Submitted::KeyReused
                            }
                            _ => Submitted::Again(existing),
                        });
                    };
                    if let Some(email) = &email {
                        sqlx::query(
                            "INSERT INTO response_contacts (response_id, email) VALUES ($1, $2)",
                        )
                        .bind(id)
                        .bind(email)
                        .execute(&mut *c)
                        .await?;
                        if let Some((subject, body)) = &receipt {
                            sqlx::query(
                                "INSERT INTO outbox (recipient, subject, body, created_at,
                                 response_id) VALUES ($1, $2, $3, $4, $5)",
                            )
                            .bind(email)
                            .bind(subject)
                            .bind(body.replace("{reference}", &reference))
                            .bind(t)
                            .bind(id)
                            .execute(&mut *c)
                            .await?;
                        }
                    }
                    Ok(Submitted::New(reference))
                })
            })
        })
        .await
    }

    /// Stores responses collected elsewhere (or generated for the demo) in one transaction:
    /// (answers JSON, segments JSON, source, submitted at). Returns how many were stored.
    pub async fn import_responses(
        &self,
        exercise_id: i64,
        rows: &[(String, String, String, Timestamp)],
    ) -> StoreResult<usize> {
        let done: StoreResult<_> = async {
            write!(self, |pool| {
                let mut tx = pool.begin().await?;
                for (answers, segments, source, at) in rows {
                    let reference = new_reference();
                    sqlx::query(
                        "INSERT INTO responses (exercise_id, reference, submission_key, answers,
                         segments, source, submitted_at)
                         VALUES ($1, $2, $2, $3, $4, $5, $6)",
                    )
                    .bind(exercise_id)
                    .bind(&reference)
                    .bind(answers)
                    .bind(segments)
                    .bind(source)
                    .bind(at)
                    .execute(&mut *tx)
                    .await
                    .map_err(StoreError::from_sqlx)?;
                }
                tx.commit().await?;
                Ok(rows.len())
            })
        }
        .await;
        self.then_changed(done, &[Topic::Results(exercise_id)])
            .await
    }

    pub async fn response_by_reference(
        &self,
        exercise_id: i64,
        reference: &str,
    ) -> StoreResult<StoredResponse> {
        read!(self, |pool| sqlx::query_as(
            "SELECT id, reference, answers, segments, source, submitted_at FROM responses WHERE
             exercise_id = $1 AND reference = $2"
        )
        .bind(exercise_id)
        .bind(reference)
        .fetch_optional(pool)
        .await)?
        .ok_or(StoreError::NotFound)
    }

    /// Every response to an exercise, oldest first.
    pub async fn responses(&self, exercise_id: i64) -> StoreResult<Vec<StoredResponse>> {
        Ok(read!(self, |pool| {
            sqlx::query_as(
                "SELECT id, reference, answers, segments, source, submitted_at FROM responses
                     WHERE
                 exercise_id = $1 ORDER BY id",
            )
            .bind(exercise_id)
            .fetch_all(pool)
            .await
        })?)
    }

    /// The stored tally of an exercise's results. On PostgreSQL, with how many responses
    /// are now at or below its high-water id: more than it counted when one was committed
    /// late below the mark (an id is handed out before its transaction commits). SQLite's
    /// one writer commits responses in id order, so none can appear below it there.
    pub async fn result_tally(&self, exercise_id: i64) -> StoreResult<Option<StoredTally>> {
        const TALLY: &str = "SELECT t.definition, t.through_id, t.tally, ";
        const FROM: &str = " AS present FROM result_tallies t WHERE t.exercise_id = $1";
        let present = match self.backend {
            Backend::Sqlite { .. } => "NULL",
            Backend::Postgres(_) => {
                "(SELECT COUNT(*) FROM responses r
                  WHERE r.exercise_id = t.exercise_id AND r.id <= t.through_id)"
            }
        };
        let q = format!("{TALLY}{present}{FROM}");
        Ok(read!(self, |pool| sqlx::query_as(sqlx::AssertSqlSafe(
            q.as_str()
        ))
        .bind(exercise_id)
        .fetch_optional(pool)
        .await)?)
    }

    /// Keeps a tally unless one counted further under the same definition is stored already
    /// (two nodes may count at once).
    pub async fn save_result_tally(
        &self,
        exercise_id: i64,
        definition: &str,
        through_id: i64,
        tally: &Tally,
    ) -> StoreResult<()> {
        let json = serde_json::to_string(tally).expect("tallies serialise");
        write!(self, |pool| sqlx::query(
            "INSERT INTO result_tallies (exercise_id, definition, through_id, tally)
             VALUES ($1, $2, $3, $4)
             ON CONFLICT (exercise_id) DO UPDATE SET definition = excluded.definition,
                 through_id = excluded.through_id, tally = excluded.tally
             WHERE result_tallies.definition <> excluded.definition
                OR result_tallies.through_id < excluded.through_id"
        )
        .bind(exercise_id)
        .bind(definition)
        .bind(through_id)
        .bind(&json)
        .execute(pool)
        .await
        .map(|_| ()))?;
        Ok(())
    }

    /// An exercise's responses after id `after`, oldest first: what a tally has not counted.
    pub async fn responses_after(
        &self,
        exercise_id: i64,
        after: i64,
    ) -> StoreResult<Vec<CountedResponse>> {
        Ok(read!(self, |pool| sqlx::query_as(
            "SELECT id, answers, segments, submitted_at FROM responses
             WHERE exercise_id = $1 AND id > $2 ORDER BY id"
        )
        .bind(exercise_id)
        .bind(after)
        .fetch_all(pool)
        .await)?)
    }

    pub async fn response_count(&self, exercise_id: i64) -> StoreResult<i64> {
        Ok(read!(self, |pool| sqlx::query_scalar(
            "SELECT COUNT(*) FROM responses WHERE exercise_id = $1"
        )
        .bind(exercise_id)
        .fetch_one(pool)
        .await)?)
    }

    /// Removes a respondent's email (on request), with a receipt not sent yet and the
    /// address's e-mail subscriptions; the anonymous answers stay.
    pub async fn erase_contact(&self, exercise_id: i64, reference: &str) -> StoreResult<bool> {
        const RESPONSE: &str = "SELECT id FROM responses WHERE exercise_id = $1 AND reference =
                                $2";
        let n = write!(self, |pool| {
            let mut tx = pool.begin().await?;
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "DELETE FROM outbox WHERE response_id IN ({RESPONSE})"
            )))
            .bind(exercise_id)
            .bind(reference)
            .execute(&mut *tx)
            .await?;
            // The address goes from the e-mail lists too.
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "DELETE FROM subscribers WHERE email IN (SELECT email FROM response_contacts
                 WHERE response_id IN ({RESPONSE}))"
            )))
            .bind(exercise_id)
            .bind(reference)
            .execute(&mut *tx)
            .await?;
            let n = sqlx::query(sqlx::AssertSqlSafe(format!(
                "DELETE FROM response_contacts WHERE response_id IN ({RESPONSE})"
            )))
            .bind(exercise_id)
            .bind(reference)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            tx.commit().await?;
            Ok::<_, sqlx::Error>(n)
        })?;
        Ok(n > 0)
    }

    /// Adds evidence items in one transaction: all of them or none.
    pub async fn add_evidence(
        &self,
        exercise_id: i64,
        items: &[NewEvidence],
        user_id: Option<i64>,
    ) -> StoreResult<()> {
        let done: StoreResult<_> = async {
            let t = now();
            write!(self, |pool| {
                let mut tx = pool.begin().await?;
                for item in items {
                    sqlx::query(
                        "INSERT INTO evidence (exercise_id, question_id, source_type, collected_on,
                         segment, body, created_by, created_at)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                    )
                    .bind(exercise_id)
                    .bind(&item.question_id)
                    .bind(item.source.as_str())
                    .bind(&item.collected_on)
                    .bind(&item.segment)
                    .bind(&item.body)
                    .bind(user_id)
                    .bind(t)
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
                Ok(())
            })
        }
        .await;
        self.then_changed(done, &[Topic::Results(exercise_id)])
            .await
    }

    pub async fn evidence_count(&self, exercise_id: i64) -> StoreResult<i64> {
        Ok(read!(self, |pool| sqlx::query_scalar(
            "SELECT COUNT(*) FROM evidence WHERE exercise_id = $1"
        )
        .bind(exercise_id)
        .fetch_one(pool)
        .await)?)
    }

    pub async fn evidence(&self, exercise_id: i64) -> StoreResult<Vec<EvidenceItem>> {
        Ok(read!(self, |pool| {
            sqlx::query_as(
                "SELECT id, question_id, source_type, collected_on, segment, body, created_at FROM
                 evidence
                 WHERE exercise_id = $1 ORDER BY id",
            )
            .bind(exercise_id)
            .fetch_all(pool)
            .await
        })?)
    }
}
