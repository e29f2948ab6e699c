//! Accounts as a department runs them: password links (reset and invitation), the account
//! page, two-factor sign-in, and sign-in limits that strangers cannot turn against the owner.

use crate::support::{self, TestApp, csrf_from};
use std::time::{Duration, Instant};
use townhall::auth::two_factor;
use townhall::domain::role::Role;
use townhall::domain::user::{Email, TwoFactorPolicy};
use townhall::jobs::mail::deliver_due;
use townhall::store::now;

const SITE: &str = "https://engage.example.gov.uk/";

/// An app whose links point at [`SITE`], with its other settings as `configure` makes them.
async fn spawn_site(configure: impl FnOnce(&mut townhall::Config)) -> TestApp {
    support::spawn_with(|c| {
        c.public_url = Some(url::Url::parse(SITE).unwrap());
        configure(c);
    })
    .await
}

/// The token of the newest message to `recipient` in the outbox carrying a password link,
/// waiting a little for one queued after the response.
async fn link_token(t: &TestApp, recipient: &str) -> String {
    for _ in 0..100 {
        let mail = t.app.db.outbox(1000).await.unwrap();
        if let Some((_, _, _, body)) = mail.iter().rev().find(|m| m.1 == recipient) {
            let start = body.find("set-password?token=").expect("a link") + 19;
            let link = format!("{SITE}set-password?token=");
            assert!(body.contains(&link), "the link uses --public-url: {body}");
            return body[start..].split_whitespace().next().unwrap().to_string();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no message to {recipient}");
}

async fn messages_to(t: &TestApp, recipient: &str) -> usize {
    let mail = t.app.db.outbox(1000).await.unwrap();
    mail.iter().filter(|m| m.1 == recipient).count()
}

async fn forgot(t: &TestApp, email: &str) -> reqwest::Response {
    let csrf = t.csrf_token("/forgot-password").await;
    t.post_form(
        "/forgot-password",
        &[("csrf_token", &csrf), ("email", email)],
    )
    .await
}

async fn set_password(t: &TestApp, token: &str, password: &str, again: &str) -> reqwest::Response {
    let csrf = t.csrf_token("/sign-in").await;
    t.post_form(
        "/set-password",
        &[
            ("csrf_token", &csrf),
            ("token", token),
            ("new_password", password),
            ("confirm_password", again),
        ],
    )
    .await
}

/// Signs in through the form and returns the status (303 when it worked).
async fn try_sign_in(t: &TestApp, email: &str, password: &str) -> u16 {
    let csrf = t.csrf_token("/sign-in").await;
    t.post_form(
        "/sign-in",
        &[
            ("csrf_token", &csrf),
            ("email", email),
            ("password", password),
        ],
    )
    .await
    .status()
    .as_u16()
}

async fn audit_actions(t: &TestApp) -> Vec<String> {
    t.app
        .db
        .recent_audit(500)
        .await
        .unwrap()
        .into_iter()
        .map(|e| format!("{}: {}", e.action, e.subject))
        .collect()
}

#[tokio::test]
async fn a_reset_link_works_once_expires_and_gives_way_to_a_newer_one() {
    let t = spawn_site(|_| {}).await;
    let admin = townhall::demo::ADMIN_EMAIL;
    // A browser signed in before the reset is signed out by it.
    let before = TestApp::handle(&t);
    before.sign_in_admin().await;

    let r = forgot(&t, admin).await;
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("Check your email"));
    let first = link_token(&t, admin).await;
    let (status, html) = t.get_text(&format!("/set-password?token={first}")).await;
    assert_eq!(status, 200);
    assert!(html.contains("Choose a new password") && html.contains(admin));

    // A newer link ends the older one.
    forgot(&t, admin).await;
    let mut second = link_token(&t, admin).await;
    for _ in 0..50 {
        if second != first {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        second = link_token(&t, admin).await;
    }
    assert_ne!(first, second);
    let (status, html) = t.get_text(&format!("/set-password?token={first}")).await;
    assert_eq!(status, 400);
    assert!(html.contains("This link no longer works"));

    // The new password is checked: long enough, not common, typed twice the same.
    let r = set_password(&t, &second, "password1234", "password1234").await;
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("harder to guess"));
    let r = set_password(
        &t,
        &second,
        "marble lantern quietly",
        "marble lantern quiet",
    )
    .await;
    assert_eq!(r.status(), 400);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Enter the same password twice")
    );

    let r = set_password(
        &t,
        &second,
        "marble lantern quietly",
        "marble lantern quietly",
    )
    .await;
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/sign-in?password=set");
    // Once only.
    let r = set_password(
        &t,
        &second,
        "another good passphrase",
        "another good passphrase",
    )
    .await;
    assert_eq!(r.status(), 400);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("This link no longer works")
    );

    let (status, _) = before.get_text("/admin").await;
    assert_eq!(
        status, 303,
        "the reset ended the sessions signed in before it"
    );
    let fresh = TestApp::handle(&t);
    assert_eq!(try_sign_in(&fresh, admin, &t.admin_password).await, 401);
    assert_eq!(
        try_sign_in(&fresh, admin, "marble lantern quietly").await,
        303
    );

    // A link past its half hour does not work.
    forgot(&t, admin).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let third = link_token(&t, admin).await;
    support::execute_sql(&t.database_url, "UPDATE password_links SET expires_at = 1").await;
    let (status, _) = t.get_text(&format!("/set-password?token={third}")).await;
    assert_eq!(status, 400);
    let r = set_password(
        &t,
        &third,
        "yet another passphrase",
        "yet another passphrase",
    )
    .await;
    assert_eq!(r.status(), 400);
    assert!(
        audit_actions(&t)
            .await
            .contains(&format!("reset password: {admin}"))
    );
    drop((before, fresh));
}

