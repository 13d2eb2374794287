//! huntsql's data sources. Each connector has the same shape:
//! configuration → client → `TableProvider` → pushdown.
//!
//! - [`local`]: CSV, JSON/NDJSON and Parquet files and directories on disk.

pub mod local;
