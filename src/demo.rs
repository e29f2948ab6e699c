//! `townhall demo`: a fresh hub with realistic sample content, served at once.
//!
//! The demo's database lives in a temporary directory that is removed when it stops.
//! Its standard output is a contract for the browser tests: a line
//! `Townhall demo: http://HOST:PORT/` and a line
//! `Sign in at http://HOST:PORT/sign-in as EMAIL with password PASSWORD`.

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

/// Fills an empty database with the demo content; returns the admin's password.
pub async fn seed(db: &Db) -> anyhow::Result<String> {
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
    db.create_user(
        &email,
        "Demo Admin",
        &hash_password(password.clone()).await?,
        &[(department.id, Role::Admin)],
    )
    .await?;
    Ok(password)
}

/// Seeds a fresh database in a temporary directory and serves it until stopped.
pub async fn run(addr: &str) -> anyhow::Result<()> {
    let dir = tempfile::Builder::new()
        .prefix("townhall-demo-")
        .tempdir()?;
    let url = format!("sqlite://{}", dir.path().join("demo.db").display());
    let app = App::build(Config {
        database_url: url,
        feeds_allow_private: false,
        secure_cookies: false,
    })
    .await?;
    let password = seed(&app.db).await?;
    let listener = crate::cli::bind(addr).await?;
    let base = format!("http://{}/", listener.local_addr()?);
    println!("Townhall demo: {base}");
    println!("Sign in at {base}sign-in as {ADMIN_EMAIL} with password {password}");
    eprintln!("Press Ctrl-C to stop; the demo's data is thrown away when it stops.");
    app.serve(listener).await
}
