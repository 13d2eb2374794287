//! `extract_iocs` on arbitrary text: no panic, and every indicator's
//! `start..end` (code points) is exactly its `original` text.
#![no_main]

use huntsql_udfs::ioc::extract_iocs_value;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let chars: Vec<char> = text.chars().collect();
    for types in [None, Some("all")] {
        let found = extract_iocs_value(&text, types).expect("valid types");
        for (kind, observable, original, start, end) in found {
            assert!(start <= end && end <= chars.len(), "{kind} {start}..{end} of {}", chars.len());
            let span: String = chars[start..end].iter().collect();
            assert_eq!(span, original, "{kind}: span and original differ");
            assert!(!observable.is_empty(), "{kind}: empty observable");
        }
    }
});
