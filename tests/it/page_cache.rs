//! Pages kept in memory for readers (the hub, a post, published results) show a change as
//! soon as the write that made it has answered on this node, and within a second on another
//! node on PostgreSQL; and a scheduled post appears at its time with no write at all.

use crate::process::{Serve, seed_admin};
use crate::support::spawn;
use serde_json::json;
use std::time::{Duration, Instant};
use townhall::domain::role::Role;

#[tokio::test]
async fn every_kept_page_shows_a_change_made_on_this_node_at_once() {
    let t = spawn().await;
    let editor = t
        .user_with_token("ed@example.org", "community-services", Role::Editor)
        .await;
    let post = |title: &str| {
        json!({"organisation": "community-services", "title": title, "summary": "s",
               "body": "b", "status": "published"})
    };
    let r = t
        .post_json("/api/v1/posts", Some(&editor), &post("First post"))
        .await;
    assert_eq!(r.status(), 201);
    let (_, hub) = t.get_text("/").await;
    assert!(hub.contains("First post"));
    assert!(
        !t.get_text("/blog/first-post")
            .await
            .1
            .contains("Seen at once")
    );

    // The hub: a new post, a new open consultation.
    let r = t
        .post_json("/api/v1/posts", Some(&editor), &post("Second post"))
        .await;
    assert_eq!(r.status(), 201);
    assert!(
        t.get_text("/").await.1.contains("Second post"),
        "a new post"
    );
    let def = json!({"organisation": "community-services", "title": "Open for views",
        "opens_at": "2020-01-01", "closes_at": "2099-01-01",
        "questions": [{"id": "q", "type": "text", "title": "Tell us", "required": true}]});
    let r = t
        .post_json("/api/v1/consultations", Some(&editor), &def)
        .await;
    assert_eq!(r.status(), 201);
    assert!(
        t.get_text("/").await.1.contains("Open for views"),
        "a new consultation"
    );
    // A post's page (a comment approved: `publishing::a_post_kept_for_readers_…` too).
    let comment = json!({"name": "Sam", "email": "sam@example.org", "body": "Seen at once"});
    let r = t
        .post_json("/api/v1/posts/first-post/comments", None, &comment)
        .await;
    let id = r.json::<serde_json::Value>().await.unwrap()["id"]
        .as_i64()
        .unwrap();
    let moderator = t
        .user_with_token("mo@example.org", "community-services", Role::Moderator)
        .await;
    let approve = t.url(&format!("/api/v1/comments/{id}/approve"));
    let r = t
        .client
        .post(approve)
        .bearer_auth(&moderator)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        t.get_text("/blog/first-post")
            .await
            .1
            .contains("Seen at once")
    );

    // Published results: a new "you said, we did" shows at once.
    let e = t.app.db.exercise_by_slug("open-for-views").await.unwrap();
    t.app.db.set_results_published(e.id, true).await.unwrap();
    let (status, before) = t.get_text("/consultations/open-for-views/results").await;
    assert_eq!(status, 200);
    assert!(!before.contains("You asked for more"));
    let analyst = t
        .user_with_token("an@example.org", "community-services", Role::Analyst)
        .await;
    let statement = json!({"you_said": "You asked for more", "we_did": "We gave more"});
    let path = "/api/v1/consultations/open-for-views/actions";
    assert_eq!(
        t.post_json(path, Some(&analyst), &statement).await.status(),
        201
    );
    let (_, after) = t.get_text("/consultations/open-for-views/results").await;
    assert!(after.contains("You asked for more"));
    // A response changes the counts of results already published.
    let answer = json!({"answers": {"q": "More, please"}});
    let r = t
        .post_json(
            "/api/v1/consultations/open-for-views/responses",
            None,
            &answer,
        )
        .await;
    assert_eq!(r.status(), 201);
    let json: serde_json::Value = t
        .get("/consultations/open-for-views/results.json")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(json["responses"], 1);
}

#[tokio::test]
async fn a_scheduled_post_appears_on_the_kept_hub_at_its_time() {
    let t = spawn().await;
    let org = t
        .app
        .db
        .organisation_by_slug("community-services")
        .await
        .unwrap();
    let input = townhall::domain::post::PostInput {
        title: "Comes out soon".into(),
        summary: "s".into(),
        body: "b".into(),
        status: "published".into(),
        ..Default::default()
    };
    let mut post = input.parse().unwrap();
    post.published_at = Some(townhall::store::now() + 2);
    let body = townhall::sanitise::render_markdown("b").unwrap();
    t.app
        .db
        .create_post(org.id, &post, &body, None)
        .await
        .unwrap();
    assert!(
        !t.get_text("/").await.1.contains("Comes out soon"),
        "not yet"
    );
    tokio::time::sleep(Duration::from_millis(3100)).await;
    assert!(
        t.get_text("/").await.1.contains("Comes out soon"),
        "at its time"
    );
}

