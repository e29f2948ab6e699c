//! Upgrades: a database made by an earlier release (the fixtures in tests/fixtures/upgrade/,
//! made by scripts/make-upgrade-fixture.sh) is migrated by the current code without losing a
//! row, and the app serves what it holds.

use std::path::Path;
use townhall::{App, Config};

/// The rows the fixture script writes (see scripts/make-upgrade-fixture.sh).
const EXPECTED: &[(&str, i64)] = &[
    ("organisations", 3),
    ("users", 2),
    ("memberships", 2),
    ("api_tokens", 1),
    ("posts", 4),
    ("comments", 3),
    ("feed_subscriptions", 1),
];

fn fixture(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/upgrade")
        .join(name)
}

fn migrations_in_code() -> i64 {
    std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/sqlite"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .ends_with(".sql")
        })
        .count() as i64
}

async fn count_sqlite(url: &str, table: &str) -> i64 {
    let pool = sqlx::SqlitePool::connect(url).await.unwrap();
    let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
        .fetch_one(&pool)
        .await
        .unwrap();
    pool.close().await;
    n
}

async fn count_postgres(url: &str, table: &str) -> i64 {
    let pool = sqlx::PgPool::connect(url).await.unwrap();
    let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
        .fetch_one(&pool)
        .await
        .unwrap();
    pool.close().await;
    n
}

/// Migrates the database at `url` with the current code, serves it, and checks the pages
/// show the fixture's content, including signing in with a password set before the upgrade.
async fn upgrade_and_serve(url: &str) {
    let config = Config {
        // The earlier release's admin has no authenticator app yet; under the default policy
        // they would first be sent to set one up (tests/it/accounts.rs).
        two_factor: townhall::domain::user::TwoFactorPolicy::Optional,
        ..Config::new(url)
    };
    let app = App::build(config)
        .await
        .expect("the current code migrates the earlier database");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(app.clone().serve(listener));
    let client = crate::support::client();
    let get = |path: &str| {
        let client = client.clone();
        let url = format!("http://{addr}{path}");
        async move {
            let r = client.get(url).send().await.unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };
    let (status, html) = get("/blog/fixing-the-roads-in-northfield").await;
    assert_eq!(status, 200);
    assert!(html.contains("Fixing the roads in Northfield"));
    assert!(
        html.contains("Comment number 1 about the roads."),
        "the approved comment is shown"
    );
    assert!(
        !html.contains("Comment number 2"),
        "the rejected one is not"
    );
    assert!(!html.contains("Comment number 3"), "the pending one is not");
    let (status, html) = get("/organisations/national-records-agency").await;
    assert_eq!(status, 200);
    assert!(html.contains("Opening the 1925 census"));
    let (status, _) = get("/blog/a-draft-about-budgets").await;
    assert_eq!(status, 404, "the draft stays a draft");
    // The password hash written before the upgrade still signs in.
    let (_, html) = get("/sign-in").await;
    let token = crate::support::csrf_from(&html);
    let r = client
        .post(format!("http://{addr}/sign-in"))
        .header("origin", format!("http://{addr}"))
        .form(&[
            ("csrf_token", token.as_str()),
            ("email", "admin@upgrade.example"),
            ("password", "fixture-admin-password-1"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let (status, html) = get("/admin/comments").await;
    assert_eq!(status, 200);
    assert!(
        html.contains("Comment number 3"),
        "the pending comment waits"
    );
    app.db.close().await;
}

#[tokio::test]
async fn a_sqlite_database_from_an_earlier_release_upgrades_without_loss() {
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("old.db");
    std::fs::copy(fixture("sqlite-0005.db"), &copy).unwrap();
    let url = format!("sqlite://{}", copy.display());
    assert_eq!(count_sqlite(&url, "_sqlx_migrations").await, 5);
    upgrade_and_serve(&url).await;
    for (table, n) in EXPECTED {
        assert_eq!(count_sqlite(&url, table).await, *n, "{table}");
    }
    assert_eq!(
        count_sqlite(&url, "_sqlx_migrations").await,
        migrations_in_code()
    );
}

#[tokio::test]
async fn a_postgres_dump_from_an_earlier_release_upgrades_without_loss() {
    let Ok(admin_url) = std::env::var("TOWNHALL_TEST_POSTGRES") else {
        eprintln!("TOWNHALL_TEST_POSTGRES is not set: skipped");
        return;
    };
    let (base, _) = admin_url.rsplit_once('/').unwrap();
    let name = format!("townhall_upgrade_{}", uuid::Uuid::new_v4().simple());
    let psql = |url: &str, args: &[&str]| {
        let o = std::process::Command::new("psql")
            .arg(url)
            .args(["-q", "-v", "ON_ERROR_STOP=1"])
            .args(args)
            .output()
            .expect("psql runs");
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    };
    psql(&admin_url, &["-c", &format!("CREATE DATABASE {name}")]);
    let url = format!("{base}/{name}");
    psql(
        &url,
        &["-f", fixture("postgres-0005.sql").to_str().unwrap()],
    );
    assert_eq!(count_postgres(&url, "_sqlx_migrations").await, 5);
    upgrade_and_serve(&url).await;
    for (table, n) in EXPECTED {
        assert_eq!(count_postgres(&url, table).await, *n, "{table}");
    }
    assert_eq!(
        count_postgres(&url, "_sqlx_migrations").await,
        migrations_in_code()
    );
    psql(
        &admin_url,
        &["-c", &format!("DROP DATABASE {name} WITH (FORCE)")],
    );
}
