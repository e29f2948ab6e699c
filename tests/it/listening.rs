//! Listening: exercises, responses (form and API), the evidence log, analyses with review,
//! and published results.

use crate::support::{TestApp, csrf_from, spawn};
use serde_json::{Value, json};
use townhall::domain::role::Role;

pub(crate) fn definition(title: &str, closes_at: &str) -> Value {
    json!({
        "organisation": "community-services",
        "title": title,
        "summary": "How should the libraries change?",
        "body": "We want to hear from **everyone**.",
        "opens_at": "2020-01-01",
        "closes_at": closes_at,
        "topics": ["Libraries"],
        "questions": [
            {"id": "q1", "type": "text", "title": "What should change?", "required": true, "page": "Your views"},
            {"id": "q2", "type": "single", "title": "Which library do you use?", "options": ["North", "South"], "page": "Your views"},
            {"id": "q3", "type": "multiple", "title": "When would you visit?", "options": ["Mornings", "Evenings", "Weekends"], "page": "Opening hours"},
            {"id": "q4", "type": "scale", "title": "How satisfied are you?", "min": 1, "max": 5, "labels": ["Not at all", "Very"], "required": true, "page": "Opening hours"}
        ],
        "segments": [{"id": "who", "title": "Are you responding as", "options": ["An individual", "An organisation"]}],
        "dimensions": [{"id": "d1", "title": "Satisfaction", "questions": ["q4"],
                        "levels": [{"min": 0, "label": "Low"}, {"min": 3, "label": "High"}]}]
    })
}

pub(crate) async fn with_exercise() -> (TestApp, String, String) {
    let t = spawn().await;
    let editor = t
        .user_with_token("ed@example.org", "community-services", Role::Editor)
        .await;
    let r = t
        .post_json(
            "/api/v1/consultations",
            Some(&editor),
            &definition("Library services", "2099-01-01"),
        )
        .await;
    assert_eq!(r.status(), 201);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["slug"], "library-services");
    assert!(
        body["url"]
            .as_str()
            .unwrap()
            .ends_with("/consultations/library-services")
    );
    (t, editor, "library-services".into())
}

#[tokio::test]
async fn the_api_takes_a_response_once_and_explains_what_is_wrong() {
    let (t, editor, slug) = with_exercise().await;
    let path = format!("/api/v1/consultations/{slug}/responses");
    let good = json!({"answers": {"q1": "Open later", "q2": "North", "q3": ["Evenings"], "q4": 4}, "segment": "An individual"});

    let send = |key: &'static str| {
        let (t, path, good) = (&t, path.clone(), good.clone());
        async move {
            t.client
                .post(t.url(&path))
                .header("idempotency-key", key)
                .json(&good)
                .send()
                .await
                .unwrap()
        }
    };
    let first = send("abc").await;
    assert_eq!(first.status(), 201);
    let reference = first.json::<Value>().await.unwrap()["reference"]
        .as_str()
        .unwrap()
        .to_string();
    let again = send("abc").await;
    assert_eq!(
        again.status(),
        200,
        "a retry with the same key is not stored twice"
    );
    assert_eq!(
        again.json::<Value>().await.unwrap()["reference"],
        reference.as_str()
    );
    let e = t.app.db.exercise_by_slug(&slug).await.unwrap();
    assert_eq!(t.app.db.response_count(e.id).await.unwrap(), 1);

    let r = t
        .post_json(
            &path,
            None,
            &json!({"answers": {"q2": "East", "q4": 9, "q7": "x"}}),
        )
        .await;
    assert_eq!(r.status(), 422);
    let body: Value = r.json().await.unwrap();
    assert!(
        body["fields"]["q1"]
            .as_str()
            .unwrap()
            .starts_with("Enter your answer")
    );
    assert!(body["fields"]["q2"].is_string());
    assert!(body["fields"]["q4"].as_str().unwrap().contains("1 to 5"));
    assert!(body["fields"]["q7"].is_string());
    assert_eq!(
        t.app.db.response_count(e.id).await.unwrap(),
        1,
        "nothing stored from a refused response"
    );

    // A closed exercise refuses with 409 and says so.
    let r = t
        .post_json(
            "/api/v1/consultations",
            Some(&editor),
            &definition("Old survey", "2021-01-01"),
        )
        .await;
    assert_eq!(r.status(), 201);
    let r = t
        .post_json("/api/v1/consultations/old-survey/responses", None, &good)
        .await;
    assert_eq!(r.status(), 409);
    assert!(
        r.json::<Value>().await.unwrap()["error"]
            .as_str()
            .unwrap()
            .contains("closed")
    );

    // A bad definition is refused with every problem named.
    let mut bad = definition("Broken", "2019-01-01");
    bad["questions"][1]["options"] = json!(["Only one"]);
    let r = t
        .post_json("/api/v1/consultations", Some(&editor), &bad)
        .await;
    assert_eq!(r.status(), 422);
    let body: Value = r.json().await.unwrap();
    assert!(body["fields"]["questions.1.options"].is_string());
    assert!(body["fields"]["closes_at"].is_string());
    // Only editors create exercises, and only analysts read responses.
    let r = t
        .post_json(
            "/api/v1/consultations",
            None,
            &definition("No token", "2099-01-01"),
        )
        .await;
    assert_eq!(r.status(), 401);
    let r = t
        .client
        .get(t.url(&path))
        .bearer_auth(&editor)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
}

