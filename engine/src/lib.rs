//! huntsql's embedding API.
//!
//! [`HuntSession`] is a DataFusion `SessionContext` with information_schema
//! on, every huntsql function and connector registered and the configuration
//! applied. See `engine/examples/embed.rs`.

pub mod config;
pub mod functions;
pub mod hunts;
pub mod sample;
mod session;

pub use config::HuntConfig;
pub use functions::{FunctionInfo, FunctionKind};
pub use session::{
    async_misuse_advice, explain_async_misuse, DataTables, HuntSession, HuntSessionBuilder,
};

/// The connectors (object-store options, redaction, hints), re-exported.
pub use huntsql_connectors;

/// DataFusion, re-exported so embedders use the same version.
pub use datafusion;
