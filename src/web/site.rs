//! This site's own address: for absolute links (Atom ids, API URLs, `Location`) and for
//! telling a request from this site from one sent by another.

use crate::App;
use axum::http::{HeaderMap, header};

/// The site's address with no trailing slash: `--public-url` when set; otherwise the scheme
/// (https with `--secure-cookies`) and the `Host` the client used, which the
/// `refuse_malformed` middleware has already checked is only a host and a port.
pub fn base_url(app: &App, headers: &HeaderMap) -> String {
    if let Some(url) = &app.config.public_url {
        return url.as_str().trim_end_matches('/').to_string();
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| is_valid_host(h))
        .unwrap_or("localhost");
    let scheme = if app.config.secure_cookies {
        "https"
    } else {
        "http"
    };
    format!("{scheme}://{host}")
}

/// Whether a `Host` header is a host name or address and an optional port, and nothing else:
/// `127.0.0.1:18400@other.example`, `a/b` or `a b` are not.
pub fn is_valid_host(host: &str) -> bool {
    let (name, port) = match host.rsplit_once(':') {
        Some((name, port)) if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => {
            (name, Some(port))
        }
        _ => (host, None),
    };
    port.is_none_or(|p| p.parse::<u16>().is_ok())
        && !name.is_empty()
        && !name.contains(['@', '/', '\\', ' ', '%'])
        && url::Host::parse(name).is_ok()
}

#[cfg(test)]
mod tests {
    use super::is_valid_host;

    #[test]
    fn only_a_host_and_a_port() {
        for ok in [
            "example.org",
            "localhost:8080",
            "127.0.0.1:18400",
            "[::1]:8080",
            "[::1]",
        ] {
            assert!(is_valid_host(ok), "{ok}");
        }
        for bad in [
            "127.0.0.1:18400@evil.example",
            "evil.example/path",
            "a b",
            "example.org:99999",
            "",
            ":80",
            "exa%41mple.org",
        ] {
            assert!(!is_valid_host(bad), "{bad}");
        }
    }
}