#[tokio::test]
async fn a_person_answers_a_multi_page_form_without_javascript() {
    let (t, _, slug) = with_exercise().await;
    let (status, page) = t.get_text(&format!("/consultations/{slug}")).await;
    assert_eq!(status, 200);
    // It is found by search, listed on the hub, its organisation's page and its topic's.
    let (_, found) = t
        .get_text("/search?q=libraries+change&type=consultation")
        .await;
    assert!(
        found.contains(&format!("href=\"/consultations/{slug}\"")),
        "search finds it"
    );
    for listed in [
        "/",
        "/consultations",
        "/organisations/community-services",
        "/topics/libraries",
    ] {
        let (_, html) = t.get_text(listed).await;
        assert!(
            html.contains(&format!("href=\"/consultations/{slug}\"")),
            "listed on {listed}"
        );
    }
    assert!(page.contains("Respond now") && page.contains("<strong>everyone</strong>"));
    let (_, form) = t.get_text(&format!("/consultations/{slug}/respond")).await;
    assert!(form.contains("page 1 of 2"));
    let key = form
        .split("name=\"submission_key\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let csrf = csrf_from(&form);
    let path = format!("/consultations/{slug}/respond");

    // Page 1 without the required answer: the error summary links to the field.
    let r = t
        .post_form(
            &path,
            &[
                ("csrf_token", &csrf),
                ("submission_key", &key),
                ("page", "0"),
                ("carried", ""),
                ("q_q1", ""),
                ("q_q2", "North"),
            ],
        )
        .await;
    assert_eq!(r.status(), 400);
    let html = r.text().await.unwrap();
    assert!(html.contains("There is a problem") && html.contains("href=\"#q_q1\""));
    assert!(
        html.contains("value=\"North\" checked"),
        "answers given are kept"
    );

    let r = t
        .post_form(
            &path,
            &[
                ("csrf_token", &csrf),
                ("submission_key", &key),
                ("page", "0"),
                ("carried", ""),
                ("q_q1", "Open on Sundays"),
                ("q_q2", "North"),
            ],
        )
        .await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(html.contains("page 2 of 2") && html.contains("About you"));
    let carried = html
        .split("name=\"carried\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .replace("&quot;", "\"");
    let fields = [
        ("csrf_token", csrf.as_str()),
        ("submission_key", key.as_str()),
        ("page", "1"),
        ("carried", carried.as_str()),
        ("q_q3", "Evenings"),
        ("q_q3", "Weekends"),
        ("q_q4", "2"),
        ("s_who", "An organisation"),
        ("email", "me@example.org"),
        ("website", ""),
    ];
    let r = t.post_form(&path, &fields).await;
    assert_eq!(r.status(), 303);
    let confirmation = r.headers()["location"].to_str().unwrap().to_string();
    assert!(confirmation.starts_with(&format!("/consultations/{slug}/confirmation/TH-")));
    let (_, html) = t.get_text(&confirmation).await;
    assert!(
        html.contains("Response sent") && html.contains("Satisfaction") && html.contains("Low")
    );

    // Sending the same form again (a double click, a refresh) does not store it twice.
    let r = t.post_form(&path, &fields).await;
    assert_eq!(r.headers()["location"].to_str().unwrap(), confirmation);
    let e = t.app.db.exercise_by_slug(&slug).await.unwrap();
    let stored = t.app.db.responses(e.id).await.unwrap();
    assert_eq!(stored.len(), 1);
    let answers: Value = serde_json::to_value(&stored[0].answers).unwrap();
    assert_eq!(
        answers,
        json!({"q1": "Open on Sundays", "q2": ["North"], "q3": ["Evenings", "Weekends"], "q4": 2})
    );
    let segments = serde_json::to_string(&stored[0].segments).unwrap();
    assert_eq!(segments, r#"{"who":"An organisation"}"#);
    assert!(
        !answers.to_string().contains("me@example.org"),
        "the email is kept apart from the answers"
    );
    assert_eq!(
        t.app.db.outbox(10).await.unwrap().len(),
        1,
        "a receipt is queued"
    );

    // The honeypot: thanked, nothing stored.
    let mut bot = fields.to_vec();
    bot[1] = ("submission_key", "another");
    bot[9] = ("website", "http://spam.example");
    let r = t.post_form(&path, &bot).await;
    assert_eq!(r.status(), 200);
    assert_eq!(t.app.db.responses(e.id).await.unwrap().len(), 1);
    // On request, an analyst erases the email; the answers stay.
    t.sign_in_admin().await;
    let reference = confirmation.rsplit('/').next().unwrap();
    let admin_csrf = t
        .csrf_token(&format!("/admin/consultations/{}", e.id))
        .await;
    let erase = format!("/admin/consultations/{}/erase", e.id);
    let r = t
        .post_form(
            &erase,
            &[("csrf_token", &admin_csrf), ("reference", "TH-NOPE-NOPE")],
        )
        .await;
    assert_eq!(r.status(), 400);
    let r = t
        .post_form(
            &erase,
            &[("csrf_token", &admin_csrf), ("reference", reference)],
        )
        .await;
    assert_eq!(r.status(), 303);
    assert!(
        !t.app.db.erase_contact(e.id, reference).await.unwrap(),
        "already erased"
    );
    assert_eq!(t.app.db.responses(e.id).await.unwrap().len(), 1);

    // Stored JSON is decoded as it is read: a value that does not decode is an error, never
    // answers that quietly read as empty.
    crate::support::execute_sql(
        &t.database_url,
        &format!(
            "UPDATE responses SET answers = '{{\"q1\": {{' WHERE exercise_id = {}",
            e.id
        ),
    )
    .await;
    let error = t.app.db.responses(e.id).await.unwrap_err().to_string();
    assert!(error.contains("EOF while parsing"), "{error}");
}

#[tokio::test]
async fn hostile_text_is_stored_exactly_and_shown_inert() {
    let (t, _, slug) = with_exercise().await;
    let long = "Lorem ipsum dolor sit amet. ".repeat(4000); // 112 KB
    let texts = [
        "<script>alert('x')</script><img src=x onerror=alert(1)>".to_string(),
        long,
        "Emoji 👩🏽‍💻🎉 and 🇬🇧 flags".to_string(),
        "نريد ساعات عمل أطول للمكتبة ‏(right to left)‏".to_string(),
        "  spaces kept \r\n and \"quotes\" & ampersands  ".to_string(),
    ];
    for text in &texts {
        let r = t
            .post_json(
                &format!("/api/v1/consultations/{slug}/responses"),
                None,
                &json!({"answers": {"q1": text, "q4": 3}}),
            )
            .await;
        assert_eq!(r.status(), 201, "{}", &text[..20.min(text.len())]);
    }
    let analyst = t
        .user_with_token("an@example.org", "community-services", Role::Analyst)
        .await;
    let r = t
        .client
        .get(t.url(&format!("/api/v1/consultations/{slug}/responses")))
        .bearer_auth(&analyst)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let lines: Vec<Value> = r
        .text()
        .await
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), texts.len());
    for (line, text) in lines.iter().zip(&texts) {
        assert_eq!(
            line["answers"]["q1"].as_str().unwrap(),
            text,
            "stored exactly as typed"
        );
    }
    // Shown to the analyst, inert: the evidence review lists the text escaped.
    t.sign_in_admin().await;
    let e = t.app.db.exercise_by_slug(&slug).await.unwrap();
    let (status, csv) = t
        .get_text(&format!("/admin/consultations/{}/responses.csv", e.id))
        .await;
    assert_eq!(status, 200);
    assert!(csv.contains("👩🏽‍💻") && csv.contains("نريد"));
}

