//! Privacy-friendly analytics, counted on the server, off the request path.
//!
//! The `measure` middleware (`web::middleware`, with `web::analytics::PageView`) decides
//! whether a response is a page view (GET, 200, HTML, a public path, not a bot, not a
//! prefetch) and adds it to the node's
//! [`Recorder`]: a hash and a map update in memory under a lock, with no allocation for a path,
//! visitor and referrer seen before, no channel and no other task to wake, so a page costs no
//! more with analytics on (BENCHMARKS.md, "Analytics on and off"). A task per node writes the
//! counts every [`FLUSH_EVERY`] (and at shutdown) as upserts in one transaction.
//!
//! Unique visitors without cookies and without keeping addresses: each view's visitor is eight
//! bytes of SHA-256 over the day's random salt (one per day, in the database so every node
//! shares it), the address and the user agent; the database keeps the hash only for the day,
//! to count each visitor once per path across nodes; the next day's first flush deletes the
//! old salt and hashes, after which nobody can link them to an address.

use crate::store::Db;
use crate::store::analytics::Batch;
use aho_corasick::AhoCorasick;
use sha2::{Digest, Sha256};
use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::net::IpAddr;
use std::sync::{Arc, LazyLock, Mutex, RwLock};
use std::time::Duration;

/// How often each node writes its counts.
pub const FLUSH_EVERY: Duration = Duration::from_secs(5);
/// Pages, visitors and referrers a node may hold between flushes before new views are dropped
/// (a few megabytes at most).
pub const MAX_PENDING: usize = 200_000;

/// True for user agents of crawlers, monitors, scripts and headless browsers.
pub fn is_bot(user_agent: &str) -> bool {
    /// One pass over the user agent for every pattern, ignoring case.
    static PATTERNS: LazyLock<AhoCorasick> = LazyLock::new(|| {
        AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build([
                "bot",
                "crawl",
                "spider",
                "slurp",
                "curl",
                "wget",
                "python-requests",
                "python-urllib",
                "aiohttp",
                "httpx",
                "go-http-client",
                "java/",
                "okhttp",
                "libwww",
                "headless",
                "phantomjs",
                "lighthouse",
                "pingdom",
                "uptime",
                "monitor",
                "scrapy",
                "facebookexternalhit",
                "feedfetcher",
                "apachebench",
                "townhall-feeds",
            ])
            .expect("fixed patterns build")
    });
    user_agent.trim().is_empty() || PATTERNS.is_match(user_agent)
}

/// Paths that are pages for the public (not the admin, the API, assets or operations).
pub fn is_public_page_path(path: &str) -> bool {
    const EXCLUDED: &[&str] = &["/admin", "/api", "/assets", "/healthz", "/metrics"];
    !EXCLUDED.iter().any(|p| {
        path.strip_prefix(p)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    }) && !path.ends_with(".atom")
}

/// The referring site's host when it is not this site (`own_host` is the Host header).
pub fn external_referrer(referer: &str, own_host: Option<&str>) -> Option<String> {
    let url = url::Url::parse(referer).ok()?;
    if !matches!(url.scheme(), "http" | "https") {
        return None;
    }
    let host = url.host_str()?.to_ascii_lowercase();
    let own = own_host.and_then(|h| {
        url::Url::parse(&format!("http://{h}"))
            .ok()
            .and_then(|u| u.host_str().map(str::to_ascii_lowercase))
    });
    if own.as_deref() == Some(host.as_str()) {
        return None;
    }
    Some(host)
}

/// The Unix time of the midnight (UTC) that starts the day of `t`: the days counts are kept by.
pub fn day_of(t: crate::domain::time::Timestamp) -> i64 {
    t.day().secs()
}

/// The day's salt as a hashing state: SHA-256 with the salt already absorbed.
#[derive(Clone)]
struct Salt {
    day: i64,
    state: Sha256,
}

impl Salt {
    fn new(day: i64, salt: &str) -> Salt {
        let mut state = Sha256::new();
        state.update(salt.as_bytes());
        state.update([0]);
        Salt { day, state }
    }

