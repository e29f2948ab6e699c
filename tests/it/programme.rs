//! The programme register: public pages, counts that link to the lists they count, the API,
//! open data downloads that agree with the pages, editing, deletion rules and CSV import.

use crate::support::{self, TestApp};
use std::collections::BTreeSet;
use townhall::domain::user::Email;

/// A test app with the demo's programme register.
pub async fn with_register() -> TestApp {
    let t = support::spawn().await;
    let admin = t
        .app
        .db
        .user_by_email(&Email::parse(townhall::demo::ADMIN_EMAIL).unwrap())
        .await
        .unwrap();
    townhall::demo::seed_programme(&t.app.db, admin.id)
        .await
        .unwrap();
    t
}

/// The number a chart's data table links to `href` with.
fn linked_count(html: &str, href: &str) -> usize {
    let marker = format!("href=\"{href}\">");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("a link to {href}"))
        + marker.len();
    html[start..]
        .split('<')
        .next()
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

/// The slugs of the projects listed on a page.
fn listed_projects(html: &str) -> BTreeSet<String> {
    let doc = scraper::Html::parse_document(html);
    let sel = scraper::Selector::parse(".app-project-list h3 a").unwrap();
    doc.select(&sel)
        .map(|a| {
            a.value()
                .attr("href")
                .unwrap()
                .trim_start_matches("/programme/projects/")
                .to_string()
        })
        .collect()
}

