//! Publishing: posts, the public blog, pre-moderated comments, closing and pausing comments,
//! the API for all of them, and Atom feeds.

use crate::support::{self, TestApp, csrf_from};
use townhall::domain::role::Role;
use townhall::domain::user::Email;

/// Adds a user with one role in one organisation and signs them in on a client of their own.
pub(crate) async fn person(t: &TestApp, email: &str, role: Role, org: &str) -> TestApp {
    let org = t.app.db.organisation_by_slug(org).await.unwrap();
    let hash = townhall::auth::hash_password("a long enough password".into())
        .await
        .unwrap();
    t.app
        .db
        .create_user(
            &Email::parse(email).unwrap(),
            email,
            &hash,
            &[(org.id, role)],
        )
        .await
        .unwrap();
    let them = TestApp::handle(t);
    them.sign_in(email, "a long enough password").await;
    them
}

async fn write_post(editor: &TestApp, fields: &[(&str, &str)]) -> reqwest::Response {
    let token = editor.csrf_token("/admin/posts/new").await;
    let mut all = vec![("csrf_token", token.as_str())];
    all.extend_from_slice(fields);
    editor.post_form("/admin/posts/new", &all).await
}

const POST: &[(&str, &str)] = &[
    ("organisation", "national-records-agency"),
    ("title", "Opening up the archive catalogue"),
    ("summary", "What we are doing to put the catalogue online."),
    ("body", "## Why\n\nPeople asked for it.\n\n* one\n* two\n"),
    ("authors", "Ada Archivist\nBo Builder"),
    ("categories", "Data, Archives"),
    ("topics", "Finding records"),
    ("status", "published"),
];

#[tokio::test]
async fn an_editor_publishes_a_post_that_readers_find_everywhere() {
    let t = support::spawn().await;
    let editor = person(
        &t,
        "ed@example.org",
        Role::Editor,
        "national-records-agency",
    )
    .await;
    let r = write_post(&editor, POST).await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());

    let (status, html) = t.get_text("/blog/opening-up-the-archive-catalogue").await;
    assert_eq!(status, 200);
    assert!(
        html.contains("Opening up the archive catalogue")
            && html.contains("Ada Archivist, Bo Builder")
    );
    assert!(
        html.contains(">Why</h2>") && html.contains(">one</li>"),
        "the Markdown is rendered"
    );
    assert!(html.contains("/blog/categories/data") && html.contains("/topics/finding-records"));
    assert!(
        html.contains("mailto:?subject=Opening%20up"),
        "share by email"
    );
    for path in [
        "/blog",
        "/",
        "/organisations/national-records-agency",
        "/blog/categories/archives",
    ] {
        let (status, html) = t.get_text(path).await;
        assert_eq!(status, 200, "{path}");
        assert!(
            html.contains("Opening up the archive catalogue"),
            "the post is listed on {path}"
        );
    }
    let (_, other) = t.get_text("/organisations/care-standards-authority").await;
    assert!(!other.contains("Opening up the archive catalogue"));
    // The topics index lists its topic, which leads back to the index.
    let (status, topics) = t.get_text("/topics").await;
    assert_eq!(status, 200);
    assert!(
        topics.contains(r#"href="/topics/finding-records">Finding records</a>"#)
            && topics.contains("1 post"),
        "{topics}"
    );
    assert!(
        t.get_text("/topics/finding-records")
            .await
            .1
            .contains(r#"href="/topics""#)
    );

    // The edit history records the change.
    let post = t
        .app
        .db
        .post_by_slug("opening-up-the-archive-catalogue")
        .await
        .unwrap();
    let path = format!("/admin/posts/{}/edit", post.id);
    let token = editor.csrf_token(&path).await;
    let mut fields = vec![("csrf_token", token.as_str())];
    fields.extend_from_slice(POST);
    fields[2] = ("title", "Opening up the catalogue");
    let r = editor.post_form(&path, &fields).await;
    assert_eq!(r.status(), 303);
    assert_eq!(t.app.db.post_revisions(post.id).await.unwrap().len(), 2);
    assert!(editor.get_text(&path).await.1.contains("Edit history (2)"));
}

#[tokio::test]
async fn drafts_and_scheduled_posts_stay_hidden() {
    let t = support::spawn().await;
    let editor = person(&t, "ed@example.org", Role::Editor, "community-services").await;
    write_post(
        &editor,
        &[
            ("organisation", "care-standards-authority"),
            ("title", "A draft"),
            ("body", "Not yet"),
            ("topics", "Secret plans"),
            ("status", "draft"),
        ],
    )
    .await;
    write_post(
        &editor,
        &[
            ("organisation", "community-services"),
            ("title", "Next year"),
            ("body", "Soon"),
            ("topics", "Future plans"),
            ("status", "published"),
            ("publish-day", "1"),
            ("publish-month", "1"),
            ("publish-year", "2999"),
        ],
    )
    .await;
    write_post(
        &editor,
        &[
            ("organisation", "community-services"),
            ("title", "Back dated"),
            ("body", "Old news"),
            ("status", "published"),
            ("publish-day", "1"),
            ("publish-month", "5"),
            ("publish-year", "2020"),
        ],
    )
    .await;
    assert_eq!(t.get("/blog/a-draft").await.status(), 404);
    assert_eq!(t.get("/blog/next-year").await.status(), 404);
    let (_, blog) = t.get_text("/blog").await;
    assert!(
        !blog.contains("A draft") && !blog.contains("Next year") && blog.contains("Back dated")
    );
    assert!(blog.contains("1 May 2020"));
    // Topics of hidden posts are not on the topics index (nor is any other topic yet).
    let (_, topics) = t.get_text("/topics").await;
    assert!(
        !topics.contains("Secret plans")
            && !topics.contains("Future plans")
            && topics.contains("Nothing has been published on any topic yet"),
        "{topics}"
    );
    // The editor's list shows all three with their state.
    let (_, list) = editor.get_text("/admin/posts").await;
    assert!(list.contains("Draft") && list.contains("Scheduled") && list.contains("Published"));
}

#[tokio::test]
async fn editors_type_publication_dates_in_the_sites_zone_across_the_clock_change() {
    let t = support::spawn().await;
    let editor = person(&t, "dates@example.org", Role::Editor, "community-services").await;
    let fields = |title: &'static str, day: &'static str, time: &'static str| {
        vec![
            ("organisation", "community-services"),
            ("title", title),
            ("body", "Text"),
            ("status", "published"),
            ("publish-day", day),
            ("publish-month", "10"),
            ("publish-year", "2023"),
            ("publish-time", time),
        ]
    };
    // The night the clocks go back in London: 1:30am happens twice; it is the first (BST).
    for (title, day, time) in [
        ("Saturday morning", "28", "9:00am"),
        ("In the extra hour", "29", "01:30"),
        ("Monday morning", "30", "9:00"),
    ] {
        let r = write_post(&editor, &fields(title, day, time)).await;
        assert_eq!(r.status(), 303, "{title}: {}", r.text().await.unwrap());
    }
    let stored = |slug: &'static str| {
        let db = t.app.db.clone();
        async move { db.post_by_slug(slug).await.unwrap() }
    };
    for (slug, utc) in [
        ("saturday-morning", "2023-10-28T08:00:00Z"),
        ("in-the-extra-hour", "2023-10-29T00:30:00Z"),
        ("monday-morning", "2023-10-30T09:00:00Z"),
    ] {
        let post = stored(slug).await;
        assert_eq!(post.published_at.unwrap().rfc3339(), utc, "{slug}");
    }
    // Readers see the times in London, with the zone that applied then.
    let (_, page) = t.get_text("/blog/saturday-morning").await;
    assert!(page.contains("28 October 2023"), "{page}");
    // The edit form shows what was typed, in the site's zone.
    let id = stored("in-the-extra-hour").await.id;
    let (_, form) = editor.get_text(&format!("/admin/posts/{id}/edit")).await;
    for value in [
        "name=\"publish-day\" type=\"text\" value=\"29\"",
        "value=\"01:30\"",
    ] {
        assert!(form.contains(value), "{value} in the form");
    }
    // A date that does not exist is refused with a GOV.UK error that links to the date input.
    let mut bad = fields("Never", "31", "");
    bad[5] = ("publish-month", "2");
    let r = write_post(&editor, &bad).await;
    assert_eq!(r.status(), 400);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("href=\"#publish-day\"")
            && html.contains("Publication date must be a real date")
    );
}

