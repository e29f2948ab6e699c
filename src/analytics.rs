//! Privacy-friendly analytics, counted on the server, off the request path.
//!
//! The middleware (`web::analytics::count_page_views`) decides whether a response is a page
//! view (GET, 200, HTML, a public path, not a bot, not a prefetch) and hands a [`Hit`] to the
//! [`Recorder`] with `try_send` on a bounded channel: a request never waits for analytics,
//! and when the channel is full the hit is dropped and counted in `/metrics`
//! (`townhall_analytics_dropped_total`). One background task per node adds hits up in memory
//! and writes them every [`FLUSH_EVERY`] (and at shutdown) as upserts in one transaction.
//!
//! Unique visitors without cookies and without keeping addresses: the task hashes the day's
//! random salt (one per day, in the database so every node shares it), the address and the
//! user agent; the database keeps the hash only for the day, to count each visitor once per
//! path across nodes; the next day's first flush deletes the old salt and hashes, after which
//! nobody can link them to an address.

use crate::store::Db;
use crate::store::analytics::Batch;
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};
use std::net::IpAddr;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// How often each node writes its counts.
pub const FLUSH_EVERY: Duration = Duration::from_secs(5);
/// Hits that may wait for the task before new ones are dropped.
pub const QUEUE: usize = 8192;

/// One page view, as the middleware saw it.
#[derive(Debug, Clone)]
pub struct Hit {
    pub path: String,
    pub ip: IpAddr,
    pub user_agent: String,
    /// Another site's host, when the visitor followed a link from it.
    pub referrer: Option<String>,
    /// Unix seconds.
    pub at: i64,
}

/// The sending side, held by the app; cheap to clone.
#[derive(Clone, Debug)]
pub struct Recorder {
    hits: mpsc::Sender<Hit>,
    flushes: mpsc::Sender<oneshot::Sender<()>>,
}

impl Recorder {
    /// Queues a hit without waiting; drops it (and counts the drop) when the queue is full.
    pub fn record(&self, hit: Hit) {
        if self.hits.try_send(hit).is_err() {
            metrics::counter!("townhall_analytics_dropped_total").increment(1);
        }
    }

    /// Writes every hit queued so far, and returns when they are in the database.
    pub async fn flush(&self) {
        let (tx, rx) = oneshot::channel();
        if self.flushes.send(tx).await.is_ok() {
            let _ = rx.await;
        }
    }
}

/// True for user agents of crawlers, monitors, scripts and headless browsers.
pub fn is_bot(user_agent: &str) -> bool {
    const PATTERNS: &[&str] = &[
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
    ];
    if user_agent.trim().is_empty() {
        return true;
    }
    let ua = user_agent.to_ascii_lowercase();
    PATTERNS.iter().any(|p| ua.contains(p))
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

/// The Unix time of the midnight (UTC) that starts the day of `t`.
pub fn day_of(t: i64) -> i64 {
    t.div_euclid(86_400) * 86_400
}

fn visitor_hash(salt: &str, ip: IpAddr, user_agent: &str) -> String {
    let mut h = Sha256::new();
    h.update(salt.as_bytes());
    h.update([0]);
    h.update(ip.to_string().as_bytes());
    h.update([0]);
    h.update(user_agent.as_bytes());
    hex::encode(&h.finalize()[..8])
}

#[derive(Default)]
struct Pending {
    views: HashMap<String, i64>,
    visitors: HashSet<(String, String)>,
    referrers: HashMap<(String, String), i64>,
}

struct Counter {
    db: Db,
    salt: Option<(i64, String)>,
    days: HashMap<i64, Pending>,
}

impl Counter {
    async fn salt(&mut self, day: i64) -> Option<String> {
        if let Some((d, s)) = &self.salt
            && *d == day
        {
            return Some(s.clone());
        }
        let fresh = crate::auth::random_token();
        match self.db.analytics_salt(day, &fresh).await {
            Ok(s) => {
                self.salt = Some((day, s.clone()));
                Some(s)
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the analytics salt; visitors not counted");
                None
            }
        }
    }

    async fn add(&mut self, hit: Hit) {
        let day = day_of(hit.at);
        let visitor = match self.salt(day).await {
            Some(salt) => Some(visitor_hash(&salt, hit.ip, &hit.user_agent)),
            None => None,
        };
        let p = self.days.entry(day).or_default();
        *p.views.entry(hit.path.clone()).or_default() += 1;
        if let Some(v) = visitor {
            p.visitors.insert((hit.path.clone(), v));
        }
        if let Some(host) = hit.referrer {
            *p.referrers.entry((hit.path, host)).or_default() += 1;
        }
    }

    async fn flush(&mut self) {
        for (day, p) in std::mem::take(&mut self.days) {
            let batch = Batch {
                day,
                views: p.views.into_iter().collect(),
                visitors: p.visitors.into_iter().collect(),
                referrers: p
                    .referrers
                    .into_iter()
                    .map(|((path, host), n)| (path, host, n))
                    .collect(),
            };
            if let Err(e) = self.db.record_analytics(&batch).await {
                let lost: i64 = batch.views.iter().map(|(_, n)| n).sum();
                metrics::counter!("townhall_analytics_dropped_total").increment(lost as u64);
                tracing::error!(error = %e, lost, "cannot write analytics");
            }
        }
    }
}

/// Starts this node's analytics task.
pub fn spawn(db: Db) -> Recorder {
    let (hits_tx, mut hits) = mpsc::channel::<Hit>(QUEUE);
    let (flush_tx, mut flushes) = mpsc::channel::<oneshot::Sender<()>>(16);
    tokio::spawn(async move {
        let mut counter = Counter {
            db,
            salt: None,
            days: HashMap::new(),
        };
        let mut tick = tokio::time::interval(FLUSH_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                hit = hits.recv() => match hit {
                    Some(hit) => counter.add(hit).await,
                    None => {
                        counter.flush().await;
                        break;
                    }
                },
                _ = tick.tick() => counter.flush().await,
                Some(done) = flushes.recv() => {
                    while let Ok(hit) = hits.try_recv() {
                        counter.add(hit).await;
                    }
                    counter.flush().await;
                    let _ = done.send(());
                }
            }
        }
    });
    Recorder {
        hits: hits_tx,
        flushes: flush_tx,
    }
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
        assert_eq!(day_of(86_400 * 3 + 5), 86_400 * 3);
        assert_eq!(day_of(-1), -86_400);
    }

    #[test]
    fn the_visitor_hash_depends_on_the_salt() {
        let ip: IpAddr = "203.0.113.7".parse().unwrap();
        let a = visitor_hash("salt-1", ip, "Firefox");
        assert_eq!(a, visitor_hash("salt-1", ip, "Firefox"));
        assert_ne!(a, visitor_hash("salt-2", ip, "Firefox"));
        assert_ne!(a, visitor_hash("salt-1", ip, "Chrome"));
        assert_eq!(a.len(), 16);
        assert!(!a.contains("203"));
    }
}
