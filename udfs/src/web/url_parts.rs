//! Splitting a URL into its RFC 3986 components without normalising them:
//! hunters need to see a URL as it was written (case, encoding, odd ports).

/// The components of a URL, borrowed from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct UrlParts<'a> {
    pub scheme: Option<&'a str>,
    /// The userinfo before `@`: `user` or `user:password`.
    pub user: Option<&'a str>,
    /// Without the brackets of an IPv6 literal.
    pub host: Option<&'a str>,
    /// `None` when absent, empty or not a number from 0 to 65535.
    pub port: Option<u16>,
    pub path: &'a str,
    pub query: Option<&'a str>,
    pub fragment: Option<&'a str>,
}

/// RFC 3986 `scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )`.
fn is_scheme(text: &str) -> bool {
    let mut chars = text.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

/// Splits `url` as RFC 3986 appendix B does (and Python's `urlsplit`).
/// `None` unless the text has a scheme (`http:`) or an authority (`//host`),
/// so plain words and paths are not taken for URLs.
pub(crate) fn split_url(url: &str) -> Option<UrlParts<'_>> {
    let mut parts = UrlParts::default();
    let mut rest = url;

    if let Some(colon) = url.find(':') {
        let candidate = &url[..colon];
        if is_scheme(candidate) {
            parts.scheme = Some(candidate);
            rest = &url[colon + 1..];
        }
    }

    if let Some((before, fragment)) = rest.split_once('#') {
        parts.fragment = Some(fragment);
        rest = before;
    }
    if let Some((before, query)) = rest.split_once('?') {
        parts.query = Some(query);
        rest = before;
    }

    if let Some(after_slashes) = rest.strip_prefix("//") {
        let end = after_slashes.find('/').unwrap_or(after_slashes.len());
        let authority = &after_slashes[..end];
        parts.path = &after_slashes[end..];
        // The last `@` ends the userinfo, as in browsers: in
        // `http://bank.com@evil.com/` the host is evil.com.
        let host_port = match authority.rsplit_once('@') {
            Some((user, host_port)) => {
                parts.user = Some(user);
                host_port
            }
            None => authority,
        };
        let (host, port) = split_host_port(host_port);
        parts.host = Some(host);
        parts.port = port.and_then(|p| {
            (!p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
                .then(|| p.parse().ok())
                .flatten()
        });
    } else if parts.scheme.is_none() {
        return None;
    } else {
        parts.path = rest;
    }
    Some(parts)
}

fn split_host_port(host_port: &str) -> (&str, Option<&str>) {
    if let Some(bracketed) = host_port.strip_prefix('[') {
        if let Some((host, after)) = bracketed.split_once(']') {
            return (host, after.strip_prefix(':'));
        }
    }
    match host_port.rsplit_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (host_port, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_url() {
        let parts =
            split_url("HTTPS://admin:pw@Evil.example.com:8443/a/b.php?x=1&y=2#frag").unwrap();
        assert_eq!(
            parts,
            UrlParts {
                scheme: Some("HTTPS"),
                user: Some("admin:pw"),
                host: Some("Evil.example.com"),
                port: Some(8443),
                path: "/a/b.php",
                query: Some("x=1&y=2"),
                fragment: Some("frag"),
            }
        );
    }

    #[test]
    fn minimal_and_odd_urls() {
        let p = split_url("http://example.com").unwrap();
        assert_eq!(
            (p.host, p.path, p.query, p.port),
            (Some("example.com"), "", None, None)
        );
        let p = split_url("http://[2001:db8::1]:80/x").unwrap();
        assert_eq!(
            (p.host, p.port, p.path),
            (Some("2001:db8::1"), Some(80), "/x")
        );
        let p = split_url("http://bank.com@evil.com/login").unwrap();
        assert_eq!((p.user, p.host), (Some("bank.com"), Some("evil.com")));
        let p = split_url("http://host:99999/").unwrap();
        assert_eq!((p.host, p.port), (Some("host"), None));
        let p = split_url("http://host:/").unwrap();
        assert_eq!((p.host, p.port), (Some("host"), None));
        let p = split_url("//cdn.example.com/lib.js").unwrap();
        assert_eq!(
            (p.scheme, p.host, p.path),
            (None, Some("cdn.example.com"), "/lib.js")
        );
        let p = split_url("mailto:someone@example.com").unwrap();
        assert_eq!(
            (p.scheme, p.host, p.path),
            (Some("mailto"), None, "someone@example.com")
        );
        let p = split_url("http://example.com/?").unwrap();
        assert_eq!((p.path, p.query, p.fragment), ("/", Some(""), None));
        let p = split_url("file:///C:/Windows/x.exe").unwrap();
        assert_eq!((p.host, p.path), (Some(""), "/C:/Windows/x.exe"));
    }

    #[test]
    fn not_urls() {
        assert_eq!(split_url("example.com/path"), None);
        assert_eq!(split_url("just words"), None);
        assert_eq!(split_url(""), None);
        assert_eq!(split_url("1http://x"), None);
    }
}
