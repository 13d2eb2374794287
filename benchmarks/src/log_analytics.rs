//! `log-analytics` (issue 7): how fast huntsql decodes Log Analytics query
//! API answers, and the wall time of a 30-day pull in daily chunks.
//!
//! 1. Decoding: an answer of `--rows` SecurityEvent-shaped rows (the shared
//!    dev process events, repeated: AMPLIFIED) is parsed and decoded into
//!    Arrow on one core, as the connector does with every answer; rows/s
//!    and MB/s of JSON (target: at least 1,000,000 rows/s per core).
//! 2. A pull: `la.SecurityEvent` filtered to 30 days, with
//!    `chunk = "1d"` and `max_concurrency = 4` against a loopback server
//!    that answers every chunk with `--rows-per-day` rows of the same shape
//!    (and the token and `getschema` requests); the server only replays
//!    canned bytes, so the time is the client's.

use std::sync::Arc;
use std::time::Instant;

use axum::body::Bytes;
use axum::routing::post;
use axum::{Json, Router};
use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::error::{DataFusionError, Result};
use datafusion::prelude::ParquetReadOptions;
use huntsql_benchmarks::{arg_number, repo_root};
use huntsql_connectors::log_analytics::decode::decode_answer;
use huntsql_connectors::log_analytics::types::{schema_of, RawColumn};
use huntsql_engine::{HuntConfig, HuntSession};
use serde_json::{json, Value};

/// The columns of the answers, with their KQL types.
const COLUMNS: &[(&str, &str)] = &[
    ("TimeGenerated", "datetime"),
    ("Computer", "string"),
    ("EventID", "int"),
    ("SubjectUserName", "string"),
    ("SubjectLogonId", "string"),
    ("NewProcessName", "string"),
    ("CommandLine", "string"),
    ("ParentProcessName", "string"),
    ("source", "string"),
    ("dataset", "string"),
];

pub async fn run(args: &[String]) -> Result<()> {
    let rows = arg_number(args, "--rows", 200_000).max(1);
    let rows_per_day = arg_number(args, "--rows-per-day", 20_000).max(1);
    let runs = arg_number(args, "--runs", 3).max(1);
    let (base, note) = base_rows().await?;

    // 1. Decoding, one core.
    let body = answer(&base, rows);
    let schema = schema_of(
        &COLUMNS
            .iter()
            .map(|(name, kind)| RawColumn {
                name: name.to_string(),
                kind: kind.to_string(),
            })
            .collect::<Vec<_>>(),
    );
    let mut best = f64::INFINITY;
    for _ in 0..runs {
        let start = Instant::now();
        let batch = decode_answer(&body, &schema, "benchmark")
            .map_err(|e| DataFusionError::Execution(format!("canned answer: {e:?}")))?
            .batch;
        best = best.min(start.elapsed().as_secs_f64());
        if batch.num_rows() != rows {
            return Err(DataFusionError::Execution(format!(
                "decoded {} rows, expected {rows}",
                batch.num_rows()
            )));
        }
    }
    println!("input: {note}");
    println!("| what | rows | JSON | best of {runs} | rows/s | MB/s |");
    println!("|---|---|---|---|---|---|");
    println!(
        "| parse + decode one answer (one core; target 1,000,000 rows/s) | {rows} | {:.1} MB | {best:.3} s | {:.0} | {:.0} |",
        body.len() as f64 / 1e6,
        rows as f64 / best,
        body.len() as f64 / 1e6 / best
    );

    // 2. A 30-day pull in daily chunks, 4 in flight.
    let day = Bytes::from(answer(&base, rows_per_day));
    let endpoint = serve(day.clone()).await?;
    let config = HuntConfig::parse(
        &format!(
            "[sources.la]\nkind = \"log_analytics\"\nworkspace_id = \"bench\"\ntenant_id = \"bench\"\n\
             client_id = \"bench\"\nclient_secret = \"bench-secret\"\nauth = \"client_secret\"\n\
             endpoint = \"{endpoint}\"\nauthority_host = \"{endpoint}\"\ntables = \"SecurityEvent\"\n\
             chunk = \"1d\"\nmax_concurrency = 4\nprogress = false\n"
        ),
        "benchmark config",
    )?;
    let session = HuntSession::builder().build()?;
    session.register_config_data(&config).await?;
    // The time filter is pushed down exactly (as chunks), so the canned
    // rows are not filtered again by their own timestamps.
    let sql = "SELECT count(*), sum(length(CommandLine)) FROM la.SecurityEvent \
               WHERE TimeGenerated >= '2024-01-01T00:00:00Z' AND TimeGenerated < '2024-01-31T00:00:00Z'";
    let mut best = f64::INFINITY;
    for _ in 0..runs {
        let start = Instant::now();
        let out = session.query(sql).await?;
        best = best.min(start.elapsed().as_secs_f64());
        let counted = out[0]
            .column(0)
            .as_primitive::<datafusion::arrow::datatypes::Int64Type>();
        if counted.value(0) as usize != 30 * rows_per_day {
            return Err(DataFusionError::Execution(format!(
                "the pull counted {} rows, expected {}",
                counted.value(0),
                30 * rows_per_day
            )));
        }
    }
    let total = 30 * rows_per_day;
    println!(
        "| 30-day pull, daily chunks, 4 in flight (loopback) | {total} | {:.1} MB | {best:.3} s | {:.0} | {:.0} |",
        30.0 * day.len() as f64 / 1e6,
        total as f64 / best,
        30.0 * day.len() as f64 / 1e6 / best
    );
    Ok(())
}

