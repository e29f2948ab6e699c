//! Command-line entry point: parses arguments and dispatches to each subcommand.
//!
//! Exit status: 0 on success, 1 on a user error (one line on stderr, no backtrace),
//! 2 on a bad invocation (clap's usage message).

use crate::store::Db;
use crate::{App, Config};
use accounts::{OrganisationCommand, TokenCommand, UserCommand, organisation_or_department};
use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand};
use std::io::IsTerminal;
use std::process::ExitCode;

mod accounts;
mod groups;

#[derive(Parser, Debug)]
#[command(
    name = "townhall",
    version,
    about = "One hub to publish, listen, analyse what people said, and show progress.",
    after_help = "Every flag can also be set with an environment variable TOWNHALL_<NAME>, e.g. TOWNHALL_DATABASE.\n\
                  Logging: TOWNHALL_LOG (e.g. info, debug) and TOWNHALL_LOG_FORMAT (text or json)."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Args, Debug, Clone)]
pub struct DatabaseArg {
    /// Database URL: sqlite://PATH (created if missing) or postgres://USER@HOST:PORT/DB.
    #[arg(
        long,
        env = "TOWNHALL_DATABASE",
        default_value = "sqlite://townhall.db"
    )]
    pub database: String,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Serve the site; creates and migrates the database on first start.
    Serve(ServeArgs),
    /// Serve a fresh demo hub filled with sample content; prints the URL and an admin sign-in.
    Demo(DemoArgs),
    /// Apply database migrations and exit.
    Migrate(DatabaseArg),
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage organisations.
    #[command(subcommand)]
    Organisation(OrganisationCommand),
    /// Manage API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Analyse a CSV or JSONL file of responses: themes, campaigns, quotes.
    Analyse(crate::analyse::AnalyseArgs),
    /// Opinion groups from a Pol.is export (votes.csv and comments.csv, or
    /// participants-votes.csv): who thinks alike, what sets each group apart, what all share.
    Groups(groups::GroupsArgs),
    /// Write every open dataset (CSV and JSON) and a datapackage.json to a folder; or, with
    /// `polis SLUG`, one conversation as Pol.is exports it.
    #[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
    Export {
        #[command(subcommand)]
        what: Option<ExportCommand>,
        #[command(flatten)]
        db: DatabaseArg,
        /// The folder to write to (created if missing; files in it are replaced).
        #[arg(long, env = "TOWNHALL_OUT", required = true)]
        out: Option<std::path::PathBuf>,
    },
    /// Copy the SQLite database to FILE while the server keeps serving (PostgreSQL: use pg_dump).
    Backup(BackupArgs),
    /// Replace the SQLite database with a backup (refused while a server uses it, unless --force).
    Restore(RestoreArgs),
    /// Bring content over from another system.
    #[command(subcommand)]
    Import(ImportCommand),
}

#[derive(Subcommand, Debug)]
pub enum ExportCommand {
    /// Write a conversation as Pol.is exports one (comments.csv, votes.csv,
    /// participants-votes.csv with the groups computed now, summary.csv).
    Polis {
        /// The conversation's slug.
        slug: String,
        #[command(flatten)]
        db: DatabaseArg,
        /// The folder to write to (created if missing; the four files in it are replaced).
        #[arg(long, env = "TOWNHALL_OUT")]
        out: std::path::PathBuf,
    },
}

#[derive(Subcommand, Debug)]
pub enum ImportCommand {
    /// Import a WordPress export (WXR, from Tools → Export → All content): posts, pages,
    /// comments, categories, tags (as topics), authors and media; old addresses redirect.
    /// Running it again adds nothing.
    Wordpress(WordpressArgs),
    /// Import a Pol.is conversation from its export (a folder with comments.csv and
    /// votes.csv): every statement, participant and vote, as an unpublished conversation.
    Polis(PolisArgs),
}

#[derive(Args, Debug)]
pub struct PolisArgs {
    /// The export folder.
    pub dir: std::path::PathBuf,
    #[command(flatten)]
    pub db: DatabaseArg,
    /// The organisation whose conversation it becomes (default: the department, when there is one).
    #[arg(long, env = "TOWNHALL_ORG")]
    pub org: Option<String>,
    /// Its address on the site [default: the folder's name].
    #[arg(long, env = "TOWNHALL_SLUG")]
    pub slug: Option<String>,
}