#[tokio::test]
async fn counts_link_to_the_lists_they_count_and_the_api_and_downloads_agree() {
    let t = with_register().await;
    let (status, overview) = t.get_text("/programme").await;
    assert_eq!(status, 200);
    assert!(overview.contains("<svg") && overview.contains("Projects by theme"));
    let live = linked_count(&overview, "/programme/projects?phase=live");
    assert!(live > 0, "the demo has live projects");
    let mut sum = 0;
    for phase in ["discovery", "alpha", "beta", "live", "retired"] {
        let n = linked_count(&overview, &format!("/programme/projects?phase={phase}"));
        let (_, list) = t
            .get_text(&format!("/programme/projects?phase={phase}"))
            .await;
        assert_eq!(
            listed_projects(&list).len(),
            n,
            "{phase}: count and list agree"
        );
        sum += n;
    }
    let (_, all) = t.get_text("/programme/projects").await;
    assert_eq!(
        listed_projects(&all).len(),
        sum,
        "every project has one phase"
    );
    let openness = linked_count(&overview, "/programme/projects?theme=openness");
    let (_, list) = t.get_text("/programme/projects?theme=openness").await;
    assert_eq!(listed_projects(&list).len(), openness);

    // The API's live projects are exactly the page's.
    let (_, page) = t.get_text("/programme/projects?phase=live").await;
    let on_page = listed_projects(&page);
    let api: serde_json::Value = t
        .get("/api/v1/programme/projects?phase=live")
        .await
        .json()
        .await
        .unwrap();
    let items = api["items"].as_array().unwrap();
    let from_api: BTreeSet<String> = items
        .iter()
        .map(|i| i["slug"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(from_api, on_page);
    assert!(items.iter().all(|i| i["phase"] == "live"
        && i["commitments"].as_array().is_some_and(|c| !c.is_empty())
        && i["url"].as_str().unwrap().ends_with(&format!(
            "/programme/projects/{}",
            i["slug"].as_str().unwrap()
        ))));

    // The downloads parse and agree with the page.
    let csv_text = t.get_text("/data/programme-projects.csv").await.1;
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    let headers = reader.headers().unwrap().clone();
    let phase_col = headers.iter().position(|h| h == "phase").unwrap();
    let slug_col = headers.iter().position(|h| h == "slug").unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), sum);
    let live_csv: BTreeSet<String> = rows
        .iter()
        .filter(|r| &r[phase_col] == "live")
        .map(|r| r[slug_col].to_string())
        .collect();
    assert_eq!(live_csv, on_page, "CSV and page agree on the live projects");
    let json: serde_json::Value = t
        .get("/data/programme-projects.json")
        .await
        .json()
        .await
        .unwrap();
    let live_json = json["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["phase"] == "live")
        .count();
    assert_eq!(live_json, live);
    // Every dataset listed on /data downloads in both formats.
    let (_, data_page) = t.get_text("/data").await;
    assert!(data_page.contains("Open Government Licence v3.0"));
    for d in townhall::opendata::DATASETS {
        assert!(data_page.contains(&format!("/data/{}.csv", d.name)));
        let r = t.get(&format!("/data/{}.csv", d.name)).await;
        assert_eq!(r.status(), 200);
        let text = r.text().await.unwrap();
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let names: Vec<&str> = d.fields.iter().map(|f| f.name).collect();
        assert_eq!(reader.headers().unwrap().iter().collect::<Vec<_>>(), names);
        let csv_rows = reader.records().map(Result::unwrap).count();
        let json: serde_json::Value = t
            .get(&format!("/data/{}.json", d.name))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(
            json["items"].as_array().unwrap().len(),
            csv_rows,
            "{}",
            d.name
        );
    }
    assert_eq!(t.get("/data/nothing.csv").await.status(), 404);
}

#[tokio::test]
async fn bad_api_filters_are_422_with_fields() {
    let t = with_register().await;
    let r = t
        .get("/api/v1/programme/projects?phase=launched&theme=nope&organisation=nobody")
        .await;
    assert_eq!(r.status(), 422);
    let body: serde_json::Value = r.json().await.unwrap();
    for f in ["phase", "theme", "organisation"] {
        assert!(body["fields"][f].is_string(), "{f} is named: {body}");
    }
    let ok: serde_json::Value = t
        .get("/api/v1/programme/projects?theme=efficiency&organisation=care-standards-authority")
        .await
        .json()
        .await
        .unwrap();
    assert!(!ok["items"].as_array().unwrap().is_empty());
    let one: serde_json::Value = t
        .get("/api/v1/programme/projects/catalogue-search")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(one["organisations"][0], "national-records-agency");
    assert!(one["updates"].as_array().unwrap().len() >= 2);
    assert_eq!(t.get("/api/v1/programme/projects/none").await.status(), 404);
    for path in ["strategies", "themes", "commitments", "case-studies"] {
        let v: serde_json::Value = t
            .get(&format!("/api/v1/programme/{path}"))
            .await
            .json()
            .await
            .unwrap();
        assert!(!v["items"].as_array().unwrap().is_empty(), "{path}");
    }
}

#[tokio::test]
async fn a_project_page_shows_status_history_and_links() {
    let t = with_register().await;
    let (status, html) = t.get_text("/programme/projects/catalogue-search").await;
    assert_eq!(status, 200);
    assert!(html.contains("At risk") && html.contains("Beta"));
    assert!(
        html.contains("older handwritten entries"),
        "the latest update"
    );
    assert!(html.contains("Work started"), "the first update");
    assert!(html.contains("/programme/commitments/open-the-records-catalogue"));
    assert!(html.contains("/organisations/national-records-agency"));
    assert!(
        !html.contains("What people told us that led to this"),
        "no evidence yet"
    );
    for path in [
        "/programme/strategies/digital-strategy-2025-to-2028",
        "/programme/themes/openness",
        "/programme/commitments/share-platforms",
        "/programme/case-studies",
        "/programme/case-studies/publishing-our-programme-as-open-data",
        "/organisations/care-standards-authority",
        "/topics/finding-records",
        "/",
    ] {
        let (status, html) = t.get_text(path).await;
        assert_eq!(status, 200, "{path}");
        assert!(
            html.contains("/programme/"),
            "{path} links into the register"
        );
    }
    let (_, hub) = t.get_text("/").await;
    assert!(
        hub.contains("Programme at a glance") && hub.contains("/programme/projects?phase=live")
    );
    let (_, org) = t.get_text("/organisations/care-standards-authority").await;
    assert!(org.contains("Register a care service") && !org.contains("Catalogue search"));
    assert_eq!(t.get("/programme/projects/none").await.status(), 404);

    let feed = t
        .get("/programme/updates.atom")
        .await
        .bytes()
        .await
        .unwrap();
    let parsed = feed_rs::parser::parse(&feed[..]).unwrap();
    assert!(parsed.entries.len() >= 25);
    assert!(
        parsed.entries[0].links[0]
            .href
            .contains("/programme/projects/")
    );

    let (_, found) = t.get_text("/search?q=catalogue&type=project").await;
    assert!(found.contains("/programme/projects/catalogue-search"));
}

#[tokio::test]
async fn linked_rows_cannot_be_deleted() {
    use townhall::domain::programme::refusal;
    use townhall::store::programme::RowKind;
    let t = with_register().await;
    let register = t.app.db.register().await.unwrap();
    let c = register
        .commitments
        .iter()
        .find(|c| c.slug == "share-platforms")
        .unwrap();
    let referrers = t.app.db.referrers(RowKind::Commitment, c.id).await.unwrap();
    let message = refusal("commitment", &referrers).unwrap();
    assert!(message.contains("Shared design system"), "{message}");
    assert!(
        t.app
            .db
            .delete_row(RowKind::Commitment, c.id)
            .await
            .is_err()
    );
    let p = register.project("catalogue-search").unwrap();
    assert!(
        !t.app
            .db
            .referrers(RowKind::Project, p.project.id)
            .await
            .unwrap()
            .is_empty()
    );
}

/// A user with one role in the department, signed in on a client of their own.
async fn person(t: &TestApp, email: &str, role: townhall::domain::role::Role) -> TestApp {
    let org = t
        .app
        .db
        .organisation_by_slug("community-services")
        .await
        .unwrap();
    let hash = townhall::auth::hash_password("a long enough password".into())
        .await
        .unwrap();
    t.app
        .db
        .create_user(
            &Email::parse(email).unwrap(),
            email,
            &hash,
            &[(org.id, role)],
        )
        .await
        .unwrap();
    let them = TestApp::handle(t);
    them.sign_in(email, "a long enough password").await;
    them
}

async fn submit(
    who: &TestApp,
    form_path: &str,
    action: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let token = who.csrf_token(form_path).await;
    let mut all = vec![("csrf_token", token.as_str())];
    all.extend_from_slice(fields);
    who.post_form(action, &all).await
}

#[tokio::test]
async fn the_programme_role_edits_the_register_and_deleting_linked_rows_is_refused() {
    use townhall::domain::role::Role;
    let t = with_register().await;
    let editor = person(&t, "ed@example.org", Role::Editor).await;
    assert_eq!(editor.get("/admin/programme").await.status(), 403);
    assert_eq!(
        editor.get("/admin/programme/projects/new").await.status(),
        403
    );
    let pm = person(&t, "pm@example.org", Role::Programme).await;
    assert_eq!(pm.get("/admin/programme").await.status(), 200);

    // A mistake first: the form comes back with the errors.
    let new = "/admin/programme/projects/new";
    let r = submit(
        &pm,
        new,
        new,
        &[("title", ""), ("phase", "launched"), ("status", "on_track")],
    )
    .await;
    assert_eq!(r.status(), 400);
    let html = r.text().await.unwrap();
    assert!(html.contains("govuk-error-summary") && html.contains("Enter a title"));
    assert!(
        html.contains("Phase must be one of") && html.contains("Choose at least one commitment")
    );

    let r = submit(
        &pm,
        new,
        new,
        &[
            ("title", "Archive chatbot trial"),
            ("summary", "Answering catalogue questions."),
            ("owner_team", "Catalogue team"),
            ("phase", "discovery"),
            ("status", "on_track"),
            ("commitments", "share-platforms"),
            ("commitments", "open-the-records-catalogue"),
            ("organisations", "national-records-agency"),
            ("topics", "Finding records"),
        ],
    )
    .await;
    assert_eq!(r.status(), 303);
    let (status, page) = t
        .get_text("/programme/projects/archive-chatbot-trial")
        .await;
    assert_eq!(status, 200);
    assert!(page.contains("Discovery") && page.contains("Open up the national records catalogue"));
    let (_, topic) = t.get_text("/topics/finding-records").await;
    assert!(topic.contains("Archive chatbot trial"));
    let (_, topics) = t.get_text("/topics").await;
    // Six projects on this topic, the new one among them.
    assert!(
        topics.contains("/topics/finding-records") && topics.contains("6 projects"),
        "{topics}"
    );

    // An update that moves it to alpha.
    let u = "/admin/programme/updates/new";
    let r = submit(
        &pm,
        u,
        u,
        &[
            ("project", "archive-chatbot-trial"),
            ("dated", "2026-03-01"),
            ("body", "Prototype tested with 8 researchers."),
            ("phase", "alpha"),
            ("status", "at_risk"),
        ],
    )
    .await;
    assert_eq!(r.status(), 303);
    let (_, page) = t
        .get_text("/programme/projects/archive-chatbot-trial")
        .await;
    assert!(page.contains("Prototype tested with 8 researchers") && page.contains("At risk"));
    let api: serde_json::Value = t
        .get("/api/v1/programme/projects/archive-chatbot-trial")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(api["phase"], "alpha");

    // Deleting a commitment that projects deliver is refused, with the reason.
    let register = t.app.db.register().await.unwrap();
    let c = register
        .commitments
        .iter()
        .find(|c| c.slug == "share-platforms")
        .unwrap();
    let path = format!("/admin/programme/commitments/{}/edit", c.id);
    let r = submit(
        &pm,
        &path,
        &format!("/admin/programme/commitments/{}/delete", c.id),
        &[],
    )
    .await;
    assert_eq!(r.status(), 400);
    let html = r.text().await.unwrap();
    assert!(html.contains("govuk-error-summary") && html.contains("cannot be deleted"));
    assert!(html.contains("Archive chatbot trial") || html.contains("and others"));
    assert!(
        t.app
            .db
            .register()
            .await
            .unwrap()
            .commitments
            .iter()
            .any(|x| x.id == c.id)
    );

    // The project has an update, so it cannot go until the update has.
    let p = t
        .app
        .db
        .register()
        .await
        .unwrap()
        .project("archive-chatbot-trial")
        .unwrap()
        .project
        .id;
    let ppath = format!("/admin/programme/projects/{p}/edit");
    let r = submit(
        &pm,
        &ppath,
        &format!("/admin/programme/projects/{p}/delete"),
        &[],
    )
    .await;
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("1 update"));
    let update = t.app.db.project_updates(p).await.unwrap()[0].id;
    let upath = format!("/admin/programme/updates/{update}/edit");
    assert_eq!(
        submit(
            &pm,
            &upath,
            &format!("/admin/programme/updates/{update}/delete"),
            &[]
        )
        .await
        .status(),
        303
    );
    assert_eq!(
        submit(
            &pm,
            &ppath,
            &format!("/admin/programme/projects/{p}/delete"),
            &[]
        )
        .await
        .status(),
        303
    );
    assert_eq!(
        t.get("/programme/projects/archive-chatbot-trial")
            .await
            .status(),
        404
    );
    let (_, found) = t.get_text("/search?q=chatbot").await;
    assert!(
        !found.contains("archive-chatbot-trial"),
        "gone from search too"
    );

    let audit = t.app.db.recent_audit(20).await.unwrap();
    for action in [
        "created project",
        "created update",
        "deleted update",
        "deleted project",
    ] {
        assert!(
            audit
                .iter()
                .any(|a| a.action == action && a.actor.as_deref() == Some("pm@example.org")),
            "{action}"
        );
    }
}

