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
    use townhall::store::programme::{RowKind, refusal};
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