#[derive(Args, Debug)]
pub struct WordpressArgs {
    /// The export file (.xml).
    pub file: std::path::PathBuf,
    #[command(flatten)]
    pub db: DatabaseArg,
    /// The organisation whose blog it becomes (default: the department, when there is one).
    #[arg(long, env = "TOWNHALL_ORG")]
    pub org: Option<String>,
    /// Fetch images and documents from this address instead of the old site (each file's
    /// path is kept), e.g. a copy of wp-content/uploads served while the old site is down.
    #[arg(long, env = "TOWNHALL_MEDIA_FROM")]
    pub media_from: Option<String>,
    /// Let files come from loopback and private addresses (for an intranet blog or a copy on
    /// this machine), as `serve --feeds-allow-private` lets feeds.
    #[arg(long, env = "TOWNHALL_FEEDS_ALLOW_PRIVATE")]
    pub feeds_allow_private: bool,
    /// The largest file taken, in MB (as `serve --max-upload-mb`).
    #[arg(long, env = "TOWNHALL_MAX_UPLOAD_MB", default_value_t = 20,
          value_parser = clap::value_parser!(u64).range(1..=1024))]
    pub max_upload_mb: u64,
}

#[derive(Args, Debug)]
pub struct BackupArgs {
    #[command(flatten)]
    pub db: DatabaseArg,
    /// The file to write (must not exist yet).
    #[arg(long, env = "TOWNHALL_OUT")]
    pub out: std::path::PathBuf,
}

#[derive(Args, Debug)]
pub struct RestoreArgs {
    /// A file made by `townhall backup`.
    pub file: std::path::PathBuf,
    #[command(flatten)]
    pub db: DatabaseArg,
    /// Replace the database even though a running server has it open (restart it afterwards).
    #[arg(long, env = "TOWNHALL_FORCE")]
    pub force: bool,
}

