//! E-mail subscriptions end to end: the public forms, the notices job and the outbox, with
//! every message read back from a real SMTP server (aiosmtpd, `crate::smtp`).

use crate::smtp::SmtpServer;
use crate::support::{TestApp, client, spawn_with};
use serde_json::json;
use townhall::domain::role::Role;
use townhall::domain::time::Timestamp;
use townhall::jobs::mail::deliver_due;
use townhall::jobs::notices::run_once;
use townhall::store::now;

const SITE: &str = "https://townhall.test";

async fn site() -> TestApp {
    spawn_with(|c| c.public_url = Some(url::Url::parse(SITE).unwrap())).await
}

/// The link starting `https://townhall.test{prefix}` in a message, as a path on the test server.
fn link(message: &str, prefix: &str) -> String {
    let start = message
        .find(&format!("{SITE}{prefix}"))
        .unwrap_or_else(|| panic!("no {prefix} link in {message}"));
    let url: String = message[start..]
        .chars()
        .take_while(|c| !c.is_whitespace() && *c != '"' && *c != '>' && *c != '<')
        .collect();
    url.strip_prefix(SITE).unwrap().replace("&amp;", "&")
}

/// What the notices job and then the outbox do at `at`: the messages the relay received.
async fn tell_and_send(t: &TestApp, relay: &SmtpServer, at: Timestamp) -> Vec<String> {
    let before = relay.messages().len();
    run_once(&t.app, at).await.unwrap();
    deliver_due(&t.app.db, &relay.mailer(), at).await.unwrap();
    relay.messages().split_off(before)
}

async fn subscribe(t: &TestApp, email: &str, list: &str, frequency: &str) -> reqwest::Response {
    t.post_form(
        "/subscribe",
        &[("email", email), ("list", list), ("frequency", frequency)],
    )
    .await
}

/// Follows the confirmation link in `message` as its reader would: the page, then its button.
async fn confirm(t: &TestApp, message: &str) -> String {
    let path = link(message, "/subscriptions/confirm?token=");
    let (status, page) = t.get_text(&path).await;
    assert_eq!(status, 200);
    assert!(page.contains("Confirm your subscription"), "{page}");
    let token = path.split_once("token=").unwrap().1;
    let r = t
        .post_form("/subscriptions/confirm", &[("token", token)])
        .await;
    assert_eq!(r.status(), 303, "confirming redirects to the manage page");
    let to = r.headers()["location"].to_str().unwrap().to_string();
    assert!(to.starts_with("/subscriptions/manage?s="), "{to}");
    to
}

async fn publish(t: &TestApp, token: &str, title: &str) {
    let r = t
        .post_json(
            "/api/v1/posts",
            Some(token),
            &json!({"organisation": "community-services", "title": title,
                    "summary": format!("About {title}."), "body": "Words.", "status": "published"}),
        )
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
}

#[tokio::test]
async fn double_opt_in_then_each_post_once_to_confirmed_addresses_and_one_click_unsubscribe() {
    let t = site().await;
    let relay = SmtpServer::start();
    let editor = t
        .user_with_token("ed@example.org", "community-services", Role::Editor)
        .await;
    let start = now();

    let (status, form) = t.get_text("/subscribe?list=hub").await;
    assert_eq!(status, 200);
    assert!(
        form.contains(r#"value="hub" checked"#),
        "the list asked for is ticked"
    );
    let r = subscribe(&t, "Reader@Example.org", "hub", "immediately").await;
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("Check your email"));
    assert_eq!(
        subscribe(&t, "stranger@example.org", "hub", "immediately")
            .await
            .status(),
        200
    );

    // Only the confirmations go out; a post published now reaches no one.
    let sent = tell_and_send(&t, &relay, start + 10).await;
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert!(
        sent.iter()
            .all(|m| m.contains("Subject: Confirm you want emails from Townhall"))
    );
    let to_reader = sent
        .iter()
        .find(|m| m.contains("To: reader@example.org"))
        .unwrap();
    publish(&t, &editor, "Before anyone confirmed").await;
    assert!(
        tell_and_send(&t, &relay, now() + 10).await.is_empty(),
        "nothing is sent to an unconfirmed address"
    );

    // Opening the link changes nothing (mail scanners open links); its button confirms.
    let manage = confirm(&t, to_reader).await;
    let (_, page) = t.get_text(&manage).await;
    assert!(page.contains("Your subscription is confirmed"), "{page}");
    assert!(page.contains("Everything published on Townhall"), "{page}");

    // A post published after confirming reaches the reader once, and the stranger never.
    publish(&t, &editor, "Bins collected on bank holidays").await;
    let sent = tell_and_send(&t, &relay, now() + 20).await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    let m = &sent[0];
    assert!(m.contains("To: reader@example.org"), "{m}");
    assert!(
        m.contains("Subject: New post: Bins collected on bank holidays"),
        "{m}"
    );
    assert!(m.contains("multipart/alternative"), "{m}");
    assert!(m.contains("text/html"), "{m}");
    assert!(
        m.contains(&format!("{SITE}/blog/bins-collected-on-bank-holidays")),
        "{m}"
    );
    assert!(
        m.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"),
        "{m}"
    );
    assert!(
        m.contains(&format!(
            "List-Unsubscribe: <{SITE}/subscriptions/unsubscribe?s="
        )),
        "{m}"
    );
    assert!(
        !m.contains("Before anyone confirmed"),
        "a post from before confirming is not sent"
    );
    assert!(
        tell_and_send(&t, &relay, now() + 30).await.is_empty(),
        "sent once"
    );

    // One click in the mail client: a POST with no cookie and no Origin.
    let unsubscribe = link(m, "/subscriptions/unsubscribe?s=");
    let r = client()
        .post(t.url(&unsubscribe))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("You have unsubscribed"));
    publish(&t, &editor, "After unsubscribing").await;
    assert!(tell_and_send(&t, &relay, now() + 40).await.is_empty());

    // Used and forged links say so.
    let forged = manage.replacen(".", ".x", 1);
    let (status, page) = t.get_text(&forged).await;
    assert_eq!(status, 404);
    assert!(page.contains("This link does not work"), "{page}");
    let token = link(to_reader, "/subscriptions/confirm?token=");
    let r = t
        .post_form(
            "/subscriptions/confirm",
            &[("token", token.split_once("token=").unwrap().1)],
        )
        .await;
    assert_eq!(r.status(), 404, "a confirmation link works once");
}