    /// Eight bytes of SHA-256(salt, address, user agent): the same visitor gives the same hash
    /// all day on every node, and nobody can get back to the address once the salt is gone.
    fn visitor(&self, ip: IpAddr, user_agent: &str) -> u64 {
        let mut h = self.state.clone();
        match ip {
            IpAddr::V4(a) => h.update(a.octets()),
            IpAddr::V6(a) => h.update(a.octets()),
        }
        h.update([0]);
        h.update(user_agent.as_bytes());
        let digest = h.finalize();
        u64::from_be_bytes(digest[..8].try_into().unwrap_or_default())
    }
}

/// One path's counts for one day since the last flush.
#[derive(Default)]
struct Page {
    views: i64,
    visitors: HashSet<u64>,
    /// Referring hosts and their views.
    referrers: HashMap<String, i64>,
}

/// A view that arrived before the day's salt was known (just after start or midnight); the
/// flush hashes it once it has the salt. Only these keep an address, in memory, for seconds.
struct Unsalted {
    day: i64,
    path: String,
    ip: IpAddr,
    user_agent: String,
}

/// Everything counted since the last flush.
struct Pending {
    /// Pages by day (usually one day) and path.
    days: HashMap<i64, HashMap<String, Page>>,
    unsalted: Vec<Unsalted>,
    /// Entries held (pages, visitors, referrers, unsalted views), to bound memory.
    entries: usize,
    /// Entries held at most ([`MAX_PENDING`]).
    limit: usize,
}

impl Default for Pending {
    fn default() -> Self {
        Pending {
            days: HashMap::new(),
            unsalted: Vec::new(),
            entries: 0,
            limit: MAX_PENDING,
        }
    }
}

impl Pending {
    /// Adds a view; false (nothing added) when the limit is reached. A view whose visitor is
    /// not known yet (`visitor` is `None`) keeps its address and user agent for the flush.
    fn record(&mut self, day: i64, hit: &Hit<'_>, visitor: Option<u64>) -> bool {
        if self.entries >= self.limit {
            return false;
        }
        self.add(day, hit.path, visitor, hit.referrer);
        if visitor.is_none() {
            self.entries += 1;
            self.unsalted.push(Unsalted {
                day,
                path: hit.path.to_string(),
                ip: hit.ip,
                user_agent: hit.user_agent.to_string(),
            });
        }
        true
    }

    fn page(&mut self, day: i64, path: &str) -> &mut Page {
        let pages = self.days.entry(day).or_default();
        // Look up by &str first: a path seen before costs no allocation.
        if !pages.contains_key(path) {
            self.entries += 1;
            pages.insert(path.to_string(), Page::default());
        }
        pages.get_mut(path).expect("inserted above")
    }

    fn add(&mut self, day: i64, path: &str, visitor: Option<u64>, referrer: Option<&str>) {
        let page = self.page(day, path);
        page.views += 1;
        let mut added = 0;
        if let Some(v) = visitor
            && page.visitors.insert(v)
        {
            added += 1;
        }
        if let Some(host) = referrer {
            match page.referrers.get_mut(host) {
                Some(n) => *n += 1,
                None => {
                    page.referrers.insert(host.to_string(), 1);
                    added += 1;
                }
            }
        }
        self.entries += added;
    }
}

/// What the middleware and the flushing task share.
struct Shared {
    db: Db,
    /// Today's salt once the flushing task has read it.
    salt: RwLock<Option<Salt>>,
    pending: Mutex<Pending>,
    /// Serialises flushes so that the day's salt is fetched once.
    flushing: tokio::sync::Mutex<()>,
}

/// Counts page views on one node; cheap to clone (one `Arc`).
#[derive(Clone)]
pub struct Recorder(Arc<Shared>);

impl std::fmt::Debug for Recorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Recorder")
    }
}

