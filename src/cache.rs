//! What every visitor sees alike (the hub's content, published results, published posts'
//! pages), kept in memory until something it shows changes: each entry remembers the versions
//! of the topics it was made from (`store::versions`) and is made again once one has moved, or
//! once the time comes when it would show something else by itself (a scheduled post, a
//! consultation opening or closing). Nothing stale is served after a write has answered on
//! this node; the other nodes learn of it within `store::versions::POLL`.

use crate::domain::time::Timestamp;
use crate::store::versions::{Topic, Versions};
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex};

/// Entries kept at most per cache; beyond it the cache starts again (a crawler walking every
/// page should not grow memory without bound).
const MAX_ENTRIES: usize = 4096;

struct Entry<V> {
    versions: Vec<i64>,
    until: Option<Timestamp>,
    value: V,
}

/// A value made for everyone, and until when it holds regardless of writes (`None`: until a
/// write).
pub struct Fresh<V> {
    pub value: V,
    pub until: Option<Timestamp>,
}

impl<V> Fresh<V> {
    /// A value that changes only when its topics do.
    pub fn until_changed(value: V) -> Self {
        Fresh { value, until: None }
    }
}

pub struct Shared<K, V>(Arc<Mutex<HashMap<K, Entry<V>>>>);

impl<K, V> Default for Shared<K, V> {
    fn default() -> Self {
        Shared(Arc::new(Mutex::new(HashMap::new())))
    }
}

impl<K: Eq + Hash, V: Clone> Shared<K, V> {
    /// The value kept for `key` if nothing in `topics` has changed since it was made and its
    /// time has not come, otherwise `make()`'s, kept. The versions are read before `make`
    /// reads the data, so a write during it leaves an entry that is already out of date.
    /// Two requests that miss at once both make it; that is cheaper than making one wait.
    pub async fn get_or<E, F: Future<Output = Result<Fresh<V>, E>>>(
        &self,
        versions: &Versions,
        key: K,
        topics: &[Topic],
        make: impl FnOnce() -> F,
    ) -> Result<V, E> {
        let now = versions.of(topics);
        let at = crate::store::now();
        if let Ok(map) = self.0.lock()
            && let Some(e) = map.get(&key)
            && e.versions == now
            && e.until.is_none_or(|until| at < until)
        {
            return Ok(e.value.clone());
        }
        let fresh = make().await?;
        if let Ok(mut map) = self.0.lock() {
            if map.len() >= MAX_ENTRIES {
                map.clear();
            }
            let entry = Entry {
                versions: now,
                until: fresh.until,
                value: fresh.value.clone(),
            };
            map.insert(key, entry);
        }
        Ok(fresh.value)
    }
}

/// The earliest of the times given that is after `now`: when a page showing things that start
/// or end at those times would change by itself.
pub fn next_after(now: Timestamp, times: impl IntoIterator<Item = Timestamp>) -> Option<Timestamp> {
    times.into_iter().filter(|t| *t > now).min()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_value_is_kept_until_a_topic_it_shows_changes() {
        let cache: Shared<i32, i32> = Shared::default();
        let versions = Versions::default();
        let make = |v: i32| async move { Ok::<_, ()>(Fresh::until_changed(v)) };
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
        // A value whose time has come is made again too.
        let past = crate::store::now() - 1;
        let timed = |v: i32| async move {
            Ok::<_, ()>(Fresh {
                value: v,
                until: Some(past),
            })
        };
        assert_eq!(
            cache.get_or(&versions, 2, &topics, || timed(1)).await,
            Ok(1)
        );
        assert_eq!(
            cache.get_or(&versions, 2, &topics, || timed(2)).await,
            Ok(2)
        );
    }
}
