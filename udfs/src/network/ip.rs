//! IP address parsing and classification with the semantics of Python's
//! `ipaddress` module (CPython 3.13, which follows the IANA special-purpose
//! registries), since msticpy's `get_ip_type` is built on it.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Parses an address as Python's `ipaddress.ip_address` does: dotted decimal
/// without leading zeros for IPv4, any RFC 4291 form for IPv6, where an IPv6
/// zone (`fe80::1%eth0`) is accepted and ignored. `None` when malformed.
pub(crate) fn parse_ip(text: &str) -> Option<IpAddr> {
    if let Ok(v4) = text.parse::<Ipv4Addr>() {
        return Some(IpAddr::V4(v4));
    }
    let address = match text.rsplit_once('%') {
        Some((address, zone)) if !zone.is_empty() => address,
        Some(_) => return None,
        None => text,
    };
    address.parse::<Ipv6Addr>().ok().map(IpAddr::V6)
}

/// A network in CIDR notation (`10.0.0.0/8`, `2001:db8::/32`); a bare
/// address is a single-address network. Host bits may be set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl Cidr {
    pub(crate) fn parse(text: &str) -> Option<Self> {
        let (address, prefix) = match text.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (text, None),
        };
        let network = parse_ip(address)?;
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => p.parse().ok()?,
            Some(_) => return None,
            None => max,
        };
        (prefix <= max).then_some(Self { network, prefix })
    }

    /// Whether `ip` is in this network; an address of the other family never is.
    pub(crate) fn contains(&self, ip: IpAddr) -> bool {
        match (self.network, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                in_prefix(u32::from(net).into(), u32::from(ip).into(), self.prefix, 32)
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                in_prefix(u128::from(net), u128::from(ip), self.prefix, 128)
            }
            _ => false,
        }
    }
}

fn in_prefix(network: u128, ip: u128, prefix: u8, bits: u8) -> bool {
    let host_bits = u32::from(bits - prefix);
    network.checked_shr(host_bits).unwrap_or(0) == ip.checked_shr(host_bits).unwrap_or(0)
}

fn v4_in(ip: Ipv4Addr, network: [u8; 4], prefix: u8) -> bool {
    in_prefix(
        u32::from(Ipv4Addr::from(network)).into(),
        u32::from(ip).into(),
        prefix,
        32,
    )
}

fn v6_in(ip: Ipv6Addr, network: [u16; 8], prefix: u8) -> bool {
    in_prefix(
        u128::from(Ipv6Addr::from(network)),
        u128::from(ip),
        prefix,
        128,
    )
}

/// Python `IPv4Address.is_private`: not globally reachable per IANA.
fn v4_is_private(ip: Ipv4Addr) -> bool {
    const NOT_GLOBAL: [([u8; 4], u8); 14] = [
        ([0, 0, 0, 0], 8),
        ([10, 0, 0, 0], 8),
        ([127, 0, 0, 0], 8),
        ([169, 254, 0, 0], 16),
        ([172, 16, 0, 0], 12),
        ([192, 0, 0, 0], 24),
        ([192, 0, 0, 170], 31),
        ([192, 0, 2, 0], 24),
        ([192, 168, 0, 0], 16),
        ([198, 18, 0, 0], 15),
        ([198, 51, 100, 0], 24),
        ([203, 0, 113, 0], 24),
        ([240, 0, 0, 0], 4),
        ([255, 255, 255, 255], 32),
    ];
    const GLOBAL_EXCEPTIONS: [([u8; 4], u8); 2] = [([192, 0, 0, 9], 32), ([192, 0, 0, 10], 32)];
    NOT_GLOBAL.iter().any(|&(n, p)| v4_in(ip, n, p))
        && !GLOBAL_EXCEPTIONS.iter().any(|&(n, p)| v4_in(ip, n, p))
}

