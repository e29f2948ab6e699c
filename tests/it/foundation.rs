//! The foundation: pages, sign-in, sessions, CSRF, roles, security headers, ops endpoints.

use crate::support::{self, csrf_from};
use townhall::domain::role::Role;
use townhall::domain::user::Email;

#[tokio::test]
async fn hub_lists_the_organisations_with_security_headers() {
    let t = support::spawn().await;
    let r = t.get("/").await;
    assert_eq!(r.status(), 200);
    let h = r.headers().clone();
    let csp = h["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("default-src 'self'")
            && csp.contains("script-src 'self'")
            && csp.contains("frame-ancestors 'none'")
    );
    assert!(
        !csp.contains("http"),
        "the CSP names no other origin: {csp}"
    );
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["x-frame-options"], "DENY");
    assert!(h.contains_key("referrer-policy"));
    assert!(h.contains_key("x-request-id"));
    let html = r.text().await.unwrap();
    for name in [
        "Department of Community Services",
        "National Records Agency",
        "Care Standards Authority",
    ] {
        assert!(html.contains(name), "{name} on the hub");
    }
    assert!(html.contains(r#"class="govuk-skip-link""#) && html.contains(r#"id="main-content""#));
    assert!(html.contains("Open Government Licence"));
    // Nothing on the page is loaded from another origin.
    let doc = scraper::Html::parse_document(&html);
    let sel = scraper::Selector::parse("script[src], link[rel=stylesheet], img[src]").unwrap();
    for el in doc.select(&sel) {
        let url = el.value().attr("src").or(el.value().attr("href")).unwrap();
        assert!(
            url.starts_with('/') && !url.starts_with("//"),
            "{url} is not on this site"
        );
    }
}

#[tokio::test]
async fn organisation_pages_and_a_not_found_page() {
    let t = support::spawn().await;
    let (status, html) = t.get_text("/organisations/national-records-agency").await;
    assert_eq!(status, 200);
    assert!(
        html.contains("National Records Agency")
            && html.contains("Department of Community Services")
    );
    let (status, html) = t.get_text("/organisations/no-such-body").await;
    assert_eq!(status, 404);
    assert!(html.contains("Page not found") && html.contains("govuk-skip-link"));
}

#[tokio::test]
async fn stylesheet_is_fingerprinted_cached_compressed_and_free_of_gds_transport() {
    let t = support::spawn().await;
    let (_, html) = t.get_text("/").await;
    let doc = scraper::Html::parse_document(&html);
    let link = doc
        .select(&scraper::Selector::parse("link[rel=stylesheet]").unwrap())
        .next()
        .expect("a stylesheet");
    let href = link.value().attr("href").unwrap().to_string();
    assert!(
        href.starts_with("/assets/townhall-") && href.ends_with(".css"),
        "{href} is fingerprinted"
    );
    let r = t
        .client
        .get(t.url(&href))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert_eq!(r.headers()["content-encoding"], "gzip");
    let plain = support::client()
        .get(t.url(&href))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(plain.len() > 50_000, "the GOV.UK Frontend styles are there");
    assert!(!plain.contains("GDS Transport"));
    assert!(!plain.contains("@font-face"));
}

#[tokio::test]
async fn sign_in_reaches_admin_and_sign_out_ends_the_session() {
    let t = support::spawn().await;
    // Signed out, admin pages redirect to sign-in and back.
    let r = t.get("/admin/users").await;
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/sign-in?next=%2Fadmin%2Fusers");

    t.sign_in_admin().await;
    let (status, html) = t.get_text("/admin").await;
    assert_eq!(status, 200);
    assert!(html.contains("Demo Admin") && html.contains("Sign out"));
    let (status, html) = t.get_text("/admin/users").await;
    assert_eq!(status, 200);
    assert!(html.contains(townhall::demo::ADMIN_EMAIL));

    let token = csrf_from(&html);
    let r = t.post_form("/sign-out", &[("csrf_token", &token)]).await;
    assert_eq!(r.status(), 303);
    assert_eq!(t.get("/admin").await.status(), 303, "signed out again");
}

#[tokio::test]
async fn empty_and_wrong_sign_in_show_an_error_summary() {
    let t = support::spawn().await;
    let token = t.csrf_token("/sign-in").await;
    let r = t
        .post_form(
            "/sign-in",
            &[("csrf_token", &token), ("email", ""), ("password", "")],
        )
        .await;
    assert_eq!(r.status(), 400);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("govuk-error-summary")
            && html.contains("Enter your email address")
            && html.contains("Enter your password")
    );
    assert!(html.contains("<title>Error: Sign in"));
    assert!(
        html.contains(r##"href="#email""##),
        "the summary links to the field"
    );

    let r = t
        .post_form(
            "/sign-in",
            &[
                ("csrf_token", &token),
                ("email", townhall::demo::ADMIN_EMAIL),
                ("password", "wrong password"),
            ],
        )
        .await;
    assert_eq!(r.status(), 401);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Enter a correct email address and password")
    );
}

