//! One connection to the mail relay, kept open between messages.
//!
//! `lettre`'s transport writes a message's body and its final `.` as two writes; with Nagle's
//! algorithm on, the second waits for the relay's delayed ACK (40 ms on Linux), capping a
//! connection at about 25 messages a second. Its fix (lettre/lettre#1159, `TCP_NODELAY`) is not
//! released yet, so the connection is made here, with lettre's lower-level connection over a
//! socket that sets `TCP_NODELAY`.
//!
//! A message is deleted from the outbox once the relay has accepted it. A node killed in the
//! moment between the two (about a millisecond) leaves its row for another node to send again
//! after the lease: the same message, with the same `Message-ID`, which mail clients show once.
//! The other order (record, then send) would lose the message instead; a reader told twice is
//! better off than one never told.

use lettre::address::Envelope;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{AsyncSmtpConnection, TlsParameters};
use lettre::transport::smtp::commands::{Data, Mail, Rcpt};
use lettre::transport::smtp::extension::ClientId;
use std::future::Future;
use std::time::Duration;

/// How the connection is secured.
#[derive(Clone)]
enum Security {
    None,
    /// STARTTLS: `?tls=required`, or `?tls=opportunistic` (used when the relay offers it).
    StartTls {
        required: bool,
    },
    /// TLS from the start (`smtps://`).
    Wrapper,
}

/// Where the relay is and how to sign in, from `--smtp-url`.
#[derive(Clone)]
pub struct Relay {
    host: String,
    port: u16,
    security: Security,
    credentials: Option<Credentials>,
    hello: ClientId,
    timeout: Duration,
}

/// Why a message was not sent.
#[derive(Debug)]
pub struct Refusal {
    /// The relay refused it for good (a 5xx reply: the address does not exist).
    pub permanent: bool,
    pub error: String,
}

impl Refusal {
    fn from(e: lettre::transport::smtp::Error) -> Refusal {
        Refusal {
            permanent: e.is_permanent(),
            error: e.to_string(),
        }
    }
}

impl Relay {
    /// `smtp://host[:25]`, `smtp://user:password@host[:587]?tls=required|opportunistic`,
    /// `smtps://user:password@host[:465]`; a path names this host in `EHLO`.
    pub fn parse(smtp_url: &str) -> Result<Relay, String> {
        let url = url::Url::parse(smtp_url).map_err(|e| e.to_string())?;
        let host = url.host_str().ok_or("it has no host")?.to_string();
        let tls = url
            .query_pairs()
            .find(|(k, _)| k == "tls")
            .map(|(_, v)| v.into_owned());
        let (security, default_port) = match (url.scheme(), tls.as_deref()) {
            ("smtp", None) => (Security::None, 25),
            ("smtp", Some("required")) => (Security::StartTls { required: true }, 587),
            ("smtp", Some("opportunistic")) => (Security::StartTls { required: false }, 587),
            ("smtps", _) => (Security::Wrapper, 465),
            (scheme, tls) => {
                return Err(format!("unknown scheme {scheme:?} or tls={tls:?}"));
            }
        };
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8()
                .map(|s| s.into_owned())
                .map_err(|e| e.to_string())
        };
        let credentials = match url.password() {
            Some(password) => Some(Credentials::new(decode(url.username())?, decode(password)?)),
            None => None,
        };
        let hello = match url.path().trim_matches('/') {
            "" => ClientId::default(),
            name => ClientId::Domain(name.to_string()),
        };
        Ok(Relay {
            port: url.port().unwrap_or(default_port),
            host,
            security,
            credentials,
            hello,
            timeout: Duration::from_secs(30),
        })
    }

    fn tls(&self) -> Result<TlsParameters, Refusal> {
        TlsParameters::new(self.host.clone()).map_err(Refusal::from)
    }

    /// A new connection: secured and signed in as the URL says.
    pub async fn connect(&self) -> Result<AsyncSmtpConnection, Refusal> {
        let mut connection = match self.security {
            Security::Wrapper => {
                let tls = Some(self.tls()?);
                AsyncSmtpConnection::connect_tokio1(
                    (self.host.as_str(), self.port),
                    Some(self.timeout),
                    &self.hello,
                    tls,
                    None,
                )
                .await
                .map_err(Refusal::from)?
            }
            _ => {
                let stream = tokio::time::timeout(
                    self.timeout,
                    tokio::net::TcpStream::connect((self.host.as_str(), self.port)),
                )
                .await
                .map_err(|_| network("connecting to the relay timed out"))?
                .map_err(|e| network(&format!("cannot connect to the relay: {e}")))?;
                stream
                    .set_nodelay(true)
                    .map_err(|e| network(&e.to_string()))?;
                AsyncSmtpConnection::connect_with_transport(Box::new(stream), &self.hello)
                    .await
                    .map_err(Refusal::from)?
            }
        };
        if let Security::StartTls { required } = self.security {
            if connection.can_starttls() {
                connection
                    .starttls(self.tls()?, &self.hello)
                    .await
                    .map_err(Refusal::from)?;
            } else if required {
                return Err(network(
                    "the relay does not offer STARTTLS, which ?tls=required asks for",
                ));
            }
        }
        if let Some(credentials) = &self.credentials {
            connection
                .auth(&[Mechanism::Plain, Mechanism::Login], credentials)
                .await
                .map_err(Refusal::from)?;
        }
        Ok(connection)
    }

    /// Sends `message` on `connection`. Errors leave the connection in an unknown state: the
    /// caller drops it.
    pub async fn send(
        &self,
        connection: &mut AsyncSmtpConnection,
        envelope: &Envelope,
        message: &[u8],
    ) -> Result<(), Refusal> {
        let limit = self.timeout;
        within(
            limit,
            connection.command(Mail::new(envelope.from().cloned(), vec![])),
        )
        .await?;
        for to in envelope.to() {
            within(limit, connection.command(Rcpt::new(to.clone(), vec![]))).await?;
        }
        within(limit, connection.command(Data)).await?;
        within(limit, connection.message(message)).await?;
        Ok(())
    }
}

/// `what`, or a failure to try again later when the relay takes longer than `limit`.
async fn within<T>(
    limit: Duration,
    what: impl Future<Output = Result<T, lettre::transport::smtp::Error>>,
) -> Result<T, Refusal> {
    tokio::time::timeout(limit, what)
        .await
        .map_err(|_| network("the relay did not answer within 30 seconds"))?
        .map_err(Refusal::from)
}

/// A failure to try again later.
fn network(error: &str) -> Refusal {
    Refusal {
        permanent: false,
        error: error.to_string(),
    }
}
