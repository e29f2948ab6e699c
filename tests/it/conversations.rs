//! Conversations on the site: an editor opens one, visitors vote one statement at a time and
//! write statements, a moderator approves them from the queue, the groups are computed and
//! the results published (docs/deliberation.md).

use crate::support::{TestApp, spawn};
use townhall::domain::conversation::Choice;
use townhall::store::participation::Joined;
use townhall::store::rate_limits::Limit;

/// The number of the statement a conversation page asks the visitor to vote on.
fn shown(html: &str) -> Option<i64> {
    let at = html.find(r#"name="statement" value=""#)? + r#"name="statement" value=""#.len();
    html[at..].split('"').next()?.parse().ok()
}

pub(crate) fn conversation_form<'a>(
    csrf: &'a str,
    seeds: &'a str,
    dates: [&'a str; 2],
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("csrf_token", csrf),
        ("organisation", "community-services"),
        ("topic", "Town centres"),
        ("question", "How should the town centre change?"),
        ("seeds", seeds),
        ("opens-day", "1"),
        ("opens-month", "1"),
        ("opens-year", dates[0]),
        ("closes-day", "1"),
        ("closes-month", "1"),
        ("closes-year", dates[1]),
    ]
}

async fn vote(public: &TestApp, page: &str, statement: &str, choice: &str) -> reqwest::Response {
    let token = public.csrf_token(page).await;
    let url = format!("{page}/vote");
    (public.post_form(
        &url,
        &[
            ("csrf_token", &token),
            ("statement", statement),
            ("vote", choice),
        ],
    ))
    .await
}

/// Twenty people, each from their own network, in two camps of ten that vote opposite ways on
/// statements 0 to `statements - 1`.
pub(crate) async fn vote_in_two_camps(
    db: &townhall::store::Db,
    conversation: i64,
    statements: i64,
) {
    for person in 0..20 {
        let (cookie, address) = (format!("cookie {person}"), format!("address {person}"));
        let joined = (db.join_conversation(conversation, &cookie, &address, 3))
            .await
            .unwrap();
        let Joined::Participant(p) = joined else {
            panic!("{joined:?}")
        };
        for statement in 0..statements {
            let agree = (person < 10) == (statement % 2 == 0);
            let choice = if agree {
                Choice::Agree
            } else {
                Choice::Disagree
            };
            let limit = Limit {
                key: format!("test {person}"),
                window_secs: 60,
                max: 100,
            };
            (db.cast_conversation_vote(limit, conversation, p, statement, choice))
                .await
                .unwrap();
        }
    }
}

