//! `CREATE EXTERNAL TABLE t STORED AS LOG_ANALYTICS LOCATION '<workspace id>'
//! OPTIONS ('table' 'SecurityEvent', 'tenant_id' '...', ...)`: one workspace
//! table for one-off use. The options are those of a `[sources.NAME]` entry.

use std::sync::Arc;

use async_trait::async_trait;
use datafusion::catalog::{Session, TableProvider, TableProviderFactory};
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::CreateExternalTable;

use super::config::LogAnalyticsOptions;
use super::exec::on_io;
use super::kql::quote_ident;
use super::table::LogAnalyticsTable;
use super::types::schema_of;
use super::LogAnalyticsClient;

/// The `LOG_ANALYTICS` file type of `CREATE EXTERNAL TABLE`.
#[derive(Debug, Default)]
pub struct LogAnalyticsTableFactory;

#[async_trait]
impl TableProviderFactory for LogAnalyticsTableFactory {
    async fn create(
        &self,
        _state: &dyn Session,
        cmd: &CreateExternalTable,
    ) -> Result<Arc<dyn TableProvider>> {
        let name = cmd.name.to_string();
        let origin = format!("table '{name}' (STORED AS LOG_ANALYTICS)");
        let mut pairs: Vec<(&str, String)> = cmd
            .options
            .iter()
            .map(|(k, v)| (k.strip_prefix("format.").unwrap_or(k), v.clone()))
            .collect();
        if let Some(location) = cmd.locations.first().filter(|l| !l.is_empty()) {
            pairs.push(("workspace_id", location.clone()));
        }
        let env = |k: &str| std::env::var(k).ok();
        let options = LogAnalyticsOptions::from_pairs(&origin, pairs, &env)?;
        let table = options.table.clone().ok_or_else(|| {
            DataFusionError::Plan(format!(
                "{origin}: OPTIONS ('table' 'SecurityEvent') names the workspace table to read"
            ))
        })?;
        let client = Arc::new(LogAnalyticsClient::new(&name, options)?);
        let c = Arc::clone(&client);
        let t = table.clone();
        let columns = on_io(async move { c.schema_of_query(&quote_ident(&t)).await }).await?;
        let time_column = Some(client.options().time_column.clone());
        Ok(Arc::new(LogAnalyticsTable::new(
            client,
            name,
            table,
            schema_of(&columns),
            time_column,
        )))
    }
}
