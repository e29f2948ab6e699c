//! Townhall: publish, listen, turn what people said into evidence, show progress.
//!
//! See ARCHITECTURE.md for the map of the code. [`App::build`] makes the whole application
//! from a [`Config`]; the command line ([`cli`]) and the integration tests both use it.

pub mod accounts;
pub mod analyse;
pub mod analytics;
pub mod auth;
pub mod backup;
pub mod cache;
pub mod cli;
pub mod deliberation;
pub mod demo;
pub mod domain;
pub mod drafts;
pub mod export;
pub mod feeds;
pub mod ideas;
pub mod jobs;
pub mod listening;
pub mod media;
pub mod opendata;
pub mod posts;
pub mod sanitise;
pub mod sso;
pub mod store;
pub mod subscriptions;
pub mod web;
pub mod wordpress;

use std::net::SocketAddr;
use std::sync::Arc;
use store::Db;

/// Settings for a running server; every field comes from a command-line flag or its
/// `TOWNHALL_*` environment variable.
#[derive(Clone, Debug)]
pub struct Config {
    /// `sqlite://PATH` or `postgres://…`.
    pub database_url: String,
    /// Let feed subscriptions reach loopback and private addresses (tests, intranets).
    pub feeds_allow_private: bool,
    /// Mark cookies `Secure`; set when the site is served over HTTPS.
    pub secure_cookies: bool,
    /// Responses one address may send to one exercise in 10 minutes (0: no limit).
    pub responses_per_address: u32,
    /// Votes one address may give one idea (`--votes-per-address`): fresh cookies from one
    /// address do not make more votes.
    pub votes_per_address: u32,
    /// Proxies whose `X-Forwarded-For` is believed (see `domain::network`).
    pub trusted_proxies: domain::network::TrustedProxies,
    /// Count page views (`--analytics false` turns it off).
    pub analytics: bool,
    /// How often the feed scheduler looks for due subscriptions (and, at most every
    /// `jobs::notices::POLL`, the notices job for what to tell subscribers); `None`: this node
    /// runs neither on a schedule (tests that drive `jobs::syndication::run_due` and
    /// `jobs::notices::run_once` themselves).
    pub scheduler_interval: Option<std::time::Duration>,
    /// The mail relay for receipts (`smtp://…`, `smtps://…`); `None`: messages wait in the
    /// outbox.
    pub smtp_url: Option<String>,
    /// The sender of every message.
    pub mail_from: String,
    /// The site's public address (`--public-url`): absolute links use it, never the `Host`
    /// a client sent.
    pub public_url: Option<url::Url>,
    /// The bearer token `/metrics` asks for on the site's own port (`None`: `/metrics` is
    /// not served there; see `--metrics-addr`).
    pub metrics_token: Option<String>,
    /// The zone in which people read dates and times (`--time-zone`).
    pub time_zone: domain::time::Zone,
    /// The largest file the media library takes (`--max-upload-mb`).
    pub max_upload_bytes: u64,
    /// How long a sign-in lasts, and without use (`--session-max-hours`,
    /// `--session-idle-minutes`).
    pub sessions: store::sessions::SessionLimits,
    /// Who must sign in with a second factor (`--two-factor`).
    pub two_factor: domain::user::TwoFactorPolicy,
    /// Single sign-on providers (`--oidc-provider`).
    pub sso_providers: Vec<sso::Provider>,
    /// The engine analyses run with (`--model`, `--lexical`): semantic themes when the
    /// sentence-embedding model is installed.
    pub analysis_engine: analyse::model::Engine,
}

impl Config {
    /// The defaults of `townhall serve` for the database at `database_url`.
    pub fn new(database_url: &str) -> Config {
        Config {
            database_url: database_url.to_string(),
            feeds_allow_private: false,
            secure_cookies: false,
            responses_per_address: 300,
            votes_per_address: 3,
            trusted_proxies: Default::default(),
            analytics: true,
            scheduler_interval: Some(jobs::syndication::SCHEDULER_TICK),
            smtp_url: None,
            mail_from: "Townhall <no-reply@localhost>".into(),
            public_url: None,
            metrics_token: None,
            time_zone: Default::default(),
            max_upload_bytes: 20 << 20,
            sessions: store::sessions::SessionLimits {
                max_secs: 12 * 3600,
                idle_secs: 60 * 60,
            },
            two_factor: Default::default(),
            sso_providers: Vec::new(),
            analysis_engine: analyse::model::Engine::lexical(),
        }
    }
}

/// Everything a request handler needs, behind one `Arc`: every middleware layer and handler
/// clones it for each request, and one reference count costs less than one per field.
#[derive(Clone)]
pub struct App(Arc<AppState>);

impl std::ops::Deref for App {
    type Target = AppState;

