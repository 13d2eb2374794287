//! Microsoft Sentinel / Azure Log Analytics workspaces as huntsql sources.
//! Same shape as every connector: [`config`] (a `[sources.NAME]` entry with
//! `kind = "log_analytics"`, or `CREATE EXTERNAL TABLE ... STORED AS
//! LOG_ANALYTICS`) → client ([`client`], [`auth`]: the query API with
//! retries and tokens) → `TableProvider` ([`table`]: workspace tables as
//! `NAME.Table`, and [`function`]: `kql(source, query [, start, end])`) →
//! pushdown ([`kql`]: filters, projection and limit as KQL; [`chunks`]:
//! large time ranges split into half-open chunks that run as partitions).

pub mod auth;
pub mod chunks;
pub mod client;
pub mod config;
pub mod decode;
pub mod exec;
pub mod factory;
pub mod function;
pub mod kql;
pub mod table;
pub mod types;

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use datafusion::error::Result;

pub use client::LogAnalyticsClient;
pub use config::LogAnalyticsOptions;
pub use factory::LogAnalyticsTableFactory;
pub use function::{kql_documentation, KqlFunction};
pub use table::{discover, KqlTable, LogAnalyticsTable};

/// `text` with `secrets` and every secret the process has seen hidden.
pub(crate) fn redact_with(text: &str, secrets: &[String]) -> String {
    crate::object_store::redact_secrets(&crate::object_store::redact(text, secrets))
}

/// The Log Analytics sources of a session, by name; `kql()` looks them up.
#[derive(Debug, Default)]
pub struct LogAnalyticsSources {
    clients: RwLock<BTreeMap<String, Arc<LogAnalyticsClient>>>,
}

impl LogAnalyticsSources {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&self, client: Arc<LogAnalyticsClient>) {
        if let Ok(mut map) = self.clients.write() {
            map.insert(client.name().to_string(), client);
        }
    }

    pub fn get(&self, name: &str) -> Option<Arc<LogAnalyticsClient>> {
        self.clients.read().ok()?.get(name).cloned()
    }

    pub fn names(&self) -> Vec<String> {
        self.clients
            .read()
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// Builds the client of source `name` from its options (`origin`
    /// names them in errors), adds it and returns its tables.
    pub async fn register(
        &self,
        name: &str,
        origin: &str,
        options: Vec<(&str, String)>,
    ) -> Result<Vec<(String, Arc<LogAnalyticsTable>)>> {
        let env = |k: &str| std::env::var(k).ok();
        let options = LogAnalyticsOptions::from_pairs(origin, options, &env)?;
        let client = Arc::new(LogAnalyticsClient::new(name, options)?);
        self.add(Arc::clone(&client));
        discover(client).await
    }
}
