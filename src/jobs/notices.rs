//! Telling subscribers what was published (docs/email.md). Every [`POLL`] (or more often,
//! with the feed scheduler's interval) each node:
//!
//! 1. deletes addresses and lists never confirmed within seven days;
//! 2. scans for what became public since the last scan (and [`RESCAN_SECS`] before it, so that
//!    a transaction that committed late is not passed over) and keeps each as a notice, once;
//! 3. queues each notice's messages to those who follow it immediately, a batch at a time;
//! 4. opens the daily and weekly digest rounds once due, and queues their messages.
//!
//! Steps 3 and 4 queue exactly once (a batch moves a cursor in its own transaction, see
//! `store::subscriptions`), so a node that dies midway is carried on by any other; the outbox
//! then sends each message once, from whichever node claims it (`jobs::mail`).

use crate::App;
use crate::domain::subscription::{
    CONFIRM_WITHIN_SECS, Digest, Frequency, MODERATION_ALERT_SECS, NoticeKind,
};
use crate::domain::time::Timestamp;
use crate::store::alerts::{Staff, ToldThrough, Waiting};
use crate::store::notices::{Batch, Notice};
use crate::subscriptions::{Addressee, Leave, Links, ListNames, Mail, notices_mail, staff_mail};
use std::time::Duration;

/// How often a node looks for work.
pub const POLL: Duration = Duration::from_secs(30);
/// Seconds each scan looks back past the last one.
pub const RESCAN_SECS: i64 = 600;
/// Seconds a claimed notice or round is this node's before another may carry it on.
const LEASE_SECS: i64 = 120;
/// Addresses per transaction.
const BATCH: i64 = 500;

/// What one round of the job did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Round {
    /// Notices found by the scan.
    pub notices: usize,
    /// Messages queued, for notices and digests.
    pub queued: usize,
}

/// Does every step due at `at`. Without `--public-url` no links can be made, so nothing is
/// queued (notices are still kept, to be sent once it is set).
pub async fn run_once(app: &App, at: Timestamp) -> anyhow::Result<Round> {
    let db = &app.db;
    db.delete_unconfirmed(at - CONFIRM_WITHIN_SECS).await?;
    let mut round = Round {
        notices: db.scan_notices(at, RESCAN_SECS).await?,
        ..Round::default()
    };
    let Some(base) = &app.config.public_url else {
        return Ok(round);
    };
    let links = Links::load(db, base.as_str()).await?;
    let names = ListNames::load(db).await?;
    while let Some((notice, mut cursor)) = db.claim_notice(at, LEASE_SECS).await? {
        // The staff member it concerns hears with the first batch, so once.
        let mut staff = match cursor {
            0 => staff_alert(app, &links, &notice).await?,
            _ => None,
        };
        loop {
            let recipients = db.immediate_recipients(notice.id, cursor, BATCH).await?;
            let last = recipients.len() < BATCH as usize;
            let to = recipients.last().map_or(cursor, |r| r.subscriber_id);
            let mails = recipients
                .iter()
                .map(|r| {
                    let why = names.name(r.list);
                    notices_mail(
                        &app.templates,
                        &links,
                        Addressee {
                            id: r.subscriber_id,
                            email: &r.email,
                        },
                        std::slice::from_ref(&notice),
                        Leave::List(r.list),
                        &why,
                    )
                })
                .collect::<Result<Vec<Mail>, _>>()?;
            let mails: Vec<Mail> = staff.take().into_iter().chain(mails).collect();
            let queued: Vec<_> = mails.iter().map(Mail::as_new).collect();
            if db
                .queue_notice_batch(notice.id, (cursor, to), last, &queued)
                .await?
                == Batch::Lost
            {
                break;
            }
            round.queued += mails.len();
            cursor = to;
            if last {
                break;
            }
        }
    }
    round.queued += tell_moderators(app, &links, at).await?;
    for digest in Digest::ALL {
        db.open_digest_round(digest, digest.due_before(at, &app.config.time_zone))
            .await?;
    }
    while let Some(mut digest) = db.claim_digest_round(at, LEASE_SECS).await? {
        let why = match digest.frequency {
            Frequency::Weekly => "the lists you get weekly",
            _ => "the lists you get daily",
        };
        loop {
            let Some((batch, to)) = db.digest_batch(&digest, BATCH).await? else {
                db.finish_digest_round(&digest).await?;
                break;
            };
            let mails = batch
                .iter()
                .map(|d| {
                    notices_mail(
                        &app.templates,
                        &links,
                        Addressee {
                            id: d.subscriber_id,
                            email: &d.email,
                        },
                        &d.notices,
                        Leave::Every(digest.frequency),
                        why,
                    )
                })
                .collect::<Result<Vec<Mail>, _>>()?;
            let queued: Vec<_> = mails.iter().map(Mail::as_new).collect();
            let from = digest.sent_through;
            if db
                .queue_digest_batch(&digest, (from, to), false, &queued)
                .await?
                == Batch::Lost
            {
                break;
            }
            round.queued += mails.len();
            digest.sent_through = to;
        }
    }
    Ok(round)
}

