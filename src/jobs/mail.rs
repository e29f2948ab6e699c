//! Sending the outbox (receipts to respondents) through a mail relay.
//!
//! Messages are queued in the `outbox` table in the same transaction as what they are about,
//! so nothing is promised that was not stored. With `--smtp-url` each node runs a worker that
//! claims due messages (one node per message, `store::outbox`), sends them over SMTP and
//! deletes each one sent. A failure is retried after a wait that doubles each time (one
//! minute, two, four, … at most six hours); after [`MAX_ATTEMPTS`] the message is given up
//! and left for an operator, with its last error. Without a relay, messages wait.

use super::relay::{Refusal, Relay};
use crate::domain::subscription::PAUSE_AFTER_REFUSALS;
use crate::store::Db;
use crate::store::outbox::OutgoingMail;
use lettre::Message;
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::client::AsyncSmtpConnection;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Mutex;

/// Attempts before a message is given up.
pub const MAX_ATTEMPTS: i32 = 10;
/// How often a node looks for due messages.
pub const POLL: Duration = Duration::from_secs(10);
/// Seconds a claimed message is this node's before another may try it: what a node killed
/// mid-batch delays its messages by. A batch not sent within half of it is handed back.
const LEASE_SECS: i64 = 60;
/// Messages claimed at once.
const BATCH: i64 = 20;

/// A mail relay, the sender's address, and this node's connection to the relay (kept open
/// between messages, see `relay`).
#[derive(Clone)]
pub struct Mailer {
    relay: Relay,
    from: Mailbox,
    connection: Arc<Mutex<Option<AsyncSmtpConnection>>>,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The URL may hold the relay's password: show only the sender.
        write!(f, "Mailer {{ from: {} }}", self.from)
    }
}

impl Mailer {
    /// A relay from a URL (`smtp://host:25`, `smtp://user:password@host:587?tls=required`,
    /// `smtps://user:password@host`) and a sender (`Name <address>` or an address). The error
    /// is one line for the command line, without the password.
    pub fn new(smtp_url: &str, from: &str) -> Result<Mailer, String> {
        let relay = Relay::parse(smtp_url).map_err(|e| {
            format!("--smtp-url is not a mail relay URL ({e}); for example smtp://relay.example.org:587?tls=required")
        })?;
        let from = from.parse::<Mailbox>().map_err(|e| {
            format!("--mail-from {from:?} is not an email address ({e}); for example \"Townhall <no-reply@example.gov.uk>\"")
        })?;
        Ok(Mailer {
            relay,
            from,
            connection: Arc::new(Mutex::new(None)),
        })
    }

    /// The message as it goes to the relay. Its Message-ID comes from its outbox row, so the
    /// same row always makes the same message.
    fn message(&self, mail: &OutgoingMail) -> Result<Message, Refusal> {
        let to = mail.recipient.parse::<Mailbox>().map_err(|e| Refusal {
            permanent: true,
            error: format!("the recipient is not an email address: {e}"),
        })?;
        let domain = self.from.email.domain();
        let mut builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(mail.subject.as_str())
            .message_id(Some(format!(
                "<outbox-{}-{}@{domain}>",
                mail.id,
                mail.created_at.secs()
            )));
        if let Some(url) = &mail.unsubscribe_url {
            // RFC 8058: a mail client may offer "Unsubscribe", which posts to the URL.
            builder = builder
                .raw_header(HeaderValue::new(LIST_UNSUBSCRIBE, format!("<{url}>")))
                .raw_header(HeaderValue::new(
                    LIST_UNSUBSCRIBE_POST,
                    "List-Unsubscribe=One-Click".into(),
                ));
        }
        match &mail.html {
            Some(html) => builder.multipart(MultiPart::alternative_plain_html(
                mail.body.clone(),
                html.clone(),
            )),
            None => builder
                .header(ContentType::TEXT_PLAIN)
                .body(mail.body.clone()),
        }
        .map_err(|e| Refusal {
            permanent: true,
            error: format!("cannot build the message: {e}"),
        })
    }

    /// Sends one message on this node's connection.
    async fn send(&self, mail: &OutgoingMail) -> Result<(), Refusal> {
        let message = self.message(mail)?;
        let mut connection = self.connection.lock().await;
        if connection.as_ref().is_none_or(|c| c.has_broken()) {
            *connection = Some(self.relay.connect().await?);
        }
        let open = connection.as_mut().expect("connected above");
        let sent = self
            .relay
            .send(open, message.envelope(), &message.formatted())
            .await;
        if sent.is_err() {
            // The conversation stopped somewhere: start the next message afresh.
            *connection = None;
        }
        sent
    }
}

