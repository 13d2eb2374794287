//! Base64 text to bytes, and bytes to text.

use std::borrow::Cow;
use std::sync::LazyLock;

use ::base64::alphabet;
use ::base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use ::base64::engine::DecodePaddingMode;
use ::base64::Engine;
use regex::Regex;

/// A base64 fragment as msticpy finds one: 30 or more characters of the
/// alphabet or line breaks, then up to two `=`. The same pattern, so the
/// same fragments, as msticpy's `_BASE64_REGEX`.
pub(crate) static FRAGMENT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[A-Za-z0-9+/\n\r]{30,}={0,2}").expect("valid base64 fragment pattern")
});

/// Whether `text` may hold a [`FRAGMENT`]: a run of 30 bytes of its class.
/// A table lookup per byte, so the many values without one skip the regex.
pub(crate) fn may_hold_fragment(text: &str) -> bool {
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
    let mut run = 0;
    for &b in text.as_bytes() {
        if CLASS[b as usize] {
            run += 1;
            if run >= 30 {
                return true;
            }
        } else {
            run = 0;
        }
    }
    false
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
    let data: Cow<'_, str> = if body.contains(['\n', '\r']) {
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
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 3);
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push(HEX[usize::from(b >> 4)] as char);
        out.push(HEX[usize::from(b & 15)] as char);
    }
    out
}

/// Lower-case hex without separators.
pub(crate) fn hex(bytes: &[u8]) -> String {
    printable_bytes(bytes).replace(' ', "")
}

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
        let found: Vec<&str> = FRAGMENT
            .find_iter("x abcdefghijklmnopqrstuvwxyzABC y abcdefghijklmnopqrstuvwxyzABCD== z")
            .map(|m| m.as_str())
            .collect();
        assert_eq!(found, vec!["abcdefghijklmnopqrstuvwxyzABCD=="]);
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
