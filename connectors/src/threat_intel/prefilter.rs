//! What is never sent to a provider, as msticpy's `preprocess_observable`
//! decides it: non-global IP addresses, unqualified domain names, `file://`
//! URLs and URLs to private hosts, and "hashes" whose Shannon entropy is
//! below 3.0 bits (`00000000…`, `aaaa…`), which are placeholders, not files.
//! The reasons are msticpy's texts, reported as `skipped: <reason>`.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// `Ok(observable)` when it may be looked up, else `Err(reason)`.
pub fn prefilter(ioc_type: &str, observable: &str) -> Result<String, String> {
    match ioc_type {
        "ipv4" | "ipv6" => ip(observable),
        "dns" => domain(observable),
        "url" => url(observable),
        "md5_hash" | "sha1_hash" | "sha256_hash" => hash(observable),
        _ => Ok(observable.to_string()),
    }
}

fn ip(value: &str) -> Result<String, String> {
    let addr: IpAddr = value
        .parse()
        .map_err(|_| "IP address is invalid format".to_string())?;
    if is_global(addr) {
        Ok(addr.to_string())
    } else {
        Err("IP address is not global".into())
    }
}

fn domain(value: &str) -> Result<String, String> {
    let name = value.trim_end_matches('.').to_ascii_lowercase();
    if !name.contains('.') {
        return Err("Domain is unqualified domain name".into());
    }
    if name.parse::<IpAddr>().is_ok() {
        return Err("Domain is an IP address".into());
    }
    Ok(name)
}

fn url(value: &str) -> Result<String, String> {
    let parsed = url::Url::parse(value)
        .map_err(|_| format!("Could not obtain scheme or host from {value}"))?;
    if parsed.scheme().eq_ignore_ascii_case("file") {
        return Err("file URL scheme is not supported".into());
    }
    let host = match parsed.host() {
        Some(url::Host::Domain(d)) => {
            if !d.contains('.') {
                return Err("Host is unqualified domain name".into());
            }
            return Ok(value.to_string());
        }
        Some(url::Host::Ipv4(a)) => IpAddr::V4(a),
        Some(url::Host::Ipv6(a)) => IpAddr::V6(a),
        None => return Err(format!("Could not obtain scheme or host from {value}")),
    };
    if host.is_loopback() {
        Err("Host part of URL is a loopback IP address".into())
    } else if !is_global(host) {
        Err("Host part of URL is a private IP address".into())
    } else {
        Ok(value.to_string())
    }
}

fn hash(value: &str) -> Result<String, String> {
    if shannon_entropy(value) < 3.0 {
        Err("String has too low an entropy to be a hash".into())
    } else {
        Ok(value.to_ascii_lowercase())
    }
}

/// Bits per character of `text`'s character distribution.
pub fn shannon_entropy(text: &str) -> f64 {
    let mut counts = std::collections::HashMap::<char, usize>::new();
    let mut total = 0usize;
    for c in text.chars() {
        *counts.entry(c).or_default() += 1;
        total += 1;
    }
    if total == 0 {
        return 0.0;
    }
    counts
        .values()
        .map(|&n| {
            let p = n as f64 / total as f64;
            -p * p.log2()
        })
        .sum()
}

/// Whether an address is routable on the Internet: not private, loopback,
/// link-local, shared (CGNAT), documentation, benchmarking, reserved,
/// multicast or unspecified (IANA's special-purpose registries, which
/// Python's `is_global` follows; std's `is_global` is unstable).
pub fn is_global(addr: IpAddr) -> bool {
    match addr {
        IpAddr::V4(a) => is_global_v4(a),
        IpAddr::V6(a) => match a.to_ipv4_mapped() {
            Some(v4) => is_global_v4(v4),
            None => is_global_v6(a),
        },
    }
}

fn is_global_v4(a: Ipv4Addr) -> bool {
    let [b0, b1, b2, _] = a.octets();
    !(b0 == 0
        || a.is_private()
        || a.is_loopback()
        || a.is_link_local()
        || a.is_multicast()
        || a.is_broadcast()
        || a.is_documentation()
        || (b0 == 100 && (b1 & 0xc0) == 64) // 100.64.0.0/10 shared
        || (b0 == 192 && b1 == 0 && b2 == 0) // 192.0.0.0/24 IETF
        || (b0 == 198 && (b1 & 0xfe) == 18) // 198.18.0.0/15 benchmarking
        || b0 >= 240) // reserved
}

fn is_global_v6(a: Ipv6Addr) -> bool {
    let s = a.segments();
    !(a.is_unspecified()
        || a.is_loopback()
        || a.is_multicast()
        || (s[0] & 0xfe00) == 0xfc00 // unique local
        || (s[0] & 0xffc0) == 0xfe80 // link-local
        || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
        || (s[0] == 0x0100 && s[1] == 0 && s[2] == 0 && s[3] == 0)) // discard
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_global_addresses_are_skipped() {
        for ip in [
            "10.1.2.3",
            "192.168.0.1",
            "172.16.5.4",
            "127.0.0.1",
            "169.254.1.1",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.251",
            "::1",
            "fe80::1",
            "fd00::1",
            "2001:db8::1",
            "::ffff:10.0.0.1",
        ] {
            let kind = if ip.contains(':') { "ipv6" } else { "ipv4" };
            assert_eq!(
                prefilter(kind, ip),
                Err("IP address is not global".to_string()),
                "{ip}"
            );
        }
        assert_eq!(prefilter("ipv4", "8.8.8.8"), Ok("8.8.8.8".into()));
        assert_eq!(
            prefilter("ipv6", "2606:4700::1111"),
            Ok("2606:4700::1111".into())
        );
    }

    #[test]
    fn domains_urls_and_hashes_follow_msticpy() {
        assert!(prefilter("dns", "localhost").is_err());
        assert_eq!(prefilter("dns", "Evil.COM."), Ok("evil.com".into()));
        assert!(prefilter("url", "file:///etc/passwd")
            .unwrap_err()
            .contains("file URL"));
        assert!(prefilter("url", "http://intranet/x").is_err());
        assert!(prefilter("url", "http://10.0.0.1/x")
            .unwrap_err()
            .contains("private"));
        assert!(prefilter("url", "http://127.0.0.1/x")
            .unwrap_err()
            .contains("loopback"));
        assert!(prefilter("url", "https://evil.com/a?b=1").is_ok());
        assert_eq!(
            prefilter("md5_hash", "00000000000000000000000000000000"),
            Err("String has too low an entropy to be a hash".into())
        );
        assert!(prefilter("md5_hash", "D41D8CD98F00B204E9800998ECF8427E").is_ok());
        assert!((shannon_entropy("abcd") - 2.0).abs() < 1e-9);
    }
}