#[tokio::test]
async fn a_daily_digest_gathers_three_posts_into_one_message_and_none_is_sent_when_nothing_is_new()
{
    let t = site().await;
    let relay = SmtpServer::start();
    let editor = t
        .user_with_token("ed@example.org", "community-services", Role::Editor)
        .await;
    subscribe(&t, "daily@example.org", "hub", "daily").await;
    let sent = tell_and_send(&t, &relay, now()).await;
    confirm(&t, &sent[0]).await;
    // Today's round has gone (to no one): the next is due tomorrow.
    assert!(tell_and_send(&t, &relay, now()).await.is_empty());

    for title in ["Library hours", "Park cafe reopens", "New cycle lanes"] {
        publish(&t, &editor, title).await;
    }
    assert!(
        tell_and_send(&t, &relay, now() + 10).await.is_empty(),
        "a daily subscriber gets nothing as it happens"
    );
    let tomorrow = now() + 86_400 + 10;
    let sent = tell_and_send(&t, &relay, tomorrow).await;
    assert_eq!(sent.len(), 1, "one message for three posts: {sent:?}");
    let m = &sent[0];
    assert!(
        m.contains("Subject: Your daily update from Townhall: 3 new items"),
        "{m}"
    );
    for title in ["Library hours", "Park cafe reopens", "New cycle lanes"] {
        assert!(m.contains(title), "{title} in {m}");
    }
    assert!(
        m.contains("frequency=daily"),
        "its unsubscribe leaves the daily emails: {m}"
    );
    assert!(
        tell_and_send(&t, &relay, tomorrow + 60).await.is_empty(),
        "sent once"
    );
    assert!(
        tell_and_send(&t, &relay, tomorrow + 86_400)
            .await
            .is_empty(),
        "no digest when nothing is new"
    );
}

