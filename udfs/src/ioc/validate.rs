//! Judging one value on its own: behind `ioc_type` and `ioc_valid`.

use super::kinds::{valid_names, IocKind, KindSet};
use super::scan::{extract, is_public_domain};
use crate::text::refang::refang_text;

/// The type `ioc_valid` checks against: one IoC type, or msticpy's
/// `file_hash` (any of the three hash lengths).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ValidType {
    Kind(IocKind),
    FileHash,
}

impl ValidType {
    /// An IoC type name, `file_hash`, or `hostname` (msticpy's alias of
    /// `dns`); the error lists the valid names.
    pub(crate) fn parse(name: &str) -> Result<Self, String> {
        let trimmed = name.trim();
        if trimmed.eq_ignore_ascii_case("file_hash") {
            return Ok(ValidType::FileHash);
        }
        if trimmed.eq_ignore_ascii_case("hostname") {
            return Ok(ValidType::Kind(IocKind::Dns));
        }
        IocKind::parse(trimmed).map(ValidType::Kind).ok_or_else(|| {
            format!(
                "unknown IoC type '{trimmed}'; expected one of {}, file_hash or hostname",
                valid_names()
            )
        })
    }
}

/// Whether the whole of `value` (spaces around it ignored, defanged or not)
/// is an indicator of type `kind`.
///
/// Addresses, URLs, hashes and paths are judged as `extract_iocs` finds
/// them. A `dns` value is judged on its syntax and the Public Suffix List
/// only: a caller who says a value is a domain is believed about `report.zip`,
/// which `extract_iocs` and `ioc_type` would take for a file name.
pub(crate) fn is_valid(value: &str, kind: ValidType) -> bool {
    let value = value.trim();
    match kind {
        ValidType::Kind(IocKind::Dns) => {
            let name = refang_text(value);
            is_public_domain(name.strip_suffix('.').unwrap_or(&name))
        }
        ValidType::Kind(kind) => spans_whole(value, KindSet::only(kind)).contains(&kind),
        ValidType::FileHash => [IocKind::Md5, IocKind::Sha1, IocKind::Sha256]
            .into_iter()
            .any(|k| is_valid(value, ValidType::Kind(k))),
    }
}

/// The order in which `ioc_type` prefers a type when a value is several
/// (a URL is also a path; an e-mail address contains a domain).
const PRIORITY: [IocKind; 10] = [
    IocKind::Url,
    IocKind::Email,
    IocKind::Ipv4,
    IocKind::Ipv6,
    IocKind::Sha256,
    IocKind::Sha1,
    IocKind::Md5,
    IocKind::Dns,
    IocKind::WindowsPath,
    IocKind::LinuxPath,
];

/// The type of indicator the whole of `value` is, as `extract_iocs` would
/// report it if it stood alone in a text; `None` if it is none.
pub(crate) fn classify(value: &str) -> Option<IocKind> {
    let kinds = spans_whole(value.trim(), KindSet::ALL);
    PRIORITY.into_iter().find(|k| kinds.contains(k))
}

/// The kinds of the indicators found in `value` that cover all of it.
fn spans_whole(value: &str, kinds: KindSet) -> Vec<IocKind> {
    let len = value.chars().count();
    let mut whole = Vec::new();
    if len == 0 {
        return whole;
    }
    extract(value, kinds, |ioc| {
        if ioc.start == 0 && ioc.end == len {
            whole.push(ioc.kind);
        }
    });
    whole
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(name: &str) -> ValidType {
        ValidType::parse(name).unwrap()
    }

    #[test]
    fn classifies_whole_values() {
        let cases = [
            ("http://a.b.com/x", Some("url")),
            (" hxxps://evil[.]com ", Some("url")),
            ("user@example.com", Some("email")),
            ("1.2.3.4", Some("ipv4")),
            ("1.2.3[.]4", Some("ipv4")),
            ("fe80::1", Some("ipv6")),
            ("d41d8cd98f00b204e9800998ecf8427e", Some("md5_hash")),
            ("www.microsoft.com", Some("dns")),
            (r"C:\Windows\System32\cmd.exe", Some("windows_path")),
            ("/usr/bin/curl", Some("linux_path")),
            ("microsoft", None),
            ("999.1.1.1", None),
            ("report.zip", None),
            ("Microsoft.NET", None),
            ("1.2.3.4 5.6.7.8", None),
            ("", None),
        ];
        for (value, expected) in cases {
            assert_eq!(classify(value).map(IocKind::name), expected, "{value}");
        }
    }

    #[test]
    fn validates_against_a_type() {
        assert!(is_valid("www.microsoft.com", kind("dns")));
        assert!(is_valid("report.zip", kind("hostname")));
        assert!(!is_valid("foo.iandom", kind("dns")));
        assert!(is_valid("1.2.3.4", kind("ipv4")));
        assert!(!is_valid("999.1.1.1", kind("ipv4")));
        assert!(is_valid(
            "d41d8cd98f00b204e9800998ecf8427e",
            kind("file_hash")
        ));
        assert!(!is_valid(
            "d41d8cd98f00b204e9800998ecf8427e",
            kind("sha1_hash")
        ));
        assert!(is_valid("http://a.b.com/x", kind("url")));
        assert!(!is_valid("http://a.b.com/x y", kind("url")));
        assert!(!is_valid("microsoft", kind("hostname")));
        assert!(is_valid("user[at]evil[.]com", kind("email")));
    }

    #[test]
    fn unknown_type_lists_the_valid_ones() {
        let err = ValidType::parse("ip").unwrap_err();
        assert!(
            err.starts_with("unknown IoC type 'ip'; expected one of ipv4, ipv6"),
            "{err}"
        );
        assert!(err.ends_with("linux_path, file_hash or hostname"), "{err}");
    }
}
