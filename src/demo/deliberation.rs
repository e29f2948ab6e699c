//! The demo's conversation: open, with opening statements, a participant's statement waiting
//! for a moderator, and the votes of 90 people in three camps, so that the groups, the map
//! and the results (published) have something to show as soon as the worker has run.

use crate::domain::conversation::{Choice, NewConversation};
use crate::domain::text::Slug;
use crate::store::Db;
use crate::store::participation::Joined;
use crate::store::rate_limits::Limit;
use textkit::rng::Rng;

const DAY: i64 = 86_400;
pub const SLUG: &str = "town-centre-future";

/// Opening statements, and how each camp leans on each: the chance that a member agrees.
const STATEMENTS: [(&str, [f64; 3]); 12] = [
    (
        "The town centre should be closed to cars on Saturdays.",
        [0.9, 0.1, 0.5],
    ),
    (
        "Parking charges keep shoppers away from the high street.",
        [0.2, 0.9, 0.6],
    ),
    ("Empty shops should become homes.", [0.7, 0.3, 0.8]),
    (
        "Buses into the centre should run every ten minutes in the day.",
        [0.9, 0.5, 0.7],
    ),
    ("A covered market would bring people back.", [0.6, 0.6, 0.9]),
    (
        "Cycle lanes on the ring road are a waste of money.",
        [0.1, 0.8, 0.4],
    ),
    ("The library should stay open until 8pm.", [0.8, 0.7, 0.9]),
    (
        "More benches and public toilets would help older people shop here.",
        [0.9, 0.9, 0.9],
    ),
    (
        "Business rates should be cut for independent shops.",
        [0.4, 0.9, 0.7],
    ),
    (
        "Street trees matter more than extra parking spaces.",
        [0.9, 0.1, 0.6],
    ),
    (
        "Evening events would make the centre feel safer.",
        [0.7, 0.5, 0.8],
    ),
    (
        "The council should buy empty buildings to stop them decaying.",
        [0.8, 0.2, 0.7],
    ),
];

pub async fn seed(db: &Db) -> anyhow::Result<()> {
    let now = crate::store::now();
    let org = db.organisation_by_slug("community-services").await?;
    let id = db
        .create_conversation(&NewConversation {
            organisation_id: org.id,
            topic: Some("Town centres".into()),
            question: "What should the town centre be like in ten years?".into(),
            slug: Slug::parse(SLUG).map_err(anyhow::Error::msg)?,
            summary: "We are drawing up a plan for the town centre. Vote on what others have \
                said, add your own view, and see where people agree."
                .into(),
            seeds: STATEMENTS.iter().map(|(s, _)| s.to_string()).collect(),
            opens_at: now - 10 * DAY,
            closes_at: now + 40 * DAY,
        })
        .await?;
    db.set_conversation_published(id, true).await?;
    let mut rng = Rng::new(18);
    for person in 0..90 {
        let camp = person % 3;
        let cookie = format!("demo participant {person}");
        let address = format!("demo address {person}");
        let Joined::Participant(p) = db.join_conversation(id, &cookie, &address, 1).await? else {
            anyhow::bail!("a demo participant was refused");
        };
        for (number, (_, lean)) in STATEMENTS.iter().enumerate() {
            // Most people vote on most statements; some pass.
            let roll = rng.next_f64();
            if roll < 0.15 {
                continue;
            }
            let choice = if roll < 0.22 {
                Choice::Pass
            } else if rng.next_f64() < lean[camp] {
                Choice::Agree
            } else {
                Choice::Disagree
            };
            let limit = Limit {
                key: format!("demo conversation {person}"),
                window_secs: 60,
                max: i64::MAX,
            };
            db.cast_conversation_vote(limit, id, p, number as i64, choice)
                .await?;
        }
    }
    let Joined::Participant(writer) = db
        .join_conversation(id, "demo writer", "demo writer", 1)
        .await?
    else {
        anyhow::bail!("a demo participant was refused");
    };
    db.submit_conversation_statement(
        id,
        writer,
        "Market stalls should be free for the first year.",
    )
    .await?;
    db.set_conversation_results_published(id, Some(now)).await?;
    Ok(())
}