#[tokio::test]
async fn a_refused_address_is_paused_and_admins_see_lists_resume_and_erase() {
    let t = site().await;
    let relay = SmtpServer::start();
    let editor = t
        .user_with_token("writer@example.org", "community-services", Role::Editor)
        .await;
    for email in ["kept@example.org", "gone@example.org"] {
        subscribe(&t, email, "hub", "immediately").await;
    }
    let sent = tell_and_send(&t, &relay, now()).await;
    let mut manage = String::new();
    for m in &sent {
        let to = confirm(&t, m).await;
        if m.contains("To: gone@example.org") {
            manage = to;
        }
    }

    // The relay refuses one address for good: each refusal counts, the third pauses it.
    relay.reject(&["gone@example.org"]);
    for (i, title) in ["One", "Two", "Three"].into_iter().enumerate() {
        publish(&t, &editor, title).await;
        let sent = tell_and_send(&t, &relay, now() + 10 * (i as i64 + 1)).await;
        assert_eq!(sent.len(), 1, "only the working address gets {title}");
    }
    let gone = t
        .app
        .db
        .subscriber_by_email("gone@example.org")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(gone.refusals, 3);
    assert!(gone.paused_at.is_some(), "paused after three refusals");
    publish(&t, &editor, "Four").await;
    run_once(&t.app, now() + 40).await.unwrap();
    let waiting = t.app.db.outbox(10).await.unwrap();
    assert_eq!(
        waiting.len(),
        1,
        "nothing is queued for a paused address: {waiting:?}"
    );
    assert_eq!(waiting[0].1, "kept@example.org");

    // The paused reader sees why on their page, changes a frequency, then leaves.
    let (_, page) = t.get_text(&manage).await;
    assert!(page.contains("paused"), "{page}");
    let s = manage
        .split_once("s=")
        .unwrap()
        .1
        .split('&')
        .next()
        .unwrap()
        .to_string();
    let r = t
        .post_form(
            "/subscriptions/manage",
            &[("s", &s), ("frequency:hub", "weekly")],
        )
        .await;
    assert_eq!(r.status(), 303);
    let subs = t.app.db.subscriptions_of(gone.id).await.unwrap();
    assert_eq!(subs[0].frequency.as_str(), "weekly");

    // Admins see the lists and the refused address, and start it again.
    t.sign_in_admin().await;
    let (status, page) = t.get_text("/admin/subscriptions").await;
    assert_eq!(status, 200);
    assert!(page.contains("Everything published on Townhall"), "{page}");
    assert!(
        page.contains("gone@example.org") && page.contains("Paused"),
        "{page}"
    );
    let token = crate::support::csrf_from(&page);
    let id = gone.id.to_string();
    let r = t
        .post_form(
            "/admin/subscriptions/resume",
            &[("csrf_token", &token), ("id", &id)],
        )
        .await;
    assert_eq!(r.status(), 303);
    let gone = t
        .app
        .db
        .subscriber_by_email("gone@example.org")
        .await
        .unwrap()
        .unwrap();
    assert!(gone.paused_at.is_none() && gone.refusals == 0);

    // Erasing: an unknown address is an error; a known one goes with its subscriptions.
    let r = t
        .post_form(
            "/admin/subscriptions/erase",
            &[("csrf_token", &token), ("email", "nobody@example.org")],
        )
        .await;
    assert_eq!(r.status(), 400);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("No subscriber has the address")
    );
    let r = t
        .post_form(
            "/admin/subscriptions/erase",
            &[("csrf_token", &token), ("email", "Gone@example.org")],
        )
        .await;
    assert_eq!(r.status(), 200);
    assert!(
        t.app
            .db
            .subscriber_by_email("gone@example.org")
            .await
            .unwrap()
            .is_none()
    );
    assert!(t.app.db.subscriptions_of(gone.id).await.unwrap().is_empty());
    let (status, _) = t.get_text(&manage).await;
    assert_eq!(status, 404, "an erased address's links stop working");

    // Erasing a respondent's address (the consultation's erasure path) ends its emails too.
    let slug = crate::mail::consultation(&t).await;
    let reference = crate::mail::respond(&t, &slug, "kept@example.org").await;
    let e = t.app.db.exercise_by_slug(&slug).await.unwrap();
    assert!(t.app.db.erase_contact(e.id, &reference).await.unwrap());
    assert!(
        t.app
            .db
            .subscriber_by_email("kept@example.org")
            .await
            .unwrap()
            .is_none()
    );

    // A reader (not signed in) leaving everything is forgotten.
    let reader = TestApp::handle(&t);
    subscribe(&reader, "leaver@example.org", "consultations", "weekly").await;
    let sent = tell_and_send(&reader, &relay, now() + 60).await;
    let manage = confirm(&reader, sent.last().unwrap()).await;
    let s = manage
        .split_once("s=")
        .unwrap()
        .1
        .split('&')
        .next()
        .unwrap()
        .to_string();
    let r = reader
        .post_form("/subscriptions/manage", &[("s", &s), ("action", "leave")])
        .await;
    assert!(r.text().await.unwrap().contains("deleted it from our list"));
    assert!(
        t.app
            .db
            .subscriber_by_email("leaver@example.org")
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn a_respondent_who_asked_is_told_when_the_results_are_published() {
    let t = site().await;
    let relay = SmtpServer::start();
    let slug = crate::mail::consultation(&t).await;
    let reference = crate::mail::respond(&t, &slug, "resident@example.org").await;
    let page = format!("/consultations/{slug}/confirmation/{reference}");
    let (status, html) = t.get_text(&page).await;
    assert_eq!(status, 200);
    assert!(
        html.contains("Email me when the results are published"),
        "{html}"
    );

    // The box must be ticked and the address well formed.
    let r = t
        .post_form(&page, &[("email", "resident@example.org")])
        .await;
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("Tick the box"));
    let r = t
        .post_form(
            &page,
            &[("results", "yes"), ("email", "resident@example.org")],
        )
        .await;
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("Check your email"));
    let sent = tell_and_send(&t, &relay, now()).await;
    let confirmation = sent
        .iter()
        .find(|m| m.contains("Subject: Confirm you want emails"))
        .unwrap();
    assert!(
        confirmation.contains("The results of Bins and recycling"),
        "{confirmation}"
    );
    confirm(&t, confirmation).await;

    let e = t.app.db.exercise_by_slug(&slug).await.unwrap();
    t.app.db.set_results_published(e.id, true).await.unwrap();
    let sent = tell_and_send(&t, &relay, now() + 10).await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    let m = &sent[0];
    assert!(m.contains("To: resident@example.org"), "{m}");
    assert!(
        m.contains("Subject: Results published: Bins and recycling"),
        "{m}"
    );
    assert!(
        m.contains(&format!("{SITE}/consultations/{slug}/results")),
        "{m}"
    );
    assert!(m.contains("list=results:"), "{m}");
}