    fn deref(&self) -> &AppState {
        &self.0
    }
}

/// What [`App`] shares.
pub struct AppState {
    pub db: Db,
    pub config: Arc<Config>,
    pub templates: Arc<minijinja::Environment<'static>>,
    pub metrics: metrics_exporter_prometheus::PrometheusHandle,
    /// The mail relay (`None` without `--smtp-url`).
    pub mailer: Option<jobs::mail::Mailer>,
    /// Where page views go (`None` when analytics is off).
    pub analytics: Option<analytics::Recorder>,
    /// Public pages as sent to visitors who are not signed in (`web::shared_pages`).
    pub shared_pages: web::shared_pages::SharedPages,
    /// Published results by exercise, shared by the results page and its downloads
    /// (`cache::Shared`).
    pub results_cache: cache::Shared<i64, std::sync::Arc<listening::Results>>,
    /// Single sign-on providers and their discovery documents.
    pub sso: sso::SingleSignOn,
}

impl App {
    /// Connects to and migrates the database, and loads the templates.
    pub async fn build(config: Config) -> anyhow::Result<App> {
        let db = Db::connect(&config.database_url).await?;
        db.migrate().await?;
        let rerendered = posts::rerender_stale(&db).await?;
        if rerendered > 0 {
            tracing::info!(
                posts = rerendered,
                "rendered posts again with the current renderer"
            );
        }
        let indexed = db.index_later_kinds().await?;
        if indexed > 0 {
            tracing::info!(
                rows = indexed,
                "indexed case studies, commitments and items from other sites for search"
            );
        }
        let summarised = listening::summarise_published(&db).await?;
        if summarised > 0 {
            tracing::info!(
                analyses = summarised,
                "kept the public summaries of published analyses"
            );
        }
        let analytics = config.analytics.then(|| analytics::spawn(db.clone()));
        let mailer = match &config.smtp_url {
            Some(url) => {
                Some(jobs::mail::Mailer::new(url, &config.mail_from).map_err(anyhow::Error::msg)?)
            }
            None => None,
        };
        Ok(App(Arc::new(AppState {
            analytics,
            mailer,
            results_cache: Default::default(),
            shared_pages: Default::default(),
            sso: sso::SingleSignOn::new(config.sso_providers.clone()),
            db,
            templates: Arc::new(web::templates::environment(config.time_zone.clone())),
            config: Arc::new(config),
            metrics: web::ops::metrics_handle(),
        })))
    }

    /// Serves the site on `listener` until Ctrl-C or SIGTERM, then finishes open requests.
    pub async fn serve(self, listener: tokio::net::TcpListener) -> anyhow::Result<()> {
        // `townhall restore` refuses to replace a SQLite database while this is held.
        let _in_use = backup::hold_in_use_lock(&self.config.database_url).await?;
        let db = self.db.clone();
        let scheduler = self
            .config
            .scheduler_interval
            .map(|every| jobs::syndication::spawn_scheduler(self.clone(), every));
        let analyses = jobs::analysis::spawn_worker(self.clone());
        let conversations = jobs::conversations::spawn_worker(db.clone());
        let notices = self
            .config
            .scheduler_interval
            .map(|every| jobs::notices::spawn_worker(self.clone(), every.min(jobs::notices::POLL)));
        let versions = spawn_version_watch(db.clone());
        let upkeep = web::ops::spawn_upkeep(self.metrics.clone());
        let mail = match &self.mailer {
            Some(mailer) => Some(jobs::mail::spawn_worker(db.clone(), mailer.clone())),
            None => {
                tracing::info!(
                    "no mail relay: receipts wait in the outbox until --smtp-url is set"
                );
                None
            }
        };
        let analytics = self.clone();
        let router = web::router(self);
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown_signal())
        .await?;
        if let Some(scheduler) = scheduler {
            scheduler.abort();
        }
        analyses.abort();
        conversations.abort();
        if let Some(notices) = notices {
            notices.abort();
        }
        versions.abort();
        upkeep.abort();
        if let Some(mail) = mail {
            mail.abort();
        }
        analytics.flush_analytics().await;
        db.close().await;
        Ok(())
    }

    /// Writes the page views this node has counted so far (at shutdown, and in tests).
    pub async fn flush_analytics(&self) {
        if let Some(recorder) = &self.analytics {
            recorder.flush().await;
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}

/// Reads the content versions other nodes raised, every `store::versions::POLL`, so that
/// pages this node keeps are dropped within that time of a change made elsewhere.
fn spawn_version_watch(db: store::Db) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            if let Err(e) = db.catch_up().await {
                tracing::warn!(error = %e, "could not read the content versions");
            }
            tokio::time::sleep(store::versions::POLL).await;
        }
    })
}