#[tokio::test]
async fn fifteen_wrong_passwords_bring_429_with_when_to_try_again() {
    let t = support::spawn().await;
    let token = t.csrf_token("/sign-in").await;
    let mut statuses = Vec::new();
    for _ in 0..15 {
        let r = t
            .post_form(
                "/sign-in",
                &[
                    ("csrf_token", &token),
                    ("email", townhall::demo::ADMIN_EMAIL),
                    ("password", "not the password"),
                ],
            )
            .await;
        statuses.push(r.status().as_u16());
        if r.status() == 429 {
            assert!(r.headers().contains_key("retry-after"));
            assert!(
                r.text()
                    .await
                    .unwrap()
                    .contains("Too many failed attempts to sign in. Wait 15 minutes")
            );
        }
    }
    assert_eq!(&statuses[..5], &[401; 5]);
    assert!(statuses[5..].iter().all(|s| *s == 429), "{statuses:?}");
    // The right password is refused too while the account is locked.
    let r = t
        .post_form(
            "/sign-in",
            &[
                ("csrf_token", &token),
                ("email", townhall::demo::ADMIN_EMAIL),
                ("password", &t.admin_password),
            ],
        )
        .await;
    assert_eq!(r.status(), 429);
}

#[tokio::test]
async fn many_accounts_from_one_address_are_limited_too() {
    let t = support::spawn().await;
    let token = t.csrf_token("/sign-in").await;
    let mut last = 0;
    for i in 0..15 {
        let email = format!("guess{i}@example.org");
        last = t
            .post_form(
                "/sign-in",
                &[("csrf_token", &token), ("email", &email), ("password", "x")],
            )
            .await
            .status()
            .as_u16();
    }
    assert_eq!(last, 429);
}

#[tokio::test]
async fn a_post_from_another_origin_is_refused() {
    let t = support::spawn().await;
    let token = t.csrf_token("/sign-in").await;
    let fields = [
        ("csrf_token", token.as_str()),
        ("email", townhall::demo::ADMIN_EMAIL),
        ("password", t.admin_password.as_str()),
    ];
    let r = t
        .client
        .post(t.url("/sign-in"))
        .header("origin", "https://evil.example")
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("came from another website")
    );
    let r = t
        .client
        .post(t.url("/sign-in"))
        .header("sec-fetch-site", "cross-site")
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let r = t
        .client
        .post(t.url("/sign-in"))
        .header("origin", "null")
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    // The same request from this site works.
    let r = t
        .client
        .post(t.url("/sign-in"))
        .header("sec-fetch-site", "same-origin")
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
}