/// Waits until every vote of `conversation` is counted in its groups: computed here, or by
/// the test app's own worker if it claimed the conversation first.
pub(crate) async fn groups_counted(db: &townhall::store::Db, conversation: i64) {
    let last = (db.conversation_votes(conversation).await.unwrap())
        .iter()
        .map(|v| v.id)
        .max()
        .unwrap();
    for _ in 0..200 {
        townhall::jobs::conversations::run_pending(db)
            .await
            .unwrap();
        if db
            .conversation_groups(conversation)
            .await
            .unwrap()
            .through_vote
            >= last
        {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the groups of conversation {conversation} were not computed within 10 s");
}

#[tokio::test]
async fn a_conversation_is_opened_voted_on_moderated_and_its_groups_published() {
    let t = spawn().await;
    t.sign_in_admin().await;
    let csrf = t.csrf_token("/admin/conversations").await;
    let r = (t.post_form(
        "/admin/conversations",
        &conversation_form(&csrf, " \n", ["2020", "2099"]),
    ))
    .await;
    assert_eq!(r.status(), 400);
    let html = r.text().await.unwrap();
    assert!(html.contains("There is a problem") && html.contains("Enter at least one statement"));
    let seeds: String = (0..8)
        .map(|i| format!("Opening statement {i} <i>here</i>\n"))
        .collect();
    let r = (t.post_form(
        "/admin/conversations",
        &conversation_form(&csrf, &seeds, ["2020", "2099"]),
    ))
    .await;
    assert_eq!(r.status(), 303);
    let slug = "how-should-the-town-centre-change";
    assert_eq!(
        r.headers()["location"],
        format!("/admin/conversations/{slug}")
    );
    let page = format!("/conversations/{slug}");
    let public = TestApp::handle(&t);
    assert_eq!(public.get_text(&page).await.0, 404, "not published yet");
    let admin_page = format!("/admin/conversations/{slug}");
    let publish = format!("{admin_page}/publish");
    let r = t
        .post_form(&publish, &[("csrf_token", &csrf), ("action", "publish")])
        .await;
    assert_eq!(r.status(), 303);
    assert!(
        public
            .get_text("/conversations")
            .await
            .1
            .contains("How should the town centre change?")
    );

    // One statement at a time, each once, until every one has a vote.
    let mut seen = vec![];
    loop {
        let (status, html) = public.get_text(&page).await;
        assert_eq!(status, 200);
        let Some(n) = shown(&html) else {
            assert!(html.contains("You have voted on every statement"));
            break;
        };
        assert!(
            html.contains("&lt;i&gt;here&lt;/i&gt;"),
            "statements are escaped"
        );
        seen.push(n);
        let choice = if n % 2 == 0 { "agree" } else { "disagree" };
        assert_eq!(
            vote(&public, &page, &n.to_string(), choice).await.status(),
            303
        );
        assert!(seen.len() <= 8, "a statement came round again: {seen:?}");
    }
    seen.sort();
    assert_eq!(seen, (0..8).collect::<Vec<_>>());
    assert_eq!(vote(&public, &page, "3", "maybe").await.status(), 400);
    let r = vote(&public, &page, "99", "agree").await;
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("not open for votes"));

    // A statement waits for a moderator, in the queue beside comments.
    let token = public.csrf_token(&page).await;
    let submit = format!("{page}/statements");
    let r = public
        .post_form(&submit, &[("csrf_token", &token), ("statement", " ")])
        .await;
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("Enter your statement"));
    let long = "x".repeat(281);
    let r = public
        .post_form(&submit, &[("csrf_token", &token), ("statement", &long)])
        .await;
    assert_eq!(r.status(), 400);
    let r = (public.post_form(
        &submit,
        &[("csrf_token", &token), ("statement", "More trees please")],
    ))
    .await;
    assert_eq!(r.status(), 303);
    assert!(
        public
            .get_text(&page)
            .await
            .1
            .contains("You have voted on every statement")
    );
    let (_, queue) = t.get_text("/admin/comments").await;
    assert!(queue.contains("More trees please") && queue.contains("Statements in conversations"));
    let decide = format!("{admin_page}/decide");
    let r = (t.post_form(
        &decide,
        &[
            ("csrf_token", &csrf),
            ("number", "8"),
            ("decision", "reject"),
        ],
    ))
    .await;
    assert_eq!(r.status(), 400, "a rejection needs a reason");
    let approve = [
        ("csrf_token", csrf.as_str()),
        ("number", "8"),
        ("decision", "approve"),
        ("back", "queue"),
    ];
    let r = t.post_form(&decide, &approve).await;
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/admin/comments#statements");
    let (_, html) = public.get_text(&page).await;
    assert_eq!(shown(&html), Some(8), "the approved statement is next");
    assert!(html.contains("More trees please"));

    // One network gives a conversation at most three participants (`--votes-per-address`).
    for browser in 2..=4 {
        let other = TestApp::handle(&t);
        let r = vote(&other, &page, "0", "agree").await;
        if browser <= 3 {
            assert_eq!(r.status(), 303);
        } else {
            assert_eq!(r.status(), 400);
            assert!(r.text().await.unwrap().contains("from your network"));
        }
    }

    // Twenty more people in two camps, from their own networks.
    let c = t.app.db.conversation_by_slug(slug).await.unwrap();
    vote_in_two_camps(&t.app.db, c.id, 8).await;
    groups_counted(&t.app.db, c.id).await;

    // Results: only staff see them until a moderator publishes them.
    let results = format!("{page}/results");
    assert_eq!(public.get_text(&results).await.0, 404);
    let (status, html) = t.get_text(&results).await;
    assert_eq!(status, 200);
    assert!(html.contains("Only staff see these results"));
    let r = t
        .post_form(
            &publish,
            &[("csrf_token", &csrf), ("action", "publish-results")],
        )
        .await;
    assert_eq!(r.status(), 303);
    let (status, html) = public.get_text(&results).await;
    assert_eq!(status, 200);
    for part in [
        "<svg class=\"app-opinion-map\"",
        "Every circle on the map",
        "Group A",
        "Group B",
        "id=\"statement-0\"",
        "What each group thinks",
        "You are in",
    ] {
        assert!(html.contains(part), "results show {part}");
    }
    assert!(
        html.contains("agreed."),
        "representative statements say how the group leaned"
    );
    let stored = t.app.db.moderated_statements(c.id).await.unwrap();
    assert!(
        stored
            .iter()
            .filter(|s| s.number < 8)
            .all(|s| s.votes >= 21),
        "counts are kept for weighting"
    );

    // A statement rejected later leaves the results and the voting.
    let r = (t.post_form(
        &decide,
        &[
            ("csrf_token", &csrf),
            ("number", "0"),
            ("decision", "reject"),
            ("reason", "Duplicate"),
        ],
    ))
    .await;
    assert_eq!(r.status(), 303);
    assert!(
        !public
            .get_text(&results)
            .await
            .1
            .contains("id=\"statement-0\"")
    );

    // The data in Pol.is's format: anyone's without the rejected statement's text, staff's
    // with it; either reads back as an export.
    let (status, comments) = public.get_text(&format!("{page}/data/comments.csv")).await;
    assert_eq!(status, 200);
    assert!(comments.contains("More trees please") && !comments.contains("Opening statement 0"));
    assert!(
        comments
            .lines()
            .any(|l| l.contains(",0,0,") && l.contains(",-1,")),
        "{comments}"
    );
    let (_, staff) = t
        .get_text(&format!("/admin/conversations/{slug}/data/comments.csv"))
        .await;
    assert!(staff.contains("Opening statement 0"));
    assert_eq!(
        public
            .get_text(&format!("/admin/conversations/{slug}/data/comments.csv"))
            .await
            .0,
        303
    );
    assert_eq!(
        public.get_text(&format!("{page}/data/secrets.csv")).await.0,
        404
    );
    let dir = tempfile::tempdir().unwrap();
    for file in [
        "comments.csv",
        "votes.csv",
        "participants-votes.csv",
        "summary.csv",
    ] {
        let r = public.get(&format!("{page}/data/{file}")).await;
        assert_eq!(r.headers()["content-type"], "text/csv; charset=utf-8");
        std::fs::write(dir.path().join(file), r.bytes().await.unwrap()).unwrap();
    }
    let export = opinion::polis::read(dir.path(), &opinion::Limits::default()).unwrap();
    assert_eq!(
        export.votes.unwrap().len(),
        (t.app.db.conversation_votes(c.id).await.unwrap()).len()
    );
    let table = export.participants.unwrap();
    let grouped = table.rows.iter().filter(|r| r.group.is_some()).count();
    assert!(
        grouped >= 20,
        "participants-votes.csv carries the groups: {grouped}"
    );
    drop(public);
}

