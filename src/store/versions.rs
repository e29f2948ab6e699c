//! Versions of what public pages show, so that a page kept in memory is dropped exactly when
//! something it shows changes: each write below raises the version of the topics it touches
//! (in the database, for the other nodes, and in this node's [`Versions`] before the writer
//! gets its answer); each node reads the table again every [`POLL`].

use super::{Db, StoreResult, read, write};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
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
    /// The programme register, and what links into it.
    Register,
    /// Organisations' names and places.
    Organisations,
    /// Items read from other sites' feeds.
    Syndication,
}

impl Topic {
    fn key(self) -> String {
        match self {
            Topic::Posts => "posts".into(),
            Topic::Exercises => "exercises".into(),
            Topic::Results(id) => format!("results:{id}"),
            Topic::Register => "register".into(),
            Topic::Organisations => "organisations".into(),
            Topic::Syndication => "syndication".into(),
        }
    }
}

/// This node's copy of the versions: the highest it has seen of each topic.
#[derive(Clone, Default, Debug)]
pub struct Versions(Arc<RwLock<HashMap<String, i64>>>);

impl Versions {
    /// The current version of each topic, in order (0 for one never raised).
    pub fn of(&self, topics: &[Topic]) -> Vec<i64> {
        let map = self.0.read().unwrap_or_else(|e| e.into_inner());
        (topics.iter())
            .map(|t| map.get(&t.key()).copied().unwrap_or(0))
            .collect()
    }

    #[cfg(test)]
    pub fn note_for_test(&self, topic: Topic, version: i64) {
        self.note([(topic.key(), version)]);
    }

    /// Notes versions read or raised; a version never goes back.
    fn note(&self, seen: impl IntoIterator<Item = (String, i64)>) {
        let mut map = self.0.write().unwrap_or_else(|e| e.into_inner());
        for (topic, version) in seen {
            let kept = map.entry(topic).or_insert(version);
            *kept = (*kept).max(version);
        }
    }
}

impl Db {
    /// Raises the version of each topic: call after a write that changes what they show.
    pub async fn changed(&self, topics: &[Topic]) -> StoreResult<()> {
        let mut raised = Vec::with_capacity(topics.len());
        for topic in topics {
            let key = topic.key();
            let version: i64 = write!(self, |pool| sqlx::query_scalar(
                "INSERT INTO content_versions (topic, version) VALUES ($1, 1)
                 ON CONFLICT (topic) DO UPDATE SET version = content_versions.version + 1
                 RETURNING version"
            )
            .bind(&key)
            .fetch_one(pool)
            .await)?;
            raised.push((key, version));
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
        self.versions.note(all);
        Ok(())
    }

    /// This node's versions, for the page cache.
    pub fn versions(&self) -> &Versions {
        &self.versions
    }
}
