//! `--data s3://bucket/prefix/` and `[sources.NAME]`: every data file
//! directly under the prefix, and every "directory" below it holding data
//! files, becomes a table, named as the local connector names them.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use datafusion::catalog::{Session, TableProvider};
use datafusion::error::{DataFusionError, Result};
use futures::TryStreamExt;
use object_store::path::Path as StorePath;
use object_store::ObjectStore;
use url::Url;

use super::wide_scan::WideScan;
use crate::local::{file_format, file_type, table_name, FileKind, FileType};

/// A table found under an object-store prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteTable {
    pub name: String,
    /// `s3://bucket/prefix/name/` (a directory) or `.../name.parquet`.
    pub url: String,
    pub kind: FileKind,
    pub is_directory: bool,
    /// Objects (data files) in the table.
    pub objects: usize,
    compression: Option<&'static str>,
    extension: String,
}

impl RemoteTable {
    /// A `ListingTable` over the objects, with hive partitions as columns,
    /// scanned in at least `scan_partitions` partitions ([`WideScan`]).
    pub async fn table_provider(
        &self,
        state: &dyn Session,
        scan_partitions: usize,
    ) -> Result<Arc<dyn TableProvider>> {
        crate::local::listing_table(
            state,
            &self.url,
            self.is_directory,
            file_format(self.kind, self.compression)?,
            &self.extension,
        )
        .await
        .map(|table| WideScan::wrap(table, scan_partitions))
        .map_err(|e| {
            e.context(format!(
                "cannot read table '{}' from {}",
                self.name, self.url
            ))
        })
    }
}

fn hidden(component: &str) -> bool {
    component.starts_with('.') || component.starts_with('_')
}

/// Lists `url` (a prefix; a trailing `/` is implied) in `store` and groups
/// the objects into tables.
pub async fn discover(store: &Arc<dyn ObjectStore>, url: &Url) -> Result<Vec<RemoteTable>> {
    let prefix = StorePath::from_url_path(url.path())
        .map_err(|e| DataFusionError::Plan(format!("{url}: not a valid object path: {e}")))?;
    let objects: Vec<_> = store.list(Some(&prefix)).try_collect().await.map_err(|e| {
        DataFusionError::ObjectStore(Box::new(e)).context(format!("cannot list {url}"))
    })?;
    let base = {
        let mut b = format!(
            "{}://{}",
            url.scheme(),
            &url[url::Position::BeforeHost..url::Position::AfterPort]
        );
        if !prefix.as_ref().is_empty() {
            b.push('/');
            b.push_str(prefix.as_ref());
        }
        b.push('/');
        b
    };

    // entry (first path component under the prefix) -> (types, objects)
    struct Entry {
        is_directory: bool,
        types: BTreeMap<String, (FileType, String)>,
        objects: usize,
    }
    let mut entries: BTreeMap<String, Entry> = BTreeMap::new();
    for meta in &objects {
        let location = meta.location.as_ref();
        let relative = location
            .strip_prefix(prefix.as_ref())
            .unwrap_or(location)
            .trim_start_matches('/');
        let parts: Vec<&str> = relative.split('/').collect();
        if parts.iter().any(|p| hidden(p)) {
            continue;
        }
        let Some(ft) = file_type(Path::new(parts[parts.len() - 1])) else {
            continue;
        };
        let entry = entries.entry(parts[0].to_string()).or_insert(Entry {
            is_directory: parts.len() > 1,
            types: BTreeMap::new(),
            objects: 0,
        });
        entry.objects += 1;
        entry
            .types
            .entry(ft.extension.clone())
            .or_insert((ft, location.to_string()));
    }

    let mut tables: BTreeMap<String, RemoteTable> = BTreeMap::new();
    for (component, entry) in entries {
        let mut types = entry.types.into_values();
        let Some((first, first_object)) = types.next() else {
            continue;
        };
        if let Some((other, other_object)) = types.next() {
            return Err(DataFusionError::Plan(format!(
                "{base}{component}/ mixes {} objects ({}) and {} objects ({}); a table needs one format",
                first.extension, first_object, other.extension, other_object
            )));
        }
        let name = table_name(&component);
        let table_url = if entry.is_directory {
            format!("{base}{component}/")
        } else {
            format!("{base}{component}")
        };
        if let Some(other) = tables.get(&name) {
            return Err(DataFusionError::Plan(format!(
                "two entries under {base} would both be table '{name}': {} and {table_url}; rename one of them",
                other.url
            )));
        }
        // `.json` objects are read as NDJSON, the usual export format.
        tables.insert(
            name.clone(),
            RemoteTable {
                name,
                url: table_url,
                kind: first.kind,
                is_directory: entry.is_directory,
                objects: entry.objects,
                compression: first.compression,
                extension: first.extension,
            },
        );
    }
    Ok(tables.into_values().collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use object_store::memory::InMemory;
    use object_store::{ObjectStoreExt, PutPayload};

    #[tokio::test]
    async fn objects_group_into_tables_like_local_directories() {
        let store: Arc<dyn ObjectStore> = Arc::new(InMemory::new());
        for (path, body) in [
            ("logs/a.csv", "x\n1\n"),
            ("logs/c/date=2024-01-01/1.ndjson", "{}\n"),
            ("logs/c/date=2024-01-02/2.ndjson", "{}\n"),
            ("logs/c/_SUCCESS", ""),
            ("logs/notes.txt", "no"),
            ("other/z.csv", "x\n"),
        ] {
            store
                .put(
                    &StorePath::from(path),
                    PutPayload::from(body.as_bytes().to_vec()),
                )
                .await
                .unwrap();
        }
        let url = Url::parse("s3://bucket/logs/").unwrap();
        let tables = discover(&store, &url).await.unwrap();
        let found: Vec<_> = tables
            .iter()
            .map(|t| (t.name.as_str(), t.url.as_str(), t.kind, t.objects))
            .collect();
        assert_eq!(
            found,
            vec![
                ("a", "s3://bucket/logs/a.csv", FileKind::Csv, 1),
                ("c", "s3://bucket/logs/c/", FileKind::NdJson, 2),
            ]
        );

        store
            .put(
                &StorePath::from("logs/c/x.parquet"),
                PutPayload::from_static(b""),
            )
            .await
            .unwrap();
        let err = discover(&store, &url).await.unwrap_err().to_string();
        assert!(err.contains("mixes") && err.contains("x.parquet"), "{err}");
    }
}