/// Responses that a real analysis can find themes in: two subjects and a campaign.
pub(crate) async fn fill(t: &TestApp, slug: &str) {
    let subjects = [
        (
            "waiting",
            [
                "The queue at the desk is far too long",
                "I waited forty minutes to borrow a book",
                "Waiting times at the counter are terrible",
                "Too much waiting, not enough staff at the desk",
            ],
        ),
        (
            "hours",
            [
                "Please open in the evenings after work",
                "Opening hours should include Sunday afternoons",
                "Later opening hours on weekdays would help",
                "Open the library at weekends and evenings",
            ],
        ),
    ];
    let mut n = 0;
    for (_, texts) in subjects {
        for round in 0..6 {
            for text in texts {
                n += 1;
                let body = json!({"answers": {"q1": format!("{text} (visit {round})"), "q2": if n % 3 == 0 { "South" } else { "North" }, "q4": 1 + n % 5},
                                  "segment": if n % 4 == 0 { "An organisation" } else { "An individual" }});
                let r = t
                    .post_json(
                        &format!("/api/v1/consultations/{slug}/responses"),
                        None,
                        &body,
                    )
                    .await;
                assert_eq!(r.status(), 201);
            }
        }
    }
    let letter = "I am writing to object to the closure of the mobile library service, which my family and many elderly neighbours depend on every single week for books and company.";
    for _ in 0..10 {
        let r = t
            .post_json(
                &format!("/api/v1/consultations/{slug}/responses"),
                None,
                &json!({"answers": {"q1": letter, "q4": 1}}),
            )
            .await;
        assert_eq!(r.status(), 201);
    }
}

