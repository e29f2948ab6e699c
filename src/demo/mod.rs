//! `townhall demo`: a fresh hub with realistic sample content, served at once.
//!
//! The demo's database lives in a temporary directory that is removed when it stops.
//! Its standard output is a contract for the browser tests: a line
//! `Townhall demo: http://HOST:PORT/` and a line
//! `Sign in at http://HOST:PORT/sign-in as EMAIL with password PASSWORD`.

mod answers;
mod deliberation;
mod drafts;
mod listening;
mod media;
mod posts;
mod programme;

pub use posts::seed_posts;
pub use programme::seed_programme;

use crate::auth::{generate_password, hash_password};
use crate::domain::organisation::NewOrganisation;
use crate::domain::role::Role;
use crate::domain::user::Email;
use crate::store::Db;
use crate::{App, Config};

pub const ADMIN_EMAIL: &str = "admin@townhall.example";

/// The department and its two arm's-length bodies.
const ORGANISATIONS: &[(&str, &str, &str, Option<&str>)] = &[
    (
        "Department of Community Services",
        "community-services",
        "The department responsible for local services, housing standards and public records.",
        None,
    ),
    (
        "National Records Agency",
        "national-records-agency",
        "Keeps and opens up the public record, and helps other bodies manage their information.",
        Some("community-services"),
    ),
    (
        "Care Standards Authority",
        "care-standards-authority",
        "Registers and inspects care services, and publishes what it finds.",
        Some("community-services"),
    ),
];

/// The department, its two arm's-length bodies and an admin; returns the admin's password.
/// The integration tests start from this, and add what each test needs.
pub async fn seed_organisations(db: &Db) -> anyhow::Result<String> {
    for (name, slug, summary, parent) in ORGANISATIONS {
        let parent_id = match parent {
            Some(p) => Some(db.organisation_by_slug(p).await?.id),
            None => None,
        };
        let org = NewOrganisation::parse(name, slug, summary, parent_id)
            .map_err(|e| anyhow::anyhow!("demo organisation {slug} is invalid: {e:?}"))?;
        db.create_organisation(&org).await?;
    }
    let department = db.organisation_by_slug("community-services").await?;
    let password = generate_password();
    let email = Email::parse(ADMIN_EMAIL).map_err(anyhow::Error::msg)?;
    let hash = hash_password(password.clone()).await?;
    let admin = db
        .create_user(&email, "Demo Admin", &hash, &[(department.id, Role::Admin)])
        .await?;
    db.set_hub_admin(admin, true).await?;
    Ok(password)
}

/// Everything the demo shows: [`seed_organisations`] and the sample content.
pub async fn seed(db: &Db) -> anyhow::Result<String> {
    let password = seed_organisations(db).await?;
    let admin = db
        .user_by_email(&Email::parse(ADMIN_EMAIL).map_err(anyhow::Error::msg)?)
        .await?;
    seed_posts(db, admin.id).await?;
    // The accessibility statement and privacy notice give it (their defaults are filled in).
    let contact = "digital@community-services.example";
    db.set_setting(crate::store::settings::CONTACT_EMAIL, Some(contact))
        .await?;
    seed_syndication(db).await?;
    seed_programme(db, admin.id).await?;
    listening::seed(db, admin.id, DEMO_RESPONSES).await?;
    drafts::seed(db, admin.id).await?;
    deliberation::seed(db).await?;
    seed_analytics(db).await?;
    seed_subscribers(db).await?;
    Ok(password)
}

/// Readers following the site by e-mail, as if they had confirmed (the admin's subscriber
/// counts have something to show; nothing is sent to these example.org addresses without a
/// relay and `--public-url`).
pub async fn seed_subscribers(db: &Db) -> anyhow::Result<()> {
    use crate::domain::subscription::{Frequency, List};
    let org = db.organisation_by_slug("community-services").await?;
    let lists = [
        (List::Hub, Frequency::Weekly),
        (List::Organisation(org.id), Frequency::Daily),
        (List::Consultations, Frequency::Immediately),
        (List::Programme, Frequency::Weekly),
    ];
    for i in 0..48usize {
        // Each reader follows one to three of the lists.
        let theirs: Vec<_> = (0..=(i % 3))
            .map(|k| lists[(i + k) % lists.len()])
            .collect();
        db.add_confirmed_subscriber(&format!("reader{i}@example.org"), &theirs)
            .await?;
    }
    Ok(())
}