/// One page view, as the middleware saw it.
pub struct Hit<'a> {
    pub path: &'a str,
    pub ip: IpAddr,
    pub user_agent: &'a str,
    /// Another site's host, when the visitor followed a link from it.
    pub referrer: Option<&'a str>,
    /// Unix seconds.
    pub at: crate::domain::time::Timestamp,
}

impl Recorder {
    /// Adds a view to this node's counts in memory: a hash and a map update under a lock held
    /// for well under a microsecond. Nothing waits for the database or for another task. When
    /// [`MAX_PENDING`] entries are waiting for a flush, the view is dropped and counted in
    /// `/metrics` (`townhall_analytics_dropped_total`).
    pub fn record(&self, hit: Hit<'_>) {
        let day = day_of(hit.at);
        let salt = self
            .0
            .salt
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
            .filter(|s| s.day == day);
        let visitor = salt.map(|s| s.visitor(hit.ip, hit.user_agent));
        let added = self
            .0
            .pending
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .record(day, &hit, visitor);
        if !added {
            metrics::counter!("townhall_analytics_dropped_total").increment(1);
        }
    }

    /// Writes every view counted so far, and returns when they are in the database.
    pub async fn flush(&self) {
        let shared = &self.0;
        let _one_at_a_time = shared.flushing.lock().await;
        let today = day_of(crate::store::now());
        let known = shared
            .salt
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .map(|s| s.day);
        if known != Some(today)
            && let Some(salt) = shared.fetch_salt(today).await
        {
            *shared.salt.write().unwrap_or_else(|e| e.into_inner()) = Some(salt);
        }
        let pending =
            std::mem::take(&mut *shared.pending.lock().unwrap_or_else(|e| e.into_inner()));
        let mut days = pending.days;
        // Views counted before their day's salt was known get their visitor hash now.
        let mut salts: HashMap<i64, Option<Salt>> = HashMap::new();
        for u in pending.unsalted {
            if let Entry::Vacant(e) = salts.entry(u.day) {
                e.insert(shared.fetch_salt(u.day).await);
            }
            if let Some(Some(salt)) = salts.get(&u.day)
                && let Some(page) = days.get_mut(&u.day).and_then(|p| p.get_mut(&u.path))
            {
                page.visitors.insert(salt.visitor(u.ip, &u.user_agent));
            }
        }
        for (day, pages) in days {
            let mut batch = Batch {
                day,
                ..Batch::default()
            };
            for (path, page) in pages {
                for v in page.visitors {
                    batch.visitors.push((path.clone(), format!("{v:016x}")));
                }
                for (host, n) in page.referrers {
                    batch.referrers.push((path.clone(), host, n));
                }
                batch.views.push((path, page.views));
            }
            if let Err(e) = shared.db.record_analytics(&batch).await {
                let lost: i64 = batch.views.iter().map(|(_, n)| n).sum();
                metrics::counter!("townhall_analytics_dropped_total").increment(lost as u64);
                tracing::error!(error = %e, lost, "cannot write analytics");
            }
        }
    }
}

impl Shared {
    /// The salt for `day`, shared by every node through the database.
    async fn fetch_salt(&self, day: i64) -> Option<Salt> {
        let fresh = crate::auth::random_token();
        match self.db.analytics_salt(day, &fresh).await {
            Ok(s) => Some(Salt::new(day, &s)),
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the analytics salt; visitors not counted");
                None
            }
        }
    }
}

