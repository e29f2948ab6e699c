//! Fetching and parsing other sites' feeds, safely.
//!
//! [`fetch`] downloads a feed (blocking: call it from `spawn_blocking`) under a
//! [`FetchPolicy`]: a total time limit, a size limit, a redirect limit, and an SSRF guard
//! that refuses loopback, private, link-local and other non-public addresses unless the
//! server runs with `--feeds-allow-private`. [`parse::parse`] turns the body into
//! [`parse::ParsedFeed`], with every piece of HTML sanitised. See `docs/feeds.md`.
//!
//! Errors ([`FetchError`], [`parse::FeedError`]) display as one line meant for an editor;
//! the subscription records it.

mod guard;
pub mod parse;

pub use guard::non_public_kind;
use guard::{PinnedResolver, resolve_checked};

use std::fmt;
use std::io::Read;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use ureq::http::{StatusCode, header};
use ureq::unversioned::transport::DefaultConnector;
use url::Url;

pub use crate::domain::feed::FeedItem;
pub use parse::{FeedError, ParsedFeed, parse};

/// The `User-Agent` sent with every request, followed by ` (+SITE)` when the policy names
/// the hub's address ([`FetchPolicy::site_url`]) so a feed's owner can see who is reading.
pub const USER_AGENT: &str = "Townhall feed reader";

/// The `Accept` header: feed types first, generic XML and JSON after.
pub const ACCEPT: &str = "application/atom+xml, application/rss+xml, application/feed+json, \
     application/rdf+xml;q=0.9, application/xml;q=0.8, text/xml;q=0.8, application/json;q=0.7, \
     */*;q=0.1";

/// Limits for one fetch.
#[derive(Clone, Debug)]
pub struct FetchPolicy {
    /// Allow loopback, private and other non-public addresses (`--feeds-allow-private`).
    pub allow_private: bool,
    /// Non-public addresses allowed even when `allow_private` is false (one intranet host,
    /// or a test server), checked by exact address.
    pub allow_addresses: Vec<IpAddr>,
    /// Total time for the whole fetch: name lookups, every redirect, and reading the body.
    pub timeout: Duration,
    /// The largest body accepted, in bytes.
    pub max_bytes: usize,
    /// How many redirects are followed before giving up.
    pub max_redirects: u8,
    /// The hub's public address, named in the `User-Agent`.
    pub site_url: Option<String>,
}

impl FetchPolicy {
    /// `Townhall feed reader (+https://hub.example/)`, or without the address when unknown.
    pub fn user_agent(&self) -> String {
        match &self.site_url {
            Some(site) => format!("{USER_AGENT} (+{site})"),
            None => USER_AGENT.to_string(),
        }
    }
}

impl Default for FetchPolicy {
    /// Private addresses refused, 10 seconds, 5 MiB, 5 redirects.
    fn default() -> Self {
        FetchPolicy {
            allow_private: false,
            allow_addresses: Vec::new(),
            timeout: Duration::from_secs(10),
            max_bytes: 5 * 1024 * 1024,
            max_redirects: 5,
            site_url: None,
        }
    }
}

/// What the last successful fetch answered, sent back so an unchanged feed costs a 304.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

/// The result of a successful fetch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FetchOutcome {
    /// 304 Not Modified: the feed has not changed since the validators were recorded.
    NotModified,
    /// The feed's body, its new validators, and the address it was finally fetched from
    /// (after redirects; relative links in the feed resolve against it).
    Fetched {
        body: Vec<u8>,
        etag: Option<String>,
        last_modified: Option<String>,
        final_url: String,
    },
}

