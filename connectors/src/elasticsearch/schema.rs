//! A cluster as a schema (`[sources.NAME]`: tables `NAME.<index>`) and
//! `CREATE EXTERNAL TABLE ... STORED AS ELASTICSEARCH`.
//!
//! The schema lists the cluster's indices (or the source's `indices`
//! option), and resolves any other name on first use: an alias, a data
//! stream or a pattern, written as a quoted identifier
//! (`SELECT * FROM elastic."logs-endpoint.events.*"`). Mappings are read
//! once per session.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use datafusion::catalog::SchemaProvider;
use datafusion::catalog::{Session, TableProvider, TableProviderFactory};
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::CreateExternalTable;

use super::client::EsClient;
use super::config::{decode_segment, EsConfig};
use super::table::EsTable;

/// The tables of one cluster.
#[derive(Debug)]
pub struct EsSchemaProvider {
    client: EsClient,
    names: Vec<String>,
    tables: Mutex<HashMap<String, Arc<dyn TableProvider>>>,
}

impl EsSchemaProvider {
    /// Connects and lists the tables: the `indices` option, else every
    /// index not starting with `.`.
    pub async fn connect(client: EsClient) -> Result<Self> {
        // Checks the url and credentials, and learns the flavor once.
        client.flavor().await?;
        let names = if client.config().indices.is_empty() {
            client.list_indices().await?
        } else {
            client.config().indices.clone()
        };
        Ok(Self {
            client,
            names,
            tables: Mutex::new(HashMap::new()),
        })
    }

    pub fn client(&self) -> &EsClient {
        &self.client
    }
}

#[async_trait]
impl SchemaProvider for EsSchemaProvider {
    fn table_names(&self) -> Vec<String> {
        self.names.clone()
    }

    async fn table(&self, name: &str) -> Result<Option<Arc<dyn TableProvider>>> {
        if let Some(t) = self.tables.lock().ok().and_then(|t| t.get(name).cloned()) {
            return Ok(Some(t));
        }
        match EsTable::open(self.client.clone(), name).await {
            Ok(table) => {
                let table: Arc<dyn TableProvider> = Arc::new(table);
                if let Ok(mut cache) = self.tables.lock() {
                    cache.insert(name.to_string(), Arc::clone(&table));
                }
                Ok(Some(table))
            }
            Err(e) => {
                let text = e.to_string();
                if text.contains("index_not_found_exception") || text.contains("matches no index") {
                    Ok(None)
                } else {
                    Err(e)
                }
            }
        }
    }

    fn table_exist(&self, name: &str) -> bool {
        self.names.iter().any(|n| n == name)
            || self
                .tables
                .lock()
                .map(|t| t.contains_key(name))
                .unwrap_or(false)
    }
}

/// `CREATE EXTERNAL TABLE t STORED AS ELASTICSEARCH LOCATION
/// 'https://host:9200/<index>' OPTIONS ('api_key' '...')`: the options are
/// [`EsConfig`]'s (with or without an `elasticsearch.` prefix).
#[derive(Debug, Default)]
pub struct EsTableFactory;

#[async_trait]
impl TableProviderFactory for EsTableFactory {
    async fn create(
        &self,
        _state: &dyn Session,
        cmd: &CreateExternalTable,
    ) -> Result<Arc<dyn TableProvider>> {
        let location = match cmd.locations.as_slice() {
            [one] => one.trim(),
            _ => {
                return Err(DataFusionError::Plan(format!(
                    "table '{}': STORED AS ELASTICSEARCH takes one LOCATION",
                    cmd.name
                )))
            }
        };
        let (base, index) = split_location(location).ok_or_else(|| {
            DataFusionError::Plan(format!(
                "table '{}': LOCATION must be http(s)://host:port/<index or pattern>, got '{}'",
                cmd.name,
                super::config::redact_url_text(location)
            ))
        })?;
        let options: Vec<(String, String)> = cmd
            .options
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let config = EsConfig::from_options(&base, options)
            .map_err(|e| e.context(format!("table '{}'", cmd.name)))?;
        let client = EsClient::new(Arc::new(config))?;
        let table = EsTable::open(client, &index)
            .await
            .map_err(|e| e.context(format!("table '{}'", cmd.name)))?;
        Ok(Arc::new(table))
    }
}

/// `https://host:9200/logs-*` → (`https://host:9200/`, `logs-*`); a
/// cluster behind a path prefix keeps it (`https://h/es/idx`).
pub fn split_location(location: &str) -> Option<(String, String)> {
    let (scheme, rest) = location.split_once("://")?;
    if scheme != "http" && scheme != "https" {
        return None;
    }
    let rest = rest.trim_end_matches('/');
    let slash = rest.rfind('/')?;
    let index = decode_segment(&rest[slash + 1..]);
    if index.is_empty() || rest[..slash].is_empty() {
        return None;
    }
    Some((format!("{scheme}://{}/", &rest[..slash]), index))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_split_into_cluster_and_index() {
        assert_eq!(
            split_location("https://h:9200/logs-*").unwrap(),
            ("https://h:9200/".to_string(), "logs-*".to_string())
        );
        assert_eq!(
            split_location("http://h/es/my%20index/").unwrap(),
            ("http://h/es/".to_string(), "my index".to_string())
        );
        assert!(split_location("https://h:9200").is_none());
        assert!(split_location("s3://b/k").is_none());
    }
}
