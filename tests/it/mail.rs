//! Receipts through a mail relay: a real SMTP server (aiosmtpd, `crate::smtp`), which can be
//! told to refuse mail for a while.

use crate::smtp::SmtpServer;
use crate::support::{TestApp, spawn};
use serde_json::{Value, json};
use townhall::domain::role::Role;
use townhall::jobs::mail::{Delivered, MAX_ATTEMPTS, deliver_due};

pub(crate) async fn consultation(t: &TestApp) -> String {
    let editor = t
        .user_with_token("ed@example.org", "community-services", Role::Editor)
        .await;
    let r = t
        .post_json(
            "/api/v1/consultations",
            Some(&editor),
            &json!({
                "organisation": "community-services", "title": "Bins and recycling",
                "opens_at": "2020-01-01", "closes_at": "2099-01-01",
                "questions": [{"id": "q1", "type": "text", "title": "What should change?", "required": true}]
            }),
        )
        .await;
    assert_eq!(r.status(), 201);
    "bins-and-recycling".into()
}

/// Responds with an email for a receipt; returns the reference.
pub(crate) async fn respond(t: &TestApp, slug: &str, email: &str) -> String {
    let r = t
        .post_json(
            &format!("/api/v1/consultations/{slug}/responses"),
            None,
            &json!({"answers": {"q1": "Collect glass every week."}, "email": email}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let body: Value = r.json().await.unwrap();
    body["reference"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn a_receipt_goes_through_the_relay_and_a_refusal_is_retried_later() {
    let t = spawn().await;
    let slug = consultation(&t).await;
    let reference = respond(&t, &slug, "resident@example.org").await;
    let relay = SmtpServer::start();
    let mailer = relay.mailer();
    let db = &t.app.db;
    let now = townhall::store::now();

    // The relay refuses: the receipt waits, with the error, for a minute.
    relay.refuse(true);
    let round = deliver_due(db, &mailer, now).await.unwrap();
    assert_eq!((round.sent, round.deferred), (0, 1));
    relay.refuse(false);
    assert_eq!(
        deliver_due(db, &mailer, now + 30).await.unwrap(),
        Delivered::default(),
        "not due again before the wait is over"
    );
    assert!(relay.messages().is_empty());

    // After the wait it goes, once, and leaves the outbox.
    let round = deliver_due(db, &mailer, now + 61).await.unwrap();
    assert_eq!(round.sent, 1);
    let messages = relay.messages();
    assert_eq!(messages.len(), 1);
    let m = &messages[0];
    assert!(m.contains("To: resident@example.org"), "{m}");
    assert!(m.contains("From: Townhall <no-reply@example.org>"), "{m}");
    assert!(
        m.contains("Subject: Your response to Bins and recycling"),
        "{m}"
    );
    assert!(m.contains(&reference), "{m}");
    assert!(db.outbox(10).await.unwrap().is_empty());
    assert_eq!(
        deliver_due(db, &mailer, now + 3600).await.unwrap(),
        Delivered::default()
    );
    assert_eq!(relay.messages().len(), 1);
}

#[tokio::test]
async fn two_nodes_sending_at_once_send_each_receipt_once() {
    let t = spawn().await;
    let slug = consultation(&t).await;
    let mut references = Vec::new();
    for i in 0..30 {
        references.push(respond(&t, &slug, &format!("person{i}@example.org")).await);
    }
    let relay = SmtpServer::start();
    let mailer = relay.mailer();
    let now = townhall::store::now();
    let (a, b) = tokio::join!(
        deliver_due(&t.app.db, &mailer, now),
        deliver_due(&t.app.db, &mailer, now)
    );
    assert_eq!(a.unwrap().sent + b.unwrap().sent, 30);
    let messages = relay.messages();
    assert_eq!(messages.len(), 30);
    for reference in &references {
        assert_eq!(
            messages
                .iter()
                .filter(|m| m.contains(reference.as_str()))
                .count(),
            1,
            "{reference}"
        );
    }
}

#[tokio::test]
async fn a_receipt_refused_ten_times_is_given_up_and_an_erased_email_is_not_sent() {
    let t = spawn().await;
    let slug = consultation(&t).await;
    let db = &t.app.db;
    respond(&t, &slug, "nobody@example.org").await;
    let relay = SmtpServer::start();
    let mailer = relay.mailer();
    relay.refuse(true);
    let mut at = townhall::store::now();
    let mut given_up = 0;
    for _ in 0..MAX_ATTEMPTS {
        given_up += deliver_due(db, &mailer, at).await.unwrap().given_up;
        at = at + 7 * 3600;
    }
    assert_eq!(given_up, 1);
    let counts = db.outbox_counts().await.unwrap();
    assert_eq!((counts.waiting, counts.given_up), (0, 1));
    assert_eq!(
        deliver_due(db, &mailer, at).await.unwrap(),
        Delivered::default()
    );
    // The test app has no relay set: the exercise's admin page says so, and what to do.
    t.sign_in_admin().await;
    let exercise = db.exercise_by_slug(&slug).await.unwrap();
    let (status, html) = t
        .get_text(&format!("/admin/consultations/{}", exercise.id))
        .await;
    assert_eq!(status, 200);
    assert!(
        html.contains("No mail relay is set, so receipts are not sent (none waiting")
            && html.contains("--smtp-url"),
        "{html}"
    );

    // A respondent who asks for their email to be erased before the receipt went gets none.
    relay.refuse(false);
    let reference = respond(&t, &slug, "changed-my-mind@example.org").await;
    assert!(db.erase_contact(exercise.id, &reference).await.unwrap());
    assert_eq!(
        deliver_due(db, &mailer, at).await.unwrap(),
        Delivered::default()
    );
    assert!(relay.messages().is_empty());
}
