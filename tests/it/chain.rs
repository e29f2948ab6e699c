//! The evidence chain: a response → its theme → "you said" → "we did" → a commitment and a
//! project → where the project stands; and a shortlisted idea → the project it became. No
//! link is ever left dangling.

use crate::support::{csrf_from, spawn};
use serde_json::{Value, json};
use townhall::domain::role::Role;

#[tokio::test]
async fn we_did_links_results_to_the_register_and_back() {
    let t = spawn().await;
    let e = skills_consultation(&t, 30).await;
    let analysis = analyse(&t, e.id).await;
    let review = t.app.db.analysis(analysis).await.unwrap().review.unwrap();
    let review: Value = serde_json::to_value(&review).unwrap();
    let theme = review["themes"][0]["id"].as_str().unwrap().to_string();

    t.sign_in_admin().await;
    t.keep_machine_names(analysis).await;
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
    assert!(!admin.contains("Bursts of votes"), "one vote is no burst");
}

#[tokio::test]
async fn the_moderator_sees_bursts_of_votes_from_many_addresses() {
    let t = crate::support::spawn_with(|c| c.votes_per_address = 100).await;
    let idea = open_challenge_with_an_idea(&t).await;
    let approved = townhall::domain::idea::IdeaStatus::Approved;
    t.app.db.decide_idea(idea, approved, None).await.unwrap();
    // Twelve votes in a few seconds, as a group with a link shared among them would give.
    for n in 0..12 {
        let address = format!("address-{n}");
        let vote = t
            .app
            .db
            .vote(idea, &format!("voter-{n}"), &address, 1)
            .await
            .unwrap();
        assert_eq!(vote, townhall::store::ideas::Vote::Counted);
    }
    t.sign_in_admin().await;
    let (_, admin) = t.get_text("/admin/ideas/ideas").await;
    assert!(admin.contains("Bursts of votes"), "{admin}");
    assert!(admin.contains("12 votes for “"));
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

/// The demo's programme register, and an open consultation "skills" (community services)
/// with `n` responses through the API, alternating between two subjects.
#[tokio::test]
async fn a_we_did_can_cite_a_conversation_statement_or_group() {
    use townhall::domain::conversation::{NewConversation, StatementStatus};
    use townhall::domain::text::Slug;
    let t = spawn().await;
    let e = skills_consultation(&t, 2).await;
    let db = &t.app.db;
    let org = db.organisation_by_slug("community-services").await.unwrap();
    let conversation = db
        .create_conversation(&NewConversation {
            organisation_id: org.id,
            topic: None,
            question: "How should we learn?".into(),
            slug: Slug::parse("learning").unwrap(),
            summary: String::new(),
            seeds: (0..6).map(|i| format!("Learning statement {i}")).collect(),
            opens_at: townhall::domain::time::Timestamp::from_secs(0),
            closes_at: townhall::domain::time::Timestamp::from_secs(4_102_444_800),
        })
        .await
        .unwrap();
    db.set_conversation_published(conversation, true)
        .await
        .unwrap();
    crate::conversations::vote_in_two_camps(db, conversation, 6).await;
    crate::conversations::groups_counted(db, conversation).await;

    t.sign_in_admin().await;
    let page = format!("/admin/consultations/{}", e.id);
    let csrf = t.csrf_token(&page).await;
    let cite = |theme: String, you_said: &'static str| {
        let (t, csrf, page) = (&t, csrf.clone(), page.clone());
        async move {
            let fields = [
                ("csrf_token", csrf.as_str()),
                ("theme", theme.as_str()),
                ("you_said", you_said),
                ("we_did", "We listened"),
            ];
            t.post_form(&format!("{page}/actions"), &fields)
                .await
                .status()
        }
    };
    let group = format!("conversation:{conversation}:group:A");
    assert_eq!(
        cite(group.clone(), "One group").await,
        400,
        "results not published yet"
    );
    db.set_conversation_results_published(conversation, Some(townhall::store::now()))
        .await
        .unwrap();
    let (_, form) = t.get_text(&format!("{page}/actions/new")).await;
    assert!(
        form.contains(&format!("value=\"{group}\"")),
        "the form offers the groups"
    );
    assert!(
        form.contains("Statement 3: “Learning statement 3”"),
        "and the statements"
    );
    assert_eq!(
        cite(format!("conversation:{conversation}:statement:99"), "x").await,
        400
    );
    assert_eq!(
        cite(format!("conversation:{}:group:A", conversation + 1), "x").await,
        400
    );
    assert_eq!(cite(group, "One group wants time to learn").await, 303);
    let statement = format!("conversation:{conversation}:statement:3");
    assert_eq!(
        cite(statement.clone(), "Many agreed on statement 3").await,
        303
    );
    let r = t
        .post_form(
            &format!("{page}/results"),
            &[("csrf_token", &csrf), ("publish", "yes")],
        )
        .await;
    assert_eq!(r.status(), 303);

    let (_, results) = t.get_text("/consultations/skills/results").await;
    assert!(results.contains("href=\"/conversations/learning/results#group-A\""));
    assert!(results.contains("Group A (10 people)"));
    assert!(results.contains("href=\"/conversations/learning/results#statement-3\""));
    let (status, conversation_results) = t.get_text("/conversations/learning/results").await;
    assert_eq!(status, 200);
    assert!(
        conversation_results.contains("id=\"group-A\"")
            && conversation_results.contains("id=\"statement-3\"")
    );

    // A statement rejected later is no longer linked; its "you said" stays.
    (db.decide_statement(
        conversation,
        3,
        StatementStatus::Rejected,
        Some("Off topic"),
    ))
    .await
    .unwrap();
    let (_, results) = t.get_text("/consultations/skills/results").await;
    assert!(!results.contains("#statement-3"));
    assert!(results.contains("Many agreed on statement 3"));
}