#[tokio::test]
async fn a_closed_conversation_takes_no_votes() {
    let t = spawn().await;
    t.sign_in_admin().await;
    let csrf = t.csrf_token("/admin/conversations").await;
    let r = (t.post_form(
        "/admin/conversations",
        &conversation_form(&csrf, "One\nTwo", ["2020", "2021"]),
    ))
    .await;
    assert_eq!(r.status(), 303);
    let slug = "how-should-the-town-centre-change";
    let publish = format!("/admin/conversations/{slug}/publish");
    t.post_form(&publish, &[("csrf_token", &csrf), ("action", "publish")])
        .await;
    let public = TestApp::handle(&t);
    let page = format!("/conversations/{slug}");
    let (_, html) = public.get_text(&page).await;
    assert!(html.contains("Not open for votes"));
    assert_eq!(shown(&html), None);
    let r = vote(&public, &page, "0", "agree").await;
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("not taking votes"));
    drop(public);
}

/// Whether the import test's conversation exists.
async fn imported(t: &TestApp) -> bool {
    (t.app.db.conversation_by_slug("imported-town-centre").await).is_ok()
}

/// Uploads `files` ((field, bytes)) with `fields` to the admin's import form.
async fn upload_export(
    t: &TestApp,
    fields: &[(&str, &str)],
    files: &[(&str, Vec<u8>)],
) -> reqwest::Response {
    let mut form = reqwest::multipart::Form::new();
    for &(name, value) in fields {
        form = form.text(name.to_string(), value.to_string());
    }
    for (name, bytes) in files {
        let part = reqwest::multipart::Part::bytes(bytes.clone()).file_name(format!("{name}.csv"));
        form = form.part(name.to_string(), part);
    }
    (t.client.post(t.url("/admin/conversations/import")))
        .header("origin", format!("http://{}", t.addr))
        .multipart(form)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn an_editor_imports_a_pol_is_export_from_the_admin() {
    let t = spawn().await;
    t.sign_in_admin().await;
    // A conversation held here, with its groups, downloaded as Pol.is exports it.
    let csrf = t.csrf_token("/admin/conversations").await;
    let seeds = (0..6)
        .map(|n| format!("Opening statement {n}"))
        .collect::<Vec<_>>();
    let r = (t.post_form(
        "/admin/conversations",
        &conversation_form(&csrf, &seeds.join("\n"), ["2020", "2099"]),
    ))
    .await;
    assert_eq!(r.status(), 303);
    let held = (t.app.db)
        .conversation_by_slug("how-should-the-town-centre-change")
        .await
        .unwrap();
    vote_in_two_camps(&t.app.db, held.id, 6).await;
    let mut files = Vec::new();
    for name in ["comments", "votes"] {
        let url = format!("/admin/conversations/{}/data/{name}.csv", held.slug);
        let r = t.get(&url).await;
        assert_eq!(r.status(), 200);
        files.push((name, r.bytes().await.unwrap().to_vec()));
    }

    let page = "/admin/conversations/import";
    let (status, html) = t.get_text(page).await;
    assert_eq!(status, 200);
    assert!(html.contains(r#"name="votes" type="file""#), "{html}");
    let csrf = t.csrf_token(page).await;
    let fields = [
        ("csrf_token", csrf.as_str()),
        ("organisation", "community-services"),
        ("slug", "imported-town-centre"),
    ];

    // Without votes.csv, or with a file that is not one, nothing is imported and the form
    // says what to do.
    let r = upload_export(&t, &fields, &files[..1]).await;
    assert_eq!(r.status(), 400);
    let html = r.text().await.unwrap();
    assert!(html.contains("There is a problem"), "{html}");
    assert!(
        html.contains(r##"href="#votes""##),
        "the summary links to the field: {html}"
    );
    let wrong = [
        files[0].clone(),
        ("votes", b"not,a,pol.is\nfile,at,all\n".to_vec()),
    ];
    let r = upload_export(&t, &fields, &wrong).await;
    assert_eq!(r.status(), 400);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("could not be imported") && html.contains("votes.csv"),
        "{html}"
    );
    assert!(
        !html.contains("/tmp"),
        "the temporary folder is not shown: {html}"
    );
    assert!(!imported(&t).await, "nothing is imported");
    // An address already taken, and one the admin uses, are refused.
    let taken = [fields[0], fields[1], ("slug", held.slug.as_str())];
    let r = upload_export(&t, &taken, &files).await;
    assert_eq!(r.status(), 400);
    let html = r.text().await.unwrap();
    assert!(html.contains("already has that web address"), "{html}");
    let page_slug = [fields[0], fields[1], ("slug", "import")];
    assert_eq!(upload_export(&t, &page_slug, &files).await.status(), 400);
    // Without the CSRF token, nothing.
    let r = upload_export(&t, &fields[1..], &files).await;
    assert_eq!(r.status(), 400);
    assert!(!imported(&t).await, "nothing is imported");

    let r = upload_export(&t, &fields, &files).await;
    assert_eq!(r.status(), 303);
    assert_eq!(
        r.headers()["location"],
        "/admin/conversations/imported-town-centre"
    );
    let imported = (t.app.db)
        .conversation_by_slug("imported-town-centre")
        .await
        .unwrap();
    assert!(!imported.published);
    let votes = |id| t.app.db.conversation_votes(id);
    assert_eq!(
        votes(imported.id).await.unwrap().len(),
        votes(held.id).await.unwrap().len()
    );
    // Its groups are those of the conversation it came from.
    groups_counted(&t.app.db, held.id).await;
    groups_counted(&t.app.db, imported.id).await;
    let groups = |id| t.app.db.conversation_results(id);
    let (a, b) = (
        groups(held.id).await.unwrap(),
        groups(imported.id).await.unwrap(),
    );
    let members = |r: &townhall::domain::conversation::results::ConversationResults| {
        (r.groups.iter())
            .map(|g| g.members.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(members(&a), members(&b));
    assert_eq!(members(&a).len(), 2);

    // Someone who edits no organisation may not.
    let stranger = TestApp::handle(&t);
    assert_ne!(stranger.get(page).await.status(), 200);
}
