//! Analytics: page views counted on the server (bots, prefetches and non-pages left out),
//! visitors without cookies, referrers, the dashboard per hub and organisation, the CSV and
//! the admin API.

use crate::support::{self, TestApp};
use townhall::domain::role::Role;

const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0";
const CHROME: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36";
const CRAWLER: &str = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";

async fn view(t: &TestApp, path: &str, ua: &str, extra: &[(&str, &str)]) -> u16 {
    let mut r = t.client.get(t.url(path)).header("user-agent", ua);
    for (k, v) in extra {
        r = r.header(*k, *v);
    }
    r.send().await.unwrap().status().as_u16()
}

fn today() -> String {
    let d = time::OffsetDateTime::now_utc().date();
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

async fn pages(t: &TestApp, token: &str, query: &str) -> (u16, serde_json::Value) {
    let r = t
        .client
        .get(t.url(&format!("/api/v1/analytics/pages{query}")))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

fn views_of(body: &serde_json::Value, path: &str) -> (i64, i64) {
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["path"] == path)
        .map(|i| {
            (
                i["views"].as_i64().unwrap(),
                i["visitors"].as_i64().unwrap(),
            )
        })
        .unwrap_or((0, 0))
}

#[tokio::test]
async fn thirty_seven_page_views_and_ten_from_a_crawler_count_as_thirty_seven() {
    let t = support::spawn().await;
    let admin_token = t.hub_admin_with_token("boss@example.org").await;
    // 37 ordinary page views from two browsers.
    for i in 0..20 {
        let ua = if i % 2 == 0 { FIREFOX } else { CHROME };
        assert_eq!(view(&t, "/", ua, &[]).await, 200);
    }
    for _ in 0..10 {
        assert_eq!(view(&t, "/blog", FIREFOX, &[]).await, 200);
    }
    for i in 0..7 {
        // Three of them followed links: two from another site, one from this one.
        let referer = match i {
            0 | 1 => "https://news.example.org/story?id=42#top".to_string(),
            2 => t.url("/blog"),
            _ => String::new(),
        };
        let extra: &[(&str, &str)] = if referer.is_empty() {
            &[]
        } else {
            &[("referer", &referer)]
        };
        assert_eq!(
            view(&t, "/organisations/national-records-agency", CHROME, extra).await,
            200
        );
    }
    // 10 from a crawler, and other things that are not page views.
    for _ in 0..10 {
        assert_eq!(view(&t, "/", CRAWLER, &[]).await, 200);
    }
    assert_eq!(view(&t, "/", "curl/8.5.0", &[]).await, 200);
    assert_eq!(
        view(&t, "/", FIREFOX, &[("sec-purpose", "prefetch")]).await,
        200
    );
    assert_eq!(
        view(&t, "/blog", CHROME, &[("purpose", "prefetch")]).await,
        200
    );
    assert_eq!(view(&t, "/blog/no-such-post", FIREFOX, &[]).await, 404);
    assert_eq!(view(&t, "/api/v1/organisations", FIREFOX, &[]).await, 200);
    assert_eq!(view(&t, "/healthz", FIREFOX, &[]).await, 200);
    assert_eq!(view(&t, "/blog/feed.atom", FIREFOX, &[]).await, 200);
    assert_eq!(view(&t, "/admin", FIREFOX, &[]).await, 303);
    t.app.flush_analytics().await;

    let day = today();
    let (status, body) = pages(&t, &admin_token, &format!("?from={day}&to={day}")).await;
    assert_eq!(status, 200, "{body}");
    let total: i64 = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["views"].as_i64().unwrap())
        .sum();
    assert_eq!(total, 37, "{body}");
    assert_eq!(views_of(&body, "/"), (20, 2), "two browsers, two visitors");
    assert_eq!(views_of(&body, "/blog"), (10, 1));
    assert_eq!(
        views_of(&body, "/organisations/national-records-agency"),
        (7, 1)
    );
    assert_eq!(body["items"][0]["path"], "/", "most viewed first");
    let (_, recent) = pages(&t, &admin_token, "").await;
    assert_eq!(
        recent["items"].as_array().unwrap().len(),
        3,
        "defaults to the last 30 days"
    );

    // The dashboard: hub-wide for the admin.
    let admin = TestApp::handle(&t);
    admin.sign_in_admin().await;
    let (status, html) = admin.get_text("/admin/analytics").await;
    assert_eq!(status, 200);
    assert!(html.contains("<strong>37</strong> page views"), "{html}");
    assert!(html.contains("news.example.org"), "external referrer shown");
    assert!(
        !html.contains("127.0.0.1</th>"),
        "our own site is not a referrer"
    );
    assert!(html.contains("The most visited page ever is"));
    assert!(html.contains("<svg"), "a trend chart");
    assert!(html.contains("govuk-table"), "with its data table");
    // The CSV.
    let r = admin
        .client
        .get(admin.url(&format!("/admin/analytics.csv?from={day}&to={day}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let csv = r.text().await.unwrap();
    assert_eq!(csv.lines().next(), Some("date,path,views,visitors"));
    assert!(csv.contains(&format!("{day},/,20,2")), "{csv}");
    assert_eq!(csv.lines().count(), 4);
    // Bad dates: the error summary on the page, 422 in the API.
    let (status, html) = admin
        .get_text("/admin/analytics?from=2026-02-30&to=2026-03-01")
        .await;
    assert_eq!(status, 400);
    assert!(html.contains("There is a problem"));
    assert!(html.contains("Enter the start date as year-month-day"));
    let (status, body) = pages(&t, &admin_token, "?from=2026-11-21&to=2026-11-01").await;
    assert_eq!(status, 422, "{body}");
    assert!(body["fields"]["to"].is_string());
    let (status, _) = pages(&t, &admin_token, "?from=yesterday").await;
    assert_eq!(status, 422);
    drop(admin);

    // An editor of one body sees only its pages, and not the hub or the API.
    let editor_token = t
        .user_with_token("ed@example.org", "national-records-agency", Role::Editor)
        .await;
    let (status, _) = pages(&t, &editor_token, "").await;
    assert_eq!(status, 403);
    let r = t
        .client
        .get(t.url("/api/v1/analytics/pages"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let editor = TestApp::handle(&t);
    editor
        .sign_in("ed@example.org", "a long enough password")
        .await;
    let (status, html) = editor.get_text("/admin/analytics").await;
    assert_eq!(status, 200);
    assert!(html.contains("Analytics: National Records Agency"));
    assert!(html.contains("<strong>7</strong> page views"), "{html}");
    assert!(!html.contains(">/blog<"), "the hub's pages are not theirs");
    let (status, _) = editor
        .get_text("/admin/analytics?organisation=care-standards-authority")
        .await;
    assert_eq!(status, 403);
    drop(editor);
    let visitor = TestApp::handle(&t);
    let r = visitor.get("/admin/analytics").await;
    assert_eq!(r.status(), 303, "signed-out visitors go to sign in");
}

#[tokio::test]
async fn with_analytics_off_nothing_is_counted() {
    let t = support::spawn().await;
    let token = t.hub_admin_with_token("boss@example.org").await;
    let off = townhall::App::build(townhall::Config {
        analytics: false,
        ..townhall::Config::new(&t.database_url)
    })
    .await
    .unwrap();
    assert!(off.analytics.is_none());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(off.clone().serve(listener));
    let r = reqwest::Client::new()
        .get(format!("http://{addr}/blog"))
        .header("user-agent", FIREFOX)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    off.flush_analytics().await;
    // The counting node (t) sees one view of its own, none from the other.
    assert_eq!(view(&t, "/", FIREFOX, &[]).await, 200);
    t.app.flush_analytics().await;
    let (_, body) = pages(&t, &token, "").await;
    assert_eq!(views_of(&body, "/blog"), (0, 0), "{body}");
    assert_eq!(views_of(&body, "/"), (1, 1), "{body}");
}

#[tokio::test]
async fn visitors_are_counted_once_across_nodes_sharing_the_days_salt() {
    let t = support::spawn().await;
    let token = t.hub_admin_with_token("boss@example.org").await;
    let other = townhall::App::build(townhall::Config::new(&t.database_url))
        .await
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(other.clone().serve(listener));
    for _ in 0..3 {
        assert_eq!(view(&t, "/blog", FIREFOX, &[]).await, 200);
        let r = reqwest::Client::new()
            .get(format!("http://{addr}/blog"))
            .header("user-agent", FIREFOX)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    t.app.flush_analytics().await;
    other.flush_analytics().await;
    let (_, body) = pages(&t, &token, "").await;
    assert_eq!(
        views_of(&body, "/blog"),
        (6, 1),
        "one person seen by two nodes is one visitor: {body}"
    );
}

/// The real binary writes the views it has counted when it is stopped (SIGTERM), even
/// between its regular writes.
#[tokio::test]
async fn a_stopped_server_writes_the_views_it_counted() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("views.db").display());
    crate::process::seed_admin(&url);
    let serve = crate::process::Serve::start(&url, &[], &[]).await;
    let client = reqwest::Client::new();
    for _ in 0..5 {
        let r = client
            .get(format!("{}/", serve.base))
            .header("user-agent", FIREFOX)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    serve.stop();
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    let views: i64 =
        sqlx::query_scalar("SELECT COALESCE(SUM(views), 0) FROM analytics_pages WHERE path = '/'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(views, 5);
    let addresses: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM analytics_visitors WHERE visitor LIKE '%127.0.0.1%' OR length(visitor) <> 16",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(addresses, 0, "only 16-digit hashes are kept, no addresses");
    pool.close().await;
}

#[tokio::test]
async fn views_counted_before_the_days_salt_is_known_still_count_each_visitor_once() {
    use townhall::analytics::Hit;
    use townhall::store::analytics::Scope;
    let t = support::spawn().await;
    let recorder = t.app.analytics.clone().expect("analytics is on in tests");
    // A day this node has no salt for yet (three days ago): the views wait in memory, with
    // their addresses, until the flush has the salt.
    let day = townhall::analytics::day_of(townhall::store::now()) - 3 * 86_400;
    let ip_a = "203.0.113.7".parse().unwrap();
    let ip_b = "198.51.100.4".parse().unwrap();
    for (ip, ua) in [
        (ip_a, FIREFOX),
        (ip_a, FIREFOX),
        (ip_b, FIREFOX),
        (ip_a, CHROME),
    ] {
        recorder.record(Hit {
            path: "/blog",
            ip,
            user_agent: ua,
            referrer: None,
            at: townhall::domain::time::Timestamp::from_secs(day + 3600),
        });
    }
    recorder.flush().await;
    let counts = t
        .app
        .db
        .analytics_pages(Scope::Hub, Some(day), Some(day), 10)
        .await
        .unwrap();
    assert_eq!(counts.len(), 1, "{counts:?}");
    assert_eq!(
        (counts[0].path.as_str(), counts[0].views, counts[0].visitors),
        ("/blog", 4, 3)
    );
}

#[tokio::test]
async fn a_kept_page_shown_from_the_browsers_own_copy_is_still_a_view() {
    let t = support::spawn().await;
    let admin_token = t.hub_admin_with_token("boss@example.org").await;
    let mut views = 0;
    let etag = loop {
        let r = t
            .client
            .get(t.url("/blog"))
            .header("user-agent", FIREFOX)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        views += 1;
        if let Some(etag) = r.headers().get("etag") {
            break etag.clone();
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    };
    for _ in 0..3 {
        let status = view(
            &t,
            "/blog",
            FIREFOX,
            &[("if-none-match", etag.to_str().unwrap())],
        )
        .await;
        assert_eq!(status, 304);
    }
    t.app.flush_analytics().await;
    let day = today();
    let (_, body) = pages(&t, &admin_token, &format!("?from={day}&to={day}")).await;
    assert_eq!(views_of(&body, "/blog").0, views + 3, "{body}");
}
