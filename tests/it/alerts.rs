//! E-mail to staff about their work, and to a commenter whose comment was rejected, read back
//! from a real SMTP server (aiosmtpd, `crate::smtp`).

use crate::publishing::person;
use crate::smtp::SmtpServer;
use crate::support::{TestApp, csrf_from, execute_sql, spawn_with};
use townhall::domain::role::Role;
use townhall::domain::time::Timestamp;
use townhall::domain::user::Email;
use townhall::jobs::mail::deliver_due;
use townhall::jobs::notices::run_once;
use townhall::store::now;

async fn site() -> TestApp {
    spawn_with(|c| c.public_url = Some(url::Url::parse("https://townhall.test").unwrap())).await
}

async fn tell_and_send(t: &TestApp, relay: &SmtpServer, at: Timestamp) -> Vec<String> {
    let before = relay.messages().len();
    run_once(&t.app, at).await.unwrap();
    deliver_due(&t.app.db, &relay.mailer(), at).await.unwrap();
    relay.messages().split_off(before)
}

const POST: &[(&str, &str)] = &[
    ("organisation", "community-services"),
    ("title", "Library opening hours"),
    ("summary", "Longer hours on Saturdays."),
    (
        "body",
        "From June the library opens until 8pm on Saturdays.",
    ),
    ("status", "published"),
];
const PATH: &str = "/blog/library-opening-hours";

