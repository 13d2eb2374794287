//! Base64 payloads: `b64_unpack` decodes the fragments of a text in place,
//! recursively and through archives; `b64_items` lists what it decoded;
//! `b64_decode` decodes one value.
//!
//! (Inside this module the `base64` crate is `::base64`.)

use std::sync::Arc;

use datafusion::logical_expr::ScalarUDF;

mod archive;
mod args;
mod b64_decode;
mod b64_items;
mod b64_unpack;
mod decode;
mod filetype;
mod unpack;

pub use b64_decode::B64Decode;
pub use b64_items::B64Items;
pub use b64_unpack::B64Unpack;
pub use unpack::{
    unpack, unpack_items, unpack_items_with, DigestCache, Item, Limits, Unpacked,
    DEFAULT_MAX_ITEM_BYTES, DEFAULT_MAX_VALUE_BYTES, MAX_DEPTH, VALUE_TRUNCATED_MARK,
};

pub fn functions() -> Vec<Arc<ScalarUDF>> {
    vec![
        Arc::new(B64Unpack::default().into()),
        Arc::new(B64Items::default().into()),
        Arc::new(B64Decode::default().into()),
    ]
}
