//! Public Suffix List look-ups. The list is compiled into the `psl` crate, so
//! nothing is fetched at run time (msticpy's tldextract would download it).

use std::borrow::Cow;

use crate::network::parse_ip_address;

/// A host name ready for look-up: lower case, without a trailing dot. `None`
/// for an IP address, an empty label or characters no host name has.
fn normalise(host: &str) -> Option<Cow<'_, str>> {
    let host = host.strip_suffix('.').unwrap_or(host);
    let plausible = !host.is_empty()
        && host.split('.').all(|label| !label.is_empty())
        && !host
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || "/\\:@?#[]%\"'<>".contains(c));
    if !plausible || parse_ip_address(host).is_some() {
        return None;
    }
    Some(if host.chars().any(char::is_uppercase) {
        Cow::Owned(host.to_lowercase())
    } else {
        Cow::Borrowed(host)
    })
}

/// The part of `host` the suffix/domain covers, in the normalised form.
fn tail(host: &str, len: usize) -> String {
    host[host.len() - len..].to_string()
}

/// The public suffix (eTLD) of `host`, when it is in the list.
pub(crate) fn public_suffix(host: &str) -> Option<String> {
    let host = normalise(host)?;
    let suffix = psl::suffix(host.as_bytes())?;
    suffix
        .is_known()
        .then(|| tail(&host, suffix.as_bytes().len()))
}

/// The registrable domain (eTLD+1) of `host`, when its suffix is in the list
/// and `host` is more than the suffix.
pub(crate) fn registrable_domain(host: &str) -> Option<String> {
    let host = normalise(host)?;
    let domain = psl::domain(host.as_bytes())?;
    domain
        .suffix()
        .is_known()
        .then(|| tail(&host, domain.as_bytes().len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suffixes() {
        assert_eq!(public_suffix("www.bbc.co.uk").as_deref(), Some("co.uk"));
        assert_eq!(public_suffix("WWW.Example.COM.").as_deref(), Some("com"));
        assert_eq!(public_suffix("com").as_deref(), Some("com"));
        assert_eq!(
            public_suffix("alice.github.io").as_deref(),
            Some("github.io")
        );
        assert_eq!(public_suffix("server.local"), None);
        assert_eq!(public_suffix("payload.notarealtld"), None);
        assert_eq!(public_suffix("10.0.0.1"), None);
        assert_eq!(public_suffix("a..com"), None);
        assert_eq!(public_suffix(""), None);
        assert_eq!(public_suffix("http://x.com/"), None);
    }

    #[test]
    fn registrable_domains() {
        assert_eq!(
            registrable_domain("www.bbc.co.uk").as_deref(),
            Some("bbc.co.uk")
        );
        assert_eq!(
            registrable_domain("a.b.c.Example.com").as_deref(),
            Some("example.com")
        );
        assert_eq!(
            registrable_domain("example.com.").as_deref(),
            Some("example.com")
        );
        assert_eq!(
            registrable_domain("alice.github.io").as_deref(),
            Some("alice.github.io")
        );
        assert_eq!(registrable_domain("co.uk"), None);
        assert_eq!(registrable_domain("com"), None);
        assert_eq!(registrable_domain("dc01.corp.local"), None);
        assert_eq!(registrable_domain("::1"), None);
    }
}
