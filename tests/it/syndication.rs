//! Syndication end to end: subscribing (admin page and API), fetching now and on schedule,
//! republishing with the author and an "Original source" link, and recording errors.

use crate::feeds::{Reply, response, serve, serve_fixture};
use crate::support::{self, TestApp};
use townhall::domain::role::Role;
use townhall::domain::user::Email;
use townhall::{App, Config};

async fn editor(t: &TestApp) -> TestApp {
    let org = t
        .app
        .db
        .organisation_by_slug("national-records-agency")
        .await
        .unwrap();
    let hash = townhall::auth::hash_password("a long enough password".into())
        .await
        .unwrap();
    t.app
        .db
        .create_user(
            &Email::parse("ed@example.org").unwrap(),
            "Ed",
            &hash,
            &[(org.id, Role::Editor)],
        )
        .await
        .unwrap();
    let ed = TestApp::handle(t);
    ed.sign_in("ed@example.org", "a long enough password").await;
    ed
}

async fn subscribe(ed: &TestApp, url: &str) -> reqwest::Response {
    let token = ed.csrf_token("/admin/feeds").await;
    ed.post_form(
        "/admin/feeds",
        &[
            ("csrf_token", &token),
            ("organisation", "national-records-agency"),
            ("url", url),
        ],
    )
    .await
}

#[tokio::test]
async fn a_subscribed_feed_is_republished_with_author_and_original_source() {
    let t = support::spawn().await;
    let ed = editor(&t).await;
    let server = serve_fixture("atom.xml", "application/atom+xml");
    let r = subscribe(&ed, &server.url("/feed.atom")).await;
    assert_eq!(r.status(), 200);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("The first fetch found 1 item.")
    );

    for path in ["/", "/organisations/national-records-agency"] {
        let (_, html) = t.get_text(path).await;
        assert!(
            html.contains("From other sites") && html.contains("Open data"),
            "{path}: {html}"
        );
        assert!(
            html.contains("Priya Patel") && html.contains("Original source"),
            "{path}"
        );
        assert!(
            html.contains(&server.url("/posts/open-data")),
            "the original's address, made absolute"
        );
    }
    let item = t.app.db.recent_items(None, 1).await.unwrap().remove(0);
    let words =
        percent_encoding::utf8_percent_encode(&item.title, percent_encoding::NON_ALPHANUMERIC);
    let (_, found) = t
        .get_text(&format!("/search?q={words}&type=syndicated"))
        .await;
    assert!(
        found.contains(&format!("href=\"/syndicated/{}\"", item.id)),
        "site search finds items from other sites: {found}"
    );
    let (status, html) = t.get_text(&format!("/syndicated/{}", item.id)).await;
    assert_eq!(status, 200);
    assert!(
        html.contains("<strong>XHTML</strong>")
            && html.contains("Original source")
            && html.contains("Republished by National Records Agency")
    );

    // Fetching again never duplicates an item.
    let id = t.app.db.subscriptions().await.unwrap()[0].id;
    let again = townhall::jobs::syndication::fetch_now(&t.app, id)
        .await
        .unwrap();
    assert_eq!(again.new_items, 0);
    assert!(again.error.is_none());
    assert_eq!(t.app.db.recent_items(None, 10).await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_broken_feed_is_recorded_on_its_subscription_and_harms_nothing_else() {
    let t = support::spawn().await;
    let ed = editor(&t).await;
    let good = serve_fixture("rss20.xml", "application/rss+xml");
    let bad = serve(|_| {
        response(
            "200 OK",
            &[("content-type", "text/html")],
            b"<html><body>Not a feed</body></html>",
        )
    });
    subscribe(&ed, &good.url("/rss")).await;
    let r = subscribe(&ed, &bad.url("/page")).await;
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("the first fetch failed: not a feed")
    );
    let (_, admin) = ed.get_text("/admin/feeds").await;
    assert!(admin.contains("Error") && admin.contains("not a feed") && admin.contains("Working"));
    assert!(
        !t.app.db.recent_items(None, 10).await.unwrap().is_empty(),
        "the good feed's items are there"
    );

    // Bad input on the form is an error message, not a subscription.
    let r = subscribe(&ed, "javascript:alert(1)").await;
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("must start with http"));
    assert_eq!(t.app.db.subscriptions().await.unwrap().len(), 2);
}