const LIST_UNSUBSCRIBE: HeaderName = HeaderName::new_from_ascii_str("List-Unsubscribe");
const LIST_UNSUBSCRIBE_POST: HeaderName = HeaderName::new_from_ascii_str("List-Unsubscribe-Post");

/// What one round of sending did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Delivered {
    pub sent: usize,
    /// Failed this time; to be tried again.
    pub deferred: usize,
    /// Failed for the last time.
    pub given_up: usize,
}

/// Seconds to wait after the `attempts`-th failure: 1, 2, 4, … minutes, at most six hours.
pub fn retry_after(attempts: i32) -> i64 {
    let minutes = 1i64 << attempts.clamp(1, 20).saturating_sub(1);
    (minutes * 60).min(6 * 3600)
}

/// Sends every message due at `at` (Unix seconds), a batch at a time.
pub async fn deliver_due(
    db: &Db,
    mailer: &Mailer,
    at: crate::domain::time::Timestamp,
) -> crate::store::StoreResult<Delivered> {
    let mut done = Delivered::default();
    loop {
        let batch = db.claim_mail(at, LEASE_SECS, BATCH).await?;
        if batch.is_empty() {
            return Ok(done);
        }
        let claimed = std::time::Instant::now();
        for (i, mail) in batch.iter().enumerate() {
            if claimed.elapsed() > Duration::from_secs(LEASE_SECS as u64 / 2) {
                // A slow relay: the rest go back before the lease ends, so that no other node
                // claims a message this one is still sending.
                let rest: Vec<i64> = batch[i..].iter().map(|m| m.id).collect();
                db.release_mail(&rest).await?;
                break;
            }
            match mailer.send(mail).await {
                Ok(()) => {
                    db.mail_sent(mail).await?;
                    metrics::counter!("townhall_mail_sent_total").increment(1);
                    done.sent += 1;
                }
                Err(Refusal { permanent, error }) => {
                    if let (true, Some(subscriber)) = (permanent, mail.subscriber_id) {
                        // A subscriber's address that the relay refuses is not tried again;
                        // after a few such refusals in a row, it is paused.
                        db.subscriber_refused(subscriber, &error, PAUSE_AFTER_REFUSALS)
                            .await?;
                        db.mail_failed(mail.id, &error, None).await?;
                        tracing::warn!(id = mail.id, %error, "the relay refused a subscriber's address");
                        metrics::counter!("townhall_mail_refused_total").increment(1);
                        done.given_up += 1;
                        continue;
                    }
                    let last = mail.attempts >= MAX_ATTEMPTS;
                    let retry_at = (!last).then(|| at + retry_after(mail.attempts));
                    db.mail_failed(mail.id, &error, retry_at).await?;
                    tracing::warn!(id = mail.id, attempts = mail.attempts, %error, "could not send a message");
                    if last {
                        metrics::counter!("townhall_mail_given_up_total").increment(1);
                        done.given_up += 1;
                    } else {
                        metrics::counter!("townhall_mail_deferred_total").increment(1);
                        done.deferred += 1;
                    }
                }
            }
        }
    }
}

/// Sends due messages every [`POLL`] until the server stops.
pub fn spawn_worker(db: Db, mailer: Mailer) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            if let Err(e) = deliver_due(&db, &mailer, crate::store::now()).await {
                tracing::error!(error = %e, "mail worker failed");
            }
            tokio::time::sleep(POLL).await;
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_double_up_to_six_hours() {
        assert_eq!(retry_after(1), 60);
        assert_eq!(retry_after(2), 120);
        assert_eq!(retry_after(5), 960);
        assert_eq!(retry_after(9), 256 * 60);
        assert_eq!(retry_after(10), 6 * 3600);
        assert_eq!(retry_after(40), 6 * 3600);
    }

    // The relay's connection pool runs on the Tokio runtime.
    #[tokio::test]
    async fn bad_settings_are_named() {
        let e = Mailer::new("not a url", "a@example.org").unwrap_err();
        assert!(e.starts_with("--smtp-url"), "{e}");
        let e = Mailer::new("smtp://127.0.0.1:2525", "nobody").unwrap_err();
        assert!(e.starts_with("--mail-from"), "{e}");
        assert!(Mailer::new("smtp://127.0.0.1:2525", "Townhall <no-reply@example.org>").is_ok());
    }
}