async fn skills_consultation(
    t: &crate::support::TestApp,
    n: usize,
) -> townhall::store::exercises::Exercise {
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
    let r = t
        .post_json("/api/v1/consultations", Some(&editor), &def)
        .await;
    assert_eq!(r.status(), 201);
    respond(t, 0..n).await;
    t.app.db.exercise_by_slug("skills").await.unwrap()
}

/// Responses numbered `range` to the "skills" consultation, through the public API.
async fn respond(t: &crate::support::TestApp, range: std::ops::Range<usize>) {
    for i in range {
        let text = if i % 2 == 0 {
            format!("Short practical training courses on data, please ({i})")
        } else {
            format!("Protected time every week to learn new tools ({i})")
        };
        let body = json!({"answers": {"help": text}});
        let r = t
            .post_json("/api/v1/consultations/skills/responses", None, &body)
            .await;
        assert_eq!(r.status(), 201);
    }
}

/// Runs an analysis of the "help" question now; its id.
async fn analyse(t: &crate::support::TestApp, exercise: i64) -> i64 {
    let analysis = t
        .app
        .db
        .request_analysis(exercise, "help", None)
        .await
        .unwrap();
    townhall::jobs::analysis::run_pending(&t.app.db, &t.app.config.analysis_engine)
        .await
        .unwrap();
    analysis
}