/// Why a fetch failed. `Display` gives one line for an editor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchError {
    /// The address could not be parsed.
    InvalidUrl { url: String, reason: String },
    /// Not `http` or `https`.
    UnsupportedScheme { url: String, scheme: String },
    /// The host resolves to (or is) a non-public address and the policy does not allow it.
    PrivateAddress {
        host: String,
        ip: IpAddr,
        kind: &'static str,
    },
    /// The name lookup failed or found no address.
    HostNotFound { host: String },
    /// The connection failed (refused, reset, TLS).
    Connection { url: String, reason: String },
    /// The server answered with an error status (or an unexpected one).
    Status { url: String, status: u16 },
    /// The body is larger than the policy's `max_bytes`.
    TooLarge { max_bytes: usize },
    /// The whole fetch took longer than the policy's `timeout`.
    Timeout { timeout: Duration },
    /// More redirects than the policy's `max_redirects`.
    TooManyRedirects { max: u8 },
    /// A redirect without a usable `Location`.
    BadRedirect { url: String },
}

impl fmt::Display for FetchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.describe(f, "feed")
    }
}

impl FetchError {
    /// The error as a sentence about a file rather than a feed (the WordPress import's
    /// attachments).
    pub fn about_a_file(&self) -> String {
        struct File<'a>(&'a FetchError);
        impl fmt::Display for File<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.describe(f, "file")
            }
        }
        File(self).to_string()
    }

    /// Writes the error as one sentence about a `what` (a feed, a file).
    fn describe(&self, f: &mut fmt::Formatter<'_>, what: &str) -> fmt::Result {
        match self {
            FetchError::InvalidUrl { url, reason } => {
                write!(f, "“{url}” is not a web address: {reason}")
            }
            FetchError::UnsupportedScheme { url, scheme } => write!(
                f,
                "only http and https {what}s can be fetched, and “{url}” uses {scheme}"
            ),
            FetchError::PrivateAddress { host, ip, kind } => {
                if host.trim_matches(['[', ']']) == ip.to_string() {
                    write!(f, "the address {ip} is on a private network ({kind})")?;
                } else {
                    write!(
                        f,
                        "the address {host} resolves to a private network ({ip}, {kind})"
                    )?;
                }
                f.write_str("; fetching from private addresses needs --feeds-allow-private")
            }
            FetchError::HostNotFound { host } => {
                write!(f, "the site {host} could not be found (no such name)")
            }
            FetchError::Connection { url, reason } => {
                write!(f, "could not connect to the {what} at {url}: {reason}")
            }
            FetchError::Status { url, status } => {
                write!(f, "the {what} at {url} answered {status}")?;
                if let Some(reason) = StatusCode::from_u16(*status)
                    .ok()
                    .and_then(|s| s.canonical_reason())
                {
                    write!(f, " ({reason})")?;
                }
                Ok(())
            }
            FetchError::TooLarge { max_bytes } => {
                write!(f, "the {what} is larger than {}", human_size(*max_bytes))
            }
            FetchError::Timeout { timeout } => {
                write!(
                    f,
                    "the {what} took longer than {}",
                    human_duration(*timeout)
                )
            }
            FetchError::TooManyRedirects { max } => {
                write!(
                    f,
                    "too many redirects (more than {max}); the {what} may redirect in a loop"
                )
            }
            FetchError::BadRedirect { url } => {
                write!(
                    f,
                    "the {what} at {url} redirected without a valid new address"
                )
            }
        }
    }
}

impl std::error::Error for FetchError {}

/// "5 MB" for 5 MiB, "1.5 MB", "800 KB", "120 bytes".
fn human_size(bytes: usize) -> String {
    const MB: usize = 1024 * 1024;
    if bytes >= MB {
        if bytes.is_multiple_of(MB) {
            format!("{} MB", bytes / MB)
        } else {
            format!("{:.1} MB", bytes as f64 / MB as f64)
        }
    } else if bytes >= 1024 && bytes.is_multiple_of(1024) {
        format!("{} KB", bytes / 1024)
    } else {
        format!("{bytes} bytes")
    }
}

/// "10 seconds", "1 second", "500 milliseconds".
fn human_duration(d: Duration) -> String {
    if d.subsec_millis() == 0 && d.as_secs() > 0 {
        let s = d.as_secs();
        format!("{s} second{}", if s == 1 { "" } else { "s" })
    } else {
        format!("{} milliseconds", d.as_millis())
    }
}

