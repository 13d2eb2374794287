//! `b64_unpack`/`b64_items` on arbitrary text: no panic, and the size caps
//! hold (small caps here, so decompression bombs hit them quickly).
#![no_main]

use huntsql_udfs::base64::{unpack, Limits};
use libfuzzer_sys::fuzz_target;

const LIMITS: Limits = Limits {
    max_item_bytes: 64 << 10,
    max_value_bytes: 256 << 10,
};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let out = unpack(&text, LIMITS, true);
    let mut decoded = 0;
    for item in &out.items {
        // The hex dump shows each kept byte as "xx ".
        let bytes = item.printable_bytes.len().div_ceil(3);
        assert!(bytes <= LIMITS.max_item_bytes, "item {} keeps {bytes} bytes", item.reference);
        decoded += bytes;
    }
    // Repeats of one fragment count against the value's budget too, so the
    // listed items can never hold more than it.
    assert!(decoded <= LIMITS.max_value_bytes, "value decoded {decoded} bytes");
    if out.items.is_empty() && !out.truncated {
        assert_eq!(out.text, text, "nothing decoded, yet the text changed");
    }
});