#[tokio::test]
async fn forgot_gives_the_same_answer_whether_or_not_there_is_an_account() {
    let t = spawn_site(|c| {
        c.trusted_proxies = townhall::domain::network::TrustedProxies::parse("127.0.0.1").unwrap();
    })
    .await;
    let ask = |email: &'static str, n: usize| {
        let t = &t;
        async move {
            let csrf = t.csrf_token("/forgot-password").await;
            let started = Instant::now();
            let r = t
                .client
                .post(t.url("/forgot-password"))
                .header("origin", format!("http://{}", t.addr))
                .header("x-forwarded-for", format!("10.2.{}.{}", n / 200, n % 200))
                .form(&[("csrf_token", csrf.as_str()), ("email", email)])
                .send()
                .await
                .unwrap();
            let elapsed = started.elapsed();
            let status = r.status().as_u16();
            let body = r.text().await.unwrap().replace(email, "EMAIL");
            (status, body, elapsed)
        }
    };
    let known = townhall::demo::ADMIN_EMAIL;
    let unknown = "nobody@townhall.example";
    let (mut known_times, mut unknown_times) = (Vec::new(), Vec::new());
    let mut bodies = std::collections::HashSet::new();
    for n in 0..9 {
        let (s1, b1, t1) = ask(known, 2 * n).await;
        let (s2, b2, t2) = ask(unknown, 2 * n + 1).await;
        assert_eq!((s1, s2), (200, 200));
        bodies.insert(b1);
        bodies.insert(b2);
        known_times.push(t1);
        unknown_times.push(t2);
    }
    assert_eq!(bodies.len(), 1, "one answer for both");
    known_times.sort();
    unknown_times.sort();
    let (a, b) = (known_times[4], unknown_times[4]);
    // The account is looked up after the answer has gone, so the medians differ only by noise.
    assert!(
        a.abs_diff(b) < Duration::from_millis(75),
        "median answer {a:?} with an account, {b:?} without"
    );
    // At most three messages an hour to one account, however many addresses ask; none to an
    // address without an account.
    link_token(&t, known).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(messages_to(&t, known).await, 3);
    assert_eq!(messages_to(&t, unknown).await, 0);
    // One address asking again and again is refused.
    let mut last = 0;
    for _ in 0..6 {
        last = forgot(&t, unknown).await.status().as_u16();
    }
    assert_eq!(last, 429);
    // A malformed address is a form error.
    let r = forgot(&t, "not an address").await;
    assert_eq!(r.status(), 400);
}

