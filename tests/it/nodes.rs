//! Several nodes: two `townhall serve` processes (the real binary) on one PostgreSQL database
//! serve the same content and sessions, and a feed fetch that falls due runs once, not once
//! per node. Runs when `TOWNHALL_TEST_POSTGRES` is set.

use crate::feeds::{response, serve};
use crate::process::{Serve, seed_admin};
use std::time::Duration;

const ATOM: &[u8] = include_bytes!("../fixtures/feeds/atom.xml");

#[tokio::test]
async fn two_nodes_on_one_postgres_share_content_and_sessions_and_fetch_a_due_feed_once() {
    if crate::support::engine_name() != "postgres" {
        eprintln!("TOWNHALL_TEST_POSTGRES is not set: skipped (several nodes need PostgreSQL)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (url, _pg) = crate::support::database_url(&dir).await;
    let token = seed_admin(&url);
    // Both schedulers look for due feeds every second.
    let env = [("TOWNHALL_SCHEDULER_INTERVAL_SECS", "1")];
    let a = Serve::start(&url, &["--feeds-allow-private"], &env).await;
    let b = Serve::start(&url, &["--feeds-allow-private"], &env).await;
    let client = reqwest::Client::new();

    // An image uploaded through one node is served by the other, byte for byte.
    let form = reqwest::multipart::Form::new()
        .text("organisation", "community-services")
        .text("title", "Shared")
        .text("alt", "A picture both nodes serve")
        .part(
            "file",
            reqwest::multipart::Part::bytes(crate::media::jpeg_with_gps(300, 200))
                .file_name("shared.jpg"),
        );
    let r = client
        .post(format!("{}/api/v1/media", a.base))
        .bearer_auth(&token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let id = r.json::<serde_json::Value>().await.unwrap()["id"].clone();
    let image = |base: String| {
        let (client, id) = (client.clone(), id.clone());
        async move {
            let r = client
                .get(format!("{base}/media/{id}"))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200);
            r.bytes().await.unwrap()
        }
    };
    let from_a = image(a.base.clone()).await;
    assert!(!from_a.is_empty());
    assert_eq!(image(b.base.clone()).await, from_a);

    // A post created through one node is read from the other.
    let r = client
        .post(format!("{}/api/v1/posts", a.base))
        .bearer_auth(&token)
        .json(
            &serde_json::json!({"organisation": "community-services", "title": "Written on node A",
            "body": "Read on node B.", "summary": "Two nodes.", "status": "published"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let html = client
        .get(format!("{}/blog/written-on-node-a", b.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Read on node B."));

    // A session made on A works on B (sessions live in the database).
    let browser = crate::support::client();
    let sign_in = browser
        .get(format!("{}/sign-in", a.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = crate::support::csrf_from(&sign_in);
    let r = browser
        .post(format!("{}/sign-in", a.base))
        .header("origin", &a.base)
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("email", "admin@ops.example"),
            ("password", "ops-admin-password-1"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let session = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("townhall_session="))
        .and_then(|c| c.split(';').next())
        .expect("a session cookie")
        .to_string();
    let plain = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let get_on_b = |path: &str| {
        plain
            .get(format!("{}{path}", b.base))
            .header("cookie", &session)
            .send()
    };
    // Node B knows node A's session, and (`serve`'s default) asks this admin to set up
    // two-factor sign-in before anything else.
    let r = get_on_b("/admin").await.unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/account/two-factor");
    let r = get_on_b("/account/two-factor").await.unwrap();
    assert_eq!(r.status(), 200, "node B knows node A's session");
    assert!(r.text().await.unwrap().contains("Ops Admin"));

    // Three feeds fall due at once; both schedulers look every second; each is fetched once.
    let servers: Vec<_> = (0..3)
        .map(|_| {
            serve(|_| {
                // A slow feed widens the window in which the other node could also fetch it.
                std::thread::sleep(Duration::from_millis(300));
                response("200 OK", &[("content-type", "application/atom+xml")], ATOM)
            })
        })
        .collect();
    for s in &servers {
        let r = client
            .post(format!("{}/api/v1/feeds", b.base))
            .bearer_auth(&token)
            .json(&serde_json::json!({"organisation": "community-services", "url": s.url("/feed.atom")}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
    }
    // Several ticks of both schedulers.
    tokio::time::sleep(Duration::from_millis(4500)).await;
    for s in &servers {
        assert_eq!(s.hits(), 1, "a due fetch runs once, not once per node");
    }
    // The items fetched by whichever node did it are served by both.
    for node in [&a, &b] {
        let hub = client
            .get(format!("{}/organisations/community-services", node.base))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            hub.contains("/syndicated/"),
            "syndicated items on {}",
            node.base
        );
    }
    a.stop();
    b.stop();
}

/// Behind a load balancer the client's address comes from X-Forwarded-For, but only when
/// the peer is a configured trusted proxy: the per-address comment limit shows which
/// address the app believed.
#[tokio::test]
async fn x_forwarded_for_is_believed_only_from_trusted_proxies() {
    let t = crate::support::spawn().await;
    let admin = t
        .app
        .db
        .user_by_email(&townhall::domain::user::Email::parse(townhall::demo::ADMIN_EMAIL).unwrap())
        .await
        .unwrap();
    let token = format!("th_{}", townhall::auth::random_token());
    t.app
        .db
        .create_api_token(admin.id, &townhall::auth::token_hash(&token))
        .await
        .unwrap();
    let r = t
        .client
        .post(t.url("/api/v1/posts"))
        .bearer_auth(&token)
        .json(
            &serde_json::json!({"organisation": "community-services", "title": "Behind a proxy",
            "body": "Comment here.", "summary": "Proxies.", "status": "published"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let comment = |base: String, n: u32| {
        let client = reqwest::Client::new();
        async move {
            client
                .post(format!("{base}/api/v1/posts/behind-a-proxy/comments"))
                .header("x-forwarded-for", format!("198.51.100.{n}"))
                .json(&serde_json::json!({"name": "A", "email": "a@example.org", "body": "Hello there."}))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    // Not trusted: every request is from 127.0.0.1, whatever the header says.
    let mut statuses = Vec::new();
    for n in 1..=6 {
        statuses.push(comment(format!("http://{}", t.addr), n).await);
    }
    assert_eq!(
        statuses,
        [202, 202, 202, 202, 202, 429],
        "the header was ignored"
    );
    // Trusted: each request is from its own address.
    let behind = townhall::App::build(townhall::Config {
        trusted_proxies: townhall::domain::network::TrustedProxies::parse("127.0.0.0/8").unwrap(),
        ..townhall::Config::new(&t.database_url)
    })
    .await
    .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(behind.clone().serve(listener));
    for n in 11..=16 {
        assert_eq!(comment(format!("http://{addr}"), n).await, 202);
    }
    // And the limit holds per forwarded address.
    let mut statuses = Vec::new();
    for _ in 0..6 {
        statuses.push(comment(format!("http://{addr}"), 20).await);
    }
    assert_eq!(statuses, [202, 202, 202, 202, 202, 429]);
}
