//! Base64 text to bytes, and bytes to text.

use std::borrow::Cow;
#[cfg(test)]
use std::sync::LazyLock;

use ::base64::alphabet;
use ::base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use ::base64::engine::DecodePaddingMode;
use ::base64::Engine;
#[cfg(test)]
use regex::Regex;

/// A base64 fragment as msticpy finds one: 30 or more characters of the
/// alphabet or line breaks, then up to two `=`. The same pattern, so the
/// same fragments, as msticpy's `_BASE64_REGEX`; [`fragments`] finds its
/// matches without the regex, and this is its test oracle.
#[cfg(test)]
pub(crate) static FRAGMENT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[A-Za-z0-9+/\n\r]{30,}={0,2}").expect("valid base64 fragment pattern")
});

/// The bytes of [`FRAGMENT`]'s class: the base64 alphabet and line breaks.
static CLASS: [bool; 256] = {
    let mut class = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        class[b] = c.is_ascii_alphanumeric() || matches!(c, b'+' | b'/' | b'\n' | b'\r');
        b += 1;
    }
    class
};

/// The shortest run of [`CLASS`] bytes that is a fragment.
const MIN_RUN: usize = 30;

/// The fragments of `text` as byte ranges, exactly the matches of
/// `FRAGMENT.find_iter(text)`: every maximal run of at least 30 class bytes
/// followed by at most two `=`. One table lookup per byte instead of the
/// regex's forward and reverse DFA passes: most of `b64_unpack`'s time went
/// to the regex on the long payloads (the oracle test below keeps the two
/// equal).
pub(crate) fn fragments(text: &str) -> Fragments<'_> {
    Fragments {
        bytes: text.as_bytes(),
        at: 0,
    }
}

pub(crate) struct Fragments<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Iterator for Fragments<'_> {
    type Item = std::ops::Range<usize>;

    fn next(&mut self) -> Option<Self::Item> {
        let bytes = self.bytes;
        let class = |i: usize| CLASS[usize::from(bytes[i])];
        // `start` is where a run may begin (the text's start, a match's end
        // or just after a byte outside the class); `bytes[start..known]` are
        // known to be in the class. Each step looks at the window of 30
        // bytes from `start`, from its end backwards: a byte outside the
        // class there moves `start` past it, so most bytes of ordinary text
        // are never read, and none is read twice.
        let mut start = self.at;
        let mut known = start;
        loop {
            let window_end = start + MIN_RUN;
            if window_end > bytes.len() {
                self.at = bytes.len();
                return None;
            }
            match (known..window_end).rev().find(|&k| !class(k)) {
                Some(outside) => {
                    start = outside + 1;
                    known = window_end;
                }
                None => break,
            }
        }
        let mut end = start + MIN_RUN;
        while end < bytes.len() && class(end) {
            end += 1;
        }
        let run_end = end;
        while end < bytes.len() && end - run_end < 2 && bytes[end] == b'=' {
            end += 1;
        }
        self.at = end;
        Some(start..end)
    }
}

/// Whether `text` holds a fragment (a run of 30 class bytes).
pub(crate) fn may_hold_fragment(text: &str) -> bool {
    fragments(text).next().is_some()
}

/// Padding stripped before decoding, and trailing bits ignored, as Python's
/// (non-validating) `base64.b64decode` does.
const STANDARD: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_allow_trailing_bits(true)
        .with_decode_padding_mode(DecodePaddingMode::RequireNone),
);

const URL_SAFE: GeneralPurpose = GeneralPurpose::new(
    &alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_decode_allow_trailing_bits(true)
        .with_decode_padding_mode(DecodePaddingMode::RequireNone),
);

/// Decodes a [`FRAGMENT`] exactly when Python's `base64.b64decode` would:
/// line breaks ignored; with `n` data characters, `n % 4 == 1` never
/// decodes, `n % 4 == 2` needs `==` and `n % 4 == 3` needs `=`. `None` when
/// it does not decode (the fragment is then left as it is) or is empty.
pub(crate) fn decode_fragment(fragment: &str) -> Option<Vec<u8>> {
    let body = fragment.trim_end_matches('=');
    let padding = fragment.len() - body.len();
    // memchr: `str::contains` with a char set reads one char at a time.
    let data: Cow<'_, str> = if memchr::memchr2(b'\n', b'\r', body.as_bytes()).is_some() {
        Cow::Owned(body.replace(['\n', '\r'], ""))
    } else {
        Cow::Borrowed(body)
    };
    let complete = match data.len() % 4 {
        0 => true,
        2 => padding >= 2,
        3 => padding >= 1,
        _ => false,
    };
    if !complete || data.is_empty() {
        return None;
    }
    STANDARD.decode(data.as_bytes()).ok()
}