#[tokio::test]
async fn an_invited_user_chooses_a_password_and_signs_in_with_their_roles() {
    let t = spawn_site(|_| {}).await;
    t.sign_in_admin().await;
    let orgs = t.app.db.organisations().await.unwrap();
    let nra = orgs
        .iter()
        .find(|o| o.slug == "national-records-agency")
        .unwrap();
    let csrf = t.csrf_token("/admin/users/new").await;
    let role = format!("{}:editor", nra.id);
    let r = t
        .post_form(
            "/admin/users/new",
            &[
                ("csrf_token", &csrf),
                ("name", "Ivy Invited"),
                ("email", "Ivy@Example.org"),
                ("roles", &role),
            ],
        )
        .await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(html.contains("Invitation sent") && html.contains("ivy@example.org"));
    assert!(
        html.contains("no mail relay set up") && html.contains("townhall user reset"),
        "says what to do without a relay"
    );
    let token = link_token(&t, "ivy@example.org").await;
    // The invitation goes out through a real SMTP server.
    let relay = crate::smtp::SmtpServer::start();
    let sent = deliver_due(&t.app.db, &relay.mailer(), now())
        .await
        .unwrap();
    assert_eq!(sent.sent, 1);
    let message = &relay.messages()[0];
    assert!(message.contains("To: ivy@example.org"), "{message}");
    assert!(
        message.contains("Subject: You have been given an account"),
        "{message}"
    );
    assert!(message.contains("7 days"), "{message}");
    assert!(
        message.contains(&token[..20]),
        "the link is in the message: {message}"
    );

    // Until then the account has no password that works, and the list of users says so.
    let (_, users) = t.get_text("/admin/users").await;
    assert!(users.contains("No password yet"), "{users}");
    let ivy = TestApp::handle(&t);
    assert_eq!(try_sign_in(&ivy, "ivy@example.org", "").await, 400);
    let (status, html) = ivy.get_text(&format!("/set-password?token={token}")).await;
    assert_eq!(status, 200);
    assert!(html.contains("Choose your password"));
    let r = set_password(&ivy, &token, "ivy invited 2026", "ivy invited 2026").await;
    assert_eq!(r.status(), 400, "made from her own name");
    let r = set_password(
        &ivy,
        &token,
        "copper kettle evening",
        "copper kettle evening",
    )
    .await;
    assert_eq!(r.status(), 303);
    assert_eq!(
        try_sign_in(&ivy, "ivy@example.org", "copper kettle evening").await,
        303
    );
    let (status, html) = ivy.get_text("/admin").await;
    assert_eq!(status, 200);
    assert!(html.contains("Editor in") && html.contains("National Records Agency"));
    assert!(
        audit_actions(&t)
            .await
            .contains(&"accepted invitation: ivy@example.org".into())
    );

    // The admin can send a reset link later; the page names it so.
    let ivy_id = t
        .app
        .db
        .user_by_email(&Email::parse("ivy@example.org").unwrap())
        .await
        .unwrap()
        .id;
    let page = format!("/admin/users/{ivy_id}/edit");
    let (_, html) = t.get_text(&page).await;
    assert!(html.contains("Send a link to reset their password"));
    let r = t
        .post_form(
            &format!("/admin/users/{ivy_id}/password-link"),
            &[("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("Reset link sent"));
    // An editor cannot.
    let ivy_csrf = csrf_from(&ivy.get_text("/admin").await.1);
    let r = ivy
        .post_form(
            &format!("/admin/users/{ivy_id}/password-link"),
            &[("csrf_token", &ivy_csrf)],
        )
        .await;
    assert_eq!(r.status(), 403);
    drop(ivy);
}

#[tokio::test]
async fn changing_the_password_ends_the_other_sessions() {
    let t = support::spawn().await;
    let other = TestApp::handle(&t);
    t.sign_in_admin().await;
    other.sign_in_admin().await;
    let (status, html) = t.get_text("/account").await;
    assert_eq!(status, 200);
    assert!(html.contains("Your account") && html.contains("(this browser)"));
    assert_eq!(
        html.matches("name=\"session\" value=\"").count(),
        3,
        "two sessions, and 'everywhere else'"
    );
    let csrf = csrf_from(&html);
    let change = |current: &str, new: &str, again: &str| {
        let fields = [
            ("csrf_token", csrf.clone()),
            ("current_password", current.to_string()),
            ("new_password", new.to_string()),
            ("confirm_password", again.to_string()),
        ];
        let t = &t;
        async move {
            let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            t.post_form("/account/password", &fields).await
        }
    };
    let r = change(
        "not my password",
        "plum orchard sunrise",
        "plum orchard sunrise",
    )
    .await;
    assert_eq!(r.status(), 400);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Your current password is not right")
    );
    let r = change(&t.admin_password, "short", "short").await;
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("12 characters or more"));
    let r = change(
        &t.admin_password,
        "plum orchard sunrise",
        "plum orchard sunrise",
    )
    .await;
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/account?done=password");
    let (status, html) = t.get_text("/account?done=password").await;
    assert_eq!(
        status, 200,
        "this browser stays signed in, under a new session id"
    );
    assert!(html.contains("signed out everywhere else"));
    assert_eq!(
        other.get_text("/admin").await.0,
        303,
        "the other session ended"
    );

    // Sign out everywhere else, and one session at a time.
    other
        .sign_in(townhall::demo::ADMIN_EMAIL, "plum orchard sunrise")
        .await;
    let csrf = csrf_from(&t.get_text("/account").await.1);
    let r = t
        .post_form(
            "/account/sessions",
            &[("csrf_token", &csrf), ("session", "")],
        )
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(other.get_text("/admin").await.0, 303);
    assert_eq!(t.get_text("/admin").await.0, 200);
    let r = t
        .post_form(
            "/account/sessions",
            &[("csrf_token", &csrf), ("session", "not-a-session")],
        )
        .await;
    assert_eq!(r.status(), 404);
    let actions = audit_actions(&t).await;
    let admin = townhall::demo::ADMIN_EMAIL;
    assert!(actions.contains(&format!("changed password: {admin}")));
    assert!(actions.contains(&format!("signed out everywhere else: {admin}")));
    drop(other);
}

#[tokio::test]
async fn a_session_ends_when_idle() {
    let t = support::spawn_with(|c| c.sessions.idle_secs = 2).await;
    t.sign_in_admin().await;
    assert_eq!(t.get_text("/admin").await.0, 200);
    tokio::time::sleep(Duration::from_millis(3100)).await;
    assert_eq!(t.get_text("/admin").await.0, 303);
}

/// Sends a sign-in from `address` (through the trusted proxy) with `client`'s cookies.
async fn sign_in_from(t: &TestApp, client: &reqwest::Client, address: &str, password: &str) -> u16 {
    let page = client
        .get(t.url("/sign-in"))
        .header("x-forwarded-for", address)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = csrf_from(&page);
    let fields = [
        ("csrf_token", csrf.as_str()),
        ("email", townhall::demo::ADMIN_EMAIL),
        ("password", password),
    ];
    client
        .post(t.url("/sign-in"))
        .header("origin", format!("http://{}", t.addr))
        .header("x-forwarded-for", address)
        .form(&fields)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn fifty_wrong_passwords_from_fifty_addresses_do_not_keep_the_admin_out() {
    let t = support::spawn_with(|c| {
        c.trusted_proxies = townhall::domain::network::TrustedProxies::parse("127.0.0.1").unwrap();
    })
    .await;
    // The admin's own browser has signed in before, at the office.
    let laptop = support::client();
    assert_eq!(
        sign_in_from(&t, &laptop, "192.0.2.10", &t.admin_password).await,
        303
    );

    let attacker = support::client();
    for i in 0..50 {
        let status = sign_in_from(&t, &attacker, &format!("198.51.100.{i}"), "guess").await;
        assert!(matches!(status, 401 | 429), "{status}");
    }
    // The attacker's addresses are refused now, even with the right password.
    assert_eq!(
        sign_in_from(&t, &attacker, "198.51.100.7", "guess").await,
        429
    );
    let stranger = support::client();
    assert_eq!(
        sign_in_from(&t, &stranger, "198.51.100.99", &t.admin_password).await,
        429
    );
    // The admin, from home (a fresh address) on their own laptop, gets in at once.
    assert_eq!(
        sign_in_from(&t, &laptop, "203.0.113.5", &t.admin_password).await,
        303
    );
    let actions = audit_actions(&t).await;
    let admin = townhall::demo::ADMIN_EMAIL;
    assert!(actions.contains(&format!("sign-in held back for new browsers: {admin}")));
    assert!(actions.contains(&format!("sign-in no longer held back: {admin}")));
}

/// The secret on the two-factor set-up page.
fn secret_from(html: &str) -> String {
    let start = html
        .find(r#"name="secret" value=""#)
        .expect("a set-up form")
        + 21;
    html[start..].split('"').next().unwrap().to_string()
}

/// The recovery codes on the page shown once two-factor is on.
fn recovery_codes_from(html: &str) -> Vec<String> {
    html.split("<li><code>")
        .skip(1)
        .map(|s| s.split('<').next().unwrap().to_string())
        .collect()
}

async fn send_code(t: &TestApp, field: &str, code: &str) -> reqwest::Response {
    let csrf = t.csrf_token("/sign-in").await;
    t.post_form(
        "/sign-in/two-factor",
        &[("csrf_token", &csrf), (field, code)],
    )
    .await
}

#[tokio::test]
async fn admins_set_up_two_factor_first_and_codes_work_once() {
    let t = support::spawn_with(|c| c.two_factor = TwoFactorPolicy::Admins).await;
    t.sign_in_admin().await;
    // An admin without a second factor is sent to set it up before anything else.
    let r = t.get("/admin/users").await;
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/account/two-factor");
    assert_eq!(t.get_text("/account").await.0, 303);
    let (status, html) = t.get_text("/account/two-factor").await;
    assert_eq!(status, 200);
    assert!(html.contains("Your roles need two-factor sign-in"));
    assert!(
        html.contains("<svg role=\"img\""),
        "the QR code is drawn by the server"
    );
    let secret = secret_from(&html);
    let csrf = csrf_from(&html);
    let set_up = |code: String| {
        let (t, csrf, secret) = (&t, csrf.clone(), secret.clone());
        async move {
            t.post_form(
                "/account/two-factor",
                &[("csrf_token", &csrf), ("secret", &secret), ("code", &code)],
            )
            .await
        }
    };
    let r = set_up("000000".into()).await;
    assert_eq!(r.status(), 400);
    let at_set_up = now().secs();
    let first_code = two_factor::code_at(&secret, at_set_up).unwrap();
    let r = set_up(first_code.clone()).await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(html.contains("Two-factor sign-in is on"));
    let codes = recovery_codes_from(&html);
    assert_eq!(codes.len(), 10);
    assert_eq!(t.get_text("/admin/users").await.0, 200);

    // Signing in again asks for a code after the password.
    let again = TestApp::handle(&t);
    let csrf = again.csrf_token("/sign-in").await;
    let r = again
        .post_form(
            "/sign-in",
            &[
                ("csrf_token", &csrf),
                ("email", townhall::demo::ADMIN_EMAIL),
                ("password", &t.admin_password),
            ],
        )
        .await;
    assert_eq!(r.headers()["location"], "/sign-in/two-factor");
    assert_eq!(again.get_text("/admin").await.0, 303, "not signed in yet");
    let r = send_code(&again, "code", "123456").await;
    assert_eq!(r.status(), 400);
    // The code used to set it up was taken: it cannot be used again.
    let r = send_code(&again, "code", &first_code).await;
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("used already"));
    let next_code = two_factor::code_at(&secret, now().secs() + 30).unwrap();
    let r = send_code(&again, "code", &next_code).await;
    assert_eq!(r.status(), 303);
    assert_eq!(again.get_text("/admin/users").await.0, 200);

    // A recovery code works once.
    let recovering = TestApp::handle(&t);
    recovering.sign_in_admin().await;
    let r = send_code(&recovering, "recovery_code", &codes[3].to_uppercase()).await;
    assert_eq!(r.status(), 303);
    assert_eq!(recovering.get_text("/admin").await.0, 200);
    let once_more = TestApp::handle(&t);
    once_more.sign_in_admin().await;
    let r = send_code(&once_more, "recovery_code", &codes[3]).await;
    assert_eq!(r.status(), 400);
    assert_eq!(once_more.get_text("/admin").await.0, 303);
    let actions = audit_actions(&t).await;
    let admin = townhall::demo::ADMIN_EMAIL;
    assert!(actions.contains(&format!("set up two-factor sign-in: {admin}")));
    let log = t.app.db.recent_audit(100).await.unwrap();
    assert!(
        log.iter()
            .any(|e| e.detail == "with a recovery code (9 left)")
    );
    drop((again, recovering, once_more));
}

#[tokio::test]
async fn another_admin_removes_a_lost_second_factor() {
    let t = support::spawn().await;
    t.named_user_with_token(
        "Ed Editor",
        "ed@example.org",
        "community-services",
        Role::Editor,
    )
    .await;
    let password = "a long enough password";
    let id = t
        .app
        .db
        .user_by_email(&Email::parse("ed@example.org").unwrap())
        .await
        .unwrap()
        .id;
    let ed = TestApp::handle(&t);
    ed.sign_in("ed@example.org", password).await;
    let html = ed.get_text("/account/two-factor").await.1;
    let secret = secret_from(&html);
    let code = two_factor::code_at(&secret, now().secs()).unwrap();
    let csrf = csrf_from(&html);
    let r = ed
        .post_form(
            "/account/two-factor",
            &[("csrf_token", &csrf), ("secret", &secret), ("code", &code)],
        )
        .await;
    assert_eq!(r.status(), 200);

    t.sign_in_admin().await;
    let page = format!("/admin/users/{id}/edit");
    let html = t.get_text(&page).await.1;
    assert!(html.contains("Remove two-factor sign-in"));
    let r = t
        .post_form(
            &format!("/admin/users/{id}/two-factor/remove"),
            &[("csrf_token", &csrf_from(&html))],
        )
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(ed.get_text("/account").await.0, 303, "their sessions ended");
    assert!(!t.app.db.user(id).await.unwrap().two_factor);
    ed.sign_in("ed@example.org", password).await;
    let log = t.app.db.recent_audit(100).await.unwrap();
    assert!(log.iter().any(|e| e.action == "removed two-factor sign-in"
        && e.subject == "ed@example.org"
        && e.actor.as_deref() == Some(townhall::demo::ADMIN_EMAIL)));
    // No admin removes their own (another admin must).
    let admin = t
        .app
        .db
        .user_by_email(&Email::parse(townhall::demo::ADMIN_EMAIL).unwrap())
        .await
        .unwrap();
    let r = t
        .post_form(
            &format!("/admin/users/{}/two-factor/remove", admin.id),
            &[("csrf_token", &csrf_from(&html))],
        )
        .await;
    assert_eq!(r.status(), 403);
    drop(ed);
}

#[tokio::test]
async fn the_command_line_prints_a_link_that_works_once() {
    let t = spawn_site(|_| {}).await;
    let out = crate::process::townhall_ok(
        &[
            "user",
            "reset",
            "--database",
            &t.database_url,
            "--email",
            townhall::demo::ADMIN_EMAIL,
            "--public-url",
            "https://engage.example.gov.uk",
        ],
        "",
    );
    let token = out
        .strip_prefix("https://engage.example.gov.uk/set-password?token=")
        .unwrap_or_else(|| panic!("a link: {out}"));
    let r = set_password(&t, token, "harbour window lamp", "harbour window lamp").await;
    assert_eq!(r.status(), 303);
    assert_eq!(
        try_sign_in(&t, townhall::demo::ADMIN_EMAIL, "harbour window lamp").await,
        303
    );
    let o = crate::process::townhall(
        &[
            "user",
            "reset",
            "--database",
            &t.database_url,
            "--email",
            "nobody@example.org",
        ],
        "",
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no user with the email"));
}

#[test]
fn single_sign_on_settings_are_checked_before_serving() {
    let serve = |extra: &[&str]| {
        let args = [
            &[
                "serve",
                "--database",
                "sqlite::memory:",
                "--addr",
                "127.0.0.1:0",
            ],
            extra,
        ]
        .concat();
        crate::process::townhall(&args, "")
    };
    let o = serve(&[
        "--oidc-provider",
        "name=Our ID,issuer=https://id.example,client-id=x",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("--oidc-provider needs --public-url"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    let o = serve(&[
        "--public-url",
        "https://engage.example.gov.uk",
        "--oidc-provider",
        "name=Our ID,issuer=https://id.example,client-id=x,secret-env=TOWNHALL_NOT_SET_ANYWHERE",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("TOWNHALL_NOT_SET_ANYWHERE, which is not set"),
        "{err}"
    );
    let o = serve(&["--two-factor", "sometimes"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--two-factor"));
}
