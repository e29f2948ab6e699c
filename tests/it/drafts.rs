//! Draft documents on consultations: an editor sets a draft, anyone comments on one
//! paragraph (held for moderation, once per form, limited per address), a moderator
//! decides, the analyst reads the comments under their paragraph with themes when there
//! are enough, and the published results say what was said about each paragraph.

use crate::listening::with_exercise;
use crate::support::{TestApp, csrf_from};
use townhall::domain::role::Role;

/// A draft of `n` numbered paragraphs under two headings.
fn draft_of(n: usize) -> String {
    let mut md = String::from("# Why we are changing opening hours\n\n");
    for i in 1..=n {
        if i == n / 2 {
            md.push_str("## What we propose\n\n");
        }
        md.push_str(&format!(
            "This is paragraph number {i} of the proposal.\n\n"
        ));
    }
    md
}

/// The hidden submission key of a comment form.
fn submission_key(html: &str) -> String {
    let marker = "name=\"submission_key\" value=\"";
    let start = html.find(marker).expect("a submission key") + marker.len();
    html[start..].split('"').next().unwrap().to_string()
}

/// Sends a comment on `paragraph` through the public form, as a visitor; the status and page.
async fn comment(t: &TestApp, slug: &str, paragraph: u32, body: &str) -> (u16, String) {
    let path = format!("/consultations/{slug}/draft/{paragraph}/comment");
    let (status, form) = t.get_text(&path).await;
    assert_eq!(status, 200, "{form}");
    let key = submission_key(&form);
    let fields = [
        ("comment", body),
        ("name", ""),
        ("submission_key", &key),
        ("website", ""),
    ];
    let r = t.post_form(&path, &fields).await;
    (r.status().as_u16(), r.text().await.unwrap())
}

/// Approves every pending comment, as the signed-in moderator `t`.
async fn approve_all(t: &TestApp, id: i64) {
    let page = format!("/admin/consultations/{id}/draft");
    let csrf = t.csrf_token(&page).await;
    let pending = (t.app.db)
        .draft_comments(id, &[townhall::domain::draft::CommentStatus::Pending])
        .await
        .unwrap();
    for c in pending {
        let fields = [("csrf_token", csrf.as_str()), ("decision", "approve")];
        let r = t
            .post_form(&format!("{page}/comments/{}", c.id), &fields)
            .await;
        assert_eq!(r.status(), 303);
    }
}

