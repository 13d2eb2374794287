//! Elasticsearch and OpenSearch as huntsql sources. Same shape as every
//! connector: [`config`] (a `[sources.NAME]` entry or table `OPTIONS`) →
//! [`client`] (authentication, TLS, retries, Elastic error bodies) →
//! `TableProvider` ([`table`]: an index or pattern, schema from its
//! [`mapping`], scanned by [`scan`] with a point in time) → pushdown
//! ([`dsl`]: filters, projection and limit as query DSL). The SQL API and
//! query-string searches are table functions ([`functions`]).

pub mod client;
pub mod config;
pub mod decode;
pub mod dsl;
pub mod functions;
pub mod mapping;
pub mod scan;
pub mod schema;
pub mod sql_api;
pub mod table;

pub use client::EsClient;
pub use config::{EsConfig, Flavor};
pub use functions::{EsSearch, EsSources, EsSql};
pub use schema::EsSchemaProvider;
pub use table::EsTable;
