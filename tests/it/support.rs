//! Spawning a real app for a test: its own database (a SQLite file in a temporary folder,
//! or a fresh PostgreSQL database when `TOWNHALL_TEST_POSTGRES` names a server), a random
//! port, and an HTTP client with a cookie jar.

use reqwest::redirect::Policy;
use std::net::SocketAddr;
use townhall::{App, Config};

/// The token the test apps ask for on `/metrics`.
pub const METRICS_TOKEN: &str = "test-metrics-token";

pub struct TestApp {
    pub app: App,
    pub addr: SocketAddr,
    pub client: reqwest::Client,
    pub admin_password: String,
    pub database_url: String,
    _dir: tempfile::TempDir,
    _pg: Option<PgDatabase>,
}

/// A throwaway PostgreSQL database, dropped when the test ends.
pub struct PgDatabase {
    admin_url: String,
    name: String,
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let (url, name) = (self.admin_url.clone(), self.name.clone());
        // Drop runs outside any runtime guarantee, so use a small one of our own.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                use sqlx::Executor;
                if let Ok(pool) = sqlx::PgPool::connect(&url).await {
                    let _ = pool
                        .execute(sqlx::AssertSqlSafe(format!(
                            "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                        )))
                        .await;
                }
            });
        })
        .join();
    }
}

/// Which database the suite runs on.
pub fn engine_name() -> &'static str {
    if std::env::var("TOWNHALL_TEST_POSTGRES").is_ok() {
        "postgres"
    } else {
        "sqlite"
    }
}

pub async fn database_url(dir: &tempfile::TempDir) -> (String, Option<PgDatabase>) {
    match std::env::var("TOWNHALL_TEST_POSTGRES") {
        Ok(admin_url) => {
            use sqlx::Executor;
            let name = format!("townhall_test_{}", uuid::Uuid::new_v4().simple());
            let pool = sqlx::PgPool::connect(&admin_url)
                .await
                .expect("TOWNHALL_TEST_POSTGRES must be reachable");
            pool.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .await
                .expect("can create a test database");
            pool.close().await;
            let base = admin_url
                .rsplit_once('/')
                .map(|(b, _)| b.to_string())
                .unwrap_or(admin_url.clone());
            (
                format!("{base}/{name}"),
                Some(PgDatabase { admin_url, name }),
            )
        }
        Err(_) => (
            format!("sqlite://{}", dir.path().join("test.db").display()),
            None,
        ),
    }
}

/// A running app seeded with the demo's organisations and admin (not its posts).
pub async fn spawn() -> TestApp {
    spawn_with(|_| {}).await
}

/// [`spawn`], with the test's own changes to the configuration.
pub async fn spawn_with(configure: impl FnOnce(&mut Config)) -> TestApp {
    // Errors the app logs show up beside a failing test's output.
    let _ = tracing_subscriber::fmt()
        .with_env_filter("warn,townhall=info")
        .with_test_writer()
        .try_init();
    let dir = tempfile::tempdir().unwrap();
    let (database_url, pg) = database_url(&dir).await;
    let mut config = Config {
        feeds_allow_private: true,
        // Tests that fetch feeds call `syndication::run_due` themselves: a scheduler tick
        // falling inside a test would fetch first and change what it counts.
        scheduler_interval: None,
        metrics_token: Some(METRICS_TOKEN.into()),
        // Tests sign in as the demo's admin, who has no authenticator; tests/it/accounts.rs
        // checks the default (`admins`).
        two_factor: townhall::domain::user::TwoFactorPolicy::Optional,
        ..Config::new(&database_url)
    };
    configure(&mut config);
    let app = App::build(config).await.expect("the app builds");
    let admin_password = townhall::demo::seed_organisations(&app.db)
        .await
        .expect("the demo seeds");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(app.clone().serve(listener));
    TestApp {
        app,
        addr,
        client: client(),
        admin_password,
        database_url,
        _dir: dir,
        _pg: pg,
    }
}

/// A client that keeps cookies and does not follow redirects (tests check them).
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(Policy::none())
        .build()
        .unwrap()
}

impl TestApp {
    /// Another handle on the same running app with its own cookie jar: a second browser.
    /// It does not own the database, so it must be dropped before the original.
    pub fn handle(t: &TestApp) -> TestApp {
        TestApp {
            app: t.app.clone(),
            addr: t.addr,
            client: client(),
            admin_password: t.admin_password.clone(),
            database_url: t.database_url.clone(),
            _dir: tempfile::tempdir().unwrap(),
            _pg: None,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.unwrap()
    }

    pub async fn get_text(&self, path: &str) -> (u16, String) {
        let r = self.get(path).await;
        (r.status().as_u16(), r.text().await.unwrap())
    }

    /// Posts a form as a browser on this site would (same-origin `Origin` header).
    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .header("origin", format!("http://{}", self.addr))
            .form(fields)
            .send()
            .await
            .unwrap()
    }