#[tokio::test]
async fn drafts_take_comments_on_paragraph_12_and_the_analyst_reads_them_under_it() {
    let (t, _, slug) = with_exercise().await;
    let id = t.app.db.exercise_by_slug(&slug).await.unwrap().id;
    t.sign_in_admin().await;
    let page = format!("/admin/consultations/{id}/draft");
    let csrf = t.csrf_token(&page).await;

    // Bad input is named on the form, with what to do.
    let too_many = "A paragraph.\n\n".repeat(501);
    let r = t
        .post_form(&page, &[("csrf_token", &csrf), ("draft", &too_many)])
        .await;
    assert_eq!(r.status(), 400);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("govuk-error-summary") && html.contains("more than 500 paragraphs"),
        "{html}"
    );

    let r = t
        .post_form(&page, &[("csrf_token", &csrf), ("draft", &draft_of(30))])
        .await;
    assert_eq!(r.status(), 303);
    let (_, html) = t.get_text(&page).await;
    assert!(
        html.contains("The draft has 30 numbered paragraphs"),
        "{html}"
    );

    // The public page numbers 30 paragraphs, headings apart, each with its comment link.
    let visitor = TestApp::handle(&t);
    let (status, html) = visitor.get_text(&format!("/consultations/{slug}")).await;
    assert_eq!(status, 200);
    assert!(html.contains("id=\"paragraph-30\"") && !html.contains("id=\"paragraph-31\""));
    assert!(html.contains("<h3 class=\"govuk-heading-m\">Why we are changing opening hours</h3>"));
    assert!(html.contains(&format!(
        "href=\"/consultations/{slug}/draft/12/comment\">Comment on paragraph 12</a>"
    )));
    assert_eq!(html.matches("No comments published yet").count(), 30);

    // A comment must say something; markup in it stays text.
    let (status, html) = comment(&visitor, &slug, 12, "   ").await;
    assert_eq!(status, 400);
    assert!(
        html.contains("Enter your comment on this paragraph"),
        "{html}"
    );
    let said = "Paragraph 12 should say <script>alert(1)</script> Saturdays & Sundays";
    let path = format!("/consultations/{slug}/draft/12/comment");
    let (_, form) = visitor.get_text(&path).await;
    let key = submission_key(&form);
    for _ in 0..2 {
        let fields = [
            ("comment", said),
            ("name", "Annabel Quill"),
            ("submission_key", key.as_str()),
            ("website", ""),
        ];
        let r = visitor.post_form(&path, &fields).await;
        assert_eq!(r.status(), 200);
        assert!(r.text().await.unwrap().contains("Comment received"));
    }
    // A filled honeypot looks sent and stores nothing; there is no paragraph 31.
    let fields = [
        ("comment", "Buy now"),
        ("submission_key", "bot-key"),
        ("website", "http://spam"),
    ];
    let r = visitor.post_form(&path, &fields).await;
    assert!(r.text().await.unwrap().contains("Comment received"));
    assert_eq!(
        visitor
            .get(&format!("/consultations/{slug}/draft/31/comment"))
            .await
            .status(),
        404
    );
    let all = t
        .app
        .db
        .draft_comments(id, townhall::domain::draft::CommentStatus::ALL)
        .await
        .unwrap();
    assert_eq!(all.len(), 1, "the same form sent twice is one comment");
    assert_eq!((all[0].paragraph, all[0].body.as_str()), (12, said));

    // Held for moderation: not counted in public yet, shown inert to the moderator.
    let (_, html) = visitor.get_text(&format!("/consultations/{slug}")).await;
    assert_eq!(html.matches("No comments published yet").count(), 30);
    let (_, html) = t.get_text(&page).await;
    assert!(
        html.contains("Comments to moderate (1)")
            && html.contains("&lt;script&gt;alert(1)&lt;/script&gt;")
    );
    assert!(!html.contains("<script>alert(1)"));
    let csrf = csrf_from(&html);
    let decide = format!("{page}/comments/{}", all[0].id);
    let r = t
        .post_form(&decide, &[("csrf_token", &csrf), ("decision", "reject")])
        .await;
    assert_eq!(r.status(), 400, "a rejection needs a reason");
    let r = t
        .post_form(&decide, &[("csrf_token", &csrf), ("decision", "approve")])
        .await;
    assert_eq!(r.status(), 303);
    let (_, html) = visitor.get_text(&format!("/consultations/{slug}")).await;
    assert_eq!(html.matches("No comments published yet").count(), 29);
    assert!(html.contains("1 comment published"));

    // The analyst reads it under paragraph 12, too few for themes.
    let analysis = format!("/admin/consultations/{id}/draft/analysis");
    let (status, html) = t.get_text(&analysis).await;
    assert_eq!(status, 200);
    let under_12 = &html[html
        .find("id=\"paragraph-12\"")
        .expect("paragraph 12's section")..];
    assert!(under_12.contains("This is paragraph number 12 of the proposal."));
    assert!(under_12.contains("Too few comments for themes"));
    assert!(under_12.contains("Saturdays &amp; Sundays"), "{under_12}");

    // A new version must keep every paragraph people commented on.
    let r = t
        .post_form(&page, &[("csrf_token", &csrf), ("draft", &draft_of(10))])
        .await;
    assert_eq!(r.status(), 400);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("keep at least 12 paragraphs")
    );

    // Enough comments on paragraph 3 give it themes, and it becomes the most discussed.
    let texts = [
        "The library should open later on Saturday mornings for families",
        "Open later on Saturday mornings please, families cannot come early",
        "Saturday mornings opening later would help families",
        "Families need the library open later on Saturday mornings",
        "Parking fees at the library car park are too high",
        "The car park parking fees stop people visiting the library",
        "Lower the parking fees at the car park",
        "Parking fees in the car park should be cut",
    ];
    for text in texts {
        assert_eq!(comment(&visitor, &slug, 3, text).await.0, 200);
    }
    approve_all(&t, id).await;
    let (_, html) = t.get_text(&analysis).await;
    let third = html.find("id=\"paragraph-3\"").unwrap();
    assert!(
        third < html.find("id=\"paragraph-12\"").unwrap(),
        "most discussed first"
    );
    let section = &html[third..html.find("id=\"paragraph-12\"").unwrap()];
    assert!(
        section.contains("8 comments") && !section.contains("Too few"),
        "{section}"
    );
    assert!(
        section.contains("<h3 class=\"govuk-heading-s\">Themes</h3>"),
        "{section}"
    );
    assert!(html.contains("The most discussed paragraphs"));

    // The published results say what was said about each paragraph, without names.
    let csrf = t.csrf_token(&format!("/admin/consultations/{id}")).await;
    let r = t
        .post_form(
            &format!("/admin/consultations/{id}/results"),
            &[("csrf_token", &csrf), ("publish", "yes")],
        )
        .await;
    assert_eq!(r.status(), 303);
    let (status, html) = visitor
        .get_text(&format!("/consultations/{slug}/results"))
        .await;
    assert_eq!(status, 200);
    assert!(html.contains("What people said about the draft"));
    assert!(html.contains("Paragraph 12: 1 comment") && html.contains("Paragraph 3: 8 comments"));
    assert!(html.contains("Saturdays &amp; Sundays") && !html.contains("Annabel Quill"));
}

