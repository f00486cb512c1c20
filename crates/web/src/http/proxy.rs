//! Which proxies may tell us the client's address. `X-Forwarded-For` is a list each hop
//! appends to, so only its right end is written by our own proxies; anything to the left
//! of the first address they did not add may be whatever the client sent.

use std::net::IpAddr;

/// Trusted proxy addresses: single addresses or CIDR ranges (`10.0.0.0/8`, `::1`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<(IpAddr, u8)>);

impl TrustedProxies {
    /// Parses `["127.0.0.1", "10.0.0.0/8"]`; the error names the bad entry.
    pub fn parse(entries: &[String]) -> Result<Self, String> {
        entries
            .iter()
            .map(|entry| {
                let (addr, bits) = match entry.split_once('/') {
                    Some((addr, bits)) => (addr, Some(bits)),
                    None => (entry.as_str(), None),
                };
                let addr: IpAddr = addr
                    .trim()
                    .parse()
                    .map_err(|_| format!("not an IP address: {entry}"))?;
                let max = if addr.is_ipv4() { 32 } else { 128 };
                let bits = match bits {
                    Some(b) => b
                        .trim()
                        .parse::<u8>()
                        .ok()
                        .filter(|b| *b <= max)
                        .ok_or_else(|| format!("bad prefix length: {entry}"))?,
                    None => max,
                };
                Ok((addr, bits))
            })
            .collect::<Result<_, _>>()
            .map(Self)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn trusts(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|(net, bits)| within(ip, *net, *bits))
    }

    /// The client's address: the peer's, unless the peer is a trusted proxy; then the
    /// right-most `X-Forwarded-For` entry that is not a trusted proxy (the left-most when
    /// all are).
    pub fn client(&self, peer: IpAddr, forwarded_for: Option<&str>) -> IpAddr {
        if !self.trusts(peer) {
            return peer;
        }
        let Some(list) = forwarded_for else {
            return peer;
        };
        let mut last = peer;
        for entry in list.rsplit(',') {
            let Ok(ip) = entry.trim().parse::<IpAddr>() else {
                // Unreadable: nothing to the left of it can be believed either.
                return last;
            };
            if !self.trusts(ip) {
                return ip;
            }
            last = ip;
        }
        last
    }
}

fn within(ip: IpAddr, net: IpAddr, bits: u8) -> bool {
    match (ip, net) {
        (IpAddr::V4(ip), IpAddr::V4(net)) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(bits)).unwrap_or(0);
            u32::from(ip) & mask == u32::from(net) & mask
        }
        (IpAddr::V6(ip), IpAddr::V6(net)) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(bits)).unwrap_or(0);
            u128::from(ip) & mask == u128::from(net) & mask
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    #[test]
    fn p4_the_right_most_untrusted_forwarded_address_is_the_client() {
        let t = TrustedProxies::parse(&["127.0.0.1".into(), "10.0.0.0/8".into()]).expect("parse");
        let proxy = ip("127.0.0.1");
        // The client wrote the left-most entry itself; our proxies added the rest.
        assert_eq!(
            t.client(proxy, Some("198.51.100.9, 203.0.113.7, 10.1.2.3")),
            ip("203.0.113.7")
        );
        assert_eq!(t.client(proxy, Some("203.0.113.7")), ip("203.0.113.7"));
        // An untrusted peer's header is ignored.
        assert_eq!(
            t.client(ip("192.0.2.5"), Some("203.0.113.7")),
            ip("192.0.2.5")
        );
        // Garbage stops the walk at the last believable hop.
        assert_eq!(t.client(proxy, Some("evil, 10.1.2.3")), ip("10.1.2.3"));
        assert_eq!(t.client(proxy, None), proxy);
        // Nobody trusted: always the peer.
        assert_eq!(
            TrustedProxies::default().client(proxy, Some("203.0.113.7")),
            proxy
        );
    }

    #[test]
    fn ranges_and_bad_entries() {
        let t = TrustedProxies::parse(&["::1".into(), "172.16.0.0/12".into()]).expect("parse");
        assert!(t.trusts(ip("172.31.255.1")) && !t.trusts(ip("172.32.0.1")));
        assert!(t.trusts(ip("::1")) && !t.trusts(ip("127.0.0.1")));
        assert!(TrustedProxies::parse(&["10.0.0.0/33".into()]).is_err());
        assert!(TrustedProxies::parse(&["proxy.local".into()]).is_err());
        let all = TrustedProxies::parse(&["0.0.0.0/0".into()]).expect("parse");
        assert!(all.trusts(ip("8.8.8.8")));
    }
}