    /// The CSRF token in the forms of the page at `path`.
    pub async fn csrf_token(&self, path: &str) -> String {
        let (_, html) = self.get_text(path).await;
        csrf_from(&html)
    }

    /// Signs in through the form; panics unless it redirects.
    pub async fn sign_in(&self, email: &str, password: &str) {
        let token = self.csrf_token("/sign-in").await;
        let r = self
            .post_form(
                "/sign-in",
                &[
                    ("csrf_token", &token),
                    ("email", email),
                    ("password", password),
                ],
            )
            .await;
        assert_eq!(r.status(), 303, "sign-in as {email} should redirect");
    }

    pub async fn sign_in_admin(&self) {
        let password = self.admin_password.clone();
        self.sign_in(townhall::demo::ADMIN_EMAIL, &password).await;
    }

    /// Chooses "Keep this name" on the review page for every theme whose name the engine
    /// made, as an analyst does before publishing; the viewer must be signed in.
    pub async fn keep_machine_names(&self, analysis: i64) {
        let page = format!("/admin/analyses/{analysis}");
        let csrf = self.csrf_token(&page).await;
        let review = self
            .app
            .db
            .analysis(analysis)
            .await
            .unwrap()
            .review
            .unwrap();
        for theme in review.unreviewed_names() {
            let fields = [
                ("csrf_token", csrf.as_str()),
                ("action", "rename"),
                ("theme", &theme.id),
                ("label", &theme.label),
            ];
            let r = self.post_form(&format!("{page}/edit"), &fields).await;
            assert_eq!(r.status(), 303, "keeping the name of {}", theme.id);
        }
    }
}

/// The CSRF token in the page's forms; empty when it has none, as for a visitor who is not
/// signed in (their forms carry no token: the cross-origin guard protects them).
pub fn csrf_from(html: &str) -> String {
    let marker = "name=\"csrf_token\" value=\"";
    match html.find(marker) {
        Some(start) => html[start + marker.len()..]
            .split('"')
            .next()
            .unwrap()
            .to_string(),
        None => String::new(),
    }
}

impl TestApp {
    /// Makes a user holding `role` in the organisation `org` and returns an API token for
    /// them; their password is "a long enough password" and their name is their email.
    pub async fn user_with_token(
        &self,
        email: &str,
        org: &str,
        role: townhall::domain::role::Role,
    ) -> String {
        self.named_user_with_token(email, email, org, role).await
    }

    /// A hub admin (every organisation) and their API token.
    pub async fn hub_admin_with_token(&self, email: &str) -> String {
        let token = self
            .user_with_token(
                email,
                "community-services",
                townhall::domain::role::Role::Admin,
            )
            .await;
        let user = self
            .app
            .db
            .user_by_email(&townhall::domain::user::Email::parse(email).unwrap())
            .await
            .unwrap();
        self.app.db.set_hub_admin(user.id, true).await.unwrap();
        token
    }

    /// [`TestApp::user_with_token`] with a name of its own.
    pub async fn named_user_with_token(
        &self,
        name: &str,
        email: &str,
        org: &str,
        role: townhall::domain::role::Role,
    ) -> String {
        let org = self.app.db.organisation_by_slug(org).await.unwrap();
        let hash = townhall::auth::hash_password("a long enough password".into())
            .await
            .unwrap();
        let id = self
            .app
            .db
            .create_user(
                &townhall::domain::user::Email::parse(email).unwrap(),
                name,
                &hash,
                &[(org.id, role)],
            )
            .await
            .unwrap();
        let token = format!("th_{}", townhall::auth::random_token());
        self.app
            .db
            .create_api_token(id, &townhall::auth::token_hash(&token))
            .await
            .unwrap();
        token
    }

    /// Sends JSON with a bearer token (or none).
    pub async fn post_json(
        &self,
        path: &str,
        token: Option<&str>,
        body: &serde_json::Value,
    ) -> reqwest::Response {
        let mut r = self.client.post(self.url(path)).json(body);
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        r.send().await.unwrap()
    }
}

/// Runs one statement straight on the test's database, for a test that needs rows no request
/// can make (data saved by an earlier release, say).
pub async fn execute_sql(database_url: &str, sql: &str) {
    use sqlx::Executor;
    if database_url.starts_with("sqlite:") {
        let pool = sqlx::SqlitePool::connect(database_url).await.unwrap();
        pool.execute(sqlx::AssertSqlSafe(sql)).await.unwrap();
    } else {
        let pool = sqlx::PgPool::connect(database_url).await.unwrap();
        pool.execute(sqlx::AssertSqlSafe(sql)).await.unwrap();
    }
}