#[tokio::test]
async fn draft_roles_are_checked_and_comments_are_limited_per_address() {
    let (t, editor, slug) = with_exercise().await;
    let id = t.app.db.exercise_by_slug(&slug).await.unwrap().id;
    t.sign_in_admin().await;
    let page = format!("/admin/consultations/{id}/draft");
    let csrf = t.csrf_token(&page).await;
    let r = t
        .post_form(&page, &[("csrf_token", &csrf), ("draft", &draft_of(30))])
        .await;
    assert_eq!(r.status(), 303);

    // A form without the session's token is refused.
    let r = t.post_form(&page, &[("draft", "Changed.")]).await;
    assert_eq!(r.status(), 400);
    assert_eq!(t.app.db.draft(id).await.unwrap().unwrap().blocks.len(), 32);

    // An analyst reads but does not edit or moderate; a moderator of an arm's-length body does
    // nothing here.
    t.user_with_token("analyst@example.org", "community-services", Role::Analyst)
        .await;
    let analyst = TestApp::handle(&t);
    analyst
        .sign_in("analyst@example.org", "a long enough password")
        .await;
    assert_eq!(analyst.get(&format!("{page}/analysis")).await.status(), 200);
    let csrf = analyst.csrf_token(&page).await;
    let r = analyst
        .post_form(&page, &[("csrf_token", &csrf), ("draft", "Changed.")])
        .await;
    assert_eq!(r.status(), 403);
    let visitor = TestApp::handle(&t);
    assert_eq!(comment(&visitor, &slug, 1, "A first comment").await.0, 200);
    let c = &t
        .app
        .db
        .draft_comments(id, &[townhall::domain::draft::CommentStatus::Pending])
        .await
        .unwrap()[0];
    let decide = format!("{page}/comments/{}", c.id);
    let r = analyst
        .post_form(&decide, &[("csrf_token", &csrf), ("decision", "approve")])
        .await;
    assert_eq!(r.status(), 403);
    t.user_with_token(
        "mod@example.org",
        "national-records-agency",
        Role::Moderator,
    )
    .await;
    let other = TestApp::handle(&t);
    other
        .sign_in("mod@example.org", "a long enough password")
        .await;
    assert_eq!(other.get(&page).await.status(), 403);

    // A closed consultation shows its draft but takes no comment.
    let old = crate::listening::definition("Last year's plan", "2021-01-01");
    let r = t
        .post_json("/api/v1/consultations", Some(&editor), &old)
        .await;
    assert_eq!(r.status(), 201);
    let body: serde_json::Value = r.json().await.unwrap();
    let closed_slug = body["slug"].as_str().unwrap().to_string();
    let closed = t.app.db.exercise_by_slug(&closed_slug).await.unwrap();
    let draft = townhall::domain::draft::check_draft(&draft_of(3), None).unwrap();
    t.app.db.save_draft(closed.id, &draft, 1).await.unwrap();
    let (_, html) = visitor
        .get_text(&format!("/consultations/{closed_slug}"))
        .await;
    assert!(html.contains("id=\"paragraph-3\"") && !html.contains("Comment on paragraph"));
    let path = format!("/consultations/{closed_slug}/draft/2/comment");
    let (_, html) = visitor.get_text(&path).await;
    assert!(html.contains("not taking comments now") && !html.contains("Send comment"));
    let fields = [
        ("comment", "Late"),
        ("submission_key", "k1"),
        ("website", ""),
    ];
    let r = visitor.post_form(&path, &fields).await;
    assert_eq!(r.status(), 409);
    assert!(r.text().await.unwrap().contains("not taking comments now"));

    // One address sends at most 30 comments an hour; then it is told to wait.
    let mut sent = 1;
    let refused = loop {
        let (status, html) = comment(&visitor, &slug, 2, "Another view").await;
        if status != 200 {
            break (status, html);
        }
        sent += 1;
        assert!(sent <= 30, "the limit holds");
    };
    assert_eq!(sent, 30);
    assert_eq!(refused.0, 429);
    assert!(refused.1.contains("Wait an hour and try again"));
}

