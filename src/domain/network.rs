//! Networks: the proxies trusted to say who the client is (`--trusted-proxies`).
//!
//! The client's address is the TCP peer, or, when the peer is a trusted proxy, the rightmost
//! address in `X-Forwarded-For` that is not a trusted proxy. Anything left of that address
//! was written by the client and proves nothing.

use std::net::{IpAddr, SocketAddr};

/// A list of networks (`10.0.0.0/8,192.168.1.7,::1/128`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<(IpAddr, u8)>);

impl TrustedProxies {
    /// Parses a comma-separated list of addresses or CIDR networks; empty means none.
    pub fn parse(list: &str) -> Result<TrustedProxies, String> {
        let mut nets = Vec::new();
        for item in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let (addr, len) = match item.split_once('/') {
                Some((a, l)) => (a, Some(l)),
                None => (item, None),
            };
            let addr: IpAddr = addr
                .parse()
                .map_err(|_| format!("{item:?} is not an IP address or CIDR network"))?;
            let max = if addr.is_ipv4() { 32 } else { 128 };
            let len = match len {
                None => max,
                Some(l) => l
                    .parse::<u8>()
                    .ok()
                    .filter(|l| *l <= max)
                    .ok_or_else(|| format!("{item:?} has an invalid prefix length"))?,
            };
            nets.push((addr, len));
        }
        Ok(TrustedProxies(nets))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// True when `ip` is inside one of the networks (IPv4-mapped IPv6 counts as IPv4).
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.0.iter().any(|(net, len)| match (canonical(*net), ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => prefix_eq(&n.octets(), &a.octets(), *len),
            (IpAddr::V6(n), IpAddr::V6(a)) => prefix_eq(&n.octets(), &a.octets(), *len),
            _ => false,
        })
    }

    /// The client's address for a request from `peer` carrying these `X-Forwarded-For`
    /// header values, in order.
    pub fn client_ip(&self, peer: IpAddr, forwarded_for: &[&str]) -> IpAddr {
        let peer = canonical(peer);
        if !self.contains(peer) {
            return peer;
        }
        let mut client = peer;
        // Every X-Forwarded-For header, in order, is one list; walk it from the right.
        let hops: Vec<&str> = forwarded_for
            .iter()
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .collect();
        for hop in hops.iter().rev() {
            match parse_hop(hop) {
                Some(ip) if self.contains(ip) => client = ip,
                Some(ip) => return ip,
                // Garbage: nothing to its left can be believed; the last trusted hop is all we know.
                None => return client,
            }
        }
        client
    }
}

fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6
            .to_ipv4_mapped()
            .map(IpAddr::V4)
            .unwrap_or(IpAddr::V6(v6)),
        v4 => v4,
    }
}

fn prefix_eq(a: &[u8], b: &[u8], len: u8) -> bool {
    let (bytes, bits) = ((len / 8) as usize, len % 8);
    if a[..bytes] != b[..bytes] {
        return false;
    }
    if bits == 0 {
        return true;
    }
    let mask = 0xffu8 << (8 - bits);
    a[bytes] & mask == b[bytes] & mask
}

/// One entry of X-Forwarded-For: an address, possibly with a port (`1.2.3.4:5678`,
/// `[2001:db8::1]:80`).
fn parse_hop(hop: &str) -> Option<IpAddr> {
    if let Ok(ip) = hop.parse::<IpAddr>() {
        return Some(canonical(ip));
    }
    hop.parse::<SocketAddr>().ok().map(|s| canonical(s.ip()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `X-Forwarded-For` header values of a request.
    fn headers<'a>(xff: &[&'a str]) -> Vec<&'a str> {
        xff.to_vec()
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn parses_addresses_and_networks() {
        let t = TrustedProxies::parse("10.0.0.0/8, 192.168.1.7,::1/128,").unwrap();
        assert!(t.contains(ip("10.200.3.4")));
        assert!(!t.contains(ip("11.0.0.1")));
        assert!(t.contains(ip("192.168.1.7")));
        assert!(!t.contains(ip("192.168.1.8")));
        assert!(t.contains(ip("::1")));
        assert!(
            t.contains(ip("::ffff:10.1.2.3")),
            "IPv4-mapped counts as IPv4"
        );
        assert!(TrustedProxies::parse("").unwrap().is_empty());
        assert!(TrustedProxies::parse("10.0.0.0/33").is_err());
        assert!(TrustedProxies::parse("proxy.example").is_err());
        assert!(TrustedProxies::parse("10.0.0.0/x").is_err());
        let odd = TrustedProxies::parse("172.16.0.0/12").unwrap();
        assert!(odd.contains(ip("172.31.255.255")));
        assert!(!odd.contains(ip("172.32.0.0")));
    }

    #[test]
    fn the_header_is_ignored_unless_the_peer_is_trusted() {
        let none = TrustedProxies::default();
        assert_eq!(
            none.client_ip(ip("203.0.113.9"), &headers(&["198.51.100.1"])),
            ip("203.0.113.9")
        );
        let t = TrustedProxies::parse("10.0.0.0/8").unwrap();
        assert_eq!(
            t.client_ip(ip("203.0.113.9"), &headers(&["198.51.100.1"])),
            ip("203.0.113.9"),
            "a client cannot claim another address by sending the header itself"
        );
    }

    #[test]
    fn the_rightmost_untrusted_address_is_the_client() {
        let t = TrustedProxies::parse("10.0.0.0/8").unwrap();
        // The client forged the first entry; our proxies appended the rest.
        let h = headers(&["1.1.1.1, 198.51.100.7", "10.0.0.2"]);
        assert_eq!(t.client_ip(ip("10.0.0.1"), &h), ip("198.51.100.7"));
        assert_eq!(
            t.client_ip(ip("10.0.0.1"), &headers(&["198.51.100.7:4711"])),
            ip("198.51.100.7")
        );
        assert_eq!(
            t.client_ip(ip("10.0.0.1"), &headers(&["[2001:db8::5]:80"])),
            ip("2001:db8::5")
        );
        // Only proxies: the leftmost one is as far as we can see.
        assert_eq!(
            t.client_ip(ip("10.0.0.1"), &headers(&["10.9.9.9, 10.0.0.2"])),
            ip("10.9.9.9")
        );
        // No header: the proxy itself.
        assert_eq!(t.client_ip(ip("10.0.0.1"), &headers(&[])), ip("10.0.0.1"));
        // Garbage stops the walk at the last trusted hop.
        assert_eq!(
            t.client_ip(
                ip("10.0.0.1"),
                &headers(&["198.51.100.7, unknown, 10.0.0.3"])
            ),
            ip("10.0.0.3")
        );
    }
}