/// Uploads `file` to the import form as a browser would (`multipart/form-data`).
async fn upload(who: &TestApp, file: &[u8]) -> reqwest::Response {
    let token = who.csrf_token("/admin/programme/import").await;
    let boundary = "----townhallTestBoundary";
    let mut body = Vec::new();
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{token}\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"projects.csv\"\r\nContent-Type: text/csv\r\n\r\n").as_bytes());
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    who.client
        .post(who.url("/admin/programme/import"))
        .header("origin", format!("http://{}", who.addr))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .unwrap()
}

fn hidden_csv(html: &str) -> String {
    let doc = scraper::Html::parse_document(html);
    let sel = scraper::Selector::parse("input[name=csv]").unwrap();
    doc.select(&sel)
        .next()
        .expect("the CSV is carried to the next step")
        .value()
        .attr("value")
        .unwrap()
        .to_string()
}

const SHEET: &str = "Name,Stage,RAG,Team,Commitment,Organisation,Summary\n\
Archive chatbot trial,Discovery,On track,Catalogue team,Open up the national records catalogue,National Records Agency,\"Answers, in plain words\"\n\
Catalogue search,Live,Done,Catalogue team,open-the-records-catalogue,national-records-agency,Search the catalogue\n";

const MAPPING: &[(&str, &str)] = &[
    ("map_title", "0"),
    ("map_phase", "1"),
    ("map_status", "2"),
    ("map_owner_team", "3"),
    ("map_commitments", "4"),
    ("map_organisations", "5"),
    ("map_summary", "6"),
];

