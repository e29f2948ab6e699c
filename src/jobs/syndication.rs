//! Syndication: fetching subscribed feeds, now or on a schedule, and recording the outcome.
//!
//! `crate::feeds` does the network and parsing (with its SSRF guard and limits); this module
//! runs it off the async threads, stores new items, and records errors on the subscription so
//! that a broken, huge, slow or hostile feed harms nothing else.

use crate::App;
use crate::feeds::{FetchOutcome, FetchPolicy, Validators, fetch, parse};
use crate::store::StoreResult;
use crate::store::syndication::FetchRecord;
use std::time::Duration;

/// How often each subscription is fetched.
pub const FETCH_INTERVAL_SECS: i64 = 30 * 60;
/// How often the scheduler looks for due subscriptions.
pub const SCHEDULER_TICK: Duration = Duration::from_secs(60);

/// What one fetch did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct FetchSummary {
    pub new_items: u64,
    /// The recorded error, when the fetch failed.
    pub error: Option<String>,
}

/// Fetches a subscription now and records the outcome on it.
pub async fn fetch_now(app: &App, id: i64) -> StoreResult<FetchSummary> {
    let sub = app.db.subscription(id).await?;
    let policy = FetchPolicy {
        allow_private: app.config.feeds_allow_private,
        ..FetchPolicy::default()
    };
    let validators = Validators {
        etag: sub.etag.clone(),
        last_modified: sub.last_modified.clone(),
    };
    let url = sub.url.clone();
    // Fetching waits on the network and parsing cleans HTML: both off the async threads.
    let outcome = tokio::task::spawn_blocking(move || {
        fetch(&url, &validators, &policy).map(|fetched| match fetched {
            FetchOutcome::NotModified => None,
            FetchOutcome::Fetched {
                body,
                etag,
                last_modified,
                final_url,
            } => Some((parse(&body, &final_url), etag, last_modified)),
        })
    })
    .await;
    let fail = |error: String| FetchRecord {
        error: Some(error),
        ..FetchRecord::default()
    };
    let (items, record) = match outcome {
        Err(join) => (
            Vec::new(),
            fail(format!("the fetch stopped unexpectedly: {join}")),
        ),
        Ok(Err(e)) => (Vec::new(), fail(e.to_string())),
        Ok(Ok(None)) => (Vec::new(), FetchRecord::default()),
        Ok(Ok(Some((parsed, etag, last_modified)))) => match parsed {
            Err(e) => (Vec::new(), fail(e.to_string())),
            Ok(feed) => (
                feed.items,
                FetchRecord {
                    title: Some(feed.title),
                    etag,
                    last_modified,
                    error: skipped_items(&feed.skipped),
                },
            ),
        },
    };
    let new_items = app.db.record_fetch(id, &items, &record).await?;
    if let Some(e) = &record.error {
        tracing::warn!(subscription = id, error = %e, "feed fetch failed");
    }
    Ok(FetchSummary {
        new_items,
        error: record.error,
    })
}

/// What to record about items left out of a fetch that otherwise worked.
fn skipped_items(skipped: &[String]) -> Option<String> {
    match skipped {
        [] => None,
        [one] => Some(format!("1 item was left out: {one}")),
        [first, rest @ ..] => Some(format!(
            "{} items were left out: {first}, and {} more",
            skipped.len(),
            rest.len()
        )),
    }
}

/// Fetches every due subscription this node manages to claim; returns how many it fetched.
pub async fn run_due(app: &App) -> StoreResult<usize> {
    let mut fetched = 0;
    for id in app.db.due_subscriptions(20).await? {
        if app
            .db
            .claim_subscription(id, crate::store::now() + FETCH_INTERVAL_SECS)
            .await?
        {
            fetch_now(app, id).await?;
            fetched += 1;
        }
    }
    Ok(fetched)
}

/// Runs [`run_due`] `every` so often (`config.scheduler_interval`, [`SCHEDULER_TICK`] by
/// default) until the process stops.
pub fn spawn_scheduler(app: App, every: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        // The first look is at the next multiple of the interval in Unix time, not at once: a
        // node that restarts does not stampede the feeds, tests that drive `run_due`
        // themselves are not raced, and every node looks at the same moments, so the claim
        // (not luck in timing) is what keeps two nodes from fetching the same feed.
        let since_epoch = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        let every_ms = every.as_millis().max(1);
        let wait = every_ms - since_epoch.as_millis() % every_ms;
        let first = tokio::time::Instant::now() + Duration::from_millis(wait as u64);
        let mut tick = tokio::time::interval_at(first, every);
        loop {
            tick.tick().await;
            if let Err(e) = run_due(&app).await {
                tracing::error!(error = %e, "feed scheduler failed");
            }
        }
    })
}