#[derive(Args, Debug)]
pub struct ServeArgs {
    #[command(flatten)]
    pub db: DatabaseArg,
    /// The sentence-embedding model analyses find semantic themes with (a folder with
    /// config.json, vocab.txt and model.safetensors) [default: models/all-MiniLM-L6-v2,
    /// installed by `make model`, when it is there].
    #[arg(long, env = "TOWNHALL_MODEL", conflicts_with = "lexical")]
    pub model: Option<std::path::PathBuf>,
    /// Analyse with the lexical engine (TF-IDF) even when the model is installed.
    #[arg(long, env = "TOWNHALL_LEXICAL")]
    pub lexical: bool,
    /// Address to listen on.
    #[arg(long, env = "TOWNHALL_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: String,
    /// Let feed subscriptions reach loopback and private addresses (for tests and intranets).
    #[arg(long, env = "TOWNHALL_FEEDS_ALLOW_PRIVATE")]
    pub feeds_allow_private: bool,
    /// Mark cookies Secure: set this when the site is served over HTTPS.
    #[arg(long, env = "TOWNHALL_SECURE_COOKIES")]
    pub secure_cookies: bool,
    /// Responses one address may send to one exercise in 10 minutes; 0 turns the limit off.
    /// Offices behind one proxy share an address, so keep it generous.
    #[arg(long, env = "TOWNHALL_RESPONSES_PER_ADDRESS", default_value_t = 300)]
    pub responses_per_address: u32,
    /// Reverse proxies (addresses or CIDR networks, comma-separated) whose X-Forwarded-For
    /// header gives the client's address; without this the TCP peer is the client.
    #[arg(long, env = "TOWNHALL_TRUSTED_PROXIES", default_value = "")]
    pub trusted_proxies: String,
    /// Count page views for the analytics dashboard (true or false).
    #[arg(long, env = "TOWNHALL_ANALYTICS", default_value_t = true, action = clap::ArgAction::Set)]
    pub analytics: bool,
    /// The mail relay that sends receipts to respondents who ask for one:
    /// `smtp://host:25`, `smtp://user:password@host:587?tls=required` (STARTTLS) or
    /// `smtps://user:password@host`. Without it, receipts wait in the outbox.
    #[arg(long, env = "TOWNHALL_SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,
    /// The sender of receipts, e.g. "Department for Example <no-reply@example.gov.uk>".
    #[arg(
        long,
        env = "TOWNHALL_MAIL_FROM",
        default_value = "Townhall <no-reply@localhost>"
    )]
    pub mail_from: String,
    /// The site's public address, such as https://engage.example.gov.uk: feeds, the API and
    /// redirects use it for absolute links instead of the Host header a client sends.
    #[arg(long, env = "TOWNHALL_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Also serve /metrics (without a token) on this address, for a scraper on a private
    /// network, e.g. 127.0.0.1:9090.
    #[arg(long, env = "TOWNHALL_METRICS_ADDR")]
    pub metrics_addr: Option<String>,
    /// Serve /metrics on the site's own address to requests with `Authorization: Bearer
    /// TOKEN`; without it, /metrics is not served there.
    #[arg(long, env = "TOWNHALL_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,
    /// Votes one address may give one idea; more are refused and counted on the idea's admin
    /// page. Raise it where many people share an address (an office without --trusted-proxies).
    #[arg(long, env = "TOWNHALL_VOTES_PER_ADDRESS", default_value_t = 3)]
    pub votes_per_address: u32,
    /// The time zone in which people read the site's dates and times, and editors type them
    /// (an IANA name such as Europe/London or UTC). Data and the API stay in UTC.
    #[arg(long, env = "TOWNHALL_TIME_ZONE", default_value = crate::domain::time::Zone::DEFAULT)]
    pub time_zone: String,
    /// The largest image or document editors may upload to the media library, in MB.
    #[arg(long, env = "TOWNHALL_MAX_UPLOAD_MB", default_value_t = 20,
          value_parser = clap::value_parser!(u64).range(1..=1024))]
    pub max_upload_mb: u64,
    /// Hours a sign-in lasts at most, however much it is used.
    #[arg(long, env = "TOWNHALL_SESSION_MAX_HOURS", default_value_t = 12,
          value_parser = clap::value_parser!(u32).range(1..=720))]
    pub session_max_hours: u32,
    /// Minutes without a request after which a sign-in ends.
    #[arg(long, env = "TOWNHALL_SESSION_IDLE_MINUTES", default_value_t = 60,
          value_parser = clap::value_parser!(u32).range(5..=43_200))]
    pub session_idle_minutes: u32,
    /// Who must sign in with an authenticator app as well as a password: `admins` (anyone
    /// who administers an organisation), `everyone`, or `optional` (for a trial only).
    #[arg(long, env = "TOWNHALL_TWO_FACTOR", default_value = "admins")]
    pub two_factor: String,
    /// A single sign-on provider (OpenID Connect), repeatable:
    /// `name=Our Entra ID,issuer=https://login.microsoftonline.com/TENANT/v2.0,client-id=ID,
    /// secret-env=VAR[,new-accounts-for=example.gov.uk]`. The client secret is read from the
    /// environment variable VAR. Its redirect address is PUBLIC-URL/sign-in/sso/SLUG/callback
    /// (SLUG: the name in lowercase with hyphens). In TOWNHALL_OIDC_PROVIDERS, separate
    /// providers with ';'.
    #[arg(
        long = "oidc-provider",
        env = "TOWNHALL_OIDC_PROVIDERS",
        value_delimiter = ';'
    )]
    pub oidc_providers: Vec<String>,
    /// Seconds between the feed scheduler's looks for due subscriptions (for tests).
    #[arg(
        long,
        env = "TOWNHALL_SCHEDULER_INTERVAL_SECS",
        default_value_t = 60,
        hide = true
    )]
    pub scheduler_interval_secs: u64,
}

#[derive(Args, Debug)]
pub struct DemoArgs {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, env = "TOWNHALL_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: String,
}

/// Runs the command line and maps errors to exit codes.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    init_logging();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let message = format!("{e:#}");
            eprintln!(
                "error: {}",
                message.split_whitespace().collect::<Vec<_>>().join(" ")
            );
            ExitCode::FAILURE
        }
    }
}

fn init_logging() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("TOWNHALL_LOG")
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_http=warn"));
    let json = std::env::var("TOWNHALL_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.compact().try_init()
    };
}

async fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Serve(args) => serve(args).await,
        Command::Demo(args) => crate::demo::run(bind(&args.addr).await?).await,
        Command::Migrate(db) => {
            let db = Db::connect(&db.database).await?;
            db.migrate().await?;
            eprintln!("The database is up to date.");
            Ok(())
        }
        Command::User(command) => accounts::user(command).await,
        Command::Organisation(command) => accounts::organisation(command).await,
        Command::Token(command) => accounts::token(command).await,
        Command::Analyse(args) => crate::analyse::run(&args),
        Command::Groups(args) => groups::run(&args),
        Command::Export {
            what: Some(ExportCommand::Polis { slug, db, out }),
            ..
        } => export_polis(&connect(&db.database).await?, &slug, &out).await,
        Command::Export { db, out, .. } => {
            let out = out.context("--out is needed: the folder to write to")?;
            crate::export::run(&connect(&db.database).await?, &out).await
        }
        Command::Backup(args) => crate::backup::backup(&args.db.database, &args.out).await,
        Command::Restore(args) => {
            crate::backup::restore(&args.file, &args.db.database, args.force).await
        }
        Command::Import(ImportCommand::Wordpress(args)) => import_wordpress(&args).await,
        Command::Import(ImportCommand::Polis(args)) => import_polis(&args).await,
    }
}

async fn import_polis(args: &PolisArgs) -> anyhow::Result<()> {
    let db = connect(&args.db.database).await?;
    let org = organisation_or_department(&db, args.org.as_deref()).await?;
    use crate::domain::text::Slug;
    let slug = match &args.slug {
        Some(given) => Slug::parse(given).map_err(|e| {
            anyhow::anyhow!("--slug {given:?} cannot be the conversation's address: {e}")
        })?,
        // The folder's name, made into an address (`brexit-consensus`).
        None => Slug::from_title(&args.dir.file_name().unwrap_or_default().to_string_lossy()),
    };
    let terminal = std::io::stderr().is_terminal();
    let progress = |votes: usize| {
        if terminal && votes % 100_000 < 1000 {
            eprint!("\r{votes} votes written");
        }
    };
    let done =
        crate::deliberation::import(&db, &args.dir, org.id, slug.as_str(), &progress).await?;
    if terminal {
        eprintln!();
    }
    eprintln!(
        "Imported {} participants, {} statements and {} votes as the conversation {slug}, \
         not published (the site does not show conversations yet). \
         `townhall export polis {slug} --out DIR` writes it out with its groups.",
        done.participants,
        done.statements,
        done.votes,
        slug = slug.as_str()
    );
    Ok(())
}

async fn export_polis(db: &Db, slug: &str, out: &std::path::Path) -> anyhow::Result<()> {
    let conversation = db.conversation_by_slug(slug).await.map_err(|e| match e {
        crate::store::StoreError::NotFound => anyhow::anyhow!("there is no conversation {slug:?}"),
        e => e.into(),
    })?;
    std::fs::create_dir_all(out)
        .with_context(|| format!("cannot create the folder {}", out.display()))?;
    crate::deliberation::export(db, &conversation, out).await?;
    eprintln!(
        "Wrote the conversation {slug} to {} as Pol.is exports one.",
        out.display()
    );
    Ok(())
}

async fn import_wordpress(args: &WordpressArgs) -> anyhow::Result<()> {
    let media_from = match &args.media_from {
        Some(u) => Some(
            url::Url::parse(u)
                .ok()
                .filter(|u| matches!(u.scheme(), "http" | "https"))
                .with_context(|| {
                    format!("--media-from {u:?} is not a web address; give one like https://old-blog.example.gov.uk")
                })?,
        ),
        None => None,
    };
    // The file is read before the database is touched: a wrong file changes nothing.
    let export = crate::wordpress::read_export(&args.file).await?;
    let db = connect(&args.db.database).await?;
    let org = organisation_or_department(&db, args.org.as_deref()).await?;
    let options = crate::wordpress::Options {
        organisation_id: org.id,
        media_from,
        allow_private: args.feeds_allow_private,
        max_upload_bytes: args.max_upload_mb << 20,
    };
    let summary = crate::wordpress::import(&db, &export, &options).await?;
    print!("{}", summary.report(&org.name));
    Ok(())
}