/// Fetches `url` under `policy`, sending `validators` so an unchanged feed answers 304.
///
/// Blocking: the caller runs it in `spawn_blocking`. Redirects are followed here, not by
/// the HTTP client, so every hop goes through the same checks: `http`/`https` only, the
/// host resolved by us and every address it resolves to checked against the SSRF guard
/// ([`non_public_kind`]), and the connection made to exactly the addresses that were checked.
pub fn fetch(
    url: &str,
    validators: &Validators,
    policy: &FetchPolicy,
) -> Result<FetchOutcome, FetchError> {
    let deadline = Instant::now() + policy.timeout;
    let timeout_error = || FetchError::Timeout {
        timeout: policy.timeout,
    };
    let mut current = parse_url(url)?;
    let mut redirects: u8 = 0;
    loop {
        let (host, addrs) = resolve_checked(&current, policy, deadline)?;
        let remaining = deadline
            .checked_duration_since(Instant::now())
            .filter(|d| !d.is_zero())
            .ok_or_else(timeout_error)?;

        // DNS rebinding: we looked the name up and checked every address above; a second
        // lookup by the HTTP client could get a different (private) answer from an attacker's
        // name server. So the agent gets a resolver that answers only with the addresses we
        // checked, for this host only. The URL keeps its host name, so the `Host` header and
        // the TLS server name (SNI and certificate check) are the real ones.
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .save_redirect_history(false)
            .proxy(None)
            .https_only(false)
            .user_agent(policy.user_agent())
            .accept(ACCEPT)
            .timeout_global(Some(remaining))
            .max_idle_connections(0)
            .build();
        let agent = ureq::Agent::with_parts(
            config,
            DefaultConnector::new(),
            PinnedResolver {
                host: host.clone(),
                addrs,
            },
        );
        let mut request = agent.get(current.as_str());
        if let Some(etag) = &validators.etag {
            request = request.header(header::IF_NONE_MATCH, etag);
        }
        if let Some(last_modified) = &validators.last_modified {
            request = request.header(header::IF_MODIFIED_SINCE, last_modified);
        }
        let mut response = request
            .call()
            .map_err(|e| call_error(e, &current, deadline, policy.timeout))?;
        let status = response.status();

        if status.is_redirection() && status != StatusCode::NOT_MODIFIED {
            let location = response
                .headers()
                .get(header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| current.join(v.trim()).ok())
                .ok_or_else(|| FetchError::BadRedirect {
                    url: current.to_string(),
                })?;
            if redirects >= policy.max_redirects {
                return Err(FetchError::TooManyRedirects {
                    max: policy.max_redirects,
                });
            }
            redirects += 1;
            current = check_scheme(location)?;
            continue;
        }
        if status == StatusCode::NOT_MODIFIED {
            return Ok(FetchOutcome::NotModified);
        }
        if !status.is_success() {
            return Err(FetchError::Status {
                url: current.to_string(),
                status: status.as_u16(),
            });
        }

        let header_string = |name| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let etag = header_string(header::ETAG);
        let last_modified = header_string(header::LAST_MODIFIED);
        let too_large = FetchError::TooLarge {
            max_bytes: policy.max_bytes,
        };
        if let Some(length) =
            header_string(header::CONTENT_LENGTH).and_then(|v| v.trim().parse::<u64>().ok())
            && length > policy.max_bytes as u64
        {
            return Err(too_large);
        }
        // Read at most one byte more than allowed: enough to know the body is too large.
        let mut body = Vec::new();
        let limit = (policy.max_bytes as u64).saturating_add(1);
        response
            .body_mut()
            .as_reader()
            .take(limit)
            .read_to_end(&mut body)
            .map_err(|e| {
                if e.kind() == std::io::ErrorKind::TimedOut || Instant::now() >= deadline {
                    timeout_error()
                } else {
                    FetchError::Connection {
                        url: current.to_string(),
                        reason: format!("the connection failed while reading the feed ({e})"),
                    }
                }
            })?;
        if body.len() > policy.max_bytes {
            return Err(too_large);
        }
        return Ok(FetchOutcome::Fetched {
            body,
            etag,
            last_modified,
            final_url: current.to_string(),
        });
    }
}

