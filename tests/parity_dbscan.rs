//! Parity of `dbscan_cluster` and `dbcluster_events` with msticpy 3.0.2
//! (scikit-learn's DBSCAN), on msticpy's own outputs kept in the shared
//! folder:
//! * `expected/msticpy_dev/cluster_labels.csv` and `clusters.csv`: msticpy's
//!   `dbcluster_events` on `data/process_events.dev.parquet` (row i = row_id i)
//!   with `commandlineTokensFull, pathScore, isSystemSession`,
//!   `max_cluster_distance=0.0001`, `min_cluster_samples=2`;
//! * `expected/msticpy_cases/eventcluster.json`: the clustering cases of
//!   msticpy's unit tests on `msticpy_testdata/processes_on_host.csv`.

use std::path::{Path, PathBuf};

use datafusion::arrow::array::{Array, ArrayRef, AsArray, RecordBatch};
use datafusion::arrow::compute::{cast, concat_batches};
use datafusion::arrow::datatypes::{DataType, Field, Float64Type, Int64Type, Schema, TimeUnit};
use datafusion::error::Result;
use datafusion::prelude::{CsvReadOptions, ParquetReadOptions, SessionConfig, SessionContext};
use huntsql_tests::shared_dir;
use serde_json::Value;

fn shared(path: &str) -> PathBuf {
    shared_dir().join(path)
}