/// Binds `addr`, with a clear message when it cannot.
pub async fn bind(addr: &str) -> anyhow::Result<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind(addr).await.with_context(|| {
        format!("cannot listen on {addr} (is another program using it? choose another with --addr)")
    })
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let trusted_proxies = crate::domain::network::TrustedProxies::parse(&args.trusted_proxies)
        .map_err(|e| anyhow::anyhow!("--trusted-proxies: {e}"))?;
    if args.scheduler_interval_secs == 0 {
        bail!("the scheduler interval must be at least one second");
    }
    let time_zone = crate::domain::time::Zone::named(&args.time_zone)
        .map_err(|e| anyhow::anyhow!("--time-zone: {e}"))?;
    let has_public_url = args
        .public_url
        .as_ref()
        .is_some_and(|u| !u.trim().is_empty());
    let sso_providers = sso_providers(&args.oidc_providers, has_public_url)?;
    let config = Config {
        time_zone,
        feeds_allow_private: args.feeds_allow_private,
        secure_cookies: args.secure_cookies,
        responses_per_address: args.responses_per_address,
        votes_per_address: args.votes_per_address,
        trusted_proxies,
        analytics: args.analytics,
        scheduler_interval: Some(std::time::Duration::from_secs(args.scheduler_interval_secs)),
        smtp_url: args.smtp_url.filter(|u| !u.trim().is_empty()),
        mail_from: args.mail_from,
        public_url: args
            .public_url
            .filter(|u| !u.trim().is_empty())
            .map(|u| parse_public_url(&u))
            .transpose()?,
        metrics_token: args.metrics_token.filter(|t| !t.trim().is_empty()),
        max_upload_bytes: args.max_upload_mb << 20,
        sessions: crate::store::sessions::SessionLimits {
            max_secs: i64::from(args.session_max_hours) * 3600,
            idle_secs: i64::from(args.session_idle_minutes) * 60,
        },
        two_factor: crate::domain::user::TwoFactorPolicy::parse(&args.two_factor)
            .map_err(|e| anyhow::anyhow!("--two-factor: {e}"))?,
        sso_providers,
        analysis_engine: if args.lexical {
            crate::analyse::model::Engine::lexical()
        } else {
            crate::analyse::model::Engine::find(args.model.as_deref())?
        },
        ..Config::new(&args.db.database)
    };
    if let Some(note) = config.analysis_engine.note() {
        eprintln!("note: {note}");
    }
    let app = App::build(config).await?;
    let listener = bind(&args.addr).await?;
    if let Some(addr) = args.metrics_addr.filter(|a| !a.trim().is_empty()) {
        let metrics = bind(&addr).await?;
        eprintln!(
            "Metrics are served at http://{}/metrics",
            metrics.local_addr()?
        );
        tokio::spawn(axum::serve(metrics, crate::web::metrics_router(app.clone())).into_future());
    }
    eprintln!(
        "Townhall is serving http://{}/ (press Ctrl-C to stop)",
        listener.local_addr()?
    );
    app.serve(listener).await
}

/// `--oidc-provider` settings, each checked; the providers must be told where to send people
/// back, so they need `--public-url`.
fn sso_providers(specs: &[String], public_url: bool) -> anyhow::Result<Vec<crate::sso::Provider>> {
    let mut providers: Vec<crate::sso::Provider> = Vec::new();
    for spec in specs.iter().filter(|s| !s.trim().is_empty()) {
        let p = crate::sso::Provider::parse(spec).map_err(|e| {
            anyhow::anyhow!("--oidc-provider: {e}; for example name=Our Entra ID,issuer=https://login.microsoftonline.com/TENANT/v2.0,client-id=ID,secret-env=OIDC_SECRET")
        })?;
        if providers.iter().any(|q| q.slug == p.slug) {
            bail!(
                "--oidc-provider: two providers are called {:?}: give each its own name",
                p.name
            );
        }
        providers.push(p);
    }
    if !providers.is_empty() && !public_url {
        bail!(
            "--oidc-provider needs --public-url: the provider sends people back to PUBLIC-URL/sign-in/sso/SLUG/callback"
        );
    }
    Ok(providers)
}

/// `--public-url`: an absolute http or https address with no query or fragment.
fn parse_public_url(given: &str) -> anyhow::Result<url::Url> {
    let url = url::Url::parse(given.trim())
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
        .filter(|u| u.query().is_none() && u.fragment().is_none() && u.username().is_empty())
        .with_context(|| {
            format!("--public-url {given:?} is not a web address: give one like https://engage.example.gov.uk")
        })?;
    Ok(url)
}

async fn connect(url: &str) -> anyhow::Result<Db> {
    let db = Db::connect(url).await?;
    db.migrate().await?;
    Ok(db)
}
