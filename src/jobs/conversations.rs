//! Opinion groups of conversations, kept up to date as votes arrive: a worker in every
//! `townhall serve` claims a conversation with votes its groups have not counted (one node at
//! a time: `Db::claim_conversation_groups`), computes the groups off the async threads,
//! warm-started from the last state (crates/opinion), and stores what the results page shows
//! (`ConversationResults`) and each statement's count of votes. Votes are acknowledged
//! without waiting for any of this.

use crate::domain::conversation::results::ConversationResults;
use crate::store::Db;
use anyhow::Result;
use opinion::{Config, Limits, State};
use std::time::Duration;

/// How often an idle worker looks for new votes: Pol.is updates about once a second too.
const POLL: Duration = Duration::from_secs(1);

/// Claims and updates conversations with uncounted votes until none is left; returns how many
/// were updated.
pub async fn run_pending(db: &Db) -> Result<usize> {
    let mut updated = 0;
    while let Some(conversation) = db.claim_conversation_groups().await? {
        update(db, conversation).await?;
        updated += 1;
    }
    Ok(updated)
}

/// Computes one conversation's groups from every vote, starting from where the last update
/// left them.
pub async fn update(db: &Db, conversation: i64) -> Result<()> {
    let stored = db.conversation_groups(conversation).await?;
    // A state this release cannot read (written by another version) only costs a cold start.
    let previous: Option<State> =
        (stored.state.as_deref()).and_then(|s| serde_json::from_str(s).ok());
    let (export, through) = crate::deliberation::as_export(db, conversation, false).await?;
    let (results, state) = tokio::task::spawn_blocking(move || -> Result<_> {
        let data = export.to_vote_data(&Limits::default())?;
        let analysis = opinion::compute(&data, previous.as_ref(), &Config::default())?;
        let results = ConversationResults::new(&analysis.outcome, &analysis.state);
        Ok((results, serde_json::to_string(&analysis.state)?))
    })
    .await??;
    let votes: Vec<(i64, i64)> = (results.statements.iter())
        .map(|s| {
            (
                s.statement,
                i64::from(s.all.agree + s.all.disagree + s.all.pass),
            )
        })
        .collect();
    let results = serde_json::to_string(&results)?;
    db.save_conversation_groups(conversation, through, (&results, &state), &votes)
        .await?;
    Ok(())
}

/// The worker task that `App::serve` starts.
pub fn spawn_worker(db: Db) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            if let Err(e) = run_pending(&db).await {
                tracing::error!(error = %e, "updating a conversation's groups failed");
            }
            tokio::time::sleep(POLL).await;
        }
    })
}
