//! The demo's draft for comment: the closed local services consultation's plan, with comments
//! on its paragraphs (seeded after `listening.rs`, which makes the consultation).

use crate::domain::draft::{CommentStatus, check_comment, check_draft};
use crate::store::Db;
use crate::store::drafts::CommentSubmitted;

/// The draft plan the closed consultation asked about, paragraph by paragraph, with
/// comments: six approved on paragraph 2 (enough for themes), two on paragraph 4, and two
/// still waiting for a moderator. The published results show what was said about each.
pub async fn seed(db: &Db, admin: i64) -> anyhow::Result<()> {
    const DRAFT: &str = "\
## Our priorities for the next three years

This plan sets out how we will spend about £410 million on local services from April, and \
what we will change first.

## Buses

We will run buses every 15 minutes until 10pm on the six busiest routes, and add evening \
services to the villages that have none after 7pm.

Fares for under-19s will be capped at £1 a journey.

## Libraries

Libraries will close on one weekday each, in turn, so that every library can open on \
Saturdays and two evenings a week.

We will keep every library building open and move the mobile library to the villages \
furthest from one.

## Roads and recycling

We will repair roads in order of how often they are used, not by area, and collect food \
waste every week from every home by next autumn.";
    let exercise = db.exercise_by_slug("local-services-plan").await?;
    let draft = check_draft(DRAFT, None).map_err(|e| anyhow::anyhow!("the demo draft: {e:?}"))?;
    db.save_draft(exercise.id, &draft, admin).await?;
    let comments: [(u32, &str, &str, bool); 10] = [
        (
            2,
            "Evening buses would let me take a job in town instead of relying on lifts.",
            "Priya",
            true,
        ),
        (
            2,
            "Every 15 minutes is good, but the villages need a bus at all after 7pm first.",
            "",
            true,
        ),
        (
            2,
            "Late buses matter for shift workers at the hospital: please include the hospital route.",
            "Tom",
            true,
        ),
        (
            2,
            "Evening services to the villages would stop young people feeling stuck at home.",
            "",
            true,
        ),
        (
            2,
            "More frequent buses are pointless if they are unreliable: publish how punctual they are.",
            "",
            true,
        ),
        (
            2,
            "Please make sure evening buses are accessible for wheelchairs and buggies.",
            "Ana",
            true,
        ),
        (
            4,
            "Closing on a weekday is hard for older people who cannot come at weekends.",
            "",
            true,
        ),
        (
            4,
            "Saturday and evening opening is what working families have asked for.",
            "Sam",
            true,
        ),
        (
            3,
            "A £1 cap for under-19s will help families with teenagers at college.",
            "",
            false,
        ),
        (
            6,
            "Weekly food waste collection should come with a free caddy for every home.",
            "",
            false,
        ),
    ];
    for (i, (paragraph, body, name, approve)) in comments.into_iter().enumerate() {
        let comment = check_comment(body, name).map_err(|e| anyhow::anyhow!("{e:?}"))?;
        let key = format!("demo-draft-comment-{i}");
        let submitted =
            (db.submit_draft_comment(exercise.id, paragraph, &comment, &key, None)).await?;
        let CommentSubmitted::New(id) = submitted else {
            anyhow::bail!("the demo's draft comment {i} was not stored");
        };
        if approve {
            let stored = db.draft_comment(id).await?;
            (db.decide_draft_comment(&stored, CommentStatus::Approved, None, admin)).await?;
        }
    }
    Ok(())
}