#[tokio::test]
async fn statements_link_from_the_admin_the_programme_and_the_api_alike() {
    let t = spawn().await;
    let e = skills_consultation(&t, 20).await;
    let analysis = analyse(&t, e.id).await;
    t.sign_in_admin().await;
    t.keep_machine_names(analysis).await;
    let review = t.app.db.analysis(analysis).await.unwrap().review.unwrap();
    let theme = format!("{analysis}:{}", review.themes[0].id);
    let page = format!("/admin/consultations/{}", e.id);
    let csrf = t.csrf_token(&page).await;
    let publish = format!("/admin/analyses/{analysis}/publish");
    let r = t.post_form(&publish, &[("csrf_token", &csrf)]).await;
    assert_eq!(r.status(), 303);

    // The form offers every commitment and project; Filter narrows the lists and keeps what
    // was typed and ticked, without saving.
    let (status, html) = t.get_text(&format!("{page}/actions/new")).await;
    assert_eq!(status, 200);
    assert!(
        html.contains("value=\"digital-academy\"")
            && html.contains("value=\"digital-leaders-network\"")
    );
    let fields = |intent: &'static str, projects: &'static str| {
        vec![
            ("csrf_token", csrf.clone()),
            ("theme", theme.clone()),
            ("you_said", "You asked for practical training".to_string()),
            ("we_did", "We opened a digital academy".to_string()),
            ("commitments", "digital-skills-for-every-team".to_string()),
            ("projects", projects.to_string()),
            ("find", "academy".to_string()),
            ("intent", intent.to_string()),
        ]
    };
    let post = |path: String, f: Vec<(&'static str, String)>| {
        let t = &t;
        async move {
            let f: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
            t.post_form(&path, &f).await
        }
    };
    let r = post(
        format!("{page}/actions"),
        fields("filter", "digital-leaders-network"),
    )
    .await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(html.contains("value=\"digital-academy\""), "it matches");
    assert!(
        html.contains("value=\"digital-leaders-network\" checked"),
        "ticked, so still listed"
    );
    assert!(
        !html.contains("value=\"digital-skills-self-assessment\""),
        "filtered out"
    );
    assert!(
        html.contains("You asked for practical training"),
        "what was typed stays"
    );
    assert!(
        t.app.db.result_actions(e.id).await.unwrap().is_empty(),
        "nothing saved"
    );
    let r = post(format!("{page}/actions"), fields("save", "digital-academy")).await;
    assert_eq!(r.status(), 303);
    let action = t.app.db.result_actions(e.id).await.unwrap()[0].id;

    // It shows what it links to, and changing it replaces the links.
    let (_, html) = t.get_text(&page).await;
    assert!(html.contains("href=\"/programme/projects/digital-academy\""));
    let (_, html) = t.get_text(&format!("{page}/actions/{action}")).await;
    assert!(html.contains("value=\"digital-academy\" checked"));
    let r = post(
        format!("{page}/actions/{action}"),
        fields("save", "digital-leaders-network"),
    )
    .await;
    assert_eq!(r.status(), 303);
    let slugs = |links: Vec<townhall::store::chain::ActionLink>| -> Vec<String> {
        links.into_iter().map(|l| l.slug).collect()
    };
    assert_eq!(
        slugs(t.app.db.action_links(e.id).await.unwrap()),
        vec!["digital-skills-for-every-team", "digital-leaders-network"]
    );

    // From the programme's side: the project lists the statements, linked first, and links
    // or unlinks one.
    let register = t.app.db.register().await.unwrap();
    let academy = register.project("digital-academy").unwrap().project.id;
    let statements = format!("/admin/programme/projects/{academy}/statements");
    let (status, html) = t.get_text(&format!("{statements}?find=practical")).await;
    assert_eq!(status, 200);
    assert!(html.contains("No statement links to this project yet"));
    assert!(
        html.contains(&format!("<option value=\"{action}\"")),
        "the filter finds it"
    );
    let (_, html) = t
        .get_text(&format!("{statements}?find=nothing-like-it"))
        .await;
    assert!(!html.contains(&format!("<option value=\"{action}\"")));
    let csrf = t.csrf_token(&statements).await;
    let statement = action.to_string();
    let link = [
        ("csrf_token", csrf.as_str()),
        ("statement", &statement),
        ("link", "yes"),
    ];
    assert_eq!(t.post_form(&statements, &link).await.status(), 303);
    let missing = [
        ("csrf_token", csrf.as_str()),
        ("statement", "999999"),
        ("link", "yes"),
    ];
    let r = t.post_form(&statements, &missing).await;
    assert_eq!(
        r.status(),
        400,
        "an unknown statement is refused with a message"
    );
    assert!(
        slugs(t.app.db.action_links(e.id).await.unwrap()).contains(&"digital-academy".to_string())
    );

    // The API reads and writes the same statements, links included.
    let analyst = t
        .user_with_token("an@example.org", "community-services", Role::Analyst)
        .await;
    let list: Value = t
        .client
        .get(t.url("/api/v1/consultations/skills/actions"))
        .bearer_auth(&analyst)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"][0]["links"].as_array().unwrap().len(), 3);
    assert_eq!(list["items"][0]["theme"], theme.as_str());
    let body = json!({"you_said": "You want time to learn", "we_did": "A learning afternoon each month",
                      "theme": theme, "projects": ["digital-skills-self-assessment"]});
    let r = t
        .post_json(
            "/api/v1/consultations/skills/actions",
            Some(&analyst),
            &body,
        )
        .await;
    assert_eq!(r.status(), 201);
    let created: Value = r.json().await.unwrap();
    assert_eq!(
        created["links"][0]["slug"],
        "digital-skills-self-assessment"
    );
    let bad = json!({"you_said": "x", "we_did": "y", "projects": ["no-such-project"]});
    let r = t
        .post_json("/api/v1/consultations/skills/actions", Some(&analyst), &bad)
        .await;
    assert_eq!(r.status(), 422);
    let url = t.url(&format!(
        "/api/v1/consultations/skills/actions/{}",
        created["id"]
    ));
    let changed: Value = t
        .client
        .put(&url)
        .bearer_auth(&analyst)
        .json(&json!({"you_said": "You want time to learn", "we_did": "Done", "projects": []}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(changed["links"], json!([]));
    let r = t
        .client
        .delete(&url)
        .bearer_auth(&analyst)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let r = t
        .client
        .delete(&url)
        .bearer_auth(&analyst)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);

    // Once the results are published, the project's page, its API and the download agree.
    let csrf = t.csrf_token(&page).await;
    let r = t
        .post_form(
            &format!("{page}/results"),
            &[("csrf_token", &csrf), ("publish", "yes")],
        )
        .await;
    assert_eq!(r.status(), 303);
    let (_, html) = t.get_text("/programme/projects/digital-academy").await;
    let (direct, _) = html
        .split_once("id=\"evidence-commitments\"")
        .unwrap_or((&html, ""));
    assert_eq!(
        direct.matches("You asked for practical training").count(),
        1
    );
    let api: Value = t
        .get("/api/v1/programme/projects/digital-academy")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(api["statements"]["direct"].as_array().unwrap().len(), 1);
    assert!(
        api["statements"]["direct"][0]["url"]
            .as_str()
            .unwrap()
            .contains("/consultations/skills/results#theme-help-")
    );
    let self_assessment: Value = t
        .get("/api/v1/programme/projects/digital-skills-self-assessment")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(self_assessment["statements"]["direct"], json!([]));
    assert_eq!(
        self_assessment["statements"]["through_commitments"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let (_, csv) = t.get_text("/data/programme-projects.csv").await;
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    let column = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let row = |slug: &str| -> Vec<String> {
        let line = csv
            .lines()
            .find(|l| l.starts_with(&format!("{slug},")))
            .unwrap();
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(line.as_bytes());
        reader
            .records()
            .next()
            .unwrap()
            .unwrap()
            .iter()
            .map(String::from)
            .collect()
    };
    assert_eq!(row("digital-academy")[column("statements")], "1");
    assert_eq!(
        row("digital-skills-self-assessment")[column("statements")],
        "0"
    );
    assert_eq!(
        row("digital-skills-self-assessment")[column("statements_through_commitments")],
        "1"
    );
}

#[tokio::test]
async fn a_new_analysis_keeps_the_reviewed_themes_and_what_cites_them() {
    let t = spawn().await;
    let e = skills_consultation(&t, 60).await;
    let first = analyse(&t, e.id).await;
    t.sign_in_admin().await;
    let review = t.app.db.analysis(first).await.unwrap().review.unwrap();
    assert!(
        review.themes.len() >= 2,
        "two subjects, two themes at least"
    );
    let (kept, other) = (review.themes[0].clone(), review.themes[1].clone());
    let page = format!("/admin/analyses/{first}");
    let csrf = t.csrf_token(&page).await;
    let rename = [
        ("csrf_token", csrf.as_str()),
        ("action", "rename"),
        ("theme", &kept.id),
        ("label", "Learning that fits the job"),
    ];
    assert_eq!(
        t.post_form(&format!("{page}/edit"), &rename).await.status(),
        303
    );
    t.keep_machine_names(first).await;
    let publish = |analysis: i64| {
        let (t, csrf) = (&t, csrf.clone());
        async move {
            let path = format!("/admin/analyses/{analysis}/publish");
            t.post_form(&path, &[("csrf_token", &csrf)]).await
        }
    };
    assert_eq!(publish(first).await.status(), 303);
    let admin = format!("/admin/consultations/{}", e.id);
    for theme in [&kept, &other] {
        let value = format!("{first}:{}", theme.id);
        let said = format!("You said: {}", theme.id);
        let fields = [
            ("csrf_token", csrf.as_str()),
            ("theme", &value),
            ("you_said", &said),
            ("we_did", "We acted"),
        ];
        assert_eq!(
            t.post_form(&format!("{admin}/actions"), &fields)
                .await
                .status(),
            303
        );
    }
    let r = t
        .post_form(
            &format!("{admin}/results"),
            &[("csrf_token", &csrf), ("publish", "yes")],
        )
        .await;
    assert_eq!(r.status(), 303);

    // 50 more responses, and the analysis again.
    respond(&t, 60..110).await;
    let second = analyse(&t, e.id).await;
    let fresh = t.app.db.analysis(second).await.unwrap().review.unwrap();
    assert_eq!(fresh.continues, Some(first));
    let found = fresh
        .theme(&kept.id)
        .expect("the renamed theme is found again, with its id");
    assert_eq!(found.label, "Learning that fits the job", "and its name");
    assert!(found.name_reviewed);
    assert!(found.count > kept.count, "with the new responses in it");
    let used = review.highest_theme_number();
    for t in fresh
        .themes
        .iter()
        .filter(|t| review.theme(&t.id).is_none())
    {
        let n: usize = t.id[1..].parse().unwrap();
        assert!(n > used, "a new theme takes a new id, not {}", t.id);
    }
    let (_, html) = t.get_text(&format!("/admin/analyses/{second}")).await;
    assert!(html.contains("continues the themes of"));
    assert!(
        html.contains(&format!("continued the themes of analysis {first}")),
        "the change log says so"
    );

    // Nothing changes in public until it is published; then the statements follow their themes.
    let (_, before) = t.get_text("/consultations/skills/results").await;
    // The analyst merges the other theme away before publishing: its statement is flagged.
    let csrf = t.csrf_token(&format!("/admin/analyses/{second}")).await;
    if fresh.theme(&other.id).is_some() {
        let merge = [
            ("csrf_token", csrf.as_str()),
            ("action", "merge"),
            ("theme", &other.id),
            ("into", &kept.id),
        ];
        assert_eq!(
            t.post_form(&format!("/admin/analyses/{second}/edit"), &merge)
                .await
                .status(),
            303
        );
    }
    t.keep_machine_names(second).await;
    assert_eq!(t.get_text("/consultations/skills/results").await.1, before);
    assert_eq!(publish(second).await.status(), 303);
    let actions = t.app.db.result_actions(e.id).await.unwrap();
    let cites = |id: &str| {
        actions
            .iter()
            .find(|a| a.theme_id.as_deref() == Some(id))
            .unwrap()
            .analysis_id
    };
    assert_eq!(
        cites(&kept.id),
        Some(second),
        "the statement now cites the new analysis"
    );
    assert_eq!(
        cites(&other.id),
        Some(first),
        "a theme not in the new analysis is not guessed"
    );
    let (_, html) = t.get_text(&admin).await;
    assert_eq!(html.matches("Choose its theme again").count(), 1);
    let (_, results) = t.get_text("/consultations/skills/results").await;
    assert!(results.contains(&format!("href=\"#theme-help-{}\"", kept.id)));
    assert!(results.contains(&format!("id=\"theme-help-{}\"", kept.id)));
}

#[tokio::test]
async fn a_challenge_can_count_votes_confirmed_by_email_once_per_address() {
    let t = spawn().await;
    let idea = open_challenge_with_an_idea(&t).await;
    let approved = townhall::domain::idea::IdeaStatus::Approved;
    t.app.db.decide_idea(idea, approved, None).await.unwrap();
    t.sign_in_admin().await;
    let csrf = t.csrf_token("/admin/ideas/ideas").await;
    let r = t
        .post_form(
            "/admin/ideas/ideas/voting",
            &[("csrf_token", &csrf), ("need_email", "yes")],
        )
        .await;
    assert_eq!(r.status(), 303);

    let voter = crate::support::TestApp::handle(&t);
    let (_, page) = voter.get_text("/ideas/ideas").await;
    assert!(page.contains("To vote you give an email address"));
    let csrf = csrf_from(&page);
    let vote = format!("/ideas/ideas/{idea}/vote");
    let r = voter.post_form(&vote, &[("csrf_token", &csrf)]).await;
    assert_eq!(r.status(), 200);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Confirm your vote by email")
    );
    let with = |email: &'static str| {
        [
            ("csrf_token", csrf.clone()),
            ("step", "email".into()),
            ("email", email.into()),
        ]
    };
    let r = voter
        .post_form(
            &vote,
            &with("not an address")
                .each_ref()
                .map(|(k, v)| (*k, v.as_str())),
        )
        .await;
    assert_eq!(r.status(), 400);

    // Each confirmation counts once; the same address confirming again adds nothing.
    let confirm = |email: &'static str| {
        let (t, voter, vote, fields) = (&t, &voter, vote.clone(), with(email));
        async move {
            let fields = fields.each_ref().map(|(k, v)| (*k, v.as_str()));
            let r = voter.post_form(&vote, &fields).await;
            assert_eq!(r.status(), 200);
            assert!(r.text().await.unwrap().contains("Check your email"));
            let outbox = t.app.db.outbox(100).await.unwrap();
            let (_, _, _, body) = outbox
                .iter()
                .rev()
                .find(|m| m.1 == email)
                .expect("a message with the link");
            let link = body
                .lines()
                .find(|l| l.contains("/confirm-vote?token="))
                .unwrap();
            let path = &link[link.find("/ideas/").unwrap()..];
            // Opened in the mail client's browser: a page with a button, then the vote.
            let reader = crate::support::TestApp::handle(t);
            let (status, html) = reader.get_text(path).await;
            assert_eq!(status, 200);
            let token = path.split("token=").nth(1).unwrap();
            let fields = [
                ("csrf_token", csrf_from(&html)),
                ("token", token.to_string()),
            ];
            let fields = fields.each_ref().map(|(k, v)| (*k, v.as_str()));
            let r = reader.post_form("/ideas/ideas/confirm-vote", &fields).await;
            assert_eq!(r.status(), 303);
            let again = reader.post_form("/ideas/ideas/confirm-vote", &fields).await;
            assert_eq!(again.status(), 400, "a link works once");
        }
    };
    let votes = || async { t.app.db.idea(idea).await.unwrap().votes };
    confirm("kim@example.org").await;
    assert_eq!(votes().await, 1);
    confirm("kim@example.org").await;
    assert_eq!(votes().await, 1, "one vote per address per idea");
    confirm("sam@example.org").await;
    assert_eq!(votes().await, 2);
}