#[tokio::test]
async fn an_analyst_runs_reviews_and_publishes_an_analysis() {
    let (t, _, slug) = with_exercise().await;
    fill(&t, &slug).await;
    let analyst = t
        .user_with_token("an@example.org", "community-services", Role::Analyst)
        .await;
    let r = t
        .post_json(
            &format!("/api/v1/consultations/{slug}/analyses"),
            Some(&analyst),
            &json!({"question": "q2"}),
        )
        .await;
    assert_eq!(
        r.status(),
        422,
        "closed questions are charted, not analysed"
    );
    let r = t
        .post_json(
            &format!("/api/v1/consultations/{slug}/analyses"),
            Some(&analyst),
            &json!({"question": "q1"}),
        )
        .await;
    assert_eq!(r.status(), 202);
    let id = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let poll = || async {
        t.client
            .get(t.url(&format!("/api/v1/analyses/{id}")))
            .bearer_auth(&analyst)
            .send()
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap()
    };
    let mut body = poll().await;
    for _ in 0..100 {
        if body["status"] == "done" {
            break;
        }
        // The worker polls every second; run it here too so the test does not wait on it.
        townhall::jobs::analysis::run_pending(&t.app.db, &t.app.config.analysis_engine)
            .await
            .unwrap();
        body = poll().await;
    }
    assert_eq!(body["status"], "done", "{body}");
    let result = &body["result"];
    assert_eq!(result["responses"], 58);
    assert!(result["themes"].as_array().unwrap().len() >= 2);
    let campaign = &result["campaigns"][0];
    assert_eq!(
        campaign["count"], 10,
        "the ten copies of one letter are one campaign"
    );

    // Nothing is public until published.
    assert_eq!(
        t.get_text(&format!("/consultations/{slug}/results"))
            .await
            .0,
        404
    );

    // Review in the admin: rename, merge, dismiss a campaign; every change is recorded.
    t.sign_in_admin().await;
    let page = format!("/admin/analyses/{id}");
    let csrf = t.csrf_token(&page).await;
    let themes: Vec<String> = result["themes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap().to_string())
        .collect();
    let edit = |fields: Vec<(&'static str, String)>| {
        let (t, page, csrf) = (&t, page.clone(), csrf.clone());
        async move {
            let mut f: Vec<(&str, String)> = vec![("csrf_token", csrf)];
            f.extend(fields);
            let f: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
            t.post_form(&format!("{page}/edit"), &f).await
        }
    };
    let r = edit(vec![
        ("action", "rename".into()),
        ("theme", themes[0].clone()),
        ("label", "Waiting at the desk".into()),
    ])
    .await;
    assert_eq!(r.status(), 303);
    let r = edit(vec![
        ("action", "rename".into()),
        ("theme", themes[0].clone()),
        ("label", " ".into()),
    ])
    .await;
    assert_eq!(r.status(), 400, "an empty name is refused with a message");
    let r = edit(vec![
        ("action", "campaign".into()),
        ("campaign", "c1".into()),
        ("status", "confirmed".into()),
    ])
    .await;
    assert_eq!(r.status(), 303);
    let (_, html) = t.get_text(&page).await;
    assert!(html.contains("Waiting at the desk"));
    assert!(html.contains("renamed theme") && html.contains("marked campaign c1"));

    // Publishing is refused while a theme has the name the engine made and nobody checked
    // it; once each is renamed or kept, publish, add a "you said, we did" linked to the
    // theme, and publish the results.
    let (publish, fields) = (format!("{page}/publish"), [("csrf_token", csrf.as_str())]);
    let r = t.post_form(&publish, &fields).await;
    assert_eq!(r.status(), 400);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("Check the name of every theme before publishing"),
        "{html}"
    );
    assert!(
        !html.contains(&format!("{} (“Waiting at the desk”)", themes[0])),
        "a renamed theme is checked"
    );
    t.keep_machine_names(id).await;
    let r = t.post_form(&publish, &fields).await;
    assert_eq!(r.status(), 303);
    let e = t.app.db.exercise_by_slug(&slug).await.unwrap();
    let admin_page = format!("/admin/consultations/{}", e.id);
    let theme_value = format!("{id}:{}", themes[0]);
    let r = t
        .post_form(
            &format!("{admin_page}/actions"),
            &[
                ("csrf_token", &csrf),
                ("theme", &theme_value),
                ("you_said", "Waiting times are too long"),
                ("we_did", "Two more staff at the desk at busy times"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let r = t
        .post_form(
            &format!("{admin_page}/results"),
            &[("csrf_token", &csrf), ("publish", "yes")],
        )
        .await;
    assert_eq!(r.status(), 303);

    let (status, html) = t.get_text(&format!("/consultations/{slug}/results")).await;
    assert_eq!(status, 200);
    assert!(html.contains("What people told us") && html.contains("Waiting at the desk"));
    assert!(
        html.contains(&format!("href=\"#theme-q1-{}\"", themes[0])),
        "each you said links to its theme"
    );
    assert!(
        html.contains("10 responses sent the same text"),
        "a campaign's size is shown"
    );
    assert!(
        html.contains("<svg") && html.contains("govuk-table"),
        "charts come with tables"
    );

    let r = t.get(&format!("/consultations/{slug}/results.json")).await;
    let json: Value = r.json().await.unwrap();
    assert_eq!(json["responses"], 58);
    assert_eq!(json["actions"][0]["theme_label"], "Waiting at the desk");
    let q1 = &json["questions"][0]["analysis"];
    assert!(
        q1["themes"][0].get("members").is_none(),
        "published results carry no response lists"
    );
    let q2 = &json["questions"][1]["options"];
    let total: u64 = q2
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["count"].as_u64().unwrap())
        .sum();
    assert_eq!(total, 48);
    let (status, csv) = t
        .get_text(&format!("/consultations/{slug}/results.csv"))
        .await;
    assert_eq!(status, 200);
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert!(
        rows.iter()
            .any(|r| &r[0] == "theme" && &r[3] == "Waiting at the desk")
    );
    assert!(rows.iter().any(|r| &r[0] == "action"));

    // The open data registry carries the same published results, and the exercise's count.
    let data: Value = t
        .get("/data/consultation-results.json")
        .await
        .json()
        .await
        .unwrap();
    let items = data["items"].as_array().unwrap();
    assert!(items.iter().any(|i| i["consultation"] == slug.as_str()
        && i["section"] == "theme"
        && i["label"] == "Waiting at the desk"));
    assert_eq!(
        items
            .iter()
            .filter(|i| i["consultation"] == slug.as_str())
            .count(),
        rows.len()
    );
    let data: Value = t
        .get("/data/consultations.json")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(data["items"][0]["responses"], 58);

    // Edits after publishing stay private until the analyst publishes again.
    let r = edit(vec![
        ("action", "rename".into()),
        ("theme", themes[0].clone()),
        ("label", "Queues at the counter".into()),
    ])
    .await;
    assert_eq!(r.status(), 303);
    let (_, html) = t.get_text(&format!("/consultations/{slug}/results")).await;
    assert!(html.contains("Waiting at the desk") && !html.contains("Queues at the counter"));
    let r = t
        .post_form(
            &format!("{page}/publish"),
            &[("csrf_token", &csrf), ("publish", "yes")],
        )
        .await;
    assert_eq!(r.status(), 303);
    let (_, html) = t.get_text(&format!("/consultations/{slug}/results")).await;
    assert!(html.contains("Queues at the counter"));

    // An analysis published before public summaries were kept (listed by the migration, as
    // here) gets one when the server starts, and its results page shows it as before.
    crate::support::execute_sql(&t.database_url, "DELETE FROM published_summaries").await;
    crate::support::execute_sql(
        &t.database_url,
        "INSERT INTO analyses_to_summarise SELECT id FROM analyses WHERE published_at IS NOT NULL",
    )
    .await;
    assert_eq!(
        townhall::listening::summarise_published(&t.app.db)
            .await
            .unwrap(),
        1
    );
    let a = t.app.db.published_analysis(id).await.unwrap();
    assert_eq!(a.summary["themes"][0]["label"], "Queues at the counter");
    assert!(a.summary["themes"][0].get("members").is_none());
}

#[tokio::test]
async fn the_evidence_log_imports_a_csv_after_mapping_and_preview() {
    let (t, _, slug) = with_exercise().await;
    t.sign_in_admin().await;
    let e = t.app.db.exercise_by_slug(&slug).await.unwrap();
    let page = format!("/admin/consultations/{}/evidence", e.id);
    let csrf = t.csrf_token(&page).await;
    let upload = |csv: &'static str, extra: Vec<(&'static str, &'static str)>| {
        let (t, page, csrf) = (&t, page.clone(), csrf.clone());
        async move {
            let mut form = reqwest::multipart::Form::new().text("csrf_token", csrf);
            for (k, v) in extra {
                form = form.text(k, v);
            }
            form = form.part(
                "file",
                reqwest::multipart::Part::bytes(csv.as_bytes().to_vec()).file_name("in.csv"),
            );
            t.client
                .post(t.url(&format!("{page}/import")))
                .header("origin", format!("http://{}", t.addr))
                .multipart(form)
                .send()
                .await
                .unwrap()
        }
    };
    let good = "ref,comment,group,when\n1,Longer opening hours please,Staff,2026-03-01\n2,More study space,Public,2026-03-02\n3,,Public,2026-03-02\n";
    let r = upload(good, vec![]).await;
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("Choose the columns"));
    let r = upload(
        good,
        vec![
            ("step", "preview"),
            ("text", "comment"),
            ("segment", "group"),
            ("date", "when"),
            ("question_id", "q1"),
        ],
    )
    .await;
    let html = r.text().await.unwrap();
    assert!(html.contains("Import 2 responses") && html.contains("More study space"));
    assert!(
        t.app.db.evidence(e.id).await.unwrap().is_empty(),
        "a preview changes nothing"
    );

    // A bad date in row 3 is named, and nothing is imported.
    let bad = "comment,when\nFine,2026-03-01\nAlso fine,yesterday\n";
    let r = upload(
        bad,
        vec![
            ("step", "import"),
            ("text", "comment"),
            ("date", "when"),
            ("question_id", "q1"),
        ],
    )
    .await;
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("Row 3"));
    let r = upload("a,b\n1,2,3\n", vec![]).await;
    assert_eq!(r.status(), 400, "a ragged file is refused");
    assert!(t.app.db.evidence(e.id).await.unwrap().is_empty());

    let r = upload(
        good,
        vec![
            ("step", "import"),
            ("text", "comment"),
            ("segment", "group"),
            ("date", "when"),
            ("question_id", "q1"),
        ],
    )
    .await;
    assert_eq!(r.status(), 303);
    let items = t.app.db.evidence(e.id).await.unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(
        (items[0].segment.as_str(), items[0].collected_on.as_str()),
        ("Staff", "2026-03-01")
    );

    // Interview notes go in through the form, with errors for what is missing.
    let r = t
        .post_form(
            &page,
            &[
                ("csrf_token", &csrf),
                ("question_id", "q1"),
                ("source_type", "interview"),
                ("collected-day", "14"),
                ("collected-month", "3"),
                ("body", ""),
            ],
        )
        .await;
    assert_eq!(r.status(), 400);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("href=\"#collected-day\"") && html.contains("Date must include a year"),
        "{html}"
    );
    let r = t
        .post_form(
            &page,
            &[
                ("csrf_token", &csrf),
                ("question_id", "q1"),
                ("source_type", "workshop"),
                ("collected-day", "14"),
                ("collected-month", "3"),
                ("collected-year", "2026"),
                ("segment", "Partners"),
                ("body", "Partners want shared spaces"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    // Evidence is analysed with the answers.
    let corpus = townhall::jobs::analysis::corpus(&t.app.db, &e, "q1")
        .await
        .unwrap();
    assert_eq!(corpus.len(), 3);
    assert!(
        corpus
            .iter()
            .any(|r| r.id.starts_with('e') && r.segment.as_deref() == Some("Partners"))
    );
}

#[tokio::test]
async fn editors_give_opening_and_closing_times_in_the_sites_zone() {
    let t = spawn().await;
    t.sign_in_admin().await;
    let csrf = t.csrf_token("/admin/consultations/new").await;
    let details = |closes_month: &'static str, closes_time: &'static str| {
        vec![
            ("csrf_token", csrf.clone()),
            ("organisation", "community-services".into()),
            ("kind", "consultation".into()),
            ("title", "Summer opening hours".into()),
            ("opens-day", "1".into()),
            ("opens-month", "6".into()),
            ("opens-year", "2026".into()),
            ("opens-time", "9am".into()),
            ("closes-day", "31".into()),
            ("closes-month", closes_month.into()),
            ("closes-year", "2026".into()),
            ("closes-time", closes_time.into()),
        ]
    };
    // 31 June does not exist: the date input says so, and links to its first box.
    let fields = details("6", "");
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = t.post_form("/admin/consultations/new", &fields).await;
    assert_eq!(r.status(), 400);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("href=\"#closes-day\"") && html.contains("Closing date must be a real date"),
        "{html}"
    );
    // A closing date without a time takes answers all that day: 11:59pm in London (BST).
    let fields = details("10", "");
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = t.post_form("/admin/consultations/new", &fields).await;
    assert_eq!(r.status(), 303);
    let e = t
        .app
        .db
        .exercise_by_slug("summer-opening-hours")
        .await
        .unwrap();
    assert_eq!(e.opens_at.rfc3339(), "2026-06-01T08:00:00Z");
    // 31 October 2026 is after the clocks go back: 11:59pm GMT.
    assert_eq!(e.closes_at.rfc3339(), "2026-10-31T23:59:00Z");
    let (_, form) = t
        .get_text(&format!("/admin/consultations/{}/edit", e.id))
        .await;
    for shown in [
        "name=\"opens-time\" type=\"text\" value=\"09:00\"",
        "value=\"23:59\"",
    ] {
        assert!(form.contains(shown), "{shown} in the form");
    }
}

#[tokio::test]
async fn editors_build_an_exercise_in_the_admin_and_round_trip_its_json() {
    let t = spawn().await;
    t.sign_in_admin().await;
    let csrf = t.csrf_token("/admin/consultations/new").await;
    let r = t
        .post_form(
            "/admin/consultations/new",
            &[
                ("csrf_token", &csrf),
                ("organisation", "community-services"),
                ("kind", "survey"),
                ("title", "Digital skills"),
                ("opens-day", "1"),
                ("opens-month", "1"),
                ("opens-year", "2020"),
                ("closes-day", "1"),
                ("closes-month", "1"),
                ("closes-year", "2099"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let page = r.headers()["location"].to_str().unwrap().to_string();
    let r = t
        .post_form(
            &format!("{page}/questions"),
            &[
                ("csrf_token", &csrf),
                ("type", "single"),
                ("title", "Pick one"),
                ("options", "Only one"),
            ],
        )
        .await;
    assert_eq!(r.status(), 400, "a choice question needs two options");
    assert!(r.text().await.unwrap().contains("href=\"#options\""));
    for (title, kind) in [
        ("I can use spreadsheets", "scale"),
        ("I can write for the web", "scale"),
    ] {
        let r = t
            .post_form(
                &format!("{page}/questions"),
                &[
                    ("csrf_token", &csrf),
                    ("type", kind),
                    ("title", title),
                    ("min", "1"),
                    ("max", "5"),
                    ("required", "yes"),
                ],
            )
            .await;
        assert_eq!(r.status(), 303);
    }
    let r = t
        .post_form(
            &format!("{page}/segments"),
            &[
                ("csrf_token", &csrf),
                ("title", "Your team"),
                ("options", "Policy\nDigital"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let r = t
        .post_form(
            &format!("{page}/dimensions"),
            &[
                ("csrf_token", &csrf),
                ("title", "Digital skills"),
                ("questions", "q1"),
                ("questions", "q2"),
                ("levels", "1: Beginning\n3: Confident"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let r = t
        .post_form(
            &format!("{page}/publish"),
            &[("csrf_token", &csrf), ("publish", "yes")],
        )
        .await;
    assert_eq!(r.status(), 303);
    let (_, json) = t.get_text(&format!("{page}/definition.json")).await;
    let mut def: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(def["questions"].as_array().unwrap().len(), 2);
    assert_eq!(def["dimensions"][0]["levels"][1]["label"], "Confident");

    // The exported JSON imports as a new draft (with a new slug).
    def["slug"] = json!("digital-skills-2");
    let form = reqwest::multipart::Form::new()
        .text("csrf_token", csrf.clone())
        .part(
            "file",
            reqwest::multipart::Part::bytes(def.to_string().into_bytes()).file_name("def.json"),
        );
    let r = t
        .client
        .post(t.url("/admin/consultations/import"))
        .header("origin", format!("http://{}", t.addr))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let copy = t.app.db.exercise_by_slug("digital-skills-2").await.unwrap();
    assert!(!copy.published);
    assert_eq!(copy.definition().questions.len(), 2);
    let form = reqwest::multipart::Form::new()
        .text("csrf_token", csrf.clone())
        .text("definition", "{\"title\": 3}");
    let r = t
        .client
        .post(t.url("/admin/consultations/import"))
        .header("origin", format!("http://{}", t.addr))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("not valid"));

    // Respond as a team member and see the scored result.
    let r = t
        .post_json(
            "/api/v1/consultations/digital-skills/responses",
            None,
            &json!({"answers": {"q1": 4, "q2": 5}, "segment": "Digital"}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let reference = r.json::<Value>().await.unwrap()["reference"]
        .as_str()
        .unwrap()
        .to_string();
    let (_, html) = t
        .get_text(&format!(
            "/consultations/digital-skills/confirmation/{reference}"
        ))
        .await;
    assert!(html.contains("4.5") && html.contains("Confident"));
    // Questions with answers cannot be removed.
    let r = t
        .post_form(
            &format!("{page}/questions/remove"),
            &[("csrf_token", &csrf), ("item", "q1")],
        )
        .await;
    assert_eq!(r.status(), 400);
}

#[tokio::test]
async fn hundreds_of_concurrent_responses_are_each_stored_once() {
    let (t, _, slug) = with_exercise().await;
    let path = format!("/api/v1/consultations/{slug}/responses");
    let mut tasks = Vec::new();
    // 120 responses sent twice stay under the limit of 300 requests per address.
    for i in 0..120 {
        let client = t.client.clone();
        let url = t.url(&path);
        tasks.push(tokio::spawn(async move {
            // Every response is sent twice, as a client retrying after a lost answer would.
            let mut refs = Vec::new();
            for _ in 0..2 {
                let r = client
                    .post(&url)
                    .header("idempotency-key", format!("key-{i}"))
                    .json(&json!({"answers": {"q1": format!("answer {i}"), "q4": 3}}))
                    .send()
                    .await
                    .unwrap();
                assert!(r.status() == 201 || r.status() == 200);
                refs.push(
                    r.json::<Value>().await.unwrap()["reference"]
                        .as_str()
                        .unwrap()
                        .to_string(),
                );
            }
            assert_eq!(refs[0], refs[1]);
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let e = t.app.db.exercise_by_slug(&slug).await.unwrap();
    assert_eq!(t.app.db.response_count(e.id).await.unwrap(), 120);

    // Past the limit for one address, a stranger is told to wait and nothing is stored.
    let mut last = 0;
    for i in 0..70 {
        let r = t
            .post_json(
                &path,
                None,
                &json!({"answers": {"q1": format!("more {i}"), "q4": 3}}),
            )
            .await;
        last = r.status().as_u16();
        if last == 429 {
            assert!(r.headers().contains_key("retry-after"));
            break;
        }
    }
    assert_eq!(last, 429);
    assert!(t.app.db.response_count(e.id).await.unwrap() < 120 + 70);
}

#[tokio::test]
async fn ideas_are_moderated_voted_once_scored_and_shortlisted() {
    let t = spawn().await;
    t.sign_in_admin().await;
    let csrf = t.csrf_token("/admin/ideas").await;
    let r = t
        .post_form(
            "/admin/ideas",
            &[
                ("csrf_token", &csrf),
                ("organisation", "community-services"),
                ("title", "Simpler services"),
                ("criteria", ""),
                ("opens-day", "1"),
                ("opens-month", "1"),
                ("opens-year", "2020"),
                ("closes-day", "1"),
                ("closes-month", "1"),
                ("closes-year", "2099"),
            ],
        )
        .await;
    assert_eq!(r.status(), 400, "criteria are required");
    let r = t
        .post_form(
            "/admin/ideas",
            &[
                ("csrf_token", &csrf),
                ("organisation", "community-services"),
                ("title", "Simpler services"),
                ("criteria", "Benefit\nCost"),
                ("opens-day", "1"),
                ("opens-month", "1"),
                ("opens-year", "2020"),
                ("closes-day", "1"),
                ("closes-month", "1"),
                ("closes-year", "2099"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);

    // A member of the public (a second browser) submits an idea: held for moderation.
    let public = TestApp::handle(&t);
    let page = "/ideas/simpler-services";
    let token = public.csrf_token(page).await;
    let r = public
        .post_form(
            page,
            &[
                ("csrf_token", &token),
                ("title", ""),
                ("body", "x"),
                ("name", "Ann"),
            ],
        )
        .await;
    assert_eq!(r.status(), 400);
    let r = public
        .post_form(
            page,
            &[
                ("csrf_token", &token),
                ("title", "Fewer forms <b>please</b>"),
                ("body", "Ask once."),
                ("name", "Ann"),
                ("website", ""),
            ],
        )
        .await;
    assert_eq!(r.status(), 200);
    let (_, html) = public.get_text(page).await;
    assert!(
        !html.contains("Fewer forms"),
        "not shown before a moderator approves it"
    );

    let c = t
        .app
        .db
        .challenge_by_slug("simpler-services")
        .await
        .unwrap();
    let idea = t
        .app
        .db
        .ideas(c.id, &[townhall::domain::idea::IdeaStatus::Pending])
        .await
        .unwrap()
        .remove(0);
    let decide = format!("/admin/ideas/simpler-services/{}/decide", idea.id);
    let r = t
        .post_form(
            &decide,
            &[
                ("csrf_token", &csrf),
                ("decision", "reject"),
                ("reason", ""),
            ],
        )
        .await;
    assert_eq!(r.status(), 400, "a rejection needs a reason");
    let r = t
        .post_form(&decide, &[("csrf_token", &csrf), ("decision", "approve")])
        .await;
    assert_eq!(r.status(), 303);
    let (_, html) = public.get_text(page).await;
    assert!(
        html.contains("Fewer forms &lt;b&gt;please&lt;/b&gt;"),
        "shown, and inert"
    );

    // One vote per browser, however often it is sent.
    let vote = format!("/ideas/simpler-services/{}/vote", idea.id);
    for _ in 0..3 {
        let r = public.post_form(&vote, &[("csrf_token", &token)]).await;
        assert_eq!(r.status(), 303);
    }
    assert_eq!(t.app.db.idea(idea.id).await.unwrap().votes, 1);
    let (_, html) = public.get_text(page).await;
    assert!(html.contains("You voted for this idea"));
    // A client that keeps no cookies cannot vote.
    let r = reqwest::Client::new()
        .post(t.url(&vote))
        .form(&[("csrf_token", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(t.app.db.idea(idea.id).await.unwrap().votes, 1);

    // The panel scores against the criteria; a moderator shortlists.
    let score = format!("/admin/ideas/simpler-services/{}/score", idea.id);
    let r = t
        .post_form(
            &score,
            &[("csrf_token", &csrf), ("score_0", "9"), ("score_1", "2")],
        )
        .await;
    assert_eq!(r.status(), 400, "scores are 0 to 5");
    let r = t
        .post_form(
            &score,
            &[("csrf_token", &csrf), ("score_0", "4"), ("score_1", "3")],
        )
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(t.app.db.idea(idea.id).await.unwrap().score, Some(3.5));
    let r = t
        .post_form(&decide, &[("csrf_token", &csrf), ("decision", "shortlist")])
        .await;
    assert_eq!(r.status(), 303);
    let (_, html) = public.get_text(page).await;
    assert!(html.contains("Shortlisted"));
    // Members of the public cannot moderate.
    let r = public
        .post_form(&decide, &[("csrf_token", &token), ("decision", "approve")])
        .await;
    assert_eq!(r.status(), 303, "sent to sign in");
    assert!(
        r.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/sign-in")
    );
    drop(public);
}

#[tokio::test]
async fn an_analysis_job_is_claimed_by_one_worker_only() {
    let (t, _, slug) = with_exercise().await;
    let e = t.app.db.exercise_by_slug(&slug).await.unwrap();
    // A second node: its own connections to the same database.
    let other = townhall::store::Db::connect(&t.database_url).await.unwrap();
    for round in 0..5 {
        let id = t.app.db.request_analysis(e.id, "q1", None).await.unwrap();
        let (a, b) = tokio::join!(t.app.db.claim_analysis(), other.claim_analysis());
        let claimed: Vec<i64> = [a.unwrap(), b.unwrap()]
            .into_iter()
            .flatten()
            .map(|j| j.id)
            .collect();
        assert_eq!(
            claimed,
            vec![id],
            "round {round}: exactly one worker claims the job"
        );
        t.app.db.fail_analysis(id, "test").await.unwrap();
    }
    other.close().await;
}

/// Behind a trusted proxy the per-address limit on responses counts each forwarded address
/// on its own: respondents behind one load balancer are not limited together.
#[tokio::test]
async fn the_response_limit_counts_forwarded_addresses_behind_a_trusted_proxy() {
    let (t, _, slug) = with_exercise().await;
    let behind = townhall::App::build(townhall::Config {
        trusted_proxies: townhall::domain::network::TrustedProxies::parse("127.0.0.0/8").unwrap(),
        responses_per_address: 2,
        ..townhall::Config::new(&t.database_url)
    })
    .await
    .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "http://{}/api/v1/consultations/{slug}/responses",
        listener.local_addr().unwrap()
    );
    tokio::spawn(behind.serve(listener));
    let respond = |from: String, n: u32| {
        let (client, url) = (t.client.clone(), url.clone());
        async move {
            client
                .post(&url)
                .header("x-forwarded-for", from)
                .json(&json!({"answers": {"q1": format!("answer {n}"), "q4": 3}}))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    for n in 1..=5 {
        assert_eq!(respond(format!("198.51.100.{n}"), n).await, 201);
    }
    let mut statuses = Vec::new();
    for n in 10..13 {
        statuses.push(respond("203.0.113.9".into(), n).await);
    }
    assert_eq!(
        statuses,
        [201, 201, 429],
        "the limit holds per forwarded address"
    );
}

#[tokio::test]
async fn readers_follow_consultations_opening_and_closing_by_feed_and_list() {
    let t = spawn().await;
    let editor = t
        .user_with_token("ed@example.org", "community-services", Role::Editor)
        .await;
    let agency = t
        .user_with_token("ag@example.org", "national-records-agency", Role::Editor)
        .await;
    let exercise = |org: &str, title: &str, opens: &str, closes: &str| {
        json!({"organisation": org, "title": title, "opens_at": opens, "closes_at": closes,
               "questions": [{"id": "q", "type": "text", "title": "Tell us", "required": true}]})
    };
    for (token, def) in [
        (
            &editor,
            exercise(
                "community-services",
                "Bus routes",
                "2020-01-01",
                "2020-03-01",
            ),
        ),
        (
            &editor,
            exercise(
                "community-services",
                "Library hours",
                "2020-01-01",
                "2099-01-01",
            ),
        ),
        (
            &editor,
            exercise(
                "community-services",
                "Parks plan",
                "2098-01-01",
                "2099-01-01",
            ),
        ),
        (
            &agency,
            exercise(
                "national-records-agency",
                "Archive access",
                "2020-01-01",
                "2099-01-01",
            ),
        ),
    ] {
        let r = t
            .post_json("/api/v1/consultations", Some(token), &def)
            .await;
        assert_eq!(r.status(), 201);
    }
    let buses = t.app.db.exercise_by_slug("bus-routes").await.unwrap();
    t.app
        .db
        .set_results_published(buses.id, true)
        .await
        .unwrap();

    let r = t.get("/consultations/feed.atom").await;
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/atom+xml")
    );
    let feed = feed_rs::parser::parse(r.bytes().await.unwrap().as_ref()).unwrap();
    let titles: Vec<String> = feed
        .entries
        .iter()
        .map(|e| e.title.as_ref().unwrap().content.clone())
        .collect();
    for expected in [
        "Results published: Bus routes",
        "Closed: Bus routes",
        "Open until 1 January 2099: Library hours",
        "Opens 1 January 2098: Parks plan",
        "Open until 1 January 2099: Archive access",
    ] {
        assert!(
            titles.iter().any(|t| t == expected),
            "{expected} in {titles:?}"
        );
    }
    assert_eq!(titles[0], "Results published: Bus routes", "newest first");
    let ids: std::collections::BTreeSet<&str> =
        feed.entries.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids.len(), feed.entries.len(), "every entry has its own id");

    // One organisation's feed and list have only its own.
    let (status, xml) = t
        .get_text("/consultations/feed.atom?organisation=national-records-agency")
        .await;
    assert_eq!(status, 200);
    assert!(xml.contains("Archive access") && !xml.contains("Library hours"));
    let (status, html) = t
        .get_text("/consultations?organisation=community-services")
        .await;
    assert_eq!(status, 200);
    assert!(
        html.contains("Library hours")
            && html.contains("Parks plan")
            && !html.contains("Archive access")
    );
    assert!(html.contains("href=\"/consultations/feed.atom?organisation=community-services\""));
    let (_, org) = t.get_text("/organisations/community-services").await;
    assert!(org.contains("href=\"/consultations/feed.atom?organisation=community-services\""));
    assert_eq!(
        t.get("/consultations?organisation=nobody").await.status(),
        404
    );
}

/// Results are read from a kept tally plus the responses since; they are the same numbers as
/// counting every response, including one committed late below the tally's mark, and a
/// response given a moment ago shows at once.
#[tokio::test]
async fn results_come_from_a_kept_tally_and_match_counting_every_response() {
    use townhall::domain::time::Timestamp;
    let (t, editor, slug) = with_exercise().await;
    let e = t.app.db.exercise_by_slug(&slug).await.unwrap();
    t.app.db.set_results_published(e.id, true).await.unwrap();
    // Response i's answers as the API takes them.
    let answers = |i: usize| {
        json!({
            "q1": format!("Answer {i}"),
            "q2": if i.is_multiple_of(3) { "North" } else { "South" },
            "q3": if i.is_multiple_of(2) { json!(["Evenings"]) } else { json!(["Mornings", "Weekends"]) },
            "q4": 1 + i % 5,
        })
    };
    // …and as they are stored (one option chosen is a list of one).
    let row = |i: usize| {
        let mut answers = answers(i);
        answers["q2"] = json!([answers["q2"]]);
        let who = if i.is_multiple_of(4) {
            "An organisation"
        } else {
            "An individual"
        };
        (
            answers.to_string(),
            json!({ "who": who }).to_string(),
            "online".to_string(),
            Timestamp::from_secs(1_700_000_000),
        )
    };
    let import = |from: usize, to: usize| {
        let rows: Vec<_> = (from..to).map(row).collect();
        let (t, id) = (&t, e.id);
        async move { t.app.db.import_responses(id, &rows).await.unwrap() }
    };
    // What counting every one of responses 0..n gives.
    let check = |json: &Value, n: usize| {
        assert_eq!(json["responses"], n);
        let q2 = &json["questions"][1]["options"];
        let north = (0..n).filter(|i| i % 3 == 0).count();
        assert_eq!(q2[0]["count"], north);
        assert_eq!(q2[1]["count"], n - north);
        let q4 = &json["questions"][3]["options"];
        for point in 1..=5 {
            let expected = (0..n).filter(|i| 1 + i % 5 == point).count();
            assert_eq!(q4[point - 1]["count"], expected, "point {point}");
        }
        let scores: Vec<f64> = (0..n).map(|i| (1 + i % 5) as f64).collect();
        let mean = (scores.iter().sum::<f64>() / n as f64 * 100.0).round() / 100.0;
        assert_eq!(json["dimensions"][0]["mean"].as_f64().unwrap(), mean);
        let high = scores.iter().filter(|s| **s >= 3.0).count();
        assert_eq!(json["dimensions"][0]["levels"][1]["count"], high);
        let of_org: Vec<f64> = (0..n).filter(|i| i % 4 == 0).map(|i| scores[i]).collect();
        let org = &json["dimensions"][0]["by_segment"][1];
        assert_eq!(org["value"], "An organisation");
        assert_eq!(org["respondents"], of_org.len());
        let org_mean = (of_org.iter().sum::<f64>() / of_org.len() as f64 * 100.0).round() / 100.0;
        assert_eq!(org["mean"].as_f64().unwrap(), org_mean);
        assert_eq!(json["segments"][0]["counts"][1]["count"], of_org.len());
    };
    let results = || async {
        let r = t.get(&format!("/consultations/{slug}/results.json")).await;
        assert_eq!(r.status(), 200);
        r.json::<Value>().await.unwrap()
    };
    // The tally is kept off the request path; wait until it counts `n` responses.
    let kept = |n: u64| {
        let (db, id) = (t.app.db.clone(), e.id);
        async move {
            for _ in 0..100 {
                if let Some(k) = db.result_tally(id).await.unwrap()
                    && k.tally.responses == n
                {
                    return k;
                }
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
            panic!("the tally was not kept with {n} responses");
        }
    };

    // On PostgreSQL an id is handed out before its transaction commits, so a response can
    // appear below the kept mark. One response is first stored for another exercise and moved
    // to this one once a tally is kept, as such a late commit would appear. (SQLite's one
    // writer commits in id order: there it is simply the next response.)
    let late_commits = crate::support::engine_name() == "postgres";
    let r = t
        .post_json(
            "/api/v1/consultations",
            Some(&editor),
            &definition("Another", "2099-01-01"),
        )
        .await;
    assert_eq!(r.status(), 201);
    let other = t.app.db.exercise_by_slug("another").await.unwrap();
    if late_commits {
        t.app
            .db
            .import_responses(other.id, &[row(40)])
            .await
            .unwrap();
    }

    import(0, 40).await;
    check(&results().await, 40);
    let first = kept(40).await;
    if late_commits {
        let moved = format!(
            "UPDATE responses SET exercise_id = {} WHERE exercise_id = {}",
            e.id, other.id
        );
        crate::support::execute_sql(&t.database_url, &moved).await;
    } else {
        import(40, 41).await;
    }
    import(41, 57).await;
    check(&results().await, 57);
    let second = kept(57).await;
    assert!(second.through_id > first.through_id);

    // A response given a moment ago counts at once, though it is not kept in the tally yet.
    let sent = json!({"answers": answers(57), "segment": "An individual"});
    let r = t
        .post_json(
            &format!("/api/v1/consultations/{slug}/responses"),
            None,
            &sent,
        )
        .await;
    assert_eq!(r.status(), 201);
    let counted = results().await;
    check(&counted, 58);
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let k = t.app.db.result_tally(e.id).await.unwrap().unwrap();
    assert_eq!(
        k.tally.responses, 57,
        "a response still settling is not kept"
    );

    // Counting every response from nothing gives the same results.
    crate::support::execute_sql(&t.database_url, "DELETE FROM result_tallies").await;
    import(0, 0).await;
    assert_eq!(results().await, counted);
}
