//! A small cache of values that every visitor sees alike (the hub's content, published
//! results), each kept for `Config::page_cache` and then read again. Several nodes each keep
//! their own; a change shows everywhere within that time.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Clone)]
pub struct TtlCache<K, V>(Arc<Mutex<HashMap<K, (Instant, V)>>>);

impl<K, V> Default for TtlCache<K, V> {
    fn default() -> Self {
        TtlCache(Arc::new(Mutex::new(HashMap::new())))
    }
}

impl<K: Eq + Hash + Clone, V: Clone> TtlCache<K, V> {
    /// Forgets everything kept, so the next request reads afresh (after a change made here).
    pub fn clear(&self) {
        if let Ok(mut m) = self.0.lock() {
            m.clear();
        }
    }

    /// The value kept for `key` if it is younger than `ttl`, otherwise `make()`'s (kept when
    /// `ttl` is not zero). Two requests that miss at once both make it; that is cheaper than
    /// making every request wait for one.
    pub async fn get_or<E, F: Future<Output = Result<V, E>>>(
        &self,
        key: K,
        ttl: Duration,
        make: impl FnOnce() -> F,
    ) -> Result<V, E> {
        let kept = self
            .0
            .lock()
            .ok()
            .and_then(|m| m.get(&key).cloned())
            .filter(|(at, _)| at.elapsed() < ttl);
        if let Some((_, v)) = kept {
            return Ok(v);
        }
        let v = make().await?;
        if !ttl.is_zero()
            && let Ok(mut m) = self.0.lock()
        {
            // Drop what has expired, so the map holds only recent keys.
            m.retain(|_, (at, _)| at.elapsed() < ttl);
            m.insert(key, (Instant::now(), v.clone()));
        }
        Ok(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn values_are_kept_for_their_time_only() {
        let cache: TtlCache<i32, i32> = TtlCache::default();
        let ttl = Duration::from_millis(200);
        let first: Result<i32, ()> = cache.get_or(1, ttl, || async { Ok(10) }).await;
        assert_eq!(first, Ok(10));
        let kept: Result<i32, ()> = cache.get_or(1, ttl, || async { Ok(20) }).await;
        assert_eq!(kept, Ok(10), "kept within its time");
        tokio::time::sleep(Duration::from_millis(250)).await;
        let fresh: Result<i32, ()> = cache.get_or(1, ttl, || async { Ok(30) }).await;
        assert_eq!(fresh, Ok(30), "read again after it");
        let uncached: Result<i32, ()> = cache.get_or(2, Duration::ZERO, || async { Ok(1) }).await;
        let again: Result<i32, ()> = cache.get_or(2, Duration::ZERO, || async { Ok(2) }).await;
        assert_eq!(
            (uncached, again),
            (Ok(1), Ok(2)),
            "a zero time keeps nothing"
        );
    }
}