/// Generated responses to the demo's consultation (the survey gets two thirds as many).
const DEMO_RESPONSES: usize = 3000;

/// Six weeks of page views for the analytics dashboard (counts only: visitor hashes are
/// never kept past their day, so the past has none).
pub async fn seed_analytics(db: &Db) -> anyhow::Result<()> {
    let today = crate::analytics::day_of(crate::store::now());
    let posts = db.public_posts_for_demo_analytics().await?;
    for ago in 0..42_i64 {
        let day = today - ago * 86_400;
        // A weekly rhythm, busier on weekdays, and a slow rise towards today.
        let weekday = (day / 86_400 + 4) % 7; // 0 = Sunday
        let base = if weekday == 0 || weekday == 6 { 40 } else { 90 } + (42 - ago) * 2;
        let mut views = vec![("/".to_string(), base), ("/blog".to_string(), base / 2)];
        for (i, slug) in posts.iter().enumerate() {
            views.push((format!("/blog/{slug}"), base / (i as i64 + 2)));
        }
        views.push(("/organisations/national-records-agency".into(), base / 5));
        views.push(("/organisations/care-standards-authority".into(), base / 6));
        let batch = crate::store::analytics::Batch {
            day,
            views,
            visitors: Vec::new(),
            referrers: vec![
                ("/".into(), "www.search.example".into(), base / 4),
                ("/blog".into(), "news.example.org".into(), base / 10 + 1),
            ],
        };
        db.record_analytics(&batch).await?;
    }
    // Visitors for the past: a share of the views (the real figure comes from hashes).
    db.demo_analytics_visitors().await?;
    Ok(())
}

/// The address the demo's syndicated feed claims to come from (a reserved example domain).
const DEMO_FEED_URL: &str = "https://partners.example.org/feed.atom";

/// A subscription whose items are read from a fixture in the binary, so the demo works with
/// no network. Its next fetch is put a year off so the scheduler does not try the address.
pub async fn seed_syndication(db: &Db) -> anyhow::Result<()> {
    let department = db.organisation_by_slug("community-services").await?;
    let id = db.create_subscription(department.id, DEMO_FEED_URL).await?;
    db.claim_subscription(id, crate::store::now() + 365 * 86_400)
        .await?;
    let feed = crate::feeds::parse(include_bytes!("demo_feed.xml"), DEMO_FEED_URL)?;
    let record = crate::store::syndication::FetchRecord {
        title: Some(feed.title),
        ..Default::default()
    };
    db.record_fetch(id, &feed.items, &record).await?;
    Ok(())
}

/// Seeds a fresh database in a temporary directory and serves it until stopped.
pub async fn run(listener: tokio::net::TcpListener) -> anyhow::Result<()> {
    let dir = tempfile::Builder::new()
        .prefix("townhall-demo-")
        .tempdir()?;
    let url = format!("sqlite://{}", dir.path().join("demo.db").display());
    let base = format!("http://{}/", listener.local_addr()?);
    let config = Config {
        public_url: Some(url::Url::parse(&base)?),
        // The demo's admin signs in with the password printed below and nothing else;
        // `serve` asks every admin for a second factor.
        two_factor: crate::domain::user::TwoFactorPolicy::Optional,
        ..Config::new(&url)
    };
    let app = App::build(config).await?;
    let password = seed(&app.db).await?;
    println!("Townhall demo: {base}");
    println!("Sign in at {base}sign-in as {ADMIN_EMAIL} with password {password}");
    eprintln!(
        "Two-factor sign-in is optional in the demo; `townhall serve` asks it of every admin."
    );
    eprintln!("Press Ctrl-C to stop; the demo's data is thrown away when it stops.");
    app.serve(listener).await
}
