//! The guard against server-side request forgery: a feed may only be fetched from a public
//! address. The host is resolved once, every address checked, and the HTTP client is given
//! only those addresses ([`PinnedResolver`]), so a second lookup cannot point it elsewhere.

use super::{FetchError, FetchPolicy};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, ToSocketAddrs};
use std::sync::mpsc;
use std::time::Instant;
use ureq::unversioned::resolver::{ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::NextTimeout;
use url::{Host, Url};

/// Why an address is not public, or `None` when it is a public unicast address.
///
/// Covers loopback, "this network" (0/8, including the unspecified address), private
/// (10/8, 172.16/12, 192.168/16), CGNAT (100.64/10), link-local (169.254/16: cloud metadata
/// lives at 169.254.169.254), IETF protocol assignments (192.0.0/24), documentation
/// (192.0.2/24, 198.51.100/24, 203.0.113/24), benchmarking (198.18/15), multicast
/// (224/4) and reserved/broadcast (240/4); for IPv6, the unspecified and loopback addresses,
/// unique-local fc00::/7, link-local fe80::/10, site-local fec0::/10, multicast, the
/// documentation, discard and IETF ranges, anything outside global unicast 2000::/3, and
/// the IPv4 forms (IPv4-mapped `::ffff:a.b.c.d`, IPv4-compatible, NAT64 64:ff9b::/96, 6to4
/// 2002::/16), which are judged by the IPv4 address they carry.
pub fn non_public_kind(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => non_public_v4(v4),
        IpAddr::V6(v6) => non_public_v6(v6),
    }
}

fn non_public_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, c, _] = ip.octets();
    Some(match (a, b, c) {
        (0, _, _) => "unspecified",
        (127, _, _) => "loopback",
        (10, _, _) => "private",
        (172, 16..=31, _) => "private",
        (192, 168, _) => "private",
        (100, 64..=127, _) => "shared address space (CGNAT)",
        (169, 254, _) => "link-local",
        (192, 0, 0) => "IETF protocol assignments",
        (192, 0, 2) | (198, 51, 100) | (203, 0, 113) => "documentation",
        (198, 18..=19, _) => "benchmarking",
        (224..=239, _, _) => "multicast",
        (255, 255, 255) if ip == Ipv4Addr::BROADCAST => "broadcast",
        (240..=255, _, _) => "reserved",
        _ => return None,
    })
}

fn non_public_v6(ip: Ipv6Addr) -> Option<&'static str> {
    let s = ip.segments();
    if ip.is_unspecified() {
        return Some("unspecified");
    }
    if ip.is_loopback() {
        return Some("loopback");
    }
    // IPv4-mapped ::ffff:a.b.c.d and IPv4-compatible ::a.b.c.d: judge the IPv4 address.
    if s[..5] == [0, 0, 0, 0, 0] && (s[5] == 0xffff || s[5] == 0) {
        let v4 = Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
        return non_public_v4(v4);
    }
    // NAT64 well-known prefix 64:ff9b::/96.
    if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        let v4 = Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
        return non_public_v4(v4);
    }
    // 6to4 2002:aabb:ccdd::/48 carries a.b.c.d.
    if s[0] == 0x2002 {
        let v4 = Ipv4Addr::new((s[1] >> 8) as u8, s[1] as u8, (s[2] >> 8) as u8, s[2] as u8);
        return non_public_v4(v4);
    }
    Some(match s[0] {
        0xfc00..=0xfdff => "unique local",
        0xfe80..=0xfebf => "link-local",
        0xfec0..=0xfeff => "site-local",
        0xff00..=0xffff => "multicast",
        0x2001 if s[1] == 0x0db8 => "documentation",
        0x3fff if s[1] <= 0x0fff => "documentation",
        // 2001::/23: Teredo, benchmarking, ORCHID and other IETF assignments.
        0x2001 if s[1] < 0x0200 => "IETF protocol assignments",
        0x2000..=0x3fff => return None,
        _ => "not a global unicast address",
    })
}

