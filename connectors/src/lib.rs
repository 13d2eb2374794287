//! huntsql's data sources. Each connector has the same shape:
//! configuration → client → `TableProvider` → pushdown.
//!
//! - [`local`]: CSV, JSON/NDJSON and Parquet files and directories on disk.
//! - [`object_store`]: the same files in S3, Google Cloud Storage and Azure
//!   Blob Storage.
//! - [`log_analytics`]: Microsoft Sentinel / Azure Log Analytics workspaces
//!   (KQL), with pushdown and chunked pulls.
//! - [`elasticsearch`]: Elasticsearch / OpenSearch indices, the SQL API and
//!   query-string searches.
//! - [`threat_intel`]: `vt_reputation` / `ti_lookup`, VirusTotal lookups
//!   batched, cached and within the API quota.

pub mod elasticsearch;
pub mod local;
pub mod log_analytics;
pub mod object_store;
pub mod threat_intel;