async fn comment(reader: &TestApp, name: &str, email: &str, body: &str) {
    let token = reader.csrf_token(PATH).await;
    let r = reader
        .post_form(
            &format!("{PATH}/comments"),
            &[
                ("csrf_token", &token),
                ("name", name),
                ("email", email),
                ("body", body),
            ],
        )
        .await;
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn moderators_hear_of_waiting_comments_hourly_and_commenters_hear_why_when_asked() {
    let t = site().await;
    let relay = SmtpServer::start();
    let editor = person(&t, "ed@example.org", Role::Editor, "community-services").await;
    let token = editor.csrf_token("/admin/posts/new").await;
    let mut form = vec![("csrf_token", token.as_str())];
    form.extend_from_slice(POST);
    assert_eq!(
        editor.post_form("/admin/posts/new", &form).await.status(),
        303
    );
    let moderator = person(&t, "mo@example.org", Role::Moderator, "community-services").await;
    let reader = TestApp::handle(&t);
    let start = now();

    // The first comment: the moderator is told, with the count per organisation.
    comment(
        &reader,
        "Sam Reader",
        "sam@example.org",
        "Will Sundays follow?",
    )
    .await;
    let sent = tell_and_send(&t, &relay, start + 5).await;
    let to_moderator: Vec<_> = sent
        .iter()
        .filter(|m| m.contains("To: mo@example.org"))
        .collect();
    assert_eq!(to_moderator.len(), 1, "{sent:?}");
    let m = to_moderator[0];
    assert!(
        m.contains("Subject: Waiting for moderation: 1 comment"),
        "{m}"
    );
    assert!(m.contains("Community Services: 1 comment"), "{m}");
    assert!(m.contains("https://townhall.test/admin/comments"), "{m}");
    assert!(
        m.contains("https://townhall.test/account#alerts"),
        "says where to turn it off: {m}"
    );

    // Within the hour, nothing more; after it, only what arrived since.
    comment(&reader, "Spammer", "spam@example.org", "Buy things").await;
    assert!(
        tell_and_send(&t, &relay, start + 600)
            .await
            .iter()
            .all(|m| !m.contains("To: mo@example.org"))
    );
    let sent = tell_and_send(&t, &relay, start + 3605).await;
    let m = sent
        .iter()
        .find(|m| m.contains("To: mo@example.org"))
        .expect("told again after an hour");
    assert!(
        m.contains("Waiting for moderation: 1 comment"),
        "only the new one: {m}"
    );

    // A rejection the moderator chooses to explain reaches the commenter; one not, not.
    let queue = t.app.db.moderation_queue().await.unwrap();
    let (_, page) = moderator.get_text("/admin/comments").await;
    assert!(page.contains("Email Spammer the reason"), "{page}");
    let token = csrf_from(&page);
    for c in &queue {
        let tell = if c.name == "Spammer" { "" } else { "yes" };
        let path = format!("/admin/comments/{}", c.id);
        let r = moderator
            .post_form(
                &path,
                &[
                    ("csrf_token", &token),
                    ("decision", "reject"),
                    ("reason", "Off topic for this post"),
                    ("tell", tell),
                ],
            )
            .await;
        assert_eq!(r.status(), 303);
    }
    let sent = tell_and_send(&t, &relay, start + 3610).await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    let m = &sent[0];
    assert!(m.contains("To: sam@example.org"), "{m}");
    assert!(m.contains("was not published"), "{m}");
    assert!(
        m.contains("Off topic for this post") && m.contains("Will Sundays follow?"),
        "{m}"
    );

    // Turned off on the account page: no more alerts.
    let token = moderator.csrf_token("/account").await;
    let r = moderator
        .post_form(
            "/account/alerts",
            &[
                ("csrf_token", &token),
                ("alerts", "exercises"),
                ("alerts", "analyses"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let to = r.headers()["location"].to_str().unwrap().to_string();
    let (_, page) = moderator.get_text(&to).await;
    assert!(page.contains("Your email settings are saved"), "{page}");
    comment(&reader, "Kim", "kim@example.org", "Thank you!").await;
    assert!(tell_and_send(&t, &relay, start + 8000).await.is_empty());
}

#[tokio::test]
async fn editors_hear_their_consultation_closed_and_analysts_their_analysis_finished() {
    let t = site().await;
    let relay = SmtpServer::start();
    let slug = crate::mail::consultation(&t).await;
    let e = t.app.db.exercise_by_slug(&slug).await.unwrap();
    let _analyst = person(&t, "an@example.org", Role::Analyst, "community-services").await;
    let analyst = t
        .app
        .db
        .user_by_email(&Email::parse("an@example.org").unwrap())
        .await
        .unwrap();
    let at = now();
    let secs = at.secs();
    execute_sql(
        &t.database_url,
        &format!(
            "UPDATE exercises SET closes_at = {secs} WHERE id = {}",
            e.id
        ),
    )
    .await;
    execute_sql(
        &t.database_url,
        &format!(
            "INSERT INTO analyses (exercise_id, question_id, status, requested_by, requested_at, finished_at)
             VALUES ({}, 'q1', 'done', {}, {secs}, {secs})",
            e.id, analyst.id
        ),
    )
    .await;
    let sent = tell_and_send(&t, &relay, at + 5).await;
    let editor = sent
        .iter()
        .find(|m| m.contains("To: ed@example.org"))
        .expect("the creator is told");
    assert!(
        editor.contains("Subject: Now closed: Bins and recycling"),
        "{editor}"
    );
    let analyst = sent
        .iter()
        .find(|m| m.contains("To: an@example.org"))
        .expect("the analyst is told");
    assert!(
        analyst.contains("Subject: Analysis finished: Bins and recycling: q1"),
        "{analyst}"
    );
    assert!(
        analyst.contains("https://townhall.test/admin/analyses/"),
        "{analyst}"
    );
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert!(
        tell_and_send(&t, &relay, at + 60).await.is_empty(),
        "each once"
    );
}

#[tokio::test]
async fn moderators_hear_of_comments_on_drafts_and_statements_in_conversations() {
    let t = site().await;
    let relay = SmtpServer::start();
    person(&t, "mo@example.org", Role::Moderator, "community-services").await;
    let editor = person(&t, "ed@example.org", Role::Editor, "community-services").await;
    let editor_id = (t.app.db)
        .user_by_email(&Email::parse("ed@example.org").unwrap())
        .await
        .unwrap()
        .id;
    // A consultation with a draft, and a comment on its second paragraph.
    let token = t
        .user_with_token("api@example.org", "community-services", Role::Editor)
        .await;
    let definition = crate::listening::definition("Library services", "2099-01-01");
    let r = t
        .post_json("/api/v1/consultations", Some(&token), &definition)
        .await;
    assert_eq!(r.status(), 201);
    let exercise = t.app.db.exercise_by_slug("library-services").await.unwrap();
    let draft = townhall::domain::draft::check_draft("One.\n\nTwo.", None).unwrap();
    (t.app.db.save_draft(exercise.id, &draft, editor_id))
        .await
        .unwrap();
    let comment = townhall::domain::draft::check_comment("Two is too vague.", "").unwrap();
    (t.app.db)
        .submit_draft_comment(exercise.id, 2, &comment, "the form's key", None)
        .await
        .unwrap();
    // A conversation, and a statement written in it.
    let csrf = editor.csrf_token("/admin/conversations").await;
    let form = crate::conversations::conversation_form(&csrf, "Seed one", ["2020", "2099"]);
    let r = editor.post_form("/admin/conversations", &form).await;
    assert_eq!(r.status(), 303);
    let conversation = (t.app.db)
        .conversation_by_slug("how-should-the-town-centre-change")
        .await
        .unwrap();
    let joined = (t.app.db)
        .join_conversation(conversation.id, "a cookie", "an address", 3)
        .await
        .unwrap();
    let townhall::store::participation::Joined::Participant(p) = joined else {
        panic!("{joined:?}")
    };
    (t.app.db)
        .submit_conversation_statement(conversation.id, p, "More benches in the square")
        .await
        .unwrap();

    let start = now();
    let sent = tell_and_send(&t, &relay, start + 5).await;
    let m = sent
        .iter()
        .find(|m| m.contains("To: mo@example.org"))
        .expect("the moderator is told");
    // A long subject is folded onto a second line, as mail headers are.
    let unfolded = m.replace("\r\n ", " ").replace("\n ", " ");
    assert!(
        unfolded.contains(
            "Subject: Waiting for moderation: 1 comment on a draft and 1 statement in a conversation"
        ),
        "{m}"
    );
    assert!(
        unfolded.contains("Community Services: 1 comment on a draft and 1 statement"),
        "{m}"
    );
    assert!(m.contains("https://townhall.test/admin/comments"), "{m}");
    // Told once: an hour later, with nothing new, nothing more.
    let later = tell_and_send(&t, &relay, start + 3605).await;
    assert!(
        later.iter().all(|m| !m.contains("To: mo@example.org")),
        "{later:?}"
    );
}