#[tokio::test]
async fn private_addresses_are_refused_unless_allowed() {
    let t = support::spawn().await;
    let server = serve_fixture("atom.xml", "application/atom+xml");
    let org = t
        .app
        .db
        .organisation_by_slug("national-records-agency")
        .await
        .unwrap();
    let id = t
        .app
        .db
        .create_subscription(org.id, &server.url("/feed.atom"))
        .await
        .unwrap();
    // The same database, served by a node without --feeds-allow-private.
    let strict = App::build(Config::new(&t.database_url)).await.unwrap();
    let summary = townhall::jobs::syndication::fetch_now(&strict, id)
        .await
        .unwrap();
    assert!(summary.error.unwrap().contains("--feeds-allow-private"));
    assert_eq!(server.hits(), 0, "no connection was made");
    assert!(
        t.app
            .db
            .subscription(id)
            .await
            .unwrap()
            .last_error
            .is_some()
    );
}

#[tokio::test]
async fn a_due_fetch_runs_once_however_many_nodes_try() {
    let t = support::spawn().await;
    let server = serve(|_| {
        std::thread::sleep(std::time::Duration::from_millis(200));
        match std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/feeds/atom.xml"
        )) {
            Ok(body) => response("200 OK", &[("content-type", "application/atom+xml")], &body),
            Err(_) => Reply::Bytes(
                b"HTTP/1.1 500 Internal Server Error\r\ncontent-length: 0\r\n\r\n".to_vec(),
            ),
        }
    });
    let org = t
        .app
        .db
        .organisation_by_slug("national-records-agency")
        .await
        .unwrap();
    t.app
        .db
        .create_subscription(org.id, &server.url("/feed.atom"))
        .await
        .unwrap();
    let other = App::build(Config {
        feeds_allow_private: true,
        scheduler_interval: None,
        ..Config::new(&t.database_url)
    })
    .await
    .unwrap();
    let (a, b) = tokio::join!(
        townhall::jobs::syndication::run_due(&t.app),
        townhall::jobs::syndication::run_due(&other)
    );
    assert_eq!(a.unwrap() + b.unwrap(), 1, "one node fetched it");
    assert_eq!(server.hits(), 1);
    assert_eq!(
        townhall::jobs::syndication::run_due(&t.app).await.unwrap(),
        0,
        "not due again for 30 minutes"
    );
}

#[tokio::test]
async fn the_feeds_api_subscribes_and_fetches() {
    let t = support::spawn().await;
    let token = t
        .named_user_with_token(
            "Ed",
            "ed@example.org",
            "national-records-agency",
            Role::Editor,
        )
        .await;
    let server = serve_fixture("feed.json", "application/feed+json");
    let body = serde_json::json!({"organisation": "national-records-agency", "url": server.url("/feed.json")});
    let r = t
        .client
        .post(t.url("/api/v1/feeds"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = t
        .client
        .post(t.url("/api/v1/feeds"))
        .bearer_auth(&token)
        .json(&serde_json::json!({"organisation": "national-records-agency", "url": "nope"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let r = t
        .client
        .post(t.url("/api/v1/feeds"))
        .bearer_auth(&token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let id = r.json::<serde_json::Value>().await.unwrap()["id"]
        .as_i64()
        .unwrap();
    let r = t
        .client
        .post(t.url("/api/v1/feeds"))
        .bearer_auth(&token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    let fetched: serde_json::Value = t
        .client
        .post(t.url(&format!("/api/v1/feeds/{id}/fetch")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(fetched["new_items"].as_u64().unwrap() >= 1, "{fetched}");
    assert!(fetched["error"].is_null());
    let again: serde_json::Value = t
        .client
        .post(t.url(&format!("/api/v1/feeds/{id}/fetch")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(again["new_items"], 0);
}
