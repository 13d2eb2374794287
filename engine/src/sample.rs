//! The embedded sample: real Windows security events compiled into the
//! binary, so `huntsql` alone opens a REPL over real data.
//!
//! Built by `data/sample/build.sql` only from the MIT-licensed rows of the
//! shared corpus (OTRF Security-Datasets "Mordor" and msticpy's test data);
//! see `data/sample/NOTICE`.
//!
//! | table | rows | shape |
//! |---|---|---|
//! | `process_events` | process creations | Sentinel `SecurityEvent` 4688 columns; Sysmon 1 rows mapped onto them |
//! | `logon_events` | logons and failed logons | Sentinel `SecurityEvent` 4624 / 4625 columns |

use std::sync::Arc;

use bytes::Bytes;
use datafusion::catalog::{MemTable, TableProvider};
use datafusion::error::{DataFusionError, Result};
use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

/// One embedded table.
pub struct SampleTable {
    pub name: &'static str,
    pub description: &'static str,
    parquet: &'static [u8],
}

/// The sample's tables.
pub const TABLES: &[SampleTable] = &[
    SampleTable {
        name: "process_events",
        description: "process creations (Security 4688 shape; Sysmon 1 mapped onto it)",
        parquet: include_bytes!("../../data/sample/process_events.parquet"),
    },
    SampleTable {
        name: "logon_events",
        description: "logons 4624 and failed logons 4625",
        parquet: include_bytes!("../../data/sample/logon_events.parquet"),
    },
];

impl SampleTable {
    /// Decodes the embedded Parquet into an in-memory table.
    pub fn provider(&self) -> Result<Arc<dyn TableProvider>> {
        let context = |e: &dyn std::fmt::Display| {
            DataFusionError::Internal(format!("embedded sample table {}: {e}", self.name))
        };
        let builder = ParquetRecordBatchReaderBuilder::try_new(Bytes::from_static(self.parquet))
            .map_err(|e| context(&e))?;
        let schema = builder.schema().clone();
        let reader = builder.build().map_err(|e| context(&e))?;
        let batches = reader
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|e| context(&e))?;
        Ok(Arc::new(MemTable::try_new(schema, vec![batches])?))
    }
}
