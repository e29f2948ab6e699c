//! Hostile input: each request built to stall, break or misdirect the server is refused or
//! bounded (the server does under 100 ms of work while a `/healthz` waits), and the pages
//! around it keep working. Runs on SQLite and, with `TOWNHALL_TEST_POSTGRES`, on PostgreSQL.

use crate::feeds::{response, serve};
use crate::support::{TestApp, spawn};
use serde_json::{Value, json};
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use townhall::domain::role::Role;

/// The most work the server's thread may do while one `/healthz` is being answered.
const HEALTHY: Duration = Duration::from_millis(100);

/// Runs `work` while another client asks `/healthz` every 10 ms; fails if any answer was not
/// 200, or if the server's thread did [`HEALTHY`] or more of work while one was answered.
///
/// The server, the clients and the work all run on the test's own single thread, so whatever
/// the hostile request does between two awaits delays `/healthz`. What that delay is measured
/// in is the thread's CPU time, not the clock: the other tests run beside this one on two
/// cores, and a busy machine stretches the same work over more wall time without the request
/// being any more to blame (waiting for the database costs the thread nothing either).
async fn while_healthy<F: Future>(t: &TestApp, work: F) -> F::Output {
    assert_eq!(
        tokio::runtime::Handle::current().runtime_flavor(),
        tokio::runtime::RuntimeFlavor::CurrentThread,
        "the thread's CPU time measures the server only when everything runs on it"
    );
    let stop = Arc::new(AtomicBool::new(false));
    let watcher = {
        let (stop, url, client) = (stop.clone(), t.url("/healthz"), reqwest::Client::new());
        tokio::spawn(async move {
            let mut most = Duration::ZERO;
            let mut asked = 0;
            while !stop.load(Ordering::Relaxed) || asked == 0 {
                let start = thread_cpu_time();
                let status = client.get(&url).send().await.unwrap().status();
                assert_eq!(status, 200, "/healthz failed");
                most = most.max(thread_cpu_time().saturating_sub(start));
                asked += 1;
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            most
        })
    };
    let out = work.await;
    stop.store(true, Ordering::Relaxed);
    let most = watcher.await.unwrap();
    assert!(
        most < HEALTHY,
        "the server's thread worked {most:?} while one /healthz waited for an answer"
    );
    out
}

/// The CPU time the calling thread has used.
fn thread_cpu_time() -> Duration {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `now` is a valid timespec for the call to fill in.
    let done = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut now) };
    assert_eq!(done, 0, "the thread's CPU clock is readable");
    Duration::new(now.tv_sec as u64, now.tv_nsec as u32)
}

/// The pages a visitor reads still work.
async fn pages_still_work(t: &TestApp) {
    for path in ["/", "/blog", "/consultations", "/data"] {
        assert_eq!(t.get(path).await.status(), 200, "{path}");
    }
}

/// An editor of community-services, signed in on a client of their own, and their API token.
async fn editor(t: &TestApp) -> (TestApp, String) {
    let person =
        crate::publishing::person(t, "ed@example.org", Role::Editor, "community-services").await;
    let email = townhall::domain::user::Email::parse("ed@example.org").unwrap();
    let user = t.app.db.user_by_email(&email).await.unwrap();
    let token = format!("th_{}", townhall::auth::random_token());
    t.app
        .db
        .create_api_token(user.id, &townhall::auth::token_hash(&token))
        .await
        .unwrap();
    (person, token)
}

async fn post_through_the_admin(editor: &TestApp, body: &str) -> (u16, String) {
    let token = editor.csrf_token("/admin/posts/new").await;
    let r = editor
        .post_form(
            "/admin/posts/new",
            &[
                ("csrf_token", &token),
                ("organisation", "community-services"),
                ("title", "A hostile post"),
                ("summary", "Built to be slow."),
                ("body", body),
                ("authors", "Someone"),
                ("status", "published"),
            ],
        )
        .await;
    (r.status().as_u16(), r.text().await.unwrap())
}