#[tokio::test]
async fn a_csv_import_maps_columns_previews_then_writes_everything_or_nothing() {
    let t = with_register().await;
    t.sign_in_admin().await;
    let before = t.app.db.register().await.unwrap().projects.len();

    // Malformed files are refused at once, naming the row.
    for (file, message) in [
        (&b"Name,Stage\n\xff\xfe,live\n"[..], "not UTF-8"),
        (&b""[..], "Choose a CSV file"),
        (
            &b"Name,Stage\nOne,live\nTwo\n"[..],
            "Row 3 has 1 cells but the header has 2 columns",
        ),
        (&b"Name,\nOne,live\n"[..], "Row 1, column 2"),
    ] {
        let r = upload(&t, file).await;
        assert_eq!(r.status(), 400, "{message}");
        let html = r.text().await.unwrap();
        assert!(
            html.contains("govuk-error-summary") && html.contains(message),
            "{message}: {html}"
        );
    }

    // Upload: the mapping step guesses columns from the header.
    let r = upload(&t, SHEET.as_bytes()).await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(html.contains("2 projects and 7 columns"));
    let doc = scraper::Html::parse_document(&html);
    let selected = |id: &str| {
        let sel = scraper::Selector::parse(&format!("#{id} option[selected]")).unwrap();
        doc.select(&sel)
            .next()
            .map(|o| o.value().attr("value").unwrap().to_string())
    };
    assert_eq!(selected("map_title").as_deref(), Some("0"));
    assert_eq!(selected("map_phase").as_deref(), Some("1"));
    let csv = hidden_csv(&html);
    assert_eq!(csv.replace("\r\n", "\n"), SHEET);

    // Preview: one created, one updated (matched by title); nothing written yet.
    let mut fields = vec![("csv", csv.as_str())];
    fields.extend_from_slice(MAPPING);
    let r = submit(
        &t,
        "/admin/programme",
        "/admin/programme/import/preview",
        &fields,
    )
    .await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("1 project(s) will be created and 1 updated"),
        "{html}"
    );
    assert_eq!(t.app.db.register().await.unwrap().projects.len(), before);

    // A bad value in any row: refused with the row and column, and nothing changes.
    let bad = SHEET.replace("Live,Done", "Launched,Done");
    let mut fields = vec![("csv", bad.as_str())];
    fields.extend_from_slice(MAPPING);
    for action in [
        "/admin/programme/import/preview",
        "/admin/programme/import/confirm",
    ] {
        let r = submit(&t, "/admin/programme", action, &fields).await;
        assert_eq!(r.status(), 400);
        let html = r.text().await.unwrap();
        assert!(
            html.contains("Row 3, column \u{201c}Stage\u{201d}: phase must be one of"),
            "{html}"
        );
    }
    let unknown = SHEET.replace("National Records Agency", "Ministry of Nothing");
    let mut fields = vec![("csv", unknown.as_str())];
    fields.extend_from_slice(MAPPING);
    let r = submit(
        &t,
        "/admin/programme",
        "/admin/programme/import/confirm",
        &fields,
    )
    .await;
    assert_eq!(r.status(), 400);
    assert!(
        r.text().await.unwrap().contains(
            "Row 2, column \u{201c}Organisation\u{201d}: there is no organisation called"
        )
    );
    let mut fields = vec![("csv", csv.as_str())];
    fields.extend_from_slice(&MAPPING[1..]);
    let r = submit(
        &t,
        "/admin/programme",
        "/admin/programme/import/preview",
        &fields,
    )
    .await;
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Choose the column that holds the title")
    );
    let register = t.app.db.register().await.unwrap();
    assert_eq!(register.projects.len(), before, "nothing was written");
    assert_eq!(
        register
            .project("catalogue-search")
            .unwrap()
            .project
            .phase
            .as_str(),
        "beta"
    );

    // Confirm: both rows written.
    let mut fields = vec![("csv", csv.as_str())];
    fields.extend_from_slice(MAPPING);
    let r = submit(
        &t,
        "/admin/programme",
        "/admin/programme/import/confirm",
        &fields,
    )
    .await;
    assert_eq!(r.status(), 303);
    let register = t.app.db.register().await.unwrap();
    assert_eq!(register.projects.len(), before + 1);
    let new = register.project("archive-chatbot-trial").unwrap();
    assert_eq!(new.project.summary, "Answers, in plain words");
    assert_eq!(new.organisations[0].slug, "national-records-agency");
    let updated = register.project("catalogue-search").unwrap();
    assert_eq!(
        (
            updated.project.phase.as_str(),
            updated.project.status.as_str()
        ),
        ("live", "done")
    );
    assert!(
        t.app
            .db
            .recent_audit(5)
            .await
            .unwrap()
            .iter()
            .any(|a| a.action == "imported projects" && a.detail == "1 created, 1 updated")
    );
}