#[tokio::test]
async fn drafts_and_comments_made_of_script_injection_payloads_render_inert() {
    let (t, _, slug) = with_exercise().await;
    let e = t.app.db.exercise_by_slug(&slug).await.unwrap();
    let corpus = crate::sanitise::xss_corpus();
    let draft = townhall::domain::draft::check_draft(&corpus.join("\n\n"), None).unwrap();
    t.app.db.save_draft(e.id, &draft, 1).await.unwrap();
    let moderator = t
        .app
        .db
        .user_by_email(&townhall::domain::user::Email::parse(townhall::demo::ADMIN_EMAIL).unwrap())
        .await
        .unwrap();
    for (i, payload) in corpus.iter().enumerate() {
        let Ok(comment) = townhall::domain::draft::check_comment(payload, "") else {
            continue;
        };
        let key = format!("k{i}");
        let sent = t
            .app
            .db
            .submit_draft_comment(e.id, 1, &comment, &key, None)
            .await
            .unwrap();
        let townhall::store::drafts::CommentSubmitted::New(id) = sent else {
            panic!("stored once: {sent:?}");
        };
        let c = t.app.db.draft_comment(id).await.unwrap();
        let approved = townhall::domain::draft::CommentStatus::Approved;
        t.app
            .db
            .decide_draft_comment(&c, approved, None, moderator.id)
            .await
            .unwrap();
    }
    // From the first paragraph's heading on: the charts above it are the page's own SVG.
    let after = |html: &str, from: &str, to: &str| {
        html[html.find(from).unwrap()..html.find(to).unwrap()].to_string()
    };
    let visitor = TestApp::handle(&t);
    let (_, html) = visitor.get_text(&format!("/consultations/{slug}")).await;
    let draft_section = &html[html.find("id=\"draft\"").unwrap()..html.find("</main>").unwrap()];
    crate::sanitise::assert_inert(draft_section, "every payload as a paragraph");
    t.sign_in_admin().await;
    let (status, html) = t
        .get_text(&format!("/admin/consultations/{}/draft/analysis", e.id))
        .await;
    assert_eq!(status, 200);
    let section = after(&html, "id=\"paragraph-1\"", "</main>");
    crate::sanitise::assert_inert(&section, "every payload as a comment");
    t.app.db.set_results_published(e.id, true).await.unwrap();
    let (status, html) = visitor
        .get_text(&format!("/consultations/{slug}/results"))
        .await;
    assert_eq!(status, 200);
    let section = after(&html, "id=\"draft-paragraph-1\"", "id=\"you-said-we-did\"");
    crate::sanitise::assert_inert(&section, "every payload in the results");
}