/// Resolves the URL's host (within the deadline) and checks every address against the
/// policy. Returns the host as the HTTP client will see it, and the checked addresses.
pub(super) fn resolve_checked(
    url: &Url,
    policy: &FetchPolicy,
    deadline: Instant,
) -> Result<(String, Vec<SocketAddr>), FetchError> {
    let port = url.port_or_known_default().unwrap_or(80);
    let (host, ips): (String, Vec<IpAddr>) = match url.host() {
        Some(Host::Ipv4(ip)) => (ip.to_string(), vec![IpAddr::V4(ip)]),
        Some(Host::Ipv6(ip)) => (format!("[{ip}]"), vec![IpAddr::V6(ip)]),
        Some(Host::Domain(name)) => (name.to_string(), lookup(name, port, deadline, policy)?),
        None => {
            return Err(FetchError::InvalidUrl {
                url: url.to_string(),
                reason: "it has no host".into(),
            });
        }
    };
    if !policy.allow_private {
        for ip in &ips {
            if policy.allow_addresses.contains(ip) {
                continue;
            }
            if let Some(kind) = non_public_kind(*ip) {
                return Err(FetchError::PrivateAddress {
                    host: host.clone(),
                    ip: *ip,
                    kind,
                });
            }
        }
    }
    let addrs = ips
        .into_iter()
        .map(|ip| SocketAddr::new(ip, port))
        .collect();
    Ok((host, addrs))
}

/// A name lookup bounded by the deadline (the system resolver has no timeout of its own,
/// so it runs on a short-lived thread that is abandoned if it takes too long).
fn lookup(
    name: &str,
    port: u16,
    deadline: Instant,
    policy: &FetchPolicy,
) -> Result<Vec<IpAddr>, FetchError> {
    let not_found = || FetchError::HostNotFound {
        host: name.to_string(),
    };
    let (tx, rx) = mpsc::channel();
    let query = (name.to_string(), port);
    std::thread::Builder::new()
        .name("feed-dns".into())
        .spawn(move || {
            let result = query
                .to_socket_addrs()
                .map(|addrs| addrs.map(|a| a.ip()).collect::<Vec<_>>());
            let _ = tx.send(result);
        })
        .map_err(|_| not_found())?;
    let remaining = deadline.saturating_duration_since(Instant::now());
    match rx.recv_timeout(remaining) {
        Ok(Ok(mut ips)) if !ips.is_empty() => {
            ips.dedup();
            ips.truncate(16);
            Ok(ips)
        }
        Ok(_) => Err(not_found()),
        Err(mpsc::RecvTimeoutError::Timeout) => Err(FetchError::Timeout {
            timeout: policy.timeout,
        }),
        Err(mpsc::RecvTimeoutError::Disconnected) => Err(not_found()),
    }
}

/// Answers the HTTP client's name lookup with the addresses [`fetch`] already checked, and
/// refuses any other host, so the client cannot connect anywhere the guard has not seen.
#[derive(Debug)]
pub(super) struct PinnedResolver {
    /// As written in the URL's authority (`example.org`, `127.0.0.1`, `[::1]`).
    pub(super) host: String,
    pub(super) addrs: Vec<SocketAddr>,
}

impl Resolver for PinnedResolver {
    fn resolve(
        &self,
        uri: &ureq::http::Uri,
        _config: &ureq::config::Config,
        _timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let bare = |h: &str| {
            h.trim_start_matches('[')
                .trim_end_matches(']')
                .to_ascii_lowercase()
        };
        if bare(uri.host().unwrap_or_default()) != bare(&self.host) {
            return Err(ureq::Error::HostNotFound);
        }
        let mut out = self.empty();
        for addr in self.addrs.iter().take(16) {
            out.push(*addr);
        }
        Ok(out)
    }
}
