//! Shared helpers for huntsql's SQL-level and parity tests.

use std::path::PathBuf;

pub mod csv;

/// The shared data folder (`../shared` beside the repository), or
/// `$HUNTSQL_SHARED_DIR`.
pub fn shared_dir() -> PathBuf {
    match std::env::var_os("HUNTSQL_SHARED_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared"),
    }
}

pub mod es_data;
pub mod es_emulator;
pub mod osmem;
pub mod s3s;

pub mod log_analytics;
pub mod loopback;
pub mod vt_emulator;