/// Python `IPv6Address.is_private` (for addresses that are not IPv4-mapped).
fn v6_is_private(ip: Ipv6Addr) -> bool {
    const NOT_GLOBAL: [([u16; 8], u8); 10] = [
        ([0, 0, 0, 0, 0, 0, 0, 1], 128),
        ([0, 0, 0, 0, 0, 0, 0, 0], 128),
        ([0, 0, 0, 0, 0, 0xffff, 0, 0], 96),
        ([0x64, 0xff9b, 1, 0, 0, 0, 0, 0], 48),
        ([0x100, 0, 0, 0, 0, 0, 0, 0], 64),
        ([0x2001, 0, 0, 0, 0, 0, 0, 0], 23),
        ([0x2001, 0xdb8, 0, 0, 0, 0, 0, 0], 32),
        ([0x2002, 0, 0, 0, 0, 0, 0, 0], 16),
        ([0xfc00, 0, 0, 0, 0, 0, 0, 0], 7),
        ([0xfe80, 0, 0, 0, 0, 0, 0, 0], 10),
    ];
    const GLOBAL_EXCEPTIONS: [([u16; 8], u8); 6] = [
        ([0x2001, 1, 0, 0, 0, 0, 0, 1], 128),
        ([0x2001, 1, 0, 0, 0, 0, 0, 2], 128),
        ([0x2001, 3, 0, 0, 0, 0, 0, 0], 32),
        ([0x2001, 4, 0x112, 0, 0, 0, 0, 0], 48),
        ([0x2001, 0x20, 0, 0, 0, 0, 0, 0], 28),
        ([0x2001, 0x30, 0, 0, 0, 0, 0, 0], 28),
    ];
    NOT_GLOBAL.iter().any(|&(n, p)| v6_in(ip, n, p))
        && !GLOBAL_EXCEPTIONS.iter().any(|&(n, p)| v6_in(ip, n, p))
}

/// Python's `ipaddress` predicates for one address.
struct Properties {
    multicast: bool,
    global: bool,
    loopback: bool,
    link_local: bool,
    unspecified: bool,
    private: bool,
    reserved: bool,
}

fn properties(ip: IpAddr) -> Properties {
    match ip {
        IpAddr::V4(v4) => {
            let private = v4_is_private(v4);
            Properties {
                multicast: v4_in(v4, [224, 0, 0, 0], 4),
                // 100.64.0.0/10 (carrier-grade NAT) is neither global nor private
                global: !v4_in(v4, [100, 64, 0, 0], 10) && !private,
                loopback: v4_in(v4, [127, 0, 0, 0], 8),
                link_local: v4_in(v4, [169, 254, 0, 0], 16),
                unspecified: v4.is_unspecified(),
                private,
                reserved: v4_in(v4, [240, 0, 0, 0], 4),
            }
        }
        // An IPv4-mapped address (::ffff:a.b.c.d) is classified as its IPv4
        // address, as Python does for is_private, is_global and is_loopback.
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => properties(IpAddr::V4(v4)),
            None => {
                const RESERVED: [([u16; 8], u8); 15] = [
                    ([0, 0, 0, 0, 0, 0, 0, 0], 8),
                    ([0x100, 0, 0, 0, 0, 0, 0, 0], 8),
                    ([0x200, 0, 0, 0, 0, 0, 0, 0], 7),
                    ([0x400, 0, 0, 0, 0, 0, 0, 0], 6),
                    ([0x800, 0, 0, 0, 0, 0, 0, 0], 5),
                    ([0x1000, 0, 0, 0, 0, 0, 0, 0], 4),
                    ([0x4000, 0, 0, 0, 0, 0, 0, 0], 3),
                    ([0x6000, 0, 0, 0, 0, 0, 0, 0], 3),
                    ([0x8000, 0, 0, 0, 0, 0, 0, 0], 3),
                    ([0xa000, 0, 0, 0, 0, 0, 0, 0], 3),
                    ([0xc000, 0, 0, 0, 0, 0, 0, 0], 3),
                    ([0xe000, 0, 0, 0, 0, 0, 0, 0], 4),
                    ([0xf000, 0, 0, 0, 0, 0, 0, 0], 5),
                    ([0xf800, 0, 0, 0, 0, 0, 0, 0], 6),
                    ([0xfe00, 0, 0, 0, 0, 0, 0, 0], 9),
                ];
                let private = v6_is_private(v6);
                Properties {
                    multicast: v6_in(v6, [0xff00, 0, 0, 0, 0, 0, 0, 0], 8),
                    global: !private,
                    loopback: v6.is_loopback(),
                    link_local: v6_in(v6, [0xfe80, 0, 0, 0, 0, 0, 0, 0], 10),
                    unspecified: v6.is_unspecified(),
                    private,
                    reserved: RESERVED.iter().any(|&(n, p)| v6_in(v6, n, p)),
                }
            }
        },
    }
}