/// Each kind of kept page, and what it shows after [`change_every_kind`].
const KINDS: &[(&str, &str)] = &[
    ("/", "Kind check"),
    ("/blog", "Kind check"),
    ("/blog/feed.atom", "Kind check"),
    ("/blog/categories/libraries", "Kind check"),
    ("/blog/categories/libraries/feed.atom", "Kind check"),
    ("/topics/libraries", "Kind check"),
    ("/organisations/community-services", "Kind check"),
    ("/organisations/community-services/feed.atom", "Kind check"),
    ("/data/posts.csv", "Kind check"),
    ("/consultations", "Kind consultation"),
    ("/consultations/feed.atom", "Kind consultation"),
    ("/programme", "Kind strategy"),
];

async fn post_json(base: &str, token: &str, path: &str, body: serde_json::Value) {
    let r = reqwest::Client::new()
        .post(format!("{base}{path}"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{path}: {}", r.status());
}

fn a_post(title: &str) -> serde_json::Value {
    json!({"organisation": "community-services", "title": title, "summary": "s", "body": "b",
           "status": "published", "categories": ["Libraries"], "topics": ["Libraries"]})
}

/// Reads every kind of page until each is kept (it has an `ETag`), on `base`.
async fn keep_every_kind(base: &str) {
    for (path, _) in KINDS {
        let start = Instant::now();
        loop {
            let r = reqwest::get(format!("{base}{path}")).await.unwrap();
            assert_eq!(r.status(), 200, "{path}");
            if r.headers().contains_key("etag") {
                break;
            }
            assert!(
                start.elapsed() < Duration::from_secs(5),
                "{path} is not kept"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

/// A change that every kind of page shows: a post, a consultation, a strategy.
async fn change_every_kind(base: &str, token: &str, db: &townhall::store::Db) {
    post_json(base, token, "/api/v1/posts", a_post("Kind check")).await;
    let consultation = json!({"organisation": "community-services", "title": "Kind consultation",
        "opens_at": "2020-01-01", "closes_at": "2099-01-01",
        "questions": [{"id": "q", "type": "text", "title": "Tell us", "required": true}]});
    post_json(base, token, "/api/v1/consultations", consultation).await;
    let org = db.organisation_by_slug("community-services").await.unwrap();
    let strategy = townhall::domain::programme::StrategyInput {
        title: "Kind strategy".into(),
        ..Default::default()
    };
    let strategy = strategy.parse().unwrap();
    db.save_strategy(None, org.id, &strategy, "").await.unwrap();
}

#[tokio::test]
async fn every_kind_of_kept_page_shows_a_change_on_its_next_request() {
    let t = spawn().await;
    let token = t.hub_admin_with_token("hub@example.org").await;
    let base = t.url("");
    post_json(&base, &token, "/api/v1/posts", a_post("Earlier")).await;
    keep_every_kind(&base).await;
    for (path, shows) in KINDS {
        assert!(!t.get_text(path).await.1.contains(shows), "{path} before");
    }
    change_every_kind(&base, &token, &t.app.db).await;
    for (path, shows) in KINDS {
        assert!(t.get_text(path).await.1.contains(shows), "{path} after");
    }
}

#[tokio::test]
async fn every_kind_of_kept_page_shows_a_change_made_on_another_node_within_a_second() {
    if crate::support::engine_name() != "postgres" {
        eprintln!("TOWNHALL_TEST_POSTGRES is not set: skipped (several nodes need PostgreSQL)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (url, _pg) = crate::support::database_url(&dir).await;
    let token = seed_admin(&url);
    let a = Serve::start(&url, &[], &[]).await;
    let b = Serve::start(&url, &[], &[]).await;
    let db = townhall::store::Db::connect(&url).await.unwrap();
    post_json(&a.base, &token, "/api/v1/posts", a_post("Earlier")).await;
    keep_every_kind(&b.base).await;
    change_every_kind(&a.base, &token, &db).await;
    let start = Instant::now();
    for (path, shows) in KINDS {
        loop {
            let page = reqwest::get(format!("{}{path}", b.base)).await.unwrap();
            if page.text().await.unwrap().contains(shows) {
                break;
            }
            assert!(
                start.elapsed() < Duration::from_secs(1),
                "{path} on B is still old after 1 s"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

#[tokio::test]
async fn a_public_page_is_the_same_bytes_for_every_reader_kept_compressed_and_validated() {
    use std::io::Read;
    let t = spawn().await;
    let editor = t
        .user_with_token("ed@example.org", "community-services", Role::Editor)
        .await;
    let post = json!({"organisation": "community-services", "title": "Shared page",
        "summary": "Read by many.", "body": "Hello.", "status": "published"});
    let r = t.post_json("/api/v1/posts", Some(&editor), &post).await;
    assert_eq!(r.status(), 201);
    let url = t.url("/blog/shared-page");
    let get = |encoding: &'static str| {
        let url = url.clone();
        async move {
            // A new browser each time: no cookie from an earlier answer.
            let r = crate::support::client()
                .get(url)
                .header("accept-encoding", encoding)
                .send()
                .await
                .unwrap();
            let headers = r.headers().clone();
            (
                r.status().as_u16(),
                headers,
                r.bytes().await.unwrap().to_vec(),
            )
        }
    };
    // The first reader, a browser, gets the page compressed and already kept: validators
    // from the first answer.
    let (status, first, br) = get("gzip, deflate, br").await;
    assert_eq!(status, 200);
    assert!(first.get("set-cookie").is_none(), "no cookie for a reader");
    assert_eq!(first["cache-control"], "public, no-cache");
    assert_eq!(first["content-encoding"], "br");
    assert_eq!(first["vary"], "accept-encoding, cookie");
    let etag = first
        .get("etag")
        .expect("kept with its first answer")
        .clone();
    let mut plain = Vec::new();
    brotli::BrotliDecompress(&mut &br[..], &mut plain).unwrap();
    let plain = String::from_utf8(plain).unwrap();
    assert!(
        !plain.contains("csrf_token"),
        "no per-reader token in the page"
    );
    let (_, headers, body) = get("identity").await;
    assert_eq!(headers["etag"], etag, "the same page, kept");
    assert!(headers.get("content-encoding").is_none());
    assert_eq!(String::from_utf8(body).unwrap(), plain, "the same bytes");
    // The gzip variant is made for the first reader who accepts only that.
    let (_, headers, gz) = get("gzip").await;
    assert_eq!(headers["content-encoding"], "gzip");
    let mut unzipped = String::new();
    flate2::read::GzDecoder::new(&gz[..])
        .read_to_string(&mut unzipped)
        .unwrap();
    assert_eq!(unzipped, plain);
    let (_, headers, again) = get("br").await;
    assert_eq!(headers["content-encoding"], "br");
    assert_eq!(again, br, "made once, kept");
    // A copy the reader already has costs a 304.
    let r = crate::support::client()
        .get(&url)
        .header("if-none-match", etag.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 304);
    assert!(r.bytes().await.unwrap().is_empty());

    // Its comment form works with no token: the cross-origin guard is what protects it.
    let comment = [
        ("name", "Sam"),
        ("email", "sam@example.org"),
        ("body", "Kept."),
    ];
    let r = t.post_form("/blog/shared-page/comments", &comment).await;
    assert_eq!(r.status(), 200, "a reader's comment from this site");
    let r = crate::support::client()
        .post(t.url("/blog/shared-page/comments"))
        .header("origin", "https://elsewhere.example")
        .form(&comment)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403, "a form on another site is refused");

    // A signed-in reader gets a page of their own: their token, kept by no one else.
    t.sign_in_admin().await;
    let r = t.get("/blog/shared-page").await;
    assert_eq!(r.headers()["cache-control"], "private, no-cache");
    assert!(r.headers().get("etag").is_none());
    let html = r.text().await.unwrap();
    assert!(html.contains("Signed in as"));
    assert!(!crate::support::csrf_from(&html).is_empty());
    let (_, _, again) = get("identity").await;
    assert_eq!(
        String::from_utf8(again).unwrap(),
        plain,
        "readers' copy untouched"
    );
    // Pages made for one person are compressed like any other response: the signed-in
    // reader's page, and a feed an API client reads with its token.
    let r = (t.client.get(t.url("/blog/shared-page")))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["content-encoding"], "gzip");
    let r = (crate::support::client().get(t.url("/blog/feed.atom")))
        .header("accept-encoding", "gzip")
        .bearer_auth("any token")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-encoding"], "gzip");
}
