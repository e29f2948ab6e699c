//! The idea challenges API: public reads, and ideas sent by API held for moderation under the
//! same rules as the form (dates, validation, the limit per address).

use crate::support::spawn;
use serde_json::{Value, json};

#[tokio::test]
async fn ideas_sent_by_api_wait_for_moderation_and_appear_once_approved() {
    let t = spawn().await;
    let db = &t.app.db;
    let org = db.organisation_by_slug("community-services").await.unwrap();
    let now = townhall::store::now();
    let criteria = ["Benefit".to_string(), "Cost".to_string()];
    let open = db
        .create_challenge(
            org.id,
            "fewer-forms",
            "Fewer forms",
            "Ideas to ask people less.",
            &criteria,
            now - 60,
            now + 86_400,
        )
        .await
        .unwrap();
    db.create_challenge(
        org.id,
        "last-year",
        "Last year's",
        "Closed.",
        &criteria,
        now - 86_400 * 400,
        now - 86_400,
    )
    .await
    .unwrap();

    let (status, list) = t.get_text("/api/v1/ideas").await;
    assert_eq!(status, 200);
    let list: Value = serde_json::from_str(&list).unwrap();
    let states: Vec<(&str, &str)> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["slug"].as_str().unwrap(), c["state"].as_str().unwrap()))
        .collect();
    assert!(
        states.contains(&("fewer-forms", "open")) && states.contains(&("last-year", "closed")),
        "{list}"
    );

    // Bad input is named field by field, and stores nothing.
    let r = t
        .post_json(
            "/api/v1/ideas/fewer-forms",
            None,
            &json!({"title": "", "body": "   ", "name": "Ann"}),
        )
        .await;
    assert_eq!(r.status(), 422);
    let body: Value = r.json().await.unwrap();
    assert!(
        body["fields"]["title"].is_string() && body["fields"]["body"].is_string(),
        "{body}"
    );
    let r = t
        .post_json(
            "/api/v1/ideas/last-year",
            None,
            &json!({"title": "Late", "body": "Too late.", "name": "Ann"}),
        )
        .await;
    assert_eq!(r.status(), 409);
    assert_eq!(
        t.post_json(
            "/api/v1/ideas/no-such-challenge",
            None,
            &json!({"title": "A", "body": "B", "name": "C"})
        )
        .await
        .status(),
        404
    );

    // A good idea is held for moderation: not in the public list until approved.
    let r = t
        .post_json(
            "/api/v1/ideas/fewer-forms",
            None,
            &json!({"title": "One address change <script>alert(1)</script>", "body": "Tell us once.", "name": "Ann"}),
        )
        .await;
    assert_eq!(r.status(), 202);
    let sent: Value = r.json().await.unwrap();
    assert_eq!(sent["status"], "pending");
    let id = sent["id"].as_i64().unwrap();
    let (_, shown) = t.get_text("/api/v1/ideas/fewer-forms").await;
    let shown: Value = serde_json::from_str(&shown).unwrap();
    assert_eq!(shown["items"], json!([]));
    assert_eq!(shown["criteria"], json!(["Benefit", "Cost"]));
    let idea = db.idea(id).await.unwrap();
    assert_eq!((idea.challenge_id, idea.status.as_str()), (open, "pending"));

    // Site search finds an idea once it is public, and only then.
    let (_, found) = t.get_text("/search?q=address+change&type=idea").await;
    assert!(
        !found.contains("One address change"),
        "a held idea is not found"
    );
    db.decide_idea(id, townhall::domain::idea::IdeaStatus::Approved, None)
        .await
        .unwrap();
    let (_, found) = t.get_text("/search?q=one+address").await;
    assert!(
        found.contains(&format!("/ideas/fewer-forms#idea-{id}"))
            && found.contains("One address change &lt;script&gt;")
            && found.contains(">Idea from "),
        "{found}"
    );
    let (_, shown) = t.get_text("/api/v1/ideas/fewer-forms").await;
    let shown: Value = serde_json::from_str(&shown).unwrap();
    let item = &shown["items"][0];
    assert_eq!(
        item["title"], "One address change <script>alert(1)</script>",
        "stored as sent"
    );
    assert_eq!(
        (item["author"].as_str(), item["votes"].as_i64()),
        (Some("Ann"), Some(0))
    );
    assert_eq!(item["project"], Value::Null);
    db.decide_idea(
        id,
        townhall::domain::idea::IdeaStatus::Rejected,
        Some("Duplicate"),
    )
    .await
    .unwrap();
    let (_, found) = t.get_text("/search?q=tell+us+once").await;
    assert!(
        !found.contains("One address change"),
        "a rejected idea is not found"
    );

    // The form's limit per address holds for the API too: five ideas an hour.
    let mut statuses = Vec::new();
    for i in 0..5 {
        let r = t
            .post_json(
                "/api/v1/ideas/fewer-forms",
                None,
                &json!({"title": format!("Idea {i}"), "body": "More.", "name": "Bo"}),
            )
            .await;
        statuses.push(r.status().as_u16());
    }
    assert_eq!(statuses, [202, 202, 202, 202, 429]);
}