#[tokio::test]
async fn deep_markdown_and_many_headings_are_refused_with_the_limit_named() {
    let t = spawn().await;
    let (editor, token) = editor(&t).await;
    for (body, limit) in [
        (format!("{} deep", ">".repeat(32_000)), "64 levels deep"),
        ("# Same\n\n".repeat(16_000), "1000 headings"),
    ] {
        let (status, html) = while_healthy(&t, post_through_the_admin(&editor, &body)).await;
        assert_eq!(status, 400);
        assert!(html.contains("govuk-error-summary"), "an error summary");
        assert!(html.contains(limit), "names the limit: {limit}");

        let r = while_healthy(
            &t,
            t.post_json(
                "/api/v1/posts",
                Some(&token),
                &json!({"organisation": "community-services", "title": "A hostile post",
                        "summary": "Built to be slow.", "body": body, "status": "published"}),
            ),
        )
        .await;
        assert_eq!(r.status(), 422);
        let error: Value = r.json().await.unwrap();
        assert!(error["fields"]["body"].as_str().unwrap().contains(limit));
    }
    assert_eq!(
        t.get("/blog/a-hostile-post").await.status(),
        404,
        "nothing stored"
    );
    pages_still_work(&t).await;
}

#[tokio::test]
async fn a_feed_item_nested_64000_deep_is_left_out_and_recorded() {
    let t = spawn().await;
    let deep = format!("{}deep{}", "<div>".repeat(64_000), "</div>".repeat(64_000));
    let feed = format!(
        r#"<?xml version="1.0"?><rss version="2.0"><channel><title>Other site</title><link>https://other.example/</link>
<item><title>Hostile</title><link>https://other.example/hostile</link><description>{}</description></item>
<item><title>Ordinary</title><link>https://other.example/ordinary</link><description>&lt;p&gt;Fine.&lt;/p&gt;</description></item>
</channel></rss>"#,
        townhall::sanitise::escape(&deep)
    );
    let server = serve(move |_| {
        response(
            "200 OK",
            &[("content-type", "application/rss+xml")],
            feed.as_bytes(),
        )
    });
    let org = t
        .app
        .db
        .organisation_by_slug("community-services")
        .await
        .unwrap();
    let id = t
        .app
        .db
        .create_subscription(org.id, &server.url("/feed.rss"))
        .await
        .unwrap();
    let summary = while_healthy(&t, townhall::jobs::syndication::fetch_now(&t.app, id))
        .await
        .unwrap();
    assert_eq!(summary.new_items, 1, "the ordinary item is taken");
    let error = summary.error.expect("the left-out item is recorded");
    assert!(
        error.contains("“Hostile”") && error.contains("64 levels deep"),
        "{error}"
    );
    assert_eq!(
        t.app.db.subscription(id).await.unwrap().last_error,
        Some(error)
    );
    pages_still_work(&t).await;
}

#[tokio::test]
async fn a_scale_with_i64_bounds_is_refused_and_a_stored_one_breaks_nothing() {
    let t = spawn().await;
    let editor = t
        .user_with_token("an@example.org", "community-services", Role::Editor)
        .await;
    let mut definition = crate::listening::definition("Scales", "2099-01-01");
    definition["questions"][3]["min"] = json!(i64::MIN);
    definition["questions"][3]["max"] = json!(i64::MAX);
    let r = t
        .post_json("/api/v1/consultations", Some(&editor), &definition)
        .await;
    assert_eq!(r.status(), 422);
    let error: Value = r.json().await.unwrap();
    assert!(
        error["fields"]["questions.3.min"]
            .as_str()
            .unwrap()
            .contains("-1000 to 1000")
    );

    // One saved before the check existed: its pages, the hub-wide downloads and the export
    // still work.
    let good = crate::listening::definition("Scales", "2099-01-01");
    let r = t
        .post_json("/api/v1/consultations", Some(&editor), &good)
        .await;
    assert_eq!(r.status(), 201);
    let e = t.app.db.exercise_by_slug("scales").await.unwrap();
    let mut stored: Value = serde_json::to_value(&e.definition).unwrap();
    stored["questions"][3]["min"] = json!(i64::MIN);
    stored["questions"][3]["max"] = json!(i64::MAX);
    let stored = stored.to_string().replace('\'', "''");
    crate::support::execute_sql(
        &t.database_url,
        &format!(
            "UPDATE exercises SET definition = '{stored}', published = TRUE WHERE id = {}",
            e.id
        ),
    )
    .await;
    t.app.db.set_results_published(e.id, true).await.unwrap();
    for path in [
        "/consultations/scales",
        "/consultations/scales/results",
        "/data/consultation-results.csv",
        "/data/consultation-results.json",
    ] {
        assert_eq!(while_healthy(&t, t.get(path)).await.status(), 200, "{path}");
    }
    let out = tempfile::tempdir().unwrap();
    townhall::export::run(&t.app.db, out.path()).await.unwrap();
    pages_still_work(&t).await;
}