#[tokio::test]
async fn every_kind_has_working_forms_and_case_studies_are_sanitised() {
    let t = with_register().await;
    t.sign_in_admin().await;
    let register = t.app.db.register().await.unwrap();
    let update = t.app.db.recent_updates(1).await.unwrap()[0].id;
    let case = t.app.db.case_studies().await.unwrap()[0].case_study.id;
    for (kind, id) in [
        ("strategies", register.strategies[0].id),
        ("themes", register.themes[0].id),
        ("commitments", register.commitments[0].id),
        ("projects", register.projects[0].project.id),
        ("updates", update),
        ("case-studies", case),
    ] {
        for path in [
            format!("/admin/programme/{kind}/new"),
            format!("/admin/programme/{kind}/{id}/edit"),
        ] {
            let (status, html) = t.get_text(&path).await;
            assert_eq!(status, 200, "{path}");
            assert!(html.contains("name=\"csrf_token\""), "{path}");
        }
    }
    assert_eq!(t.get("/admin/programme/nothing/new").await.status(), 404);

    // A new theme under the strategy, a commitment under it, then a case study.
    let strategy = register.strategies[0].slug.clone();
    let new = "/admin/programme/themes/new";
    let r = submit(
        &t,
        new,
        new,
        &[
            ("strategy", &strategy),
            ("title", "Security"),
            ("summary", "Safe by design."),
            ("position", "9"),
        ],
    )
    .await;
    assert_eq!(r.status(), 303);
    let new = "/admin/programme/commitments/new";
    let r = submit(
        &t,
        new,
        new,
        &[
            ("theme", "security"),
            ("title", "Test every service for security"),
            ("action_ref", "F1"),
            ("action_title", "Secure by default"),
        ],
    )
    .await;
    assert_eq!(r.status(), 303);
    let (_, page) = t
        .get_text("/programme/commitments/test-every-service-for-security")
        .await;
    assert!(page.contains("This answers action F1: Secure by default"));
    // The same slug twice is a form error, not a failure.
    let r = submit(
        &t,
        new,
        new,
        &[
            ("theme", "security"),
            ("title", "Test every service for security"),
        ],
    )
    .await;
    assert_eq!(r.status(), 400);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("already has that short name")
    );

    let new = "/admin/programme/case-studies/new";
    let r = submit(&t, new, new, &[
        ("title", "Security testing in practice"), ("body", "## What we did\n\n<script>alert(1)</script>We tested.\n\n<a href=\"javascript:alert(2)\">x</a>"),
        ("themes", "security"), ("projects", "catalogue-search"),
    ]).await;
    assert_eq!(r.status(), 303);
    let (_, page) = t
        .get_text("/programme/case-studies/security-testing-in-practice")
        .await;
    assert!(page.contains("What we did") && page.contains("We tested."));
    assert!(
        !page.contains("<script>alert") && !page.contains("javascript:"),
        "the body is sanitised"
    );
    let (_, theme) = t.get_text("/programme/themes/security").await;
    assert!(
        theme.contains("Security testing in practice")
            && theme.contains("Test every service for security")
    );
    let (_, project) = t.get_text("/programme/projects/catalogue-search").await;
    assert!(project.contains("Security testing in practice"));
}