#[tokio::test]
async fn signed_in_forms_need_the_session_csrf_token() {
    let t = support::spawn().await;
    t.sign_in_admin().await;
    let fields = [
        ("name", "Office for Open Data"),
        ("slug", ""),
        ("summary", ""),
        ("parent", "community-services"),
    ];
    let r = t.post_form("/admin/organisations/new", &fields).await;
    assert_eq!(r.status(), 400, "no token");
    let r = t
        .post_form(
            "/admin/organisations/new",
            &[("csrf_token", "forged"), ("name", "Office for Open Data")],
        )
        .await;
    assert_eq!(r.status(), 400, "wrong token");
    assert!(
        t.app
            .db
            .organisation_by_slug("office-for-open-data")
            .await
            .is_err(),
        "nothing was created"
    );

    let token = t.csrf_token("/admin/organisations/new").await;
    let mut with_token = vec![("csrf_token", token.as_str())];
    with_token.extend_from_slice(&fields);
    let r = t.post_form("/admin/organisations/new", &with_token).await;
    assert_eq!(r.status(), 303);
    let org = t
        .app
        .db
        .organisation_by_slug("office-for-open-data")
        .await
        .unwrap();
    assert_eq!(org.parent_slug.as_deref(), Some("community-services"));
}

#[tokio::test]
async fn admin_forms_validate_and_keep_what_was_typed() {
    let t = support::spawn().await;
    t.sign_in_admin().await;
    let token = t.csrf_token("/admin/organisations/new").await;
    let r = t
        .post_form(
            "/admin/organisations/new",
            &[
                ("csrf_token", &token),
                ("name", "<script>alert(1)</script>"),
                ("slug", "national-records-agency"),
            ],
        )
        .await;
    assert_eq!(r.status(), 400);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("already used by another organisation"),
        "{html}"
    );
    assert!(
        html.contains("value=\"&lt;script&gt;alert(1)") && !html.contains("<script>alert"),
        "input is kept, escaped: {html}"
    );

    let r = t
        .post_form(
            "/admin/organisations/new",
            &[("csrf_token", &token), ("name", ""), ("slug", "Bad Slug")],
        )
        .await;
    let html = r.text().await.unwrap();
    assert!(html.contains("Enter the organisation") && html.contains("lowercase letters"));
    assert_eq!(
        t.app.db.organisations().await.unwrap().len(),
        3,
        "nothing stored"
    );
}

#[tokio::test]
async fn admins_add_users_who_can_then_sign_in_with_their_roles() {
    let t = support::spawn().await;
    t.sign_in_admin().await;
    let orgs = t.app.db.organisations().await.unwrap();
    let nra = orgs
        .iter()
        .find(|o| o.slug == "national-records-agency")
        .unwrap();
    let token = t.csrf_token("/admin/users/new").await;
    let role = format!("{}:editor", nra.id);
    let r = t
        .post_form(
            "/admin/users/new",
            &[
                ("csrf_token", &token),
                ("name", "Eda Editor"),
                ("email", "Eda@Example.org"),
                ("roles", &role),
            ],
        )
        .await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(html.contains("Invitation sent"));
    // No password is shown: they choose one from the link in the invitation
    // (tests/it/accounts.rs follows it in full).
    let mail = t.app.db.outbox(10).await.unwrap();
    let body = &mail.iter().find(|m| m.1 == "eda@example.org").unwrap().3;
    let start = body.find("token=").unwrap() + 6;
    let link_token = body[start..].split_whitespace().next().unwrap();
    let password = "eda chooses a long passphrase";
    let r = t
        .post_form(
            "/set-password",
            &[
                ("csrf_token", &token),
                ("token", link_token),
                ("new_password", password),
                ("confirm_password", password),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);

    // The same email again is a form error, not a crash.
    let r = t
        .post_form(
            "/admin/users/new",
            &[
                ("csrf_token", &token),
                ("name", "Eda Again"),
                ("email", "eda@example.org"),
            ],
        )
        .await;
    assert_eq!(r.status(), 400);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("already a user with that email")
    );

    let t2 = support::TestApp::handle(&t);
    t2.sign_in("eda@example.org", password).await;
    let (status, html) = t2.get_text("/admin").await;
    assert_eq!(status, 200);
    assert!(html.contains("Editor in") && html.contains("National Records Agency"));
    // An editor is not an admin: the server refuses the admin pages.
    let (status, html) = t2.get_text("/admin/users").await;
    assert_eq!(status, 403);
    assert!(html.contains("You do not have permission"));
    let token = csrf_from(&t2.get_text("/admin").await.1);
    let r = t2
        .post_form(
            "/admin/organisations/new",
            &[("csrf_token", &token), ("name", "Sneaky Body")],
        )
        .await;
    assert_eq!(r.status(), 403);
}