#[tokio::test]
async fn nul_bytes_are_refused_at_the_edge_on_every_database() {
    let t = spawn().await;
    let (status, html) = t.get_text("/search?q=a%00b").await;
    assert_eq!(status, 400);
    assert!(html.contains("NUL character"));
    assert_eq!(t.get("/blog/a%00b").await.status(), 400);
    let r = t.get("/api/v1/posts?organisation=a%00b").await;
    assert_eq!(r.status(), 400);
    assert!(
        r.json::<Value>().await.unwrap()["error"]
            .as_str()
            .unwrap()
            .contains("NUL")
    );

    // In a comment (a form body) and in a JSON body.
    let (_, editor_token) = editor(&t).await;
    let r = t
        .post_json(
            "/api/v1/posts",
            Some(&editor_token),
            &json!({"organisation": "community-services", "title": "Comments welcome",
                    "summary": "Say hello.", "body": "Hello.", "status": "published"}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let token = t.csrf_token("/blog/comments-welcome").await;
    let r = t
        .post_form(
            "/blog/comments-welcome/comments",
            &[
                ("csrf_token", &token),
                ("name", "Nul"),
                ("email", ""),
                ("body", "before\0after"),
            ],
        )
        .await;
    assert_eq!(r.status(), 400);
    let r = t
        .post_json(
            "/api/v1/posts",
            Some(&editor_token),
            &json!({"organisation": "community-services", "title": "Nul\u{0}title",
                    "summary": "x", "body": "x", "status": "published"}),
        )
        .await;
    assert_eq!(r.status(), 400);
    // An escaped backslash before "u0000" is text, not a NUL.
    let r = t
        .post_json(
            "/api/v1/posts",
            Some(&editor_token),
            &json!({"organisation": "community-services", "title": "A backslash",
                    "summary": "x", "body": "C:\\u0000", "status": "published"}),
        )
        .await;
    assert_eq!(r.status(), 201);
    assert_eq!(
        t.app
            .db
            .approved_comments(t.app.db.post_by_slug("comments-welcome").await.unwrap().id)
            .await
            .unwrap()
            .len(),
        0
    );
    pages_still_work(&t).await;
}

#[tokio::test]
async fn page_numbers_out_of_range_are_refused_not_wrapped() {
    let t = spawn().await;
    for page in [
        i64::MAX.to_string(),
        "0".into(),
        "-1".into(),
        "100001".into(),
    ] {
        let r = t.get(&format!("/api/v1/posts?page={page}")).await;
        assert_eq!(r.status(), 400, "page={page}");
        let error: Value = r.json().await.unwrap();
        assert!(error["error"].as_str().unwrap().contains("1 to 100000"));
        // A page for people shows the first page instead.
        assert_eq!(t.get(&format!("/blog?page={page}")).await.status(), 200);
    }
    let r = t.get("/api/v1/posts?page=100000").await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["next"], Value::Null);
}

#[tokio::test]
async fn an_oversized_body_is_413_not_400() {
    let t = spawn().await;
    let token = t
        .user_with_token("big@example.org", "community-services", Role::Editor)
        .await;
    let huge = "x".repeat(10 * 1024 * 1024);
    let r = t
        .post_json(
            "/api/v1/posts",
            Some(&token),
            &json!({"organisation": "community-services", "title": "Huge", "summary": "x",
                    "body": huge, "status": "published"}),
        )
        .await;
    assert_eq!(r.status(), 413);
    assert!(
        r.json::<Value>().await.unwrap()["error"]
            .as_str()
            .unwrap()
            .contains("larger")
    );
    let csrf = t.csrf_token("/sign-in").await;
    let r = t
        .post_form("/sign-in", &[("csrf_token", &csrf), ("email", &huge)])
        .await;
    assert_eq!(r.status(), 413);
    pages_still_work(&t).await;
}

#[tokio::test]
async fn an_idempotency_key_never_returns_another_respondents_reference() {
    let (t, _, slug) = crate::listening::with_exercise().await;
    let path = t.url(&format!("/api/v1/consultations/{slug}/responses"));
    let answers = |q1: &str| {
        json!({"answers": {"q1": q1, "q2": "North", "q3": ["Evenings"], "q4": 4},
               "segment": "An individual"})
    };
    let send = |body: Value, token: Option<&'static str>| {
        let mut request = t
            .client
            .post(&path)
            .header("idempotency-key", "same-key")
            .json(&body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        async move {
            let r = request.send().await.unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    let (status, first) = send(answers("Mine"), None).await;
    assert_eq!(status, 201);
    // Another client (its own token) with the same key: its own response, its own reference.
    let (status, other) = send(answers("Theirs"), Some("th_another-client")).await;
    assert_eq!(status, 201);
    assert_ne!(other["reference"], first["reference"]);
    // The same client, the same key, different answers: refused, nothing stored or told.
    let (status, reused) = send(answers("Changed my mind"), None).await;
    assert_eq!(status, 422);
    assert!(
        reused["fields"]["Idempotency-Key"]
            .as_str()
            .unwrap()
            .contains("new key")
    );
    assert!(reused.get("reference").is_none());
    // A true retry still finds its own response.
    let (status, again) = send(answers("Mine"), None).await;
    assert_eq!((status, &again["reference"]), (200, &first["reference"]));
    let e = t.app.db.exercise_by_slug(&slug).await.unwrap();
    assert_eq!(t.app.db.response_count(e.id).await.unwrap(), 2);
}

#[tokio::test]
async fn next_after_sign_in_stays_on_this_site_however_it_is_written() {
    let t = spawn().await;
    let password = t.admin_password.clone();
    for (next, expected) in [
        ("/\t/other.example/x", "/admin"),
        ("/\\other.example", "/admin"),
        ("\\/other.example", "/admin"),
        ("//other.example", "/admin"),
        ("/\r\n/other.example", "/admin"),
        ("https://other.example/", "/admin"),
        (
            "/admin\r\nSet-Cookie: stolen=1",
            "/adminSet-Cookie:%20stolen=1",
        ),
        ("/admin/posts?page=2", "/admin/posts?page=2"),
    ] {
        let client = crate::support::client();
        let form = client.get(t.url("/sign-in")).send().await.unwrap();
        let csrf = crate::support::csrf_from(&form.text().await.unwrap());
        let r = client
            .post(t.url("/sign-in"))
            .header("origin", format!("http://{}", t.addr))
            .form(&[
                ("csrf_token", csrf.as_str()),
                ("email", townhall::demo::ADMIN_EMAIL),
                ("password", &password),
                ("next", next),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303, "{next:?}");
        assert_eq!(r.headers()["location"], expected, "{next:?}");
        assert!(
            r.headers()
                .get_all("set-cookie")
                .iter()
                .all(|c| !c.to_str().unwrap().contains("stolen")),
            "{next:?}"
        );
        // The sign-in page offers the same safe place.
        let (status, html) = t
            .get_text(&format!(
                "/sign-in?next={}",
                percent_encoding::utf8_percent_encode(next, percent_encoding::NON_ALPHANUMERIC)
            ))
            .await;
        assert_eq!(status, 200);
        assert!(!html.contains("other.example"), "{next:?}");
    }
}

/// Sends the organisation form for `slug` with the organisation as its own parent.
async fn report_to_itself(admin: &TestApp, slug: &str, name: &str) -> reqwest::Response {
    let path = format!("/admin/organisations/{slug}/edit");
    let token = admin.csrf_token(&path).await;
    admin
        .post_form(
            &path,
            &[
                ("csrf_token", &token),
                ("name", name),
                ("slug", slug),
                ("parent", slug),
            ],
        )
        .await
}

#[tokio::test]
async fn an_admin_gives_roles_only_where_they_administer_and_no_organisation_is_its_own_parent() {
    let t = spawn().await;
    t.sign_in_admin().await;
    // A hub admin adds a second department.
    let token = t.csrf_token("/admin/organisations/new").await;
    let r = t
        .post_form(
            "/admin/organisations/new",
            &[("csrf_token", &token), ("name", "Department of Health")],
        )
        .await;
    assert_eq!(r.status(), 303);
    let health = t
        .app
        .db
        .organisation_by_slug("department-of-health")
        .await
        .unwrap();
    let community = t
        .app
        .db
        .organisation_by_slug("community-services")
        .await
        .unwrap();
    // Nobody, not even a hub admin, makes an organisation its own parent.
    let r = report_to_itself(&t, "department-of-health", "Department of Health").await;
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("cannot report to itself"));

    // An admin of the community services department.
    let admin =
        crate::publishing::person(&t, "dept@example.org", Role::Admin, "community-services").await;
    let me = t
        .app
        .db
        .user_by_email(&townhall::domain::user::Email::parse("dept@example.org").unwrap())
        .await
        .unwrap();
    let (_, form) = admin.get_text("/admin/users/new").await;
    assert!(form.contains("National Records Agency"));
    assert!(
        !form.contains("Department of Health"),
        "no roles offered elsewhere"
    );
    let path = format!("/admin/users/{}/edit", me.id);
    let token = admin.csrf_token(&path).await;
    let grab = format!("{}:admin", health.id);
    let keep = format!("{}:admin", community.id);
    let r = admin
        .post_form(
            &path,
            &[
                ("csrf_token", &token),
                ("name", "dept@example.org"),
                ("roles", &keep),
                ("roles", &grab),
            ],
        )
        .await;
    assert_eq!(r.status(), 400);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("only in organisations you administer")
    );
    let roles = t.app.db.memberships(me.id).await.unwrap();
    assert!(roles.iter().all(|m| m.organisation_id != health.id));
    // Nor add a department, nor change another one, nor make its own report to itself.
    let token = admin.csrf_token("/admin/organisations/new").await;
    let r = admin
        .post_form(
            "/admin/organisations/new",
            &[("csrf_token", &token), ("name", "Department of Admin")],
        )
        .await;
    assert_eq!(r.status(), 400);
    assert_eq!(
        admin
            .get("/admin/organisations/department-of-health/edit")
            .await
            .status(),
        403
    );
    let r = report_to_itself(
        &admin,
        "community-services",
        "Department of Community Services",
    )
    .await;
    assert_eq!(r.status(), 400);
    // Someone with roles in both departments keeps their health role when the community
    // services admin changes theirs.
    let hash = townhall::auth::hash_password("a long enough password".into())
        .await
        .unwrap();
    let both = t
        .app
        .db
        .create_user(
            &townhall::domain::user::Email::parse("both@example.org").unwrap(),
            "Both",
            &hash,
            &[(community.id, Role::Editor), (health.id, Role::Analyst)],
        )
        .await
        .unwrap();
    let path = format!("/admin/users/{both}/edit");
    let token = admin.csrf_token(&path).await;
    let moderator = format!("{}:moderator", community.id);
    let r = admin
        .post_form(
            &path,
            &[
                ("csrf_token", &token),
                ("name", "Both"),
                ("roles", &moderator),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let roles: Vec<_> = t
        .app
        .db
        .memberships(both)
        .await
        .unwrap()
        .into_iter()
        .map(|m| (m.organisation_id, m.role))
        .collect();
    assert!(roles.contains(&(health.id, Role::Analyst)), "{roles:?}");
    assert!(
        roles.contains(&(community.id, Role::Moderator)),
        "{roles:?}"
    );
    assert!(!roles.contains(&(community.id, Role::Editor)), "{roles:?}");
    // …but cannot disable them.
    let token = admin.csrf_token(&path).await;
    let r = admin
        .post_form(
            &path,
            &[
                ("csrf_token", &token),
                ("name", "Both"),
                ("roles", &moderator),
                ("disabled", "yes"),
            ],
        )
        .await;
    assert_eq!(r.status(), 400);
    assert!(!t.app.db.user(both).await.unwrap().disabled);
}

#[tokio::test]
async fn the_host_header_cannot_choose_the_sites_address() {
    // A Host that is more than a host and a port is refused outright.
    let t = spawn().await;
    for path in ["/", "/api/v1/posts", "/blog/feed.atom"] {
        let r = t
            .client
            .get(t.url(path))
            .header("host", "127.0.0.1:18400@evil.example")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "{path}");
    }
    // With --public-url, absolute links use it whatever Host says.
    let t = crate::support::spawn_with(|c| {
        c.public_url = Some(url::Url::parse("https://engage.example.gov.uk/").unwrap());
    })
    .await;
    let editor = t
        .user_with_token("ed@example.org", "community-services", Role::Editor)
        .await;
    let r = t
        .client
        .post(t.url("/api/v1/consultations"))
        .header("host", "other.example:8080")
        .bearer_auth(&editor)
        .json(&crate::listening::definition("Addresses", "2099-01-01"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    assert_eq!(
        r.headers()["location"],
        "https://engage.example.gov.uk/consultations/addresses"
    );
    let feed = t
        .client
        .get(t.url("/blog/feed.atom"))
        .header("host", "other.example:8080")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(feed.contains("https://engage.example.gov.uk/"));
    assert!(!feed.contains("other.example"));
    // A browser's form post from the public address is this site's own.
    let token = t.csrf_token("/sign-in").await;
    let r = t
        .client
        .post(t.url("/sign-in"))
        .header("origin", "https://engage.example.gov.uk")
        .form(&[
            ("csrf_token", token.as_str()),
            ("email", "x@example.org"),
            ("password", "x"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        401,
        "checked as a sign-in, not refused as cross-site"
    );
}

#[tokio::test]
async fn metrics_are_not_public() {
    let t = spawn().await;
    assert_eq!(t.get("/metrics").await.status(), 401);
    let r = t
        .client
        .get(t.url("/metrics"))
        .bearer_auth("a-guess")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    // Without a token configured, the site's own address has no /metrics at all…
    let t = crate::support::spawn_with(|c| c.metrics_token = None).await;
    assert_eq!(t.get("/metrics").await.status(), 404);
    // …and --metrics-addr serves them on an address of their own.
    let dir = tempfile::tempdir().unwrap();
    let (url, _pg) = crate::support::database_url(&dir).await;
    let port = crate::process::free_port();
    let addr = format!("127.0.0.1:{port}");
    let serve = crate::process::Serve::start(&url, &["--metrics-addr", &addr], &[]).await;
    assert_eq!(
        reqwest::get(format!("{}/metrics", serve.base))
            .await
            .unwrap()
            .status(),
        404
    );
    let text = reqwest::get(format!("http://{addr}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(text.contains("townhall_http_requests_total"), "{text}");
    serve.stop();
}

#[tokio::test]
async fn an_address_that_cannot_be_read_is_a_page_not_plain_text() {
    let t = spawn().await;
    t.sign_in_admin().await;
    for path in [
        "/admin/users/99999999999999999999/edit",
        "/admin/users/abc/edit",
    ] {
        let r = t.get(path).await;
        assert_eq!(r.status(), 400, "{path}");
        assert!(
            r.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        assert!(
            r.text()
                .await
                .unwrap()
                .contains("There is a problem with your request")
        );
    }
}