fn parse_url(url: &str) -> Result<Url, FetchError> {
    let parsed = Url::parse(url.trim()).map_err(|e| FetchError::InvalidUrl {
        url: url.to_string(),
        reason: e.to_string(),
    })?;
    check_scheme(parsed)
}

fn check_scheme(url: Url) -> Result<Url, FetchError> {
    match url.scheme() {
        "http" | "https" if url.host().is_some() => Ok(url),
        "http" | "https" => Err(FetchError::InvalidUrl {
            url: url.to_string(),
            reason: "it has no host".into(),
        }),
        other => Err(FetchError::UnsupportedScheme {
            scheme: other.to_string(),
            url: url.to_string(),
        }),
    }
}

fn call_error(e: ureq::Error, url: &Url, deadline: Instant, timeout: Duration) -> FetchError {
    let connection = |reason: String| FetchError::Connection {
        url: url.to_string(),
        reason,
    };
    match e {
        ureq::Error::Timeout(_) => FetchError::Timeout { timeout },
        _ if Instant::now() >= deadline => FetchError::Timeout { timeout },
        ureq::Error::HostNotFound => FetchError::HostNotFound {
            host: url.host_str().unwrap_or_default().to_string(),
        },
        ureq::Error::Io(io) => connection(io.to_string()),
        ureq::Error::ConnectionFailed => connection("the connection failed".into()),
        ureq::Error::Tls(reason) => connection(format!("secure connection failed ({reason})")),
        ureq::Error::Rustls(err) => connection(format!("secure connection failed ({err})")),
        ureq::Error::LargeResponseHeader(..) => {
            connection("the response headers are too large".into())
        }
        other => connection(format!("the server's answer was not valid HTTP ({other})")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::SocketAddr;
    use ureq::unversioned::resolver::Resolver;
    use ureq::unversioned::transport::NextTimeout;

    fn kind(s: &str) -> Option<&'static str> {
        non_public_kind(s.parse().unwrap())
    }

    #[test]
    fn non_public_ipv4() {
        for ip in [
            "127.0.0.1",
            "127.255.255.254",
            "0.0.0.0",
            "0.1.2.3",
            "10.0.0.1",
            "10.255.255.255",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "100.64.0.1",
            "100.127.255.255",
            "169.254.169.254",
            "192.0.0.8",
            "192.0.2.1",
            "198.51.100.7",
            "203.0.113.9",
            "198.18.0.1",
            "224.0.0.1",
            "239.255.255.250",
            "240.0.0.1",
            "255.255.255.255",
        ] {
            assert!(kind(ip).is_some(), "{ip} should be refused");
        }
        assert_eq!(kind("169.254.169.254"), Some("link-local"));
        assert_eq!(kind("255.255.255.255"), Some("broadcast"));
        assert_eq!(kind("127.0.0.1"), Some("loopback"));
    }

    #[test]
    fn public_ipv4() {
        for ip in [
            "8.8.8.8",
            "1.1.1.1",
            "172.15.255.255",
            "172.32.0.1",
            "100.63.255.255",
            "100.128.0.1",
            "192.169.0.1",
            "151.101.0.81",
            "223.255.255.255",
        ] {
            assert_eq!(kind(ip), None, "{ip} is public");
        }
    }

    #[test]
    fn non_public_ipv6_including_ipv4_forms() {
        for ip in [
            "::",
            "::1",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "febf::1",
            "fec0::1",
            "ff02::1",
            "2001:db8::1",
            "3fff::1",
            "2001::1",
            "100::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::ffff:169.254.169.254",
            "::ffff:192.168.0.1",
            "::127.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "2002:7f00:1::",
            "2002:c0a8:101::1",
        ] {
            assert!(kind(ip).is_some(), "{ip} should be refused");
        }
        assert_eq!(kind("::ffff:127.0.0.1"), Some("loopback"));
    }

    #[test]
    fn public_ipv6() {
        for ip in [
            "2606:4700:4700::1111",
            "2a00:1450:4009:81f::200e",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
            "2002:808:808::1",
            "2001:4860:4860::8888",
        ] {
            assert_eq!(kind(ip), None, "{ip} is public");
        }
    }

    #[test]
    fn messages_are_one_line_and_human() {
        assert_eq!(
            FetchError::TooLarge {
                max_bytes: 5 * 1024 * 1024
            }
            .to_string(),
            "the feed is larger than 5 MB"
        );
        assert_eq!(
            FetchError::Timeout {
                timeout: Duration::from_secs(10)
            }
            .to_string(),
            "the feed took longer than 10 seconds"
        );
        assert_eq!(
            FetchError::PrivateAddress {
                host: "127.0.0.1".into(),
                ip: "127.0.0.1".parse().unwrap(),
                kind: "loopback"
            }
            .to_string(),
            "the address 127.0.0.1 is on a private network (loopback); fetching from private \
             addresses needs --feeds-allow-private"
        );
        assert_eq!(
            FetchError::Status {
                url: "https://example.org/feed".into(),
                status: 404
            }
            .to_string(),
            "the feed at https://example.org/feed answered 404 (Not Found)"
        );
        assert_eq!(
            FetchError::Status {
                url: "https://example.org/a.jpg".into(),
                status: 404
            }
            .about_a_file(),
            "the file at https://example.org/a.jpg answered 404 (Not Found)"
        );
    }

    #[test]
    fn the_pinned_resolver_answers_only_for_its_host_with_the_checked_addresses() {
        let checked: SocketAddr = "93.184.215.14:443".parse().unwrap();
        let resolver = PinnedResolver {
            host: "feeds.example.org".into(),
            addrs: vec![checked],
        };
        let config = ureq::config::Config::default();
        let resolve =
            |uri: &str| resolver.resolve(&uri.parse().unwrap(), &config, NextTimeout::default());
        let answer = resolve("https://FEEDS.example.org/feed.xml").unwrap();
        assert_eq!(&answer[..], &[checked]);
        assert!(resolve("https://elsewhere.example/").is_err());

        let v6 = PinnedResolver {
            host: "[2606:4700::1]".into(),
            addrs: vec!["[2606:4700::1]:80".parse().unwrap()],
        };
        let uri = "http://[2606:4700::1]/".parse().unwrap();
        assert!(v6.resolve(&uri, &config, NextTimeout::default()).is_ok());
    }

    #[test]
    fn sizes_and_durations_read_naturally() {
        assert_eq!(human_size(1024 * 1024 * 3 / 2), "1.5 MB");
        assert_eq!(human_size(64 * 1024), "64 KB");
        assert_eq!(human_size(1000), "1000 bytes");
        assert_eq!(human_duration(Duration::from_secs(1)), "1 second");
        assert_eq!(
            human_duration(Duration::from_millis(1500)),
            "1500 milliseconds"
        );
    }

    #[test]
    fn only_http_and_https() {
        for url in [
            "file:///etc/passwd",
            "ftp://example.org/feed",
            "gopher://x/",
            "javascript:alert(1)",
        ] {
            let err = fetch(url, &Validators::default(), &FetchPolicy::default()).unwrap_err();
            assert!(
                matches!(err, FetchError::UnsupportedScheme { .. }),
                "{url}: {err}"
            );
        }
        let err = fetch("not a url", &Validators::default(), &FetchPolicy::default()).unwrap_err();
        assert!(matches!(err, FetchError::InvalidUrl { .. }), "{err}");
    }
}