/// Starts this node's analytics: the recorder, and a task that writes its counts every
/// [`FLUSH_EVERY`] (the first flush, at once, fetches today's salt).
pub fn spawn(db: Db) -> Recorder {
    let recorder = Recorder(Arc::new(Shared {
        db,
        salt: RwLock::new(None),
        pending: Mutex::new(Pending::default()),
        flushing: tokio::sync::Mutex::new(()),
    }));
    let flusher = recorder.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(FLUSH_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            flusher.flush().await;
        }
    });
    recorder
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bots_and_scripts_are_recognised() {
        for ua in [
            "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
            "Mozilla/5.0 (compatible; bingbot/2.0)",
            "Baiduspider",
            "curl/8.5.0",
            "Wget/1.21",
            "python-requests/2.31",
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0",
            "SomeCrawler/1.0",
            "",
        ] {
            assert!(is_bot(ua), "{ua}");
        }
        for ua in [
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36",
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1",
            "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
        ] {
            assert!(!is_bot(ua), "{ua}");
        }
    }

    #[test]
    fn only_public_pages_count() {
        for p in [
            "/",
            "/blog",
            "/blog/a-post",
            "/organisations/x",
            "/administer",
        ] {
            assert!(is_public_page_path(p), "{p}");
        }
        for p in [
            "/admin",
            "/admin/posts",
            "/api/v1/posts",
            "/assets/x.css",
            "/healthz",
            "/metrics",
            "/blog/feed.atom",
        ] {
            assert!(!is_public_page_path(p), "{p}");
        }
    }

    #[test]
    fn referrers_are_hosts_of_other_sites() {
        assert_eq!(
            external_referrer("https://www.example.org/news?q=secret#x", Some("hub.gov")),
            Some("www.example.org".into())
        );
        assert_eq!(
            external_referrer("http://127.0.0.1:8080/blog", Some("127.0.0.1:8080")),
            None
        );
        assert_eq!(
            external_referrer("https://HUB.gov/x", Some("hub.gov")),
            None
        );
        assert_eq!(external_referrer("android-app://x", Some("hub.gov")), None);
        assert_eq!(external_referrer("not a url", Some("hub.gov")), None);
    }

    #[test]
    fn days_start_at_midnight_utc() {
        let t = crate::domain::time::Timestamp::from_secs;
        assert_eq!(day_of(t(86_400 * 3 + 5)), 86_400 * 3);
        assert_eq!(day_of(t(-1)), -86_400);
    }

    #[test]
    fn the_visitor_hash_depends_on_the_salt() {
        let ip: IpAddr = "203.0.113.7".parse().unwrap();
        let (one, two) = (Salt::new(1, "salt-1"), Salt::new(1, "salt-2"));
        let a = one.visitor(ip, "Firefox");
        assert_eq!(a, Salt::new(1, "salt-1").visitor(ip, "Firefox"));
        assert_ne!(a, two.visitor(ip, "Firefox"));
        assert_ne!(a, one.visitor(ip, "Chrome"));
        assert_ne!(a, one.visitor("203.0.113.8".parse().unwrap(), "Firefox"));
    }

    #[test]
    fn pending_counts_each_visitor_once_and_bounds_itself() {
        let mut p = Pending::default();
        p.add(0, "/", Some(7), None);
        p.add(0, "/", Some(7), Some("example.org"));
        p.add(0, "/", Some(8), Some("example.org"));
        p.add(0, "/blog", Some(7), None);
        let home = &p.days[&0]["/"];
        assert_eq!((home.views, home.visitors.len()), (3, 2));
        assert_eq!(home.referrers["example.org"], 2);
        // Two pages, three visitor entries, one referrer.
        assert_eq!(p.entries, 6);
    }

    #[test]
    fn pending_views_stop_at_the_limit_and_unknown_visitors_wait_for_the_salt() {
        let mut p = Pending {
            limit: 3,
            ..Pending::default()
        };
        let ip: IpAddr = "203.0.113.7".parse().unwrap();
        let hit = |path| Hit {
            path,
            ip,
            user_agent: "Firefox",
            referrer: None,
            at: Default::default(),
        };
        // A page and its unsalted view: two entries.
        assert!(p.record(0, &hit("/"), None));
        assert_eq!((p.entries, p.unsalted.len()), (2, 1));
        assert_eq!(p.unsalted[0].user_agent, "Firefox");
        // A known visitor on a new page: two more, past the limit, but it was under it.
        assert!(p.record(0, &hit("/blog"), Some(1)));
        assert_eq!(p.entries, 4);
        // Full: nothing more is added, not even a view of a page already held.
        assert!(!p.record(0, &hit("/"), Some(2)));
        assert_eq!(p.days[&0]["/"].views, 1);
    }
}
