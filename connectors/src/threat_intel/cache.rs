//! The persistent answer cache: an embedded redb database (one file, ACID,
//! no server) mapping `provider|ioc_type|observable` to the verdict and
//! when it was fetched. A re-run of a hunt within the TTL costs no calls.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use datafusion::error::{DataFusionError, Result};
use redb::{Database, ReadOnlyTable, ReadableTable, ReadableTableMetadata, TableDefinition};
use serde::{Deserialize, Serialize};

use super::provider::Verdict;

const ANSWERS: TableDefinition<&str, &[u8]> = TableDefinition::new("answers");

#[derive(Serialize, Deserialize)]
struct Stored {
    /// Seconds since the Unix epoch.
    fetched_at: u64,
    verdict: Verdict,
}

/// What the cache holds.
#[derive(Debug, Clone, PartialEq)]
pub struct CacheSummary {
    pub entries: u64,
    pub fresh: u64,
    pub file_bytes: u64,
}

/// The cache file, opened on first use.
pub struct AnswerCache {
    path: PathBuf,
    db: Option<Database>,
}

impl std::fmt::Debug for AnswerCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AnswerCache")
            .field("path", &self.path)
            .field("open", &self.db.is_some())
            .finish()
    }
}

fn external(e: impl std::error::Error + Send + Sync + 'static) -> DataFusionError {
    DataFusionError::External(Box::new(e))
}

/// The answers table, `None` before the first answer is stored.
fn answers(db: &Database) -> Result<Option<ReadOnlyTable<&'static str, &'static [u8]>>> {
    let read = db.begin_read().map_err(external)?;
    match read.open_table(ANSWERS) {
        Ok(t) => Ok(Some(t)),
        Err(redb::TableError::TableDoesNotExist(_)) => Ok(None),
        Err(e) => Err(external(e)),
    }
}

fn secs(t: SystemTime) -> u64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

impl AnswerCache {
    pub fn new(path: PathBuf) -> Self {
        Self { path, db: None }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn error(&self, what: &str, e: impl std::fmt::Display) -> DataFusionError {
        DataFusionError::Execution(format!(
            "threat-intel cache {}: {what}: {e}",
            self.path.display()
        ))
    }

    /// The database, created with its folder if needed. Another huntsql
    /// holding the file is an error the caller may treat as "no cache".
    fn db(&mut self) -> Result<&Database> {
        if self.db.is_none() {
            if let Some(dir) = self.path.parent() {
                std::fs::create_dir_all(dir).map_err(|e| self.error("cannot create folder", e))?;
            }
            let db = Database::create(&self.path).map_err(|e| match e {
                redb::DatabaseError::DatabaseAlreadyOpen => self.error(
                    "cannot open",
                    "another huntsql is using it; answers are kept in memory only",
                ),
                e => self.error("cannot open", e),
            })?;
            self.db = Some(db);
        }
        Ok(self.db.as_ref().expect("opened above"))
    }

    /// The fresh (younger than `ttl` at `now`) answers among `keys`.
    pub fn get_fresh(
        &mut self,
        keys: &[&str],
        now: SystemTime,
        ttl: Duration,
    ) -> Result<Vec<Option<Verdict>>> {
        let now = secs(now);
        let Some(table) = answers(self.db()?)? else {
            return Ok(vec![None; keys.len()]);
        };
        keys.iter()
            .map(|key| {
                let Some(value) = table.get(*key).map_err(external)? else {
                    return Ok(None);
                };
                // An entry from another version that does not parse is a miss.
                let Ok(stored) = serde_json::from_slice::<Stored>(value.value()) else {
                    return Ok(None);
                };
                let fresh = now.saturating_sub(stored.fetched_at) < ttl.as_secs();
                Ok(fresh.then_some(stored.verdict))
            })
            .collect()
    }

    /// Stores answers fetched at `now`.
    pub fn put(&mut self, entries: &[(String, Verdict)], now: SystemTime) -> Result<()> {
        if entries.is_empty() {
            return Ok(());
        }
        let fetched_at = secs(now);
        let db = self.db()?;
        let write = db.begin_write().map_err(external)?;
        {
            let mut table = write.open_table(ANSWERS).map_err(external)?;
            for (key, verdict) in entries {
                let value = serde_json::to_vec(&Stored {
                    fetched_at,
                    verdict: verdict.clone(),
                })
                .map_err(external)?;
                table
                    .insert(key.as_str(), value.as_slice())
                    .map_err(external)?;
            }
        }
        write.commit().map_err(external)
    }

    /// How many entries, how many still fresh, and the file size.
    pub fn summary(&mut self, now: SystemTime, ttl: Duration) -> Result<CacheSummary> {
        let now = secs(now);
        // Opened first: the size is that of the file as it is now.
        let table = answers(self.db()?)?;
        let file_bytes = std::fs::metadata(&self.path).map(|m| m.len()).unwrap_or(0);
        let Some(table) = table else {
            return Ok(CacheSummary {
                entries: 0,
                fresh: 0,
                file_bytes,
            });
        };
        let entries = table.len().map_err(external)?;
        let mut fresh = 0;
        for item in table.iter().map_err(external)? {
            let (_, value) = item.map_err(external)?;
            if let Ok(stored) = serde_json::from_slice::<Stored>(value.value()) {
                if now.saturating_sub(stored.fetched_at) < ttl.as_secs() {
                    fresh += 1;
                }
            }
        }
        Ok(CacheSummary {
            entries,
            fresh,
            file_bytes,
        })
    }

    /// Removes every entry; returns how many there were.
    pub fn clear(&mut self) -> Result<u64> {
        let db = self.db()?;
        let write = db.begin_write().map_err(external)?;
        let removed = match write.open_table(ANSWERS) {
            Ok(t) => t.len().map_err(external)?,
            Err(e) => return Err(external(e)),
        };
        write.delete_table(ANSWERS).map_err(external)?;
        write.commit().map_err(external)?;
        Ok(removed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_persist_and_expire() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join("c.redb");
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let ttl = Duration::from_secs(3600);
        {
            let mut cache = AnswerCache::new(path.clone());
            cache
                .put(
                    &[("vt|dns|evil.com".into(), Verdict::status("not found"))],
                    t0,
                )
                .unwrap();
        }
        let mut cache = AnswerCache::new(path);
        let got = cache
            .get_fresh(&["vt|dns|evil.com", "vt|dns|x.com"], t0, ttl)
            .unwrap();
        assert_eq!(got, vec![Some(Verdict::status("not found")), None]);
        let later = t0 + Duration::from_secs(3601);
        assert_eq!(
            cache.get_fresh(&["vt|dns|evil.com"], later, ttl).unwrap(),
            vec![None]
        );
        let s = cache.summary(later, ttl).unwrap();
        assert_eq!((s.entries, s.fresh), (1, 0));
        assert_eq!(cache.clear().unwrap(), 1);
        assert_eq!(cache.summary(t0, ttl).unwrap().entries, 0);
    }
}