/// Python `ipaddress` `is_private`: the address is not globally reachable.
pub(crate) fn is_private(ip: IpAddr) -> bool {
    properties(ip).private
}

/// msticpy `get_ip_type`: the first of these tests that holds, in msticpy's
/// order. Because `is_global` comes second and is the complement of
/// `is_private` (except for 100.64.0.0/10), `Reserved` is never reached and
/// 100.64.0.0/10 falls through to `Unspecified`.
pub(crate) fn ip_type(ip: IpAddr) -> &'static str {
    let p = properties(ip);
    let tests = [
        (p.multicast, "Multicast"),
        (p.global, "Public"),
        (p.loopback, "Loopback"),
        (p.link_local, "Link Local"),
        (p.unspecified, "Unspecified"),
        (p.private, "Private"),
        (p.reserved, "Reserved"),
    ];
    tests
        .iter()
        .find(|(holds, _)| *holds)
        .map_or("Unspecified", |(_, name)| name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        parse_ip(text).unwrap_or_else(|| panic!("{text} should parse"))
    }

    #[test]
    fn parses_like_python_ipaddress() {
        assert_eq!(ip("10.0.0.1"), IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)));
        assert_eq!(ip("fe80::1%eth0"), ip("fe80::1"));
        assert_eq!(ip("::ffff:1.2.3.4"), ip("::ffff:102:304"));
        for bad in [
            "01.2.3.4",
            "1.2.3",
            "1.2.3.4.5",
            "256.1.1.1",
            " 1.2.3.4",
            "",
            "fe80::1%",
            "x",
        ] {
            assert_eq!(parse_ip(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn ip_type_follows_msticpy_order() {
        // Expected values here are Python 3.13 `ipaddress` semantics, worked out
        // from the IANA registries (msticpy's own cases are in the parity test).
        let cases = [
            ("8.8.8.8", "Public"),
            ("100.64.0.1", "Unspecified"),
            ("240.0.0.1", "Private"),
            ("255.255.255.255", "Private"),
            ("192.0.0.9", "Public"),
            ("172.31.255.255", "Private"),
            ("172.32.0.0", "Public"),
            ("224.0.0.1", "Multicast"),
            ("127.0.0.1", "Loopback"),
            ("169.254.1.1", "Link Local"),
            ("0.0.0.0", "Unspecified"),
            ("0.1.2.3", "Private"),
            ("::ffff:10.0.0.1", "Private"),
            ("::ffff:8.8.8.8", "Public"),
            ("2001:4860:4860::8888", "Public"),
            ("2001:db8::1", "Private"),
            ("2001:3::1", "Public"),
            ("fe80::1", "Link Local"),
            ("ff02::1", "Multicast"),
            ("::1", "Loopback"),
            ("::", "Unspecified"),
            ("fd00::1", "Private"),
            ("::2", "Public"),
        ];
        for (address, expected) in cases {
            assert_eq!(ip_type(ip(address)), expected, "{address}");
        }
    }

    #[test]
    fn cidr_membership() {
        let net = Cidr::parse("10.0.0.0/8").unwrap();
        assert!(net.contains(ip("10.255.0.1")));
        assert!(!net.contains(ip("11.0.0.1")));
        assert!(!net.contains(ip("::ffff:10.0.0.1")));
        assert!(Cidr::parse("0.0.0.0/0").unwrap().contains(ip("1.2.3.4")));
        assert!(Cidr::parse("10.1.2.3/8").unwrap().contains(ip("10.9.9.9")));
        assert!(Cidr::parse("1.2.3.4").unwrap().contains(ip("1.2.3.4")));
        assert!(!Cidr::parse("1.2.3.4").unwrap().contains(ip("1.2.3.5")));
        let v6 = Cidr::parse("2001:db8::/32").unwrap();
        assert!(v6.contains(ip("2001:db8:ffff::1")));
        assert!(!v6.contains(ip("2001:db9::1")));
        assert!(Cidr::parse("::/0").unwrap().contains(ip("ff02::1")));
        for bad in [
            "10.0.0.0/33",
            "10.0.0.0/",
            "10.0.0.0/-1",
            "10.0.0/8",
            "::/129",
            "x/8",
        ] {
            assert_eq!(Cidr::parse(bad), None, "{bad}");
        }
    }
}
