//! Versions of what public pages show, so that a page kept in memory is dropped exactly when
//! something it shows changes: each write below raises the version of the topics it touches
//! (in the database, for the other nodes, and in this node's [`Versions`] before the writer
//! gets its answer); each node reads the table again every [`POLL`].

use super::{Db, StoreResult, read, write};
use crate::domain::time::Timestamp;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

/// How often a node reads the versions the other nodes raised.
pub const POLL: Duration = Duration::from_millis(250);

/// Something public pages show, whose change drops the pages that show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Topic {
    /// Posts, their comments, authors, categories and topics, and the comments setting.
    Posts,
    /// Which exercises are published, and their details.
    Exercises,
    /// One exercise's published results (analyses, "you said, we did", evidence, counts).
    Results(i64),
    /// Any exercise's published results: raised with every `Results`.
    AnyResults,
    /// The programme register, and what links into it.
    Register,
    /// Organisations' names and places.
    Organisations,
    /// Items read from other sites' feeds.
    Syndication,
    /// The media library: images and documents that bodies refer to.
    Media,
}

impl Topic {
    /// Its name in `content_versions`.
    fn key(self) -> String {
        match self {
            Topic::Posts => "posts".into(),
            Topic::Exercises => "exercises".into(),
            Topic::Results(id) => format!("results:{id}"),
            Topic::AnyResults => "results".into(),
            Topic::Register => "register".into(),
            Topic::Organisations => "organisations".into(),
            Topic::Syndication => "syndication".into(),
            Topic::Media => "media".into(),
        }
    }

    /// The topic named `key` in `content_versions`, if this release knows it.
    fn from_key(key: &str) -> Option<Topic> {
        Some(match key {
            "posts" => Topic::Posts,
            "exercises" => Topic::Exercises,
            "register" => Topic::Register,
            "organisations" => Topic::Organisations,
            "syndication" => Topic::Syndication,
            "media" => Topic::Media,
            "results" => Topic::AnyResults,
            _ => Topic::Results(key.strip_prefix("results:")?.parse().ok()?),
        })
    }
}

/// This node's copy of the versions: the highest it has seen of each topic.
#[derive(Clone, Default, Debug)]
pub struct Versions(Arc<RwLock<HashMap<Topic, i64>>>);

impl Versions {
    /// The current version of each topic, in order (0 for one never raised).
    pub fn of(&self, topics: &[Topic]) -> Vec<i64> {
        let map = self.0.read().unwrap_or_else(|e| e.into_inner());
        (topics.iter())
            .map(|t| map.get(t).copied().unwrap_or(0))
            .collect()
    }

    /// Every version now, for a page whose topics are known only once it is made.
    pub fn snapshot(&self) -> HashMap<Topic, i64> {
        self.0.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    #[cfg(test)]
    pub fn note_for_test(&self, topic: Topic, version: i64) {
        self.note([(topic, version)]);
    }

    /// Notes versions read or raised; a version never goes back.
    fn note(&self, seen: impl IntoIterator<Item = (Topic, i64)>) {
        let mut map = self.0.write().unwrap_or_else(|e| e.into_inner());
        for (topic, version) in seen {
            let kept = map.entry(topic).or_insert(version);
            *kept = (*kept).max(version);
        }
    }
}

/// When public pages next change by themselves, with the versions of what decides it (posts
/// and exercises, whose writes raise [`Topic::Posts`] and [`Topic::Exercises`]) when it was
/// read: the answer stands until one of them is raised or that time comes.
#[derive(Clone, Default, Debug)]
pub(crate) struct NextChange(Arc<Mutex<Option<Known>>>);

/// The versions of [`NextChange::SHOWN`] a next change was read at, and that change.
type Known = (Vec<i64>, Option<Timestamp>);

impl NextChange {
    const SHOWN: [Topic; 2] = [Topic::Posts, Topic::Exercises];

    fn known(&self, versions: &[i64], now: Timestamp) -> Option<Option<Timestamp>> {
        let known = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let (seen, next) = known.as_ref()?;
        (seen == versions && next.is_none_or(|next| now < next)).then_some(*next)
    }

    fn note(&self, versions: Vec<i64>, next: Option<Timestamp>) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = Some((versions, next));
    }
}

impl Db {
    /// Raises the version of each topic: call after a write that changes what they show.
    pub async fn changed(&self, topics: &[Topic]) -> StoreResult<()> {
        let mut raised = Vec::with_capacity(topics.len() + 1);
        let any_results =
            (topics.iter().any(|t| matches!(t, Topic::Results(_)))).then_some(&Topic::AnyResults);
        for topic in topics.iter().chain(any_results) {
            let key = topic.key();
            let version: i64 = write!(self, |pool| sqlx::query_scalar(
                "INSERT INTO content_versions (topic, version) VALUES ($1, 1)
                 ON CONFLICT (topic) DO UPDATE SET version = content_versions.version + 1
                 RETURNING version"
            )
            .bind(&key)
            .fetch_one(pool)
            .await)?;
            raised.push((*topic, version));
        }
        self.versions.note(raised);
        Ok(())
    }

    /// `done`, after raising `topics` if the write it reports happened.
    pub(crate) async fn then_changed<T>(
        &self,
        done: StoreResult<T>,
        topics: &[Topic],
    ) -> StoreResult<T> {
        if done.is_ok() {
            self.changed(topics).await?;
        }
        done
    }

    /// Reads every topic's version again, for the changes other nodes made.
    pub async fn catch_up(&self) -> StoreResult<()> {
        let all: Vec<(String, i64)> = read!(self, |pool| sqlx::query_as(
            "SELECT topic, version FROM content_versions"
        )
        .fetch_all(pool)
        .await)?;
        (self.versions).note(
            all.iter()
                .filter_map(|(k, v)| Some((Topic::from_key(k)?, *v))),
        );
        Ok(())
    }

    /// When public pages next change by themselves, with no write: a scheduled post
    /// appears, or a published exercise opens or closes. Read once until posts or exercises
    /// change or that time comes, not for every page made.
    pub async fn next_timed_change(&self) -> StoreResult<Option<Timestamp>> {
        let now = super::now();
        // Read before the query: a write while it runs leaves the answer already out of date.
        let seen = self.versions.of(&NextChange::SHOWN);
        if let Some(known) = self.next_change.known(&seen, now) {
            return Ok(known);
        }
        let next = read!(self, |pool| sqlx::query_scalar(
            "SELECT MIN(t) FROM (
               SELECT published_at AS t FROM posts WHERE status = 'published' AND published_at > $1
               UNION ALL SELECT opens_at FROM exercises WHERE published AND opens_at > $1
               UNION ALL SELECT closes_at FROM exercises WHERE published AND closes_at > $1
             ) AS times"
        )
        .bind(now)
        .fetch_one(pool)
        .await)?;
        self.next_change.note(seen, next);
        Ok(next)
    }

    /// This node's versions, for the page cache.
    pub fn versions(&self) -> &Versions {
        &self.versions
    }
}
