//! Values made from the database for everyone (an exercise's published results, which the
//! results page and its downloads share), kept in memory until something they show changes:
//! each entry remembers the versions of the topics it was made from (`store::versions`) and
//! is made again once one has moved. Nothing stale is served after a write has answered on
//! this node; the other nodes learn of it within `store::versions::POLL`. Whole pages are
//! kept by `web::shared_pages` the same way.

use crate::store::versions::{Topic, Versions};
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex};

/// Entries kept at most per cache; beyond it the cache starts again.
const MAX_ENTRIES: usize = 4096;

struct Entry<V> {
    versions: Vec<i64>,
    value: V,
}

pub struct Shared<K, V>(Arc<Mutex<HashMap<K, Entry<V>>>>);

impl<K, V> Default for Shared<K, V> {
    fn default() -> Self {
        Shared(Arc::new(Mutex::new(HashMap::new())))
    }
}

impl<K: Eq + Hash, V: Clone> Shared<K, V> {
    /// The value kept for `key` if nothing in `topics` has changed since it was made,
    /// otherwise `make()`'s, kept. The versions are read before `make` reads the data, so a
    /// write during it leaves an entry that is already out of date. Two requests that miss
    /// at once both make it; that is cheaper than making one wait.
    pub async fn get_or<E, F: Future<Output = Result<V, E>>>(
        &self,
        versions: &Versions,
        key: K,
        topics: &[Topic],
        make: impl FnOnce() -> F,
    ) -> Result<V, E> {
        let now = versions.of(topics);
        if let Ok(map) = self.0.lock()
            && let Some(e) = map.get(&key)
            && e.versions == now
        {
            return Ok(e.value.clone());
        }
        let value = make().await?;
        if let Ok(mut map) = self.0.lock() {
            if map.len() >= MAX_ENTRIES {
                map.clear();
            }
            let entry = Entry {
                versions: now,
                value: value.clone(),
            };
            map.insert(key, entry);
        }
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_value_is_kept_until_a_topic_it_shows_changes() {
        let cache: Shared<i32, i32> = Shared::default();
        let versions = Versions::default();
        let make = |v: i32| async move { Ok::<_, ()>(v) };
        let topics = [Topic::Posts];
        assert_eq!(
            cache.get_or(&versions, 1, &topics, || make(10)).await,
            Ok(10)
        );
        assert_eq!(
            cache.get_or(&versions, 1, &topics, || make(20)).await,
            Ok(10),
            "kept"
        );
        versions.note_for_test(Topic::Register, 3);
        assert_eq!(
            cache.get_or(&versions, 1, &topics, || make(30)).await,
            Ok(10),
            "another topic"
        );
        versions.note_for_test(Topic::Posts, 1);
        assert_eq!(
            cache.get_or(&versions, 1, &topics, || make(40)).await,
            Ok(40),
            "made again"
        );
    }
}