#[tokio::test]
async fn site_search_finds_commitments_and_case_studies_including_those_saved_before_it_did() {
    let t = with_register().await;
    let find = |q: &'static str, kind: &'static str| {
        let t = &t;
        async move {
            let (_, html) = t.get_text(&format!("/search?q={q}&type={kind}")).await;
            html
        }
    };
    let commitment = r#"href="/programme/commitments/publish-the-programme""#;
    let case_study = "/programme/case-studies/how-providers-cut-registration";
    assert!(
        find("programme+open+data", "commitment")
            .await
            .contains(commitment)
    );
    assert!(
        find("registration+corrections", "case-study")
            .await
            .contains(case_study)
    );

    // A database from before: its index has neither, until the server starts again.
    support::execute_sql(
        &t.database_url,
        "DELETE FROM search_index WHERE kind IN ('commitment', 'case-study')",
    )
    .await;
    support::execute_sql(
        &t.database_url,
        "DELETE FROM settings WHERE key = 'search_index.kinds'",
    )
    .await;
    assert!(
        !find("registration+corrections", "case-study")
            .await
            .contains(case_study)
    );
    assert!(t.app.db.index_later_kinds().await.unwrap() >= 2);
    assert_eq!(t.app.db.index_later_kinds().await.unwrap(), 0, "once");
    assert!(
        find("programme+open+data", "commitment")
            .await
            .contains(commitment)
    );
    assert!(
        find("registration+corrections", "case-study")
            .await
            .contains(case_study)
    );
}