#[tokio::test]
async fn only_editors_of_an_organisation_write_on_its_blog() {
    let t = support::spawn().await;
    let editor = person(
        &t,
        "ed@example.org",
        Role::Editor,
        "care-standards-authority",
    )
    .await;
    let r = write_post(&editor, POST).await; // POST is for the National Records Agency
    assert_eq!(r.status(), 400);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Choose the organisation whose blog this is for")
    );
    let moderator = person(&t, "mo@example.org", Role::Moderator, "community-services").await;
    assert_eq!(moderator.get("/admin/posts/new").await.status(), 403);
    assert_eq!(
        t.get("/admin/posts").await.status(),
        303,
        "signed out: sign in first"
    );
}

#[tokio::test]
async fn a_comment_is_invisible_until_a_moderator_approves_it() {
    let t = support::spawn().await;
    let editor = person(
        &t,
        "ed@example.org",
        Role::Editor,
        "national-records-agency",
    )
    .await;
    write_post(&editor, POST).await;
    let reader = TestApp::handle(&t);
    let path = "/blog/opening-up-the-archive-catalogue";
    let token = reader.csrf_token(path).await;
    let r = reader
        .post_form(
            &format!("{path}/comments"),
            &[
                ("csrf_token", &token),
                ("name", "Sam Reader"),
                ("email", "sam@example.org"),
                ("body", "Will the maps be included?"),
            ],
        )
        .await;
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("Comment received"));
    let (_, html) = t.get_text(path).await;
    assert!(
        !html.contains("Will the maps be included?"),
        "held for moderation"
    );

    // Errors keep what was typed.
    let r = reader
        .post_form(
            &format!("{path}/comments"),
            &[
                ("csrf_token", &token),
                ("name", ""),
                ("email", "nope"),
                ("body", "Hello"),
            ],
        )
        .await;
    assert_eq!(r.status(), 400);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("Enter your name")
            && html.contains("correct format")
            && html.contains(">Hello</textarea>")
    );

    let moderator = person(&t, "mo@example.org", Role::Moderator, "community-services").await;
    let (status, queue) = moderator.get_text("/admin/comments").await;
    assert_eq!(status, 200);
    assert!(queue.contains("Will the maps be included?") && queue.contains("sam@example.org"));
    let (_, home) = moderator.get_text("/admin").await;
    assert!(home.contains("1 waiting"));
    let id = t.app.db.moderation_queue().await.unwrap()[0].id;
    let token = csrf_from(&queue);
    let r = moderator
        .post_form(
            &format!("/admin/comments/{id}"),
            &[("csrf_token", &token), ("decision", "approve")],
        )
        .await;
    assert_eq!(r.status(), 303);
    let (_, html) = t.get_text(path).await;
    assert!(html.contains("Will the maps be included?") && html.contains("Sam Reader"));
    assert!(
        !html.contains("sam@example.org"),
        "the email is never published"
    );

    // A rejected comment stays hidden, and the decision and reason are logged.
    let token = reader.csrf_token(path).await;
    reader
        .post_form(
            &format!("{path}/comments"),
            &[
                ("csrf_token", &token),
                ("name", "Spammer"),
                ("email", "s@example.org"),
                ("body", "Buy things"),
            ],
        )
        .await;
    let id = t.app.db.moderation_queue().await.unwrap()[0].id;
    let token = moderator.csrf_token("/admin/comments").await;
    let r = moderator
        .post_form(
            &format!("/admin/comments/{id}"),
            &[
                ("csrf_token", &token),
                ("decision", "reject"),
                ("reason", "Advertising"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    assert!(!t.get_text(path).await.1.contains("Buy things"));
    let audit = t.app.db.recent_audit(5).await.unwrap();
    assert!(
        audit
            .iter()
            .any(|a| a.action == "rejected comment" && a.detail == "Advertising")
    );
    assert!(audit.iter().any(|a| a.action == "approved comment"));
}

#[tokio::test]
async fn closed_posts_and_paused_comments_refuse_comments_on_the_page_and_the_api() {
    let t = support::spawn().await;
    let editor = person(
        &t,
        "ed@example.org",
        Role::Editor,
        "national-records-agency",
    )
    .await;
    let mut closed = POST.to_vec();
    closed.push(("comments_closed", "yes"));
    write_post(&editor, &closed).await;
    let path = "/blog/opening-up-the-archive-catalogue";
    let (_, html) = t.get_text(path).await;
    assert!(html.contains("Comments closed") && !html.contains("Send comment"));
    let token = t.csrf_token("/sign-in").await;
    let r = t
        .post_form(
            &format!("{path}/comments"),
            &[
                ("csrf_token", &token),
                ("name", "Sam"),
                ("email", "sam@example.org"),
                ("body", "Hi"),
            ],
        )
        .await;
    assert_eq!(r.status(), 403);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Comments are closed on this post.")
    );
    let api = "/api/v1/posts/opening-up-the-archive-catalogue/comments";
    let body = serde_json::json!({"name": "Sam", "email": "sam@example.org", "body": "Hi"});
    let r = t.client.post(t.url(api)).json(&body).send().await.unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(t.app.db.count_pending_comments().await.unwrap(), 0);

    // A site-wide pause, with its message, for the pre-election period.
    write_post(
        &editor,
        &[
            ("organisation", "national-records-agency"),
            ("title", "Open post"),
            ("body", "Talk to us"),
            ("status", "published"),
        ],
    )
    .await;
    let moderator = person(&t, "mo@example.org", Role::Moderator, "community-services").await;
    let token = moderator.csrf_token("/admin/comments").await;
    let r = moderator
        .post_form(
            "/admin/comments/pause",
            &[
                ("csrf_token", &token),
                ("message", "Comments are paused until the election is over."),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let (_, html) = t.get_text("/blog/open-post").await;
    assert!(
        html.contains("Comments are paused until the election is over.")
            && !html.contains("Send comment")
    );
    let r = t
        .client
        .post(t.url("/api/v1/posts/open-post/comments"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let err: serde_json::Value = r.json().await.unwrap();
    assert_eq!(
        err["error"],
        "Comments are paused until the election is over."
    );
    let r = moderator
        .post_form(
            "/admin/comments/pause",
            &[("csrf_token", &token), ("action", "resume")],
        )
        .await;
    assert_eq!(r.status(), 303);
    let r = t
        .client
        .post(t.url("/api/v1/posts/open-post/comments"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
}

#[tokio::test]
async fn spam_defences_honeypot_links_and_rate_limit() {
    let t = support::spawn().await;
    let editor = person(
        &t,
        "ed@example.org",
        Role::Editor,
        "national-records-agency",
    )
    .await;
    write_post(&editor, POST).await;
    let path = "/blog/opening-up-the-archive-catalogue/comments";
    let token = t.csrf_token("/blog/opening-up-the-archive-catalogue").await;
    let base = [
        ("csrf_token", token.as_str()),
        ("name", "Bot"),
        ("email", "bot@example.org"),
    ];
    let r = t
        .post_form(
            path,
            &[
                &base[..],
                &[("body", "Hello"), ("website", "http://spam.example")],
            ]
            .concat(),
        )
        .await;
    assert_eq!(r.status(), 200, "a bot is thanked");
    assert_eq!(
        t.app.db.count_pending_comments().await.unwrap(),
        0,
        "but nothing is stored"
    );
    let r = t
        .post_form(
            path,
            &[
                &base[..],
                &[("body", "http://a.example http://b.example http://c.example")],
            ]
            .concat(),
        )
        .await;
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("2 links or fewer"));
    let mut last = 0;
    for i in 0..6 {
        let body = format!("Comment {i}");
        last = t
            .post_form(path, &[&base[..], &[("body", body.as_str())]].concat())
            .await
            .status()
            .as_u16();
    }
    assert_eq!(last, 429);
}

#[tokio::test]
async fn the_posts_api_writes_reads_comments_and_moderates() {
    let t = support::spawn().await;
    let nra = "national-records-agency";
    let ed_token = t
        .named_user_with_token("Ed", "ed@example.org", nra, Role::Editor)
        .await;
    let mo_token = t
        .named_user_with_token("Mo", "mo@example.org", nra, Role::Moderator)
        .await;
    let new = serde_json::json!({"organisation": "national-records-agency", "title": "Hello API", "body": "Some *text*", "categories": ["Data"], "status": "published"});

    let r = t
        .client
        .post(t.url("/api/v1/posts"))
        .json(&new)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = t
        .client
        .post(t.url("/api/v1/posts"))
        .bearer_auth(&mo_token)
        .json(&new)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403, "a moderator is not an editor");
    let r = t
        .client
        .post(t.url("/api/v1/posts"))
        .bearer_auth(&ed_token)
        .json(&serde_json::json!({"organisation": "national-records-agency", "status": "sideways"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let err: serde_json::Value = r.json().await.unwrap();
    assert!(
        err["fields"]["title"].is_string()
            && err["fields"]["body"].is_string()
            && err["fields"]["status"].is_string()
    );
    let r = t
        .client
        .post(t.url("/api/v1/posts"))
        .bearer_auth(&ed_token)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(
        r.json::<serde_json::Value>().await.unwrap()["error"]
            .as_str()
            .unwrap()
            .contains("not valid JSON")
    );

    let r = t
        .client
        .post(t.url("/api/v1/posts"))
        .bearer_auth(&ed_token)
        .json(&new)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let created: serde_json::Value = r.json().await.unwrap();
    assert_eq!(created["slug"], "hello-api");
    assert_eq!(created["url"], "/blog/hello-api");
    let r = t
        .client
        .post(t.url("/api/v1/posts"))
        .bearer_auth(&ed_token)
        .json(&new)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422, "the same slug again");

    let list: serde_json::Value = t
        .get("/api/v1/posts?organisation=national-records-agency")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"][0]["slug"], "hello-api");
    assert_eq!(list["items"][0]["authors"][0], "Ed");
    assert!(list["next"].is_null());
    let by_cat: serde_json::Value = t
        .get("/api/v1/posts?category=data")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(by_cat["items"].as_array().unwrap().len(), 1);
    assert_eq!(t.get("/api/v1/posts?category=nothing").await.status(), 404);
    let one: serde_json::Value = t.get("/api/v1/posts/hello-api").await.json().await.unwrap();
    assert_eq!(
        one["body_html"],
        "<p class=\"govuk-body\">Some <em>text</em></p>\n"
    );

    let r = t
        .client
        .post(t.url("/api/v1/posts/hello-api/comments"))
        .json(&serde_json::json!({"name": "Sam", "email": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let r = t
        .client
        .post(t.url("/api/v1/posts/hello-api/comments"))
        .json(&serde_json::json!({"name": "Sam", "email": "sam@example.org", "body": "Nice"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    let c: serde_json::Value = r.json().await.unwrap();
    assert_eq!(c["status"], "pending");
    let id = c["id"].as_i64().unwrap();
    let r = t
        .client
        .post(t.url(&format!("/api/v1/comments/{id}/approve")))
        .bearer_auth(&ed_token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403, "an editor is not a moderator");
    let r = t
        .client
        .post(t.url(&format!("/api/v1/comments/{id}/reject")))
        .bearer_auth(&mo_token)
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422, "a rejection needs a reason");
    let r = t
        .client
        .post(t.url(&format!("/api/v1/comments/{id}/approve")))
        .bearer_auth(&mo_token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = t
        .client
        .post(t.url(&format!("/api/v1/comments/{id}/reject")))
        .bearer_auth(&mo_token)
        .json(&serde_json::json!({"reason": "late"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409, "already decided");
    assert!(t.get_text("/blog/hello-api").await.1.contains("Nice"));
}

#[tokio::test]
async fn script_in_a_post_renders_inert() {
    let t = support::spawn().await;
    let editor = person(
        &t,
        "ed@example.org",
        Role::Editor,
        "national-records-agency",
    )
    .await;
    let body = "<script>alert(1)</script>\n\n[click](javascript:alert(2))\n\n<img src=x onerror=alert(3)>\n\n<a href=\"jav&#x09;ascript:alert(4)\">x</a>";
    write_post(
        &editor,
        &[
            ("organisation", "national-records-agency"),
            ("title", "<b>Bold</b> title"),
            ("body", body),
            ("status", "published"),
        ],
    )
    .await;
    let (status, html) = t.get_text("/blog/b-bold-b-title").await;
    assert_eq!(status, 200);
    let doc = scraper::Html::parse_document(&html);
    let scripts: Vec<_> = doc
        .select(&scraper::Selector::parse("script").unwrap())
        .filter(|s| s.value().attr("src").is_none())
        .collect();
    assert!(scripts.is_empty(), "no inline script");
    for el in doc.select(&scraper::Selector::parse("*").unwrap()) {
        for (name, value) in el.value().attrs() {
            assert!(!name.starts_with("on"), "event handler {name}");
            assert!(
                !value.trim().to_lowercase().starts_with("javascript:"),
                "{name}={value}"
            );
        }
    }
    assert!(
        html.contains("&lt;b&gt;Bold&lt;&#x2f;b&gt; title")
            || html.contains("&lt;b&gt;Bold&lt;/b&gt; title")
    );
}

#[tokio::test]
async fn atom_feeds_for_the_hub_organisations_and_categories() {
    let t = support::spawn().await;
    let editor = person(
        &t,
        "ed@example.org",
        Role::Editor,
        "national-records-agency",
    )
    .await;
    write_post(&editor, POST).await;
    for path in [
        "/blog/feed.atom",
        "/organisations/national-records-agency/feed.atom",
        "/blog/categories/data/feed.atom",
    ] {
        let r = t.get(path).await;
        assert_eq!(r.status(), 200, "{path}");
        assert_eq!(
            r.headers()["content-type"],
            "application/atom+xml; charset=utf-8"
        );
        let xml = r.text().await.unwrap();
        assert!(
            xml.starts_with("<?xml") && xml.contains("<feed xmlns=\"http://www.w3.org/2005/Atom\"")
        );
        assert!(
            xml.contains("<title>Opening up the archive catalogue</title>"),
            "{path}: {xml}"
        );
        assert!(xml.contains("<author><name>Ada Archivist</name></author>"));
        assert!(xml.contains(&format!("<link rel=\"alternate\" type=\"text/html\" href=\"http://{}/blog/opening-up-the-archive-catalogue\"/>", t.addr)));
        assert!(
            xml.contains("&gt;Why&lt;/h2&gt;") && !xml.contains("&amp;lt;"),
            "HTML content is escaped once"
        );
    }
    let (_, empty) = t
        .get_text("/organisations/care-standards-authority/feed.atom")
        .await;
    assert!(!empty.contains("<entry>"));
    assert_eq!(
        t.get("/blog/categories/nothing/feed.atom").await.status(),
        404
    );
}

#[tokio::test]
async fn the_demo_has_posts_on_several_blogs_and_comments_in_every_state() {
    let t = support::spawn().await;
    // spawn() seeds only organisations; add the demo's content on top, as `townhall demo` does.
    let admin = t
        .app
        .db
        .user_by_email(&Email::parse(townhall::demo::ADMIN_EMAIL).unwrap())
        .await
        .unwrap();
    townhall::demo::seed_posts(&t.app.db, admin.id)
        .await
        .unwrap();
    let (_, blog) = t.get_text("/blog").await;
    for org in [
        "Department of Community Services",
        "National Records Agency",
        "Care Standards Authority",
    ] {
        assert!(blog.contains(org), "{org} has posts");
    }
    let (_, post) = t
        .get_text("/blog/why-we-are-rewriting-our-digital-strategy-in-the-open")
        .await;
    assert!(
        post.contains("Will the consultation be open")
            && !post.contains("Cheap laptops")
            && !post.contains("How will you measure")
    );
    assert_eq!(t.app.db.count_pending_comments().await.unwrap(), 1);
    let (_, closed) = t
        .get_text("/blog/our-projects-as-a-list-you-can-open")
        .await;
    assert!(closed.contains("Comments closed"));
}

#[tokio::test]
async fn search_finds_public_posts_with_highlighted_snippets_and_filters() {
    let t = support::spawn().await;
    let editor = person(&t, "ed@example.org", Role::Editor, "community-services").await;
    write_post(&editor, POST).await;
    write_post(
        &editor,
        &[
            ("organisation", "care-standards-authority"),
            ("title", "Inspection reports"),
            (
                "body",
                "Reports about the catalogue of <script>alert(1)</script> inspections",
            ),
            ("status", "published"),
        ],
    )
    .await;
    write_post(
        &editor,
        &[
            ("organisation", "community-services"),
            ("title", "Secret catalogue draft"),
            ("body", "catalogue catalogue"),
            ("status", "draft"),
        ],
    )
    .await;

    let (status, html) = t.get_text("/search?q=catalogue").await;
    assert_eq!(status, 200);
    assert!(html.contains("2 results for “catalogue”"), "{html}");
    assert!(html.contains("<mark>catalogue</mark>"));
    assert!(
        !html.contains("Secret catalogue draft"),
        "drafts are not found"
    );
    assert!(!html.contains("<script>alert"), "snippets are escaped");

    let (_, html) = t
        .get_text("/search?q=catalogue&organisation=care-standards-authority")
        .await;
    assert!(html.contains("1 result for") && html.contains("Inspection reports"));
    let (_, html) = t.get_text("/search?q=catalogue&type=post").await;
    assert!(html.contains("2 results"));
    // Stemming: "archives" finds "archive".
    let (_, html) = t.get_text("/search?q=archives").await;
    assert!(html.contains("Opening up the archive catalogue"));
    // Operators and punctuation are just text.
    for q in [
        "%22",
        "NEAR(",
        "catalogue%20OR%20*",
        "%27%3B%20DROP%20TABLE%20posts%3B--",
        "%E2%80%9C%F0%9F%98%80",
    ] {
        let (status, _) = t.get_text(&format!("/search?q={q}")).await;
        assert_eq!(status, 200, "{q}");
    }
    // An edit that unpublishes a post takes it out of the results.
    let post = t.app.db.post_by_slug("inspection-reports").await.unwrap();
    let path = format!("/admin/posts/{}/edit", post.id);
    let token = editor.csrf_token(&path).await;
    editor
        .post_form(
            &path,
            &[
                ("csrf_token", &token),
                ("title", "Inspection reports"),
                ("body", "catalogue"),
                ("status", "draft"),
            ],
        )
        .await;
    let (_, html) = t.get_text("/search?q=catalogue").await;
    assert!(html.contains("1 result for"));
}

#[tokio::test]
async fn xss_payloads_in_comments_render_inert() {
    let t = support::spawn().await;
    let editor = person(
        &t,
        "ed@example.org",
        Role::Editor,
        "national-records-agency",
    )
    .await;
    write_post(&editor, POST).await;
    let post = t
        .app
        .db
        .post_by_slug("opening-up-the-archive-catalogue")
        .await
        .unwrap();
    let moderator = t
        .app
        .db
        .user_by_email(&Email::parse(townhall::demo::ADMIN_EMAIL).unwrap())
        .await
        .unwrap();
    let mut stored = 0;
    for payload in crate::sanitise::xss_corpus() {
        let input = townhall::domain::post::CommentInput {
            name: payload.chars().take(100).collect(),
            email: "x@example.org".into(),
            body: payload.clone(),
        };
        // Payloads the form refuses (too many links, control characters in the name) never reach a page.
        let Ok(comment) = input.parse() else { continue };
        let id = t.app.db.add_comment(post.id, &comment).await.unwrap();
        t.app
            .db
            .decide_comment(
                id,
                townhall::store::comments::Decision::Approve,
                "",
                moderator.id,
            )
            .await
            .unwrap();
        stored += 1;
    }
    assert!(stored > 40, "most of the corpus was stored ({stored})");
    let (_, html) = t.get_text("/blog/opening-up-the-archive-catalogue").await;
    let start = html
        .find(r#"<ol class="govuk-list app-comments">"#)
        .expect("the comments are shown");
    let end = start + html[start..].find("</ol>").unwrap() + 5;
    crate::sanitise::assert_inert(&html[start..end], "the XSS corpus as comments");
}

/// A real-world feed reader accepts our Atom without complaint (`bozo` unset).
#[tokio::test]
async fn python_feedparser_accepts_the_atom_feeds() {
    let t = support::spawn().await;
    let editor = person(
        &t,
        "ed@example.org",
        Role::Editor,
        "national-records-agency",
    )
    .await;
    write_post(&editor, POST).await;
    write_post(
        &editor,
        &[
            ("organisation", "national-records-agency"),
            ("title", "Ampersands & <angles>"),
            ("body", "Body with **bold** & <em>html</em>"),
            ("status", "published"),
        ],
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    for (i, path) in [
        "/blog/feed.atom",
        "/organisations/national-records-agency/feed.atom",
        "/blog/categories/data/feed.atom",
    ]
    .iter()
    .enumerate()
    {
        let file = dir.path().join(format!("{i}.atom"));
        std::fs::write(&file, t.get_text(path).await.1).unwrap();
        let out = std::process::Command::new("python3")
            .args(["-c", "import sys, feedparser\nd = feedparser.parse(sys.argv[1])\nprint(d.bozo, d.get('bozo_exception', ''), len(d.entries), d.entries[0].title)", file.to_str().unwrap()])
            .output()
            .expect("python3 runs");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "feedparser is needed: `python3 -m pip install feedparser` ({})",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(stdout.starts_with("False"), "{path}: {stdout}");
        assert!(
            stdout.contains("Ampersands & <angles>") || stdout.contains("Opening up"),
            "{path}: {stdout}"
        );
    }
}

#[tokio::test]
async fn long_documents_get_a_contents_list_that_links_to_their_headings() {
    let t = support::spawn().await;
    let editor = person(&t, "ed@example.org", Role::Editor, "community-services").await;
    let body = "Intro.\n\n## Open by default\n\nText.\n\n## Simple services\n\nText.\n\n### Fewer forms\n\nText.\n\n## Evidence first\n\nText.";
    write_post(
        &editor,
        &[
            ("organisation", "community-services"),
            ("title", "Digital strategy 2026 to 2030"),
            ("body", body),
            ("status", "published"),
        ],
    )
    .await;
    let (_, html) = t.get_text("/blog/digital-strategy-2026-to-2030").await;
    assert!(html.contains("Contents"));
    let doc = scraper::Html::parse_document(&html);
    let links: Vec<String> = doc
        .select(&scraper::Selector::parse(".app-contents a").unwrap())
        .map(|a| a.value().attr("href").unwrap().to_string())
        .collect();
    assert_eq!(links.len(), 4);
    for href in links {
        let id = href.trim_start_matches('#');
        let target = scraper::Selector::parse(&format!("[id=\"{id}\"]")).unwrap();
        assert!(
            doc.select(&target).next().is_some(),
            "{href} points at a heading"
        );
    }
}

#[tokio::test]
async fn pages_are_long_documents_kept_out_of_the_blog() {
    let t = support::spawn().await;
    let editor = person(&t, "ed@example.org", Role::Editor, "community-services").await;
    let body = "## Our vision\n\nText.\n\n## The themes\n\nText about openness.\n\n## Commitments\n\nText.";
    let r = write_post(
        &editor,
        &[
            ("kind", "page"),
            ("organisation", "community-services"),
            ("title", "Digital strategy"),
            ("summary", "Our strategy for 2026 to 2030."),
            ("body", body),
            ("status", "published"),
        ],
    )
    .await;
    assert_eq!(r.status(), 303);
    let (status, html) = t.get_text("/pages/digital-strategy").await;
    assert_eq!(status, 200);
    assert!(
        html.contains("Contents")
            && html.contains("href=\"#the-themes\"")
            && html.contains("id=\"the-themes\"")
    );
    assert_eq!(
        t.get("/blog/digital-strategy").await.status(),
        404,
        "not a blog post"
    );
    assert!(!t.get_text("/blog").await.1.contains("Digital strategy"));
    assert!(
        !t.get_text("/blog/feed.atom")
            .await
            .1
            .contains("Digital strategy")
    );
    let (_, org) = t.get_text("/organisations/community-services").await;
    assert!(org.contains("Documents") && org.contains("/pages/digital-strategy"));
    let (_, found) = t.get_text("/search?q=openness&type=page").await;
    assert!(found.contains("/pages/digital-strategy"), "{found}");
    let token = t.csrf_token("/sign-in").await;
    let r = t
        .post_form(
            "/blog/digital-strategy/comments",
            &[
                ("csrf_token", &token),
                ("name", "A"),
                ("email", "a@example.org"),
                ("body", "Hi"),
            ],
        )
        .await;
    assert_eq!(r.status(), 404, "pages take no comments");
}

#[tokio::test]
async fn the_xss_corpus_in_a_post_body_renders_inert() {
    let t = support::spawn().await;
    let org = t
        .app
        .db
        .organisation_by_slug("community-services")
        .await
        .unwrap();
    let corpus = crate::sanitise::xss_corpus();
    let input = townhall::domain::post::PostInput {
        title: "Every payload".into(),
        body: corpus.join("\n\n"),
        status: "published".into(),
        ..Default::default()
    };
    let post = input.parse().unwrap();
    let body = townhall::sanitise::render_markdown(&post.body_markdown).unwrap();
    t.app
        .db
        .create_post(org.id, &post, &body, None)
        .await
        .unwrap();
    let (status, html) = t.get_text("/blog/every-payload").await;
    assert_eq!(status, 200);
    let start = html
        .find(r#"<div class="app-prose">"#)
        .expect("the body is shown");
    let end = start + html[start..].find(">Share this post</h2>").unwrap();
    crate::sanitise::assert_inert(&html[start..end], "the XSS corpus as one post body");
}

#[tokio::test]
async fn a_post_kept_for_readers_shows_a_change_made_on_this_node_at_once() {
    let t = support::spawn().await;
    let editor = t
        .user_with_token("ed@example.org", "community-services", Role::Editor)
        .await;
    let moderator = t
        .user_with_token("mo@example.org", "community-services", Role::Moderator)
        .await;
    let r = t
        .post_json(
            "/api/v1/posts",
            Some(&editor),
            &serde_json::json!({"organisation": "community-services", "title": "Kept",
                "summary": "Read by many.", "body": "Hello.", "status": "published"}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let r = t
        .post_json(
            "/api/v1/posts/kept/comments",
            None,
            &serde_json::json!({"name": "Sam", "email": "sam@example.org", "body": "Seen at once"}),
        )
        .await;
    let id = r.json::<serde_json::Value>().await.unwrap()["id"]
        .as_i64()
        .unwrap();
    let (_, before) = t.get_text("/blog/kept").await;
    assert!(!before.contains("Seen at once"));
    let r = t
        .client
        .post(t.url(&format!("/api/v1/comments/{id}/approve")))
        .bearer_auth(&moderator)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let (_, after) = t.get_text("/blog/kept").await;
    assert!(
        after.contains("Seen at once"),
        "not the copy kept from before"
    );
}

#[tokio::test]
async fn writes_committed_together_keep_each_others_failures_apart() {
    use townhall::domain::post::NewComment;
    let t = support::spawn().await;
    let editor = t
        .user_with_token("ed@example.org", "community-services", Role::Editor)
        .await;
    let post = serde_json::json!({"organisation": "community-services", "title": "Busy post",
        "summary": "s", "body": "b", "status": "published"});
    let r = t.post_json("/api/v1/posts", Some(&editor), &post).await;
    assert_eq!(r.status(), 201);
    let id = t.app.db.post_by_slug("busy-post").await.unwrap().id;
    // Sixty comments at once, every third for a post that does not exist: on SQLite they
    // share groups, and the failing ones must roll back alone.
    let writes = (0..60).map(|i| {
        let db = t.app.db.clone();
        let post_id = if i % 3 == 0 { id + 1000 } else { id };
        tokio::spawn(async move {
            let comment = NewComment {
                name: format!("Reader {i}"),
                email: Email::parse("reader@example.org").unwrap(),
                body: format!("Comment {i}"),
            };
            let limit = townhall::store::rate_limits::Limit {
                key: format!("test:{i}"),
                window_secs: 60,
                max: 1,
            };
            db.add_comment_within(limit, post_id, &comment).await
        })
    });
    let mut stored = 0;
    for (i, w) in writes.collect::<Vec<_>>().into_iter().enumerate() {
        match w.await.unwrap() {
            Ok(id) => {
                assert!(id.is_some(), "comment {i} is within its limit");
                assert_ne!(i % 3, 0, "comment {i} is for no post");
                stored += 1;
            }
            Err(_) => assert_eq!(i % 3, 0, "comment {i} failed"),
        }
    }
    assert_eq!(stored, 40);
    let kept = t.app.db.moderation_queue().await.unwrap();
    assert_eq!(
        kept.len(),
        40,
        "every acknowledged comment is stored, and only those"
    );
}

#[tokio::test]
async fn an_editor_previews_a_draft_exactly_as_readers_will_see_it_and_nobody_else_can() {
    let t = support::spawn().await;
    let editor = person(
        &t,
        "ed@example.org",
        Role::Editor,
        "national-records-agency",
    )
    .await;
    let draft: Vec<(&str, &str)> = POST
        .iter()
        .map(|&(k, v)| if k == "status" { (k, "draft") } else { (k, v) })
        .collect();
    assert_eq!(write_post(&editor, &draft).await.status(), 303);
    let post = t
        .app
        .db
        .post_by_slug("opening-up-the-archive-catalogue")
        .await
        .unwrap();
    assert_eq!(
        t.get("/blog/opening-up-the-archive-catalogue")
            .await
            .status(),
        404
    );

    let preview = format!("/admin/posts/{}/preview", post.id);
    let r = editor.get(&preview).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["cache-control"], "private, no-store");
    assert_eq!(r.headers()["x-robots-tag"], "noindex");
    let html = r.text().await.unwrap();
    assert!(html.contains(r#"<meta name="robots" content="noindex">"#));
    assert!(html.contains("This is how readers will see it once it is published"));
    assert!(html.contains("Opening up the archive catalogue"));
    assert!(html.contains("Not published yet."));
    assert!(
        html.contains("People asked for it."),
        "the body as it will be shown"
    );
    assert!(
        !html.contains("Send comment"),
        "no comment form on a preview"
    );
    let (_, list) = editor.get_text("/admin/posts").await;
    assert!(
        list.contains(&preview),
        "the list offers the preview of a draft"
    );

    // Not for readers, nor for an editor of another organisation.
    assert_eq!(t.get(&preview).await.status(), 303, "sign in first");
    let other = person(
        &t,
        "other@example.org",
        Role::Editor,
        "care-standards-authority",
    )
    .await;
    assert_eq!(other.get(&preview).await.status(), 403);
}

#[tokio::test]
async fn an_editor_compares_a_saved_version_with_now_and_restores_it() {
    let t = support::spawn().await;
    let editor = person(
        &t,
        "ed@example.org",
        Role::Editor,
        "national-records-agency",
    )
    .await;
    assert_eq!(write_post(&editor, POST).await.status(), 303);
    let post = t
        .app
        .db
        .post_by_slug("opening-up-the-archive-catalogue")
        .await
        .unwrap();
    let edit = format!("/admin/posts/{}/edit", post.id);
    let token = editor.csrf_token(&edit).await;
    let mut changed: Vec<(&str, &str)> = vec![("csrf_token", &token)];
    changed.extend(POST.iter().map(|&(k, v)| match k {
        "body" => (
            k,
            "## Why\n\nPeople asked for it, again and again.\n\n* one\n* two\n",
        ),
        "title" => (k, "Opening the archive catalogue"),
        _ => (k, v),
    }));
    assert_eq!(editor.post_form(&edit, &changed).await.status(), 303);

    let revisions = t.app.db.post_revisions(post.id).await.unwrap();
    assert_eq!(revisions.len(), 2);
    let first = revisions.last().unwrap().id;
    let compare = format!("/admin/posts/{}/revisions/{first}", post.id);
    let (_, form) = editor.get_text(&edit).await;
    assert!(
        form.contains(&compare),
        "the history links to the comparison"
    );
    let (status, html) = editor.get_text(&compare).await;
    assert_eq!(status, 200);
    let page = scraper::Html::parse_document(&html);
    let lines = |class: &str| -> Vec<String> {
        let sel = scraper::Selector::parse(&format!(".app-diff__{class}")).unwrap();
        page.select(&sel)
            .map(|e| e.text().collect::<String>())
            .collect()
    };
    assert!(
        lines("removed")
            .iter()
            .any(|l| l == "removed People asked for it."),
        "{:?}",
        lines("removed")
    );
    assert!(
        lines("added")
            .iter()
            .any(|l| l == "added People asked for it, again and again.")
    );
    assert!(
        lines("removed")
            .iter()
            .any(|l| l.contains("Opening up the archive catalogue"))
    );

    let token = editor.csrf_token(&compare).await;
    let r = editor
        .post_form(&format!("{compare}/restore"), &[("csrf_token", &token)])
        .await;
    assert_eq!(r.status(), 303);
    let restored = t.app.db.post(post.id).await.unwrap();
    assert_eq!(restored.title, "Opening up the archive catalogue");
    assert!(restored.body_markdown.contains("People asked for it.\n"));
    assert_eq!(
        restored.status.as_str(),
        "published",
        "the rest stays as it was"
    );
    assert_eq!(t.app.db.post_revisions(post.id).await.unwrap().len(), 3);

    // Another body's editor sees neither.
    let other = person(
        &t,
        "other@example.org",
        Role::Editor,
        "care-standards-authority",
    )
    .await;
    assert_eq!(other.get(&compare).await.status(), 403);
}

#[tokio::test]
async fn shared_links_carry_the_public_address_and_a_preview_card() {
    let public = "https://engage.example.gov.uk";
    let t = support::spawn_with(|c| c.public_url = Some(url::Url::parse(public).unwrap())).await;
    let editor = person(
        &t,
        "ed@example.org",
        Role::Editor,
        "national-records-agency",
    )
    .await;
    assert_eq!(write_post(&editor, POST).await.status(), 303);
    let (_, html) = t.get_text("/blog/opening-up-the-archive-catalogue").await;
    let page = scraper::Html::parse_document(&html);
    let meta = |attr: &str, name: &str| -> Option<String> {
        let sel = scraper::Selector::parse(&format!(r#"meta[{attr}="{name}"]"#)).unwrap();
        page.select(&sel)
            .next()?
            .attr("content")
            .map(str::to_string)
    };
    assert_eq!(
        meta("property", "og:title").as_deref(),
        Some("Opening up the archive catalogue")
    );
    assert_eq!(
        meta("property", "og:description").as_deref(),
        Some("What we are doing to put the catalogue online.")
    );
    assert_eq!(
        meta("property", "og:url"),
        Some(format!("{public}/blog/opening-up-the-archive-catalogue"))
    );
    assert_eq!(meta("name", "twitter:card").as_deref(), Some("summary"));
    let share = scraper::Selector::parse("a").unwrap();
    let email = page
        .select(&share)
        .find(|a| a.text().collect::<String>() == "Share by email")
        .and_then(|a| a.attr("href"))
        .unwrap();
    let body = email.split("&body=").nth(1).unwrap();
    assert_eq!(
        percent_encoding::percent_decode_str(body)
            .decode_utf8()
            .unwrap(),
        format!("{public}/blog/opening-up-the-archive-catalogue"),
    );

    // A post that shows an image from the library previews with it, at its widest.
    let org = t
        .app
        .db
        .organisation_by_slug("national-records-agency")
        .await
        .unwrap();
    let photo = townhall::media::content_of(Some((
        "reading-room.jpg".into(),
        crate::media::jpeg_with_gps(1200, 800),
    )))
    .await
    .unwrap();
    let details = townhall::store::media::MediaDetails {
        title: "Reading room".into(),
        alt: "The reading room with its new shelves".into(),
        decorative: false,
    };
    let image = t
        .app
        .db
        .add_media(org.id, &details, &photo, None)
        .await
        .unwrap();
    let body = format!("Before and after.\n\n![](/media/{image})\n");
    let with_image = [
        ("organisation", "national-records-agency"),
        ("title", "The reading room reopens"),
        ("body", body.as_str()),
        ("status", "published"),
    ];
    assert_eq!(write_post(&editor, &with_image).await.status(), 303);
    let (_, html) = t.get_text("/blog/the-reading-room-reopens").await;
    let page = scraper::Html::parse_document(&html);
    let meta = |attr: &str, name: &str| -> Option<String> {
        let sel = scraper::Selector::parse(&format!(r#"meta[{attr}="{name}"]"#)).unwrap();
        page.select(&sel)
            .next()?
            .attr("content")
            .map(str::to_string)
    };
    let og_image = meta("property", "og:image").unwrap();
    assert!(
        og_image.starts_with(&format!("{public}/media/{image}/")) && og_image.ends_with(".jpg"),
        "{og_image}"
    );
    assert_eq!(meta("property", "og:image:width").as_deref(), Some("1200"));
    assert_eq!(meta("property", "og:image:height").as_deref(), Some("800"));
    assert_eq!(
        meta("property", "og:image:alt").as_deref(),
        Some("The reading room with its new shelves")
    );
    assert_eq!(
        meta("name", "twitter:card").as_deref(),
        Some("summary_large_image")
    );
    let path = og_image.strip_prefix(public).unwrap();
    assert_eq!(
        t.get(path).await.status(),
        200,
        "the previewed image is served"
    );

    // Without --public-url the address is not taken from the Host a reader sent (the page is
    // kept for everyone): no og:url, and the e-mail carries the path.
    let t = support::spawn().await;
    let editor = person(
        &t,
        "ed@example.org",
        Role::Editor,
        "national-records-agency",
    )
    .await;
    assert_eq!(write_post(&editor, POST).await.status(), 303);
    let r = t
        .client
        .get(t.url("/blog/opening-up-the-archive-catalogue"))
        .header("host", "evil.example")
        .send()
        .await
        .unwrap();
    let html = r.text().await.unwrap();
    assert!(html.contains(r#"property="og:title""#));
    assert!(!html.contains("og:url") && !html.contains("evil.example"));
}
