//! `CREATE EXTERNAL TABLE ... LOCATION 's3://...' OPTIONS ('aws.region' ...)`:
//! takes the object-store options out of the table options, builds the
//! bucket's store from them and hands the rest to DataFusion's factory.

use std::sync::Arc;

use async_trait::async_trait;
use datafusion::catalog::{Session, TableProvider, TableProviderFactory};
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::CreateExternalTable;
use url::Url;

use super::config::{is_object_store_url, StoreOptions};
use super::redact;
use super::registry::HuntObjectStoreRegistry;
use super::wide_scan::WideScan;

/// Wraps DataFusion's factory for one file type (PARQUET, CSV, JSON, ...).
#[derive(Debug)]
pub struct ObjectStoreTableFactory {
    inner: Arc<dyn TableProviderFactory>,
    registry: Arc<HuntObjectStoreRegistry>,
    /// Object-store tables are scanned in at least this many partitions
    /// ([`WideScan`]).
    scan_partitions: usize,
}

impl ObjectStoreTableFactory {
    pub fn new(
        inner: Arc<dyn TableProviderFactory>,
        registry: Arc<HuntObjectStoreRegistry>,
        scan_partitions: usize,
    ) -> Self {
        Self {
            inner,
            registry,
            scan_partitions,
        }
    }
}

#[async_trait]
impl TableProviderFactory for ObjectStoreTableFactory {
    async fn create(
        &self,
        state: &dyn Session,
        cmd: &CreateExternalTable,
    ) -> Result<Arc<dyn TableProvider>> {
        let mut cmd = cmd.clone();
        let store_options = StoreOptions::take_from(&mut cmd.options);
        // The definition is shown by SHOW CREATE TABLE and information_schema.
        let secrets = store_options.secrets();
        if let Some(definition) = &mut cmd.definition {
            *definition = redact(definition, &secrets);
        }
        let mut remote = false;
        for location in &cmd.locations {
            if !is_object_store_url(location) {
                continue;
            }
            remote = true;
            let url = Url::parse(location).map_err(|e| {
                DataFusionError::Plan(format!(
                    "table '{}': location '{location}' is not a valid URL: {e}",
                    cmd.name
                ))
            })?;
            if !store_options.is_empty() {
                let options = self
                    .registry
                    .source_options(&url)?
                    .merged_with(&store_options);
                let store = options
                    .build(&url)
                    .map_err(|e| e.context(format!("table '{}'", cmd.name)))?;
                state.runtime_env().register_object_store(&url, store);
            }
        }
        if !remote && !store_options.is_empty() {
            return Err(DataFusionError::Plan(format!(
                "table '{}': options {:?} apply to s3://, gs:// and az:// locations, not {}",
                cmd.name,
                store_options,
                cmd.locations.join(", ")
            )));
        }
        let name = cmd.name.clone();
        let locations = cmd.locations.join(", ");
        let table = self.inner.create(state, &cmd).await.map_err(|e| {
            let text = e.strip_backtrace();
            let redacted = redact(&text, &secrets);
            let e = if redacted == text {
                e
            } else {
                DataFusionError::Plan(redacted)
            };
            e.context(format!("cannot create table '{name}' from {locations}"))
        })?;
        Ok(if remote {
            WideScan::wrap(table, self.scan_partitions)
        } else {
            table
        })
    }
}