#[tokio::test]
async fn the_last_admin_cannot_lose_the_role_and_disabled_users_cannot_sign_in() {
    let t = support::spawn().await;
    t.sign_in_admin().await;
    let admin = t
        .app
        .db
        .user_by_email(&Email::parse(townhall::demo::ADMIN_EMAIL).unwrap())
        .await
        .unwrap();
    let path = format!("/admin/users/{}/edit", admin.id);
    let token = t.csrf_token(&path).await;
    let r = t
        .post_form(
            &path,
            &[
                ("csrf_token", &token),
                ("name", "Demo Admin"),
                ("disabled", "yes"),
            ],
        )
        .await;
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("only admin"));
    assert_eq!(t.app.db.count_enabled_admins().await.unwrap(), 1);
    // Without the role in the department, the demo admin is still a hub admin (given only
    // from the command line), so the hub still has an admin.
    let r = t
        .post_form(&path, &[("csrf_token", &token), ("name", "Demo Admin")])
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(t.app.db.count_enabled_admins().await.unwrap(), 1);
    assert!(t.app.db.user(admin.id).await.unwrap().hub_admin);

    // A second user, disabled by the admin, can no longer sign in.
    let dept = t
        .app
        .db
        .organisation_by_slug("community-services")
        .await
        .unwrap();
    let hash = townhall::auth::hash_password("a long enough password".into())
        .await
        .unwrap();
    let id = t
        .app
        .db
        .create_user(
            &Email::parse("mo@example.org").unwrap(),
            "Mo",
            &hash,
            &[(dept.id, Role::Moderator)],
        )
        .await
        .unwrap();
    let path = format!("/admin/users/{id}/edit");
    let role = format!("{}:moderator", dept.id);
    let r = t
        .post_form(
            &path,
            &[
                ("csrf_token", &token),
                ("name", "Mo Moderator"),
                ("roles", &role),
                ("disabled", "yes"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let other = support::TestApp::handle(&t);
    let token = other.csrf_token("/sign-in").await;
    let r = other
        .post_form(
            "/sign-in",
            &[
                ("csrf_token", &token),
                ("email", "mo@example.org"),
                ("password", "a long enough password"),
            ],
        )
        .await;
    assert_eq!(r.status(), 401);
}

#[tokio::test]
async fn healthz_answers_200_then_503_when_the_database_is_gone() {
    let t = support::spawn().await;
    let r = t.get("/healthz").await;
    assert_eq!(r.status(), 200);
    t.app.db.close().await;
    let r = t.get("/healthz").await;
    assert_eq!(r.status(), 503);
}

#[tokio::test]
async fn metrics_count_requests_by_route() {
    let t = support::spawn().await;
    t.get("/").await;
    t.get("/organisations/care-standards-authority").await;
    // Only with the metrics token: the site's own visitors do not see them.
    assert_eq!(t.get("/metrics").await.status(), 401);
    let r = t
        .client
        .get(t.url("/metrics"))
        .bearer_auth(support::METRICS_TOKEN)
        .send()
        .await
        .unwrap();
    let (status, text) = (r.status(), r.text().await.unwrap());
    assert_eq!(status, 200);
    assert!(text.contains("townhall_http_requests_total{method=\"GET\",route=\"/organisations/{slug}\",status=\"200\"}"), "{text}");
    assert!(text.contains("townhall_http_request_duration_seconds_bucket"));
    assert!(text.contains("townhall_db_pool_connections"));
}

#[tokio::test]
async fn api_lists_organisations_and_checks_tokens() {
    let t = support::spawn().await;
    let body: serde_json::Value = t.get("/api/v1/organisations").await.json().await.unwrap();
    let items = body["items"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    let nra = items
        .iter()
        .find(|o| o["slug"] == "national-records-agency")
        .unwrap();
    assert_eq!(nra["parent"], "community-services");
    assert_eq!(nra["name"], "National Records Agency");

    let r = t.get("/api/v1/me").await;
    assert_eq!(r.status(), 401);
    let err: serde_json::Value = r.json().await.unwrap();
    assert!(err["error"].is_string() && err["fields"].is_object());

    let admin = t
        .app
        .db
        .user_by_email(&Email::parse(townhall::demo::ADMIN_EMAIL).unwrap())
        .await
        .unwrap();
    let token = format!("th_{}", townhall::auth::random_token());
    t.app
        .db
        .create_api_token(admin.id, &townhall::auth::token_hash(&token))
        .await
        .unwrap();
    let me: serde_json::Value = t
        .client
        .get(t.url("/api/v1/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["email"], townhall::demo::ADMIN_EMAIL);
    assert_eq!(me["roles"][0]["role"], "admin");
    let r = t
        .client
        .get(t.url("/api/v1/me"))
        .bearer_auth("th_forged")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);

    let r = t.get("/api/v1/nothing-here").await;
    assert_eq!(r.status(), 404);
    assert_eq!(r.headers()["content-type"], "application/json");
}

#[tokio::test]
async fn openapi_document_describes_every_api_route() {
    let t = support::spawn().await;
    let doc: serde_json::Value = t.get("/api/openapi.json").await.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    let paths = doc["paths"].as_object().unwrap();
    let router_source = include_str!("../../src/web/mod.rs");
    // Every "/api/v1/…" string in the router, wherever rustfmt puts it.
    let routes: Vec<&str> = router_source
        .split('"')
        .filter(|s| s.starts_with("/api/v1/"))
        .collect();
    assert!(routes.len() > 20, "{routes:?}");
    for path in routes {
        assert!(
            paths.contains_key(path),
            "{path} is in the router but not in the OpenAPI document"
        );
    }
}

/// A path or query parameter that does not parse is a JSON error like every other API error,
/// not the framework's plain text.
#[tokio::test]
async fn unreadable_api_parameters_are_json_errors() {
    let t = support::spawn().await;
    let analyst = t
        .user_with_token(
            "an@example.org",
            "community-services",
            townhall::domain::role::Role::Analyst,
        )
        .await;
    let requests = [
        t.client
            .get(t.url("/api/v1/programme/projects?status=a&status=b")),
        t.client
            .get(t.url("/api/v1/analyses/not-a-number"))
            .bearer_auth(&analyst),
        t.client
            .post(t.url("/api/v1/comments/1%2C2/approve"))
            .bearer_auth(&analyst),
    ];
    for request in requests {
        let r = request.send().await.unwrap();
        let url = r.url().to_string();
        assert_eq!(r.status(), 400, "{url}");
        assert!(
            r.headers()[reqwest::header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("application/json"),
            "{url}"
        );
        let body: serde_json::Value = r.json().await.unwrap();
        assert!(
            body["error"].as_str().is_some_and(|e| !e.is_empty()),
            "{url}: {body}"
        );
    }
}

#[tokio::test]
async fn the_suite_runs_on_the_engine_it_says() {
    let t = support::spawn().await;
    let expected = if support::engine_name() == "postgres" {
        townhall::store::Engine::Postgres
    } else {
        townhall::store::Engine::Sqlite
    };
    assert_eq!(t.app.db.engine(), expected);
    assert!(t.database_url.starts_with(support::engine_name()));
}

#[tokio::test]
async fn a_failing_database_gives_the_500_page_not_a_stack_trace() {
    let t = support::spawn().await;
    t.app.db.close().await;
    let (status, html) = t.get_text("/").await;
    assert_eq!(status, 500);
    assert!(html.contains("Sorry, there is a problem with the service"));
    assert!(!html.contains("sqlx") && !html.contains("panicked"));
    let r = t.get("/api/v1/organisations").await;
    assert_eq!(r.status(), 500);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(
        body["error"],
        "something went wrong on our side; try again later"
    );
}
