//! The evidence chain: a response → its theme → "you said" → "we did" → a commitment and a
//! project → where the project stands; and a shortlisted idea → the project it became. No
//! link is ever left dangling.

use crate::support::spawn;
use serde_json::{Value, json};
use townhall::domain::role::Role;

#[tokio::test]
async fn we_did_links_results_to_the_register_and_back() {
    let t = spawn().await;
    let admin = t
        .app
        .db
        .user_by_email(&townhall::domain::user::Email::parse(townhall::demo::ADMIN_EMAIL).unwrap())
        .await
        .unwrap();
    townhall::demo::seed_programme(&t.app.db, admin.id)
        .await
        .unwrap();
    let editor = t
        .user_with_token("ed@example.org", "community-services", Role::Editor)
        .await;
    let def = json!({
        "organisation": "community-services", "title": "Skills", "opens_at": "2020-01-01", "closes_at": "2099-01-01",
        "questions": [{"id": "help", "type": "text", "title": "What would help?", "required": true}]
    });
    assert_eq!(
        t.post_json("/api/v1/consultations", Some(&editor), &def)
            .await
            .status(),
        201
    );
    for i in 0..30 {
        let text = if i % 2 == 0 {
            format!("Short practical training courses on data, please ({i})")
        } else {
            format!("Protected time every week to learn new tools ({i})")
        };
        let r = t
            .post_json(
                "/api/v1/consultations/skills/responses",
                None,
                &json!({"answers": {"help": text}}),
            )
            .await;
        assert_eq!(r.status(), 201);
    }
    let e = t.app.db.exercise_by_slug("skills").await.unwrap();
    let analysis = t.app.db.request_analysis(e.id, "help", None).await.unwrap();
    townhall::jobs::analysis::run_pending(&t.app.db)
        .await
        .unwrap();
    let review = t.app.db.analysis(analysis).await.unwrap().review.unwrap();
    let review: Value = serde_json::to_value(&review).unwrap();
    let theme = review["themes"][0]["id"].as_str().unwrap().to_string();

    t.sign_in_admin().await;
    let page = format!("/admin/consultations/{}", e.id);
    let csrf = t.csrf_token(&page).await;
    let r = t
        .post_form(
            &format!("/admin/analyses/{analysis}/publish"),
            &[("csrf_token", &csrf), ("publish", "yes")],
        )
        .await;
    assert_eq!(r.status(), 303);
    let theme_value = format!("{analysis}:{theme}");
    let r = t
        .post_form(
            &format!("{page}/actions"),
            &[
                ("csrf_token", &csrf),
                ("theme", &theme_value),
                ("you_said", "You asked for training"),
                ("we_did", "We started an academy"),
                ("projects", "no-such-project"),
            ],
        )
        .await;
    assert_eq!(r.status(), 400, "an unknown project is refused");
    let r = t
        .post_form(
            &format!("{page}/actions"),
            &[
                ("csrf_token", &csrf),
                ("theme", &theme_value),
                ("you_said", "You asked for training"),
                ("we_did", "We started an academy"),
                ("commitments", "digital-skills-for-every-team"),
                ("projects", "digital-academy"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let r = t
        .post_form(
            &format!("{page}/results"),
            &[("csrf_token", &csrf), ("publish", "yes")],
        )
        .await;
    assert_eq!(r.status(), 303);

    // Results → the project, with its phase and status.
    let (_, results) = t.get_text("/consultations/skills/results").await;
    assert!(results.contains("href=\"/programme/projects/digital-academy\""));
    assert!(results.contains("href=\"/programme/commitments/digital-skills-for-every-team\""));
    let json: Value = t
        .get("/consultations/skills/results.json")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(json["actions"][0]["links"][1]["slug"], "digital-academy");
    assert!(json["actions"][0]["links"][1]["phase"].is_string());
    // The project → back to the theme on the results page.
    let (_, project) = t.get_text("/programme/projects/digital-academy").await;
    assert!(project.contains("What people told us that led to this"));
    assert!(project.contains(&format!(
        "href=\"/consultations/skills/results#theme-help-{theme}\""
    )));
    assert!(
        results.contains(&format!("id=\"theme-help-{theme}\"")),
        "the link's target exists"
    );
    assert!(!project.contains("about the commitments it delivers"));
    // A project under the same commitment shows it too, but only apart, as credited to the
    // commitment: the statement did not name that project.
    let (_, sibling) = t
        .get_text("/programme/projects/digital-skills-self-assessment")
        .await;
    assert!(sibling.contains("You asked for training"));
    let (direct, through) = sibling
        .split_once("id=\"evidence-commitments\"")
        .expect("a section for statements credited through a commitment");
    assert!(through.contains("You asked for training"));
    assert!(!direct.contains("You asked for training"));

    // Deleting a linked project or commitment is refused with the reason, and nothing breaks.
    let register = t.app.db.register().await.unwrap();
    let academy = register.project("digital-academy").unwrap().project.id;
    let admin_csrf = t.csrf_token("/admin/programme").await;
    let r = t
        .post_form(
            &format!("/admin/programme/projects/{academy}/delete"),
            &[("csrf_token", &admin_csrf)],
        )
        .await;
    let html = r.text().await.unwrap();
    assert!(
        html.contains("cannot be deleted") && html.contains("we did"),
        "the refusal names the link"
    );
    assert!(
        t.app
            .db
            .register()
            .await
            .unwrap()
            .project("digital-academy")
            .is_some()
    );
    // Removing the "you said, we did" removes its links, and then the project page has none.
    let action = t.app.db.result_actions(e.id).await.unwrap()[0].id;
    let r = t
        .post_form(
            &format!("{page}/actions/{action}/delete"),
            &[("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(r.status(), 303);
    let (_, project) = t.get_text("/programme/projects/digital-academy").await;
    assert!(!project.contains("What people told us that led to this"));
}

#[tokio::test]
async fn a_shortlisted_idea_becomes_a_project_that_links_back() {
    let t = spawn().await;
    let idea = open_challenge_with_an_idea(&t).await;
    t.sign_in_admin().await;
    let csrf = t.csrf_token("/admin/ideas/ideas").await;
    let make = format!("/admin/ideas/ideas/{idea}/project");
    let r = t.post_form(&make, &[("csrf_token", &csrf)]).await;
    assert_eq!(r.status(), 400, "only a shortlisted idea becomes a project");
    t.app
        .db
        .decide_idea(idea, townhall::domain::idea::IdeaStatus::Shortlisted, None)
        .await
        .unwrap();
    let r = t.post_form(&make, &[("csrf_token", &csrf)]).await;
    assert_eq!(r.status(), 303);
    assert!(
        r.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/admin/programme/projects/")
    );
    let r = t.post_form(&make, &[("csrf_token", &csrf)]).await;
    assert_eq!(r.status(), 400, "an idea becomes one project");

    let (_, project) = t.get_text("/programme/projects/text-reminders").await;
    assert!(
        project.contains("Started as an idea") && project.contains("href=\"/ideas/ideas#idea-")
    );
    let (_, challenge) = t.get_text("/ideas/ideas").await;
    assert!(challenge.contains("href=\"/programme/projects/text-reminders\""));
    let id = t
        .app
        .db
        .register()
        .await
        .unwrap()
        .project("text-reminders")
        .unwrap()
        .project
        .id;
    let admin_csrf = t.csrf_token("/admin/programme").await;
    let r = t
        .post_form(
            &format!("/admin/programme/projects/{id}/delete"),
            &[("csrf_token", &admin_csrf)],
        )
        .await;
    assert!(
        r.text().await.unwrap().contains("1 idea"),
        "deleting it is refused: an idea points at it"
    );
}

/// Fresh cookies from one address do not make more votes: beyond the limit each is refused,
/// told why, and counted where the moderator sees it.
#[tokio::test]
async fn votes_from_one_address_count_as_the_setting_says() {
    let t = crate::support::spawn_with(|c| c.votes_per_address = 1).await;
    let idea = open_challenge_with_an_idea(&t).await;
    let approved = townhall::domain::idea::IdeaStatus::Approved;
    t.app.db.decide_idea(idea, approved, None).await.unwrap();
    let vote = format!("/ideas/ideas/{idea}/vote");
    for n in 0..20 {
        // A new browser each time: its own cookie, the same address.
        let browser = crate::support::TestApp::handle(&t);
        let token = browser.csrf_token("/ideas/ideas").await;
        let r = browser.post_form(&vote, &[("csrf_token", &token)]).await;
        if n == 0 {
            assert_eq!(r.status(), 303, "the first vote counts");
        } else {
            assert_eq!(r.status(), 400);
            let html = r.text().await.unwrap();
            assert!(html.contains("Your vote was not counted"), "{html}");
        }
    }
    let counted = t.app.db.idea(idea).await.unwrap();
    assert_eq!((counted.votes, counted.votes_refused), (1, 19));
    t.sign_in_admin().await;
    let (_, admin) = t.get_text("/admin/ideas/ideas").await;
    assert!(
        admin.contains("19 refused"),
        "the moderator sees the refusals"
    );
}

/// An open challenge "ideas" with one idea waiting for moderation; returns the idea's id.
async fn open_challenge_with_an_idea(t: &crate::support::TestApp) -> i64 {
    let db = &t.app.db;
    let org = db.organisation_by_slug("community-services").await.unwrap();
    let (opens, closes) = (0.into(), 4_000_000_000.into());
    let criteria = ["Benefit".to_string()];
    let c = db
        .create_challenge(org.id, "ideas", "Ideas", "", &criteria, opens, closes)
        .await
        .unwrap();
    db.submit_idea(c, "Text reminders", "Send a text the day before.", "Priya")
        .await
        .unwrap()
}
