//! An `ObjectStoreRegistry` that builds S3, GCS and Azure stores on first
//! use, so `SELECT * FROM 's3://bucket/x.parquet'`, `COPY ... TO 's3://...'`
//! and tables over object stores work without registering anything first.
//!
//! A bucket's store comes from, in order: a store registered for it
//! explicitly (a `CREATE EXTERNAL TABLE ... OPTIONS (...)`), the named
//! source whose URL is in that bucket, or the environment (AWS_* variables,
//! `~/.aws/credentials` and `~/.aws/config`, GOOGLE_*, AZURE_*).

use std::sync::{Arc, RwLock};

use datafusion::error::{DataFusionError, Result};
use datafusion::execution::object_store::{DefaultObjectStoreRegistry, ObjectStoreRegistry};
use object_store::ObjectStore;
use url::Url;

use super::config::{Cloud, StoreOptions};

/// A named source's options, matched to URLs by scheme and bucket.
#[derive(Debug, Clone)]
struct SourceStore {
    key: String,
    options: StoreOptions,
}

/// See the module documentation.
#[derive(Debug, Default)]
pub struct HuntObjectStoreRegistry {
    inner: DefaultObjectStoreRegistry,
    sources: RwLock<Vec<SourceStore>>,
}

/// `s3://bucket` for any URL in that bucket (what stores are keyed by).
pub fn bucket_key(url: &Url) -> String {
    format!(
        "{}://{}",
        url.scheme(),
        &url[url::Position::BeforeHost..url::Position::AfterPort]
    )
}

impl HuntObjectStoreRegistry {
    pub fn new() -> Self {
        Self::default()
    }

    /// Remembers `options` for the bucket of `url`, used when a store for
    /// that bucket is first needed (and replaces a store already built).
    pub fn add_source(&self, url: &Url, options: StoreOptions) -> Result<()> {
        let store = options.build(url)?;
        let key = bucket_key(url);
        let mut sources = self.sources.write().map_err(|_| poisoned())?;
        sources.retain(|s| s.key != key);
        sources.push(SourceStore { key, options });
        drop(sources);
        self.inner.register_store(url, store);
        Ok(())
    }

    /// The options a named source set for the bucket of `url`, if any.
    pub fn source_options(&self, url: &Url) -> Result<StoreOptions> {
        let key = bucket_key(url);
        let sources = self.sources.read().map_err(|_| poisoned())?;
        Ok(sources
            .iter()
            .find(|s| s.key == key)
            .map(|s| s.options.clone())
            .unwrap_or_default())
    }

    /// The secrets of every named source, for redaction.
    pub fn secrets(&self) -> Vec<String> {
        self.sources
            .read()
            .map(|s| s.iter().flat_map(|s| s.options.secrets()).collect())
            .unwrap_or_default()
    }
}

fn poisoned() -> DataFusionError {
    DataFusionError::Internal("object store registry lock poisoned".into())
}

impl ObjectStoreRegistry for HuntObjectStoreRegistry {
    fn register_store(
        &self,
        url: &Url,
        store: Arc<dyn ObjectStore>,
    ) -> Option<Arc<dyn ObjectStore>> {
        self.inner.register_store(url, store)
    }

    fn deregister_store(&self, url: &Url) -> Result<Arc<dyn ObjectStore>> {
        self.inner.deregister_store(url)
    }

    fn get_store(&self, url: &Url) -> Result<Arc<dyn ObjectStore>> {
        if let Ok(store) = self.inner.get_store(url) {
            return Ok(store);
        }
        if Cloud::from_scheme(url.scheme()).is_none() {
            return self.inner.get_store(url);
        }
        let options = self.source_options(url)?;
        let store = options.build(url)?;
        self.inner.register_store(url, Arc::clone(&store));
        Ok(store)
    }
}