fn path_str(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

/// One partition, so tables are read in file order; identifiers keep their
/// case, as in huntsql.
async fn session() -> Result<SessionContext> {
    let config = SessionConfig::new()
        .with_target_partitions(1)
        .set_bool("datafusion.sql_parser.enable_ident_normalization", false);
    let ctx = SessionContext::new_with_config(config);
    huntsql_udfs::register_all(&ctx)?;
    Ok(ctx)
}

async fn query(ctx: &SessionContext, sql: &str) -> Result<RecordBatch> {
    let df = ctx.sql(sql).await.map_err(|e| e.context(sql.to_string()))?;
    let schema = df.schema().inner().clone();
    let batches = df.collect().await?;
    Ok(concat_batches(&schema, &batches)?)
}

fn int64_column(batch: &RecordBatch, name: &str) -> Vec<Option<i64>> {
    let column = cast(batch.column_by_name(name).expect(name), &DataType::Int64).unwrap();
    column.as_primitive::<Int64Type>().iter().collect()
}

/// `(row_id, label)` lines of a CSV with a header.
fn labels_csv(path: &PathBuf) -> Vec<i64> {
    let text = std::fs::read_to_string(path).expect("expected labels");
    let mut labels = Vec::new();
    for (i, line) in text.lines().skip(1).enumerate() {
        let (row, label) = line.split_once(',').expect("row_id,ClusterId");
        assert_eq!(row.parse::<usize>().unwrap(), i, "row ids in order");
        labels.push(label.parse().unwrap());
    }
    labels
}

async fn register_dev(ctx: &SessionContext) -> Result<()> {
    ctx.register_parquet(
        "dev",
        path_str(&shared("data/process_events.dev.parquet")),
        ParquetReadOptions::default(),
    )
    .await?;
    // msticpy's frame: the row index, the events, its ten features.
    ctx.sql("CREATE VIEW dev_rows AS SELECT row_number() OVER () - 1 AS row_id, * FROM dev")
        .await?;
    ctx.sql("CREATE VIEW dev_features AS SELECT * FROM add_process_features('dev_rows')")
        .await?;
    Ok(())
}

#[tokio::test]
async fn dev_labels_match_msticpy() -> Result<()> {
    let ctx = session().await?;
    register_dev(&ctx).await?;
    let batch = query(
        &ctx,
        "SELECT row_id, dbscan_cluster(0.0001, 2, 'l2', \
             cmdline_tokens(coalesce(CommandLine, '')), \
             path_score(coalesce(NewProcessName, '')), \
             coalesce(is_system_session(SubjectLogonId), false)) \
             OVER (ORDER BY row_id) AS label \
         FROM dev_rows ORDER BY row_id",
    )
    .await?;
    let expected = labels_csv(&shared("expected/msticpy_dev/cluster_labels.csv"));
    let rows = int64_column(&batch, "row_id");
    let labels = int64_column(&batch, "label");
    assert_eq!(labels.len(), expected.len());
    let mut mismatches = Vec::new();
    for (i, (label, want)) in labels.iter().zip(&expected).enumerate() {
        assert_eq!(rows[i], Some(i as i64));
        if *label != Some(*want) {
            mismatches.push(format!("row {i}: {label:?}, msticpy {want}"));
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} of {} labels differ:\n{}",
        mismatches.len(),
        expected.len(),
        mismatches[..mismatches.len().min(20)].join("\n")
    );
    // The labels do not depend on the scan order once ORDER BY fixes it.
    let shuffled = query(
        &ctx,
        "SELECT row_id, dbscan_cluster(0.0001, 2, 'l2', commandlineTokensFull, pathScore, \
             isSystemSession) OVER (ORDER BY row_id) AS label \
         FROM (SELECT * FROM dev_features ORDER BY pathHash) ORDER BY row_id",
    )
    .await?;
    assert_eq!(int64_column(&shuffled, "label"), labels);
    Ok(())
}

/// Reads a CSV written by pandas with every column as text.
async fn read_text_csv(ctx: &SessionContext, path: &PathBuf) -> Result<RecordBatch> {
    let text = std::fs::read_to_string(path).expect("expected csv");
    let header = text.lines().next().expect("a header");
    let schema = Schema::new(
        header
            .split(',')
            .map(|name| Field::new(name, DataType::Utf8, true))
            .collect::<Vec<_>>(),
    );
    let df = ctx
        .read_csv(path_str(path), CsvReadOptions::new().schema(&schema))
        .await?;
    let batches = df.collect().await?;
    Ok(concat_batches(&batches[0].schema(), &batches)?)
}

/// Compares `actual` with pandas' text output `expected`, column by column
/// and row by row: the text is cast to the actual column's type (times as
/// instants, `True`/`False` as booleans), floats within 1e-12 (relative),
/// NULL and the empty string alike (pandas writes both as nothing).
fn assert_same_table(actual: &RecordBatch, expected: &RecordBatch) {
    let names = |b: &RecordBatch| -> Vec<String> {
        b.schema()
            .fields()
            .iter()
            .map(|f| f.name().to_string())
            .collect()
    };
    assert_eq!(names(actual), names(expected), "columns and their order");
    assert_eq!(actual.num_rows(), expected.num_rows(), "rows");
    let mut failures = Vec::new();
    for (i, field) in actual.schema().fields().iter().enumerate() {
        let ours = actual.column(i);
        let text = expected.column(i);
        let (ours, theirs): (ArrayRef, ArrayRef) = match field.data_type() {
            DataType::Timestamp(_, tz) => {
                let utc = DataType::Timestamp(TimeUnit::Nanosecond, tz.clone());
                (cast(ours, &utc).unwrap(), cast(text, &utc).unwrap())
            }
            DataType::Utf8 | DataType::Utf8View | DataType::LargeUtf8 => (
                cast(ours, &DataType::Utf8).unwrap(),
                cast(text, &DataType::Utf8).unwrap(),
            ),
            other => (ours.clone(), cast(text, other).unwrap()),
        };
        for row in 0..actual.num_rows() {
            let same = match field.data_type() {
                DataType::Float64 | DataType::Float32 => {
                    let a = cast(&ours, &DataType::Float64).unwrap();
                    let b = cast(&theirs, &DataType::Float64).unwrap();
                    let (a, b) = (
                        a.as_primitive::<Float64Type>(),
                        b.as_primitive::<Float64Type>(),
                    );
                    a.is_null(row) == b.is_null(row)
                        && (a.is_null(row)
                            || (a.value(row) - b.value(row)).abs()
                                <= 1e-12 * a.value(row).abs().max(1.0))
                }
                DataType::Utf8 | DataType::Utf8View | DataType::LargeUtf8 => {
                    let (a, b) = (ours.as_string::<i32>(), theirs.as_string::<i32>());
                    let value = |s: &datafusion::arrow::array::StringArray| {
                        if s.is_null(row) {
                            String::new()
                        } else {
                            s.value(row).to_string()
                        }
                    };
                    value(a) == value(b)
                }
                _ => ours.slice(row, 1) == theirs.slice(row, 1),
            };
            if !same {
                failures.push(format!(
                    "row {row}, column {}: ours {:?}, msticpy {:?}",
                    field.name(),
                    ours.slice(row, 1),
                    text.slice(row, 1)
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} cells differ:\n{}",
        failures.len(),
        failures[..failures.len().min(20)].join("\n")
    );
}

#[tokio::test]
async fn dev_dbcluster_events_matches_msticpy() -> Result<()> {
    let ctx = session().await?;
    register_dev(&ctx).await?;
    let actual = query(
        &ctx,
        "SELECT * FROM dbcluster_events('dev_features', \
             'commandlineTokensFull, pathScore, isSystemSession', 0.0001, 2)",
    )
    .await?;
    let expected = read_text_csv(&ctx, &shared("expected/msticpy_dev/clusters.csv")).await?;
    assert_eq!(expected.num_rows(), 122);
    assert_same_table(&actual, &expected);
    Ok(())
}

#[tokio::test]
async fn msticpy_eventcluster_cases() -> Result<()> {
    let json: Value = serde_json::from_str(
        &std::fs::read_to_string(shared("expected/msticpy_cases/eventcluster.json"))
            .expect("eventcluster.json"),
    )
    .expect("valid json");
    let ctx = session().await?;
    ctx.register_csv(
        "processes_on_host",
        path_str(&shared("data/msticpy_testdata/processes_on_host.csv")),
        CsvReadOptions::new(),
    )
    .await?;
    // add_process_features(path_separator='\\'); "" is pandas' index column.
    ctx.sql(r#"CREATE VIEW poh AS SELECT * FROM add_process_features('processes_on_host', '\')"#)
        .await?;

    let cases = json["clustering"].as_array().expect("clustering cases");
    assert_eq!(cases.len(), 3);
    for case in cases {
        let columns: Vec<&str> = case["cluster_columns"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap())
            .collect();
        let eps = case["max_cluster_distance"].as_f64().unwrap();
        let min_samples = case["min_cluster_samples"].as_u64().unwrap();
        assert_eq!(case["normalize"], Value::Bool(true));
        let time_column = case["time_column"].as_str().unwrap();
        let observed = &case["observed"];
        let context = format!("{columns:?} eps {eps}");

        // Per-row labels from the window function.
        let features = columns.join(", ");
        let batch = query(
            &ctx,
            &format!(
                r#"SELECT "" AS idx, dbscan_cluster({eps}, {min_samples}, 'l2', {features})
                   OVER (ORDER BY "") AS label FROM poh ORDER BY "" "#
            ),
        )
        .await?;
        let want: Vec<Option<i64>> = observed["labels_per_input_row"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_i64())
            .collect();
        assert_eq!(int64_column(&batch, "label"), want, "{context}: labels");

        // The msticpy-shaped summary.
        let out = query(
            &ctx,
            &format!(
                "SELECT * FROM dbcluster_events('poh', '{}', {eps}, {min_samples}, 'l2', \
                 '{time_column}')",
                columns.join(",")
            ),
        )
        .await?;
        let index: Vec<Option<i64>> = int64_column(&out, "");
        let want_order: Vec<Option<i64>> = observed["output_index_order"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_i64())
            .collect();
        assert_eq!(index, want_order, "{context}: output rows");
        let sizes: Vec<i64> = int64_column(&out, "ClusterSize")
            .into_iter()
            .flatten()
            .collect();
        let ids: Vec<i64> = int64_column(&out, "ClusterId")
            .into_iter()
            .flatten()
            .collect();
        let noise = ids.iter().filter(|&&id| id == -1).count();
        for (key, value) in [
            ("rows", out.num_rows() as i64),
            ("ClusterSize_max", *sizes.iter().max().unwrap()),
            ("ClusterSize_min", *sizes.iter().min().unwrap()),
            ("ClusterId_max", *ids.iter().max().unwrap()),
            ("noise_rows", noise as i64),
        ] {
            assert_eq!(Some(value), observed[key].as_i64(), "{context}: {key}");
        }
        // msticpy's own assertions, where its test makes them.
        if let Some(asserted) = case["asserted"].as_object() {
            for (key, value) in asserted {
                let ours = match key.as_str() {
                    "rows" => out.num_rows() as i64,
                    "ClusterSize_max" => *sizes.iter().max().unwrap(),
                    "ClusterSize_min" => *sizes.iter().min().unwrap(),
                    "ClusterId_max" => *ids.iter().max().unwrap(),
                    k if k.starts_with("noise_rows") => noise as i64,
                    other => panic!("unknown assertion {other}"),
                };
                assert_eq!(Some(ours), value.as_i64(), "{context}: asserted {key}");
            }
        }
        // Clustered / ClusterId / ClusterSize / times per msticpy.
        let clustered = out.column_by_name("Clustered").unwrap().as_boolean();
        for (row, &id) in ids.iter().enumerate() {
            assert_eq!(clustered.value(row), id != -1);
            if id == -1 {
                assert_eq!(sizes[row], 1);
            }
        }
        assert!(matches!(
            out.column_by_name("FirstEventTime").unwrap().data_type(),
            DataType::Timestamp(TimeUnit::Nanosecond, None)
        ));
    }
    Ok(())
}

/// msticpy's quirk, pinned: every noise row carries the noise set's first
/// and last times (and `TimeGenerated` is overwritten by its cluster's
/// first time), while the clusters carry their own.
#[tokio::test]
async fn noise_rows_share_the_noise_set_times() -> Result<()> {
    let ctx = session().await?;
    register_dev(&ctx).await?;
    let out = query(
        &ctx,
        "SELECT c.row_id, c.ClusterId, c.TimeGenerated, c.FirstEventTime, c.LastEventTime, \
                d.TimeGenerated AS own_time \
         FROM dbcluster_events('dev_features', \
             'commandlineTokensFull, pathScore, isSystemSession', 0.0001, 2) c \
         JOIN dev_rows d ON c.row_id = d.row_id \
         WHERE c.ClusterId = -1",
    )
    .await?;
    let times = |name: &str| -> Vec<Option<i64>> {
        let utc = DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into()));
        let instants = cast(out.column_by_name(name).unwrap(), &utc).unwrap();
        cast(&instants, &DataType::Int64)
            .unwrap()
            .as_primitive::<Int64Type>()
            .iter()
            .collect()
    };
    let (generated, first, last, own) = (
        times("TimeGenerated"),
        times("FirstEventTime"),
        times("LastEventTime"),
        times("own_time"),
    );
    assert!(out.num_rows() > 1);
    let min_own = own.iter().flatten().min().copied();
    let max_own = own.iter().flatten().max().copied();
    assert!(first.iter().all(|t| *t == min_own));
    assert!(generated.iter().all(|t| *t == min_own));
    assert!(last.iter().all(|t| *t == max_own));
    assert!(
        own.iter().any(|t| *t != min_own),
        "the quirk hides own times"
    );
    Ok(())
}