/// The shared dev process events (or the embedded sample) as rows of JSON
/// values in [`COLUMNS`] order.
async fn base_rows() -> Result<(Vec<Vec<Value>>, String)> {
    let shared = repo_root().join("../shared/data/process_events.dev.parquet");
    let (path, origin) = if shared.exists() {
        (shared, "shared dev process events")
    } else {
        (
            repo_root().join("data/sample/process_events.parquet"),
            "embedded sample",
        )
    };
    let session = HuntSession::builder().build()?;
    let names: Vec<&str> = COLUMNS.iter().map(|(n, _)| *n).collect();
    let batches = session
        .context()
        .read_parquet(
            path.to_str().unwrap_or_default(),
            ParquetReadOptions::default(),
        )
        .await?
        .select_columns(&names)?
        .collect()
        .await?;
    let mut rows = Vec::new();
    for batch in &batches {
        for r in 0..batch.num_rows() {
            rows.push(row(batch, r)?);
        }
    }
    let note = format!("{origin} ({} real rows) repeated: AMPLIFIED", rows.len());
    Ok((rows, note))
}

fn row(batch: &RecordBatch, r: usize) -> Result<Vec<Value>> {
    let mut out = Vec::with_capacity(COLUMNS.len());
    for (c, (_, kql_type)) in COLUMNS.iter().enumerate() {
        let column = batch.column(c);
        if column.is_null(r) {
            out.push(Value::Null);
            continue;
        }
        let text = datafusion::arrow::util::display::array_value_to_string(column, r)?;
        out.push(match *kql_type {
            "int" => json!(text.parse::<i64>().unwrap_or_default()),
            // The service writes datetimes as ISO 8601 with seven digits.
            "datetime" => json!(format!("{}Z", text.replace(' ', "T").trim_end_matches('Z'))),
            _ => json!(text),
        });
    }
    Ok(out)
}

/// A query API answer with `rows` rows, cycling through `base`.
fn answer(base: &[Vec<Value>], rows: usize) -> Vec<u8> {
    let columns: Vec<Value> = COLUMNS
        .iter()
        .map(|(name, kind)| json!({"name": name, "type": kind}))
        .collect();
    let rows: Vec<&Vec<Value>> = base.iter().cycle().take(rows).collect();
    serde_json::to_vec(
        &json!({"tables": [{"name": "PrimaryResult", "columns": columns, "rows": rows}]}),
    )
    .unwrap_or_default()
}

/// A loopback server: tokens, `getschema` and every query answered with
/// `day`.
async fn serve(day: Bytes) -> Result<String> {
    let schema: Vec<Value> = COLUMNS
        .iter()
        .map(|(name, kind)| json!([name, kind]))
        .collect();
    let schema = Arc::new(json!({"tables": [{"name": "PrimaryResult", "columns": [
        {"name": "ColumnName", "type": "string"}, {"name": "ColumnType", "type": "string"}
    ], "rows": schema}]}));
    let app = Router::new()
        .route(
            "/{tenant}/oauth2/v2.0/token",
            post(|| async {
                Json(json!({"token_type": "Bearer", "expires_in": 3600, "access_token": "bench-token"}))
            }),
        )
        .route(
            "/v1/workspaces/{workspace}/query",
            post(move |body: Bytes| {
                let day = day.clone();
                let schema = Arc::clone(&schema);
                async move {
                    let getschema = serde_json::from_slice::<Value>(&body)
                        .ok()
                        .and_then(|b| b["query"].as_str().map(|q| q.contains("getschema")))
                        .unwrap_or(false);
                    let body = if getschema {
                        Bytes::from(schema.to_string())
                    } else {
                        day
                    };
                    ([("content-type", "application/json")], body)
                }
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok(format!("http://{address}"))
}