/// Runs [`run_once`] every `every` until the server stops.
pub fn spawn_worker(app: App, every: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        if app.config.public_url.is_none() {
            tracing::info!("no --public-url: e-mail to subscribers waits until it is set");
        }
        loop {
            match run_once(&app, crate::store::now()).await {
                Ok(round) if round.queued > 0 || round.notices > 0 => {
                    tracing::info!(
                        notices = round.notices,
                        queued = round.queued,
                        "told subscribers"
                    );
                }
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "could not tell subscribers"),
            }
            tokio::time::sleep(every).await;
        }
    })
}

/// The alert a notice gives a member of staff, if any: the creator of a consultation that
/// opened or closed, whoever asked for an analysis that finished (each if they want it).
async fn staff_alert(app: &App, links: &Links, notice: &Notice) -> anyhow::Result<Option<Mail>> {
    let db = &app.db;
    let (to, why) = match notice.kind {
        NoticeKind::ConsultationOpened | NoticeKind::ConsultationClosed => (
            db.exercise_owner_to_alert(notice.source_id).await?,
            "you created it",
        ),
        NoticeKind::AnalysisFinished => (
            db.analysis_requester_to_alert(notice.source_id).await?,
            "you asked for the analysis",
        ),
        _ => (None, ""),
    };
    Ok(to.map(|to| {
        let subject = format!("{}: {}", notice.kind.heading(), notice.title);
        let lines = [
            subject.clone(),
            notice.summary.clone(),
            links.page_url(&notice.path),
        ];
        staff_mail(links, &to, subject, &lines, why)
    }))
}

/// How many of each kind wait, in a moderator's organisation or all of them together.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct WaitingCounts {
    comments: i64,
    ideas: i64,
    draft_comments: i64,
    statements: i64,
}

impl WaitingCounts {
    fn of(w: &Waiting) -> WaitingCounts {
        WaitingCounts {
            comments: w.comments,
            ideas: w.ideas,
            draft_comments: w.draft_comments,
            statements: w.statements,
        }
    }

    fn add(self, o: WaitingCounts) -> WaitingCounts {
        WaitingCounts {
            comments: self.comments + o.comments,
            ideas: self.ideas + o.ideas,
            draft_comments: self.draft_comments + o.draft_comments,
            statements: self.statements + o.statements,
        }
    }
}

/// "3 comments, 2 comments on a draft and 1 idea" (what is not there is left out).
fn waiting_count(c: WaitingCounts) -> String {
    let count = |n: i64, one: &str, many: &str| match n {
        0 => None,
        1 => Some(format!("1 {one}")),
        n => Some(format!("{n} {many}")),
    };
    let parts: Vec<String> = [
        count(c.comments, "comment", "comments"),
        count(c.draft_comments, "comment on a draft", "comments on drafts"),
        count(
            c.statements,
            "statement in a conversation",
            "statements in conversations",
        ),
        count(c.ideas, "idea", "ideas"),
    ]
    .into_iter()
    .flatten()
    .collect();
    match parts.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        _ => parts.concat(),
    }
}

/// Tells each moderator, at most hourly, what waits for them that arrived since they were last
/// told, per organisation. Returns the messages queued.
async fn tell_moderators(app: &App, links: &Links, at: Timestamp) -> anyhow::Result<usize> {
    let waiting = app
        .db
        .moderation_waiting(at - MODERATION_ALERT_SECS)
        .await?;
    let mut queued = 0;
    for rows in waiting.chunk_by(|a, b| a.user_id == b.user_id) {
        let first = &rows[0];
        let all = (rows.iter()).fold(WaitingCounts::default(), |all, w| {
            all.add(WaitingCounts::of(w))
        });
        let total = waiting_count(all);
        let mut lines = vec![format!(
            "New since we last told you, and waiting for a decision: {total}."
        )];
        lines.extend(rows.iter().map(|w| {
            format!(
                "{}: {}",
                w.organisation,
                waiting_count(WaitingCounts::of(w))
            )
        }));
        // Comments, comments on drafts and statements share the moderation queue.
        if all.comments + all.draft_comments + all.statements > 0 {
            lines.push(format!(
                "Comments and statements: {}",
                links.page_url("/admin/comments")
            ));
        }
        if all.ideas > 0 {
            lines.push(format!("Ideas: {}", links.page_url("/admin/ideas")));
        }
        let to = Staff {
            email: first.email.clone(),
            name: first.name.clone(),
        };
        let subject = format!("Waiting for moderation: {total}");
        let mail = staff_mail(
            links,
            &to,
            subject,
            &lines,
            "you moderate for these organisations",
        );
        let through = (rows.iter()).fold(ToldThrough::default(), |t, w| t.max(w.newest));
        let queued_now = app
            .db
            .queue_moderation_alert(first.user_id, first.alerted_at, at, through, &mail.as_new())
            .await?;
        if queued_now {
            queued += 1;
        }
    }
    Ok(queued)
}
