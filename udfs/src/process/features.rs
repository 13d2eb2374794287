//! The per-value formulas behind msticpy's process features
//! (`msticpy/analysis/eventcluster.py`, version 3.0.2), shared by the scalar
//! functions and by `add_process_features`.

/// msticpy's delimiter class `[\s\-\\/\.,"'|&:;%$()]`.
///
/// Python's `re` `\s` on a `str` is `str.isspace()`, which is Rust's
/// `char::is_whitespace` plus the information separators U+001C..U+001F.
#[inline]
pub(crate) fn is_delimiter(c: char) -> bool {
    matches!(
        c,
        '-' | '\\' | '/' | '.' | ',' | '"' | '\'' | '|' | '&' | ':' | ';' | '%' | '$' | '(' | ')'
    ) || c.is_whitespace()
        || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// [`is_delimiter`] for ASCII, by byte: most command lines are pure ASCII,
/// and a table lookup per byte is several times faster than decoding chars
/// and asking Unicode whether each is white space.
const ASCII_DELIMITERS: [bool; 128] = {
    let mut table = [false; 128];
    let delimiters = b"-\\/.,\"'|&:;%$() \t\n\x0b\x0c\r\x1c\x1d\x1e\x1f";
    let mut i = 0;
    while i < delimiters.len() {
        table[delimiters[i] as usize] = true;
        i += 1;
    }
    table
};

/// msticpy `delim_count`: how many characters are delimiters.
pub(crate) fn delimiter_count(value: &str) -> i64 {
    if value.is_ascii() {
        let count = value
            .bytes()
            .filter(|&b| ASCII_DELIMITERS[b as usize])
            .count();
        return count as i64;
    }
    value.chars().filter(|&c| is_delimiter(c)).count() as i64
}

/// msticpy `delim_hash`: CRC-32 of the delimiters, in order, as UTF-8.
pub(crate) fn delimiter_hash(value: &str) -> i64 {
    // Delimiters are gathered in a small buffer and hashed in blocks: one
    // hasher call per character costs more than the lookup itself.
    let mut hasher = crc32fast::Hasher::new();
    let mut block = [0u8; 256];
    let mut len = 0;
    let mut push = |bytes: &[u8], hasher: &mut crc32fast::Hasher| {
        for &b in bytes {
            block[len] = b;
            len += 1;
            if len == block.len() {
                hasher.update(&block);
                len = 0;
            }
        }
    };
    if value.is_ascii() {
        for b in value.bytes().filter(|&b| ASCII_DELIMITERS[b as usize]) {
            push(&[b], &mut hasher);
        }
    } else {
        let mut utf8 = [0u8; 4];
        for c in value.chars().filter(|&c| is_delimiter(c)) {
            push(c.encode_utf8(&mut utf8).as_bytes(), &mut hasher);
        }
    }
    hasher.update(&block[..len]);
    i64::from(hasher.finalize())
}

/// msticpy `char_ord_score` (scale 1): the sum of the code points.
pub(crate) fn code_point_sum(value: &str) -> i64 {
    value.chars().map(|c| i64::from(u32::from(c))).sum()
}

/// Python `len()` of a `str`: code points, not bytes.
pub(crate) fn code_point_len(value: &str) -> i64 {
    value.chars().count() as i64
}

/// msticpy's `log10(x) if x else 0`: zero stays zero rather than -inf.
pub(crate) fn log10_or_zero(value: i64) -> f64 {
    if value == 0 {
        0.0
    } else {
        (value as f64).log10()
    }
}

/// msticpy `crc32_hash`: CRC-32 (unsigned) of the UTF-8 bytes.
pub(crate) fn crc32(value: &str) -> i64 {
    i64::from(crc32fast::hash(value.as_bytes()))
}

/// The path separators `process_name` understands.
pub(crate) fn parse_separator(function: &str, separator: &str) -> datafusion::common::Result<char> {
    match separator {
        "\\" => Ok('\\'),
        "/" => Ok('/'),
        other => datafusion::common::exec_err!(
            "{function}: separator must be '\\' or '/', got '{other}'"
        ),
    }
}

/// msticpy picks `/` when a sample of paths contains one and `\` otherwise;
/// huntsql applies that rule to each path, so mixed Windows and Linux data
/// works.
pub(crate) fn detect_separator(path: &str) -> char {
    if path.contains('/') {
        '/'
    } else {
        '\\'
    }
}

/// msticpy `processName`: `path.split(separator)[-1]`, so a trailing
/// separator gives an empty name.
pub(crate) fn last_segment(path: &str, separator: char) -> &str {
    path.rsplit(separator).next().unwrap_or(path)
}

/// msticpy `isSystemSession`: `SubjectLogonId.isin(["0x3e7", "-1"])`, an
/// exact, case-sensitive comparison.
pub(crate) fn is_system_logon_id(logon_id: &str) -> bool {
    logon_id == "0x3e7" || logon_id == "-1"
}

#[cfg(test)]
mod tests {
    use super::*;

    // msticpy's own test sentence (tests/analysis/test_event_cluster.py)
    // is checked against its asserted values in tests/parity_features.rs.

    #[test]
    fn delimiters_follow_python_whitespace() {
        assert!(is_delimiter(' '));
        assert!(is_delimiter('\t'));
        assert!(is_delimiter('\u{a0}'));
        assert!(is_delimiter('\u{3000}'));
        assert!(is_delimiter('\u{1f}'), "Python's \\s includes U+001F");
        assert!(!is_delimiter('\u{200b}'), "zero-width space is not \\s");
        assert!(!is_delimiter('_'));
        assert!(!is_delimiter('a'));
        assert_eq!(delimiter_count(r#"a-b\c/d.e,f"g'h|i&j:k;l%m$n(o)p"#), 15);
    }

    #[test]
    fn the_ascii_table_agrees_with_is_delimiter() {
        for b in 0u8..128 {
            assert_eq!(
                ASCII_DELIMITERS[b as usize],
                is_delimiter(b as char),
                "byte {b:#x}"
            );
        }
    }

    #[test]
    fn long_and_mixed_values_hash_like_the_plain_definition() {
        let plain = |v: &str| {
            let delims: String = v.chars().filter(|&c| is_delimiter(c)).collect();
            crc32(&delims)
        };
        let long_ascii = "a b-c/d.".repeat(200); // crosses the 256-byte block
        let mixed = format!("{long_ascii}\u{a0}é x\u{3000}y");
        for v in [long_ascii.as_str(), mixed.as_str(), "", "abc"] {
            assert_eq!(delimiter_hash(v), plain(v));
            assert_eq!(
                delimiter_count(v),
                v.chars().filter(|&c| is_delimiter(c)).count() as i64
            );
        }
    }

    #[test]
    fn delimiter_hash_is_crc_of_delimiters_in_order() {
        assert_eq!(delimiter_hash("a b.c"), crc32(" ."));
        assert_ne!(delimiter_hash("a.b c"), delimiter_hash("a b.c"));
        assert_eq!(delimiter_hash("abc"), 0);
        // non-ASCII delimiters are hashed as UTF-8
        assert_eq!(delimiter_hash("x\u{a0}y"), crc32("\u{a0}"));
    }

    #[test]
    fn scores_and_lengths_count_code_points() {
        assert_eq!(code_point_sum("ab"), 97 + 98);
        assert_eq!(code_point_sum("é"), 0xe9);
        assert_eq!(code_point_len("é€"), 2);
        assert_eq!(code_point_sum(""), 0);
    }

    #[test]
    fn log10_of_zero_is_zero() {
        assert_eq!(log10_or_zero(0), 0.0);
        assert_eq!(log10_or_zero(1000), 3.0);
        assert!((log10_or_zero(30) - 1.477_121_254_719_662_4).abs() < 1e-15);
    }

    #[test]
    fn crc32_is_unsigned() {
        assert_eq!(crc32(""), 0);
        // zlib's check value for "123456789"
        assert_eq!(crc32("123456789"), 0xCBF4_3926);
    }

    #[test]
    fn process_name_is_the_last_segment() {
        assert_eq!(
            last_segment(r"C:\Windows\System32\cmd.exe", '\\'),
            "cmd.exe"
        );
        assert_eq!(last_segment("/usr/bin/bash", '/'), "bash");
        assert_eq!(last_segment(r"C:\dir\", '\\'), "");
        assert_eq!(last_segment("cmd.exe", '\\'), "cmd.exe");
        assert_eq!(last_segment("/usr/bin/bash", '\\'), "/usr/bin/bash");
        assert_eq!(detect_separator("/usr/bin/bash"), '/');
        assert_eq!(detect_separator(r"C:\x.exe"), '\\');
        assert_eq!(detect_separator("x.exe"), '\\');
    }

    #[test]
    fn separator_must_be_a_slash() {
        assert_eq!(parse_separator("f", "/").unwrap(), '/');
        let err = parse_separator("process_name", "x")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(r"process_name: separator must be '\' or '/', got 'x'"),
            "{err}"
        );
    }

    #[test]
    fn system_session_is_an_exact_match() {
        assert!(is_system_logon_id("0x3e7"));
        assert!(is_system_logon_id("-1"));
        assert!(!is_system_logon_id("0x3E7"));
        assert!(!is_system_logon_id("0x3e4"));
        assert!(!is_system_logon_id(" 0x3e7"));
    }
}