/// Decodes one whole value leniently, for `b64_decode`: white space
/// anywhere, the standard or the URL-safe alphabet, padding optional.
pub(crate) fn decode_lenient(text: &str) -> Option<Vec<u8>> {
    let data: String = text
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>();
    let data = data.trim_end_matches('=');
    if data.is_empty() || data.len() % 4 == 1 {
        return None;
    }
    let engine = if data.contains(['-', '_']) {
        &URL_SAFE
    } else {
        &STANDARD
    };
    engine.decode(data.as_bytes()).ok()
}

/// How decoded bytes read as text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Encoding {
    Utf8,
    Utf16,
    Binary,
}

impl Encoding {
    /// msticpy's names: `utf-8`, `utf-16`, `binary`.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Encoding::Utf8 => "utf-8",
            Encoding::Utf16 => "utf-16",
            Encoding::Binary => "binary",
        }
    }
}

/// Whether decoded text reads as text rather than as binary that happens
/// to decode: at least 90% of its characters are printable or white space.
fn is_readable(text: &str) -> bool {
    if text.is_ascii() {
        // Byte by byte: the same count without decoding characters.
        let control = text
            .bytes()
            .filter(|&b| (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r')) || b == 0x7F)
            .count();
        return !text.is_empty() && (text.len() - control) * 10 >= text.len() * 9;
    }
    let (mut total, mut readable) = (0usize, 0usize);
    for c in text.chars() {
        total += 1;
        let control = c.is_control() && !matches!(c, '\t' | '\n' | '\r');
        let odd = matches!(c, '\u{FFFD}' | '\u{E000}'..='\u{F8FF}' | '\u{FFF0}'..='\u{FFFF}');
        if !control && !odd {
            readable += 1;
        }
    }
    total > 0 && readable * 10 >= total * 9
}

/// UTF-16 when the bytes carry a byte-order mark, or are little-endian
/// UTF-16 of mostly ASCII text (PowerShell's `-EncodedCommand`: every other
/// byte zero), and read as text; otherwise valid UTF-8 (as msticpy, which
/// without `utf16=True` shows PowerShell payloads NUL-riddled); otherwise
/// binary.
pub(crate) fn as_text(bytes: &[u8]) -> (Encoding, Option<Cow<'_, str>>) {
    if let Some(text) = utf16(bytes) {
        return (Encoding::Utf16, Some(Cow::Owned(text)));
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => (Encoding::Utf8, Some(Cow::Borrowed(text))),
        Err(_) => (Encoding::Binary, None),
    }
}

fn utf16(bytes: &[u8]) -> Option<String> {
    let (body, big_endian) = match bytes {
        [0xFF, 0xFE, rest @ ..] => (rest, false),
        [0xFE, 0xFF, rest @ ..] => (rest, true),
        _ => {
            let pairs = bytes.len() / 2;
            let zero_high = bytes.iter().skip(1).step_by(2).filter(|&&b| b == 0).count();
            // Mostly ASCII in little-endian UTF-16: most high bytes zero.
            if pairs < 2 || zero_high * 4 < pairs * 3 {
                return None;
            }
            (bytes, false)
        }
    };
    // PowerShell payloads are ASCII in UTF-16LE: the low bytes are the text
    // (the general decoder below costs a char push per unit).
    if !big_endian
        && body
            .chunks_exact(2)
            .all(|pair| pair[1] == 0 && pair[0] < 0x80)
    {
        let ascii: Vec<u8> = body.chunks_exact(2).map(|pair| pair[0]).collect();
        let text = String::from_utf8(ascii).ok()?;
        return (text.is_empty() || is_readable(&text)).then_some(text);
    }
    // An odd trailing byte is padding some encoders leave.
    let units = body.chunks_exact(2).map(|pair| {
        if big_endian {
            u16::from_be_bytes([pair[0], pair[1]])
        } else {
            u16::from_le_bytes([pair[0], pair[1]])
        }
    });
    let text: String = char::decode_utf16(units).collect::<Result<_, _>>().ok()?;
    (text.is_empty() || is_readable(&text)).then_some(text)
}

/// Bytes as msticpy prints them: two hex digits each, space-separated.
pub(crate) fn printable_bytes(bytes: &[u8]) -> String {
    let mut out = vec![b' '; bytes.len() * 3];
    for (cell, &b) in out.chunks_exact_mut(3).zip(bytes) {
        cell[..2].copy_from_slice(&HEX_PAIRS[usize::from(b)]);
    }
    out.pop();
    // Hex digits and spaces: always ASCII.
    String::from_utf8(out).unwrap_or_default()
}

/// Bytes as lower-case hex digits (the hashes).
pub(crate) fn hex(bytes: &[u8]) -> String {
    let mut out = Vec::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.extend_from_slice(&HEX_PAIRS[usize::from(b)]);
    }
    String::from_utf8(out).unwrap_or_default()
}

/// Each byte's two hex digits: one lookup per byte (`printable_bytes` runs
/// over every decoded byte of `b64_items`).
static HEX_PAIRS: [[u8; 2]; 256] = {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut pairs = [[0; 2]; 256];
    let mut b = 0;
    while b < 256 {
        pairs[b] = [DIGITS[b >> 4], DIGITS[b & 15]];
        b += 1;
    }
    pairs
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_padding_rules() {
        // (input, Python's b64decode result)
        let cases: [(&str, Option<&[u8]>); 12] = [
            ("abcd", Some(b"i\xb7\x1d")),
            ("abcd==", Some(b"i\xb7\x1d")),
            ("abc=", Some(b"i\xb7")),
            ("abc", None),
            ("ab==", Some(b"i")),
            ("ab=", None),
            ("abcde", None),
            ("abcde==", None),
            ("abcdef==", Some(b"i\xb7\x1dy")),
            ("abcdefg==", Some(b"i\xb7\x1dy\xf8")),
            ("ab\ncd", Some(b"i\xb7\x1d")),
            ("\r\n", None),
        ];
        for (input, expected) in cases {
            assert_eq!(decode_fragment(input).as_deref(), expected, "{input:?}");
        }
    }

    #[test]
    fn the_prefilter_sees_every_fragment() {
        for text in [
            "x abcdefghijklmnopqrstuvwxyzABCD== z",
            "abcdefghijklmnop\r\nqrstuvwxyzABCD",
            "+/+/+/+/+/+/+/+/+/+/+/+/+/+/+/",
        ] {
            assert!(may_hold_fragment(text), "{text}");
            assert!(FRAGMENT.is_match(text), "{text}");
        }
        for text in [
            "",
            "abcdefghijklmnopqrstuvwxyzABC",
            r"C:\Windows\System32\WindowsPowerShell\v1.0",
        ] {
            assert!(!may_hold_fragment(text), "{text}");
            assert!(!FRAGMENT.is_match(text), "{text}");
        }
    }

    #[test]
    fn fragments_are_msticpys() {
        let text = "x abcdefghijklmnopqrstuvwxyzABC y abcdefghijklmnopqrstuvwxyzABCD== z";
        let found: Vec<&str> = fragments(text).map(|r| &text[r]).collect();
        assert_eq!(found, vec!["abcdefghijklmnopqrstuvwxyzABCD=="]);
    }

    /// The byte scanner finds exactly the regex's matches, on generated
    /// texts dense in edge cases: runs around 30 bytes, `=` runs, line
    /// breaks, multi-byte characters, fragments back to back.
    #[test]
    fn scanner_matches_the_regex() {
        const PIECES: [&str; 12] = [
            "A",
            "z",
            "9",
            "+",
            "/",
            "\n",
            "\r",
            "=",
            " ",
            "é",
            "-",
            "abcdefghij",
        ];
        let mut state: u64 = 0x2545_F491_4F6C_DD1D;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut with_fragments = 0;
        for _ in 0..20_000 {
            let len = (next() % 80) as usize;
            let mut text = String::new();
            for _ in 0..len {
                // Mostly alphabet, so runs reach 30 often.
                let roll = next() % 100;
                let piece = if roll < 70 {
                    PIECES[(next() % 3) as usize]
                } else {
                    PIECES[(next() % 12) as usize]
                };
                text.push_str(piece);
            }
            let expected: Vec<_> = FRAGMENT.find_iter(&text).map(|m| m.range()).collect();
            let found: Vec<_> = fragments(&text).collect();
            assert_eq!(found, expected, "{text:?}");
            with_fragments += usize::from(!expected.is_empty());
        }
        assert!(
            with_fragments > 2_000,
            "too few texts with fragments: {with_fragments}"
        );
    }

    #[test]
    fn text_detection() {
        let utf16: Vec<u8> = "IEX (New-Object Net.WebClient)"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        assert_eq!(
            as_text(&utf16),
            (
                Encoding::Utf16,
                Some(Cow::Owned("IEX (New-Object Net.WebClient)".into()))
            )
        );
        let bom = [0xff, 0xfe, b't', 0, b'x', 0, b'\r', 0, b'\n', 0];
        assert_eq!(
            as_text(&bom),
            (Encoding::Utf16, Some(Cow::Owned("tx\r\n".into())))
        );
        assert_eq!(
            as_text(b"plain"),
            (Encoding::Utf8, Some(Cow::Borrowed("plain")))
        );
        assert_eq!(as_text(&[0x77, 0x8d, 0x5d, 0xf1]).0, Encoding::Binary);
        // A PE header: zero high bytes aplenty, but not text.
        let pe = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00\xb8\x00\x00\x00";
        assert_eq!(as_text(pe).0, Encoding::Binary);
    }

    #[test]
    fn lenient_decoding() {
        assert_eq!(decode_lenient("aGVs bG8\n").as_deref(), Some(&b"hello"[..]));
        assert_eq!(
            decode_lenient("-_-_").as_deref(),
            Some(&[0xfb, 0xff, 0xbf][..])
        );
        assert_eq!(decode_lenient("a"), None);
        assert_eq!(decode_lenient("not base64!"), None);
        assert_eq!(printable_bytes(&[0, 0xab, 0x10]), "00 ab 10");
    }
}
