//! `elastic`: rows/s scanned from Elasticsearch-API servers by huntsql, and
//! by a plain `curl` loop fetching the same pages (issue 8: the client
//! should not be the bottleneck).
//!
//! - Index scan: osmem-server (a third-party in-memory OpenSearch-API
//!   server; `tests/servers/install-osmem-server.sh`), point in time and
//!   `search_after` pages of `--page-size` documents, every column.
//! - SQL API: the loopback emulator of Elastic's `_sql` API
//!   (`tests/src/es_emulator.rs`), cursor pages of `--page-size` rows.
//!
//! The documents are the embedded sample's process events repeated to
//! `--docs` (AMPLIFIED, and said so), each with its own `row_id`.

use std::collections::HashMap;
use std::process::Command;
use std::sync::Arc;
use std::time::Instant;

use datafusion::arrow::array::RecordBatch;
use datafusion::error::{DataFusionError, Result};
use huntsql_benchmarks::arg_number;
use huntsql_engine::{HuntConfig, HuntSession};
use huntsql_tests::es_data;
use huntsql_tests::es_emulator::{EmuTable, EsEmulator};
use huntsql_tests::osmem::OsmemServer;
use serde_json::{json, Value};

pub async fn run(args: &[String]) -> Result<()> {
    let docs_wanted: usize = arg_number(args, "--docs", 50_000);
    let page_size: usize = arg_number(args, "--page-size", 1000);
    let runs: usize = arg_number(args, "--runs", 3).max(1);

    let (schema, base) = es_data::sample_events().await;
    let base_rows: usize = base.iter().map(RecordBatch::num_rows).sum();
    let base_docs = es_data::documents(&base);
    let docs: Vec<Value> = (0..docs_wanted)
        .map(|i| {
            let mut doc = base_docs[i % base_docs.len()].clone();
            doc["row_id"] = json!(i);
            doc
        })
        .collect();
    let copies = docs_wanted.div_ceil(base_rows.max(1));
    let batches: Vec<RecordBatch> = (0..copies).flat_map(|_| base.iter().cloned()).collect();
    let sql_rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
    println!(
        "input: the embedded sample's process events ({base_rows} real rows) repeated to \
         {docs_wanted} documents (index) and {sql_rows} rows (SQL API): AMPLIFIED; \
         page size {page_size}; best of {runs} runs"
    );
    println!("| source | client | rows | best | rows/s |");
    println!("|---|---|---|---|---|");

    // Index scans against osmem-server.
    let server = OsmemServer::start();
    let url = server.url();
    es_data::bulk_load(&url, "events", &es_data::events_mapping(), &docs, "row_id").await;
    let session = session_from(&format!(
        "[sources.os]\nkind = \"elasticsearch\"\nurl = \"{url}\"\npage_size = {page_size}\n"
    ))
    .await?;
    let huntsql_scan = best(runs, docs_wanted, || async {
        rows(&session.query("SELECT * FROM os.events").await?)
    })
    .await?;
    report(
        "osmem-server, PIT + search_after",
        "huntsql",
        docs_wanted,
        huntsql_scan,
    );
    let curl_scan = best(runs, docs_wanted, || async {
        curl_pit_scan(&url, page_size)
    })
    .await?;
    report(
        "osmem-server, PIT + search_after",
        "curl loop",
        docs_wanted,
        curl_scan,
    );
    drop(server);

    // The SQL API against the emulator.
    let emulator = EsEmulator::start(
        vec![EmuTable {
            name: "events".into(),
            schema: Arc::clone(&schema),
            batches,
        }],
        None,
        HashMap::new(),
    );
    let session = session_from(&format!(
        "[sources.emu]\nkind = \"elasticsearch\"\nurl = \"{}\"\npage_size = {page_size}\n",
        emulator.url
    ))
    .await?;
    let huntsql_sql = best(runs, sql_rows, || async {
        rows(
            &session
                .query("SELECT * FROM es_sql('emu', 'SELECT * FROM events')")
                .await?,
        )
    })
    .await?;
    report("SQL API emulator, cursor", "huntsql", sql_rows, huntsql_sql);
    let curl_sql = best(runs, sql_rows, || async {
        curl_sql_scan(&emulator.url, page_size)
    })
    .await?;
    report("SQL API emulator, cursor", "curl loop", sql_rows, curl_sql);
    println!(
        "huntsql / curl throughput: index scan {:.2}, SQL API {:.2} (1.0 or more: the client is not the bottleneck)",
        curl_scan / huntsql_scan,
        curl_sql / huntsql_sql
    );
    Ok(())
}

async fn session_from(config: &str) -> Result<HuntSession> {
    let config = HuntConfig::parse(config, "benchmark config")?;
    let session = HuntSession::builder().build()?;
    session.register_config_data(&config).await?;
    Ok(session)
}

fn rows(batches: &[RecordBatch]) -> Result<usize> {
    Ok(batches.iter().map(RecordBatch::num_rows).sum())
}

/// The best time of `runs` runs, each checked to return `expected` rows.
async fn best<F, Fut>(runs: usize, expected: usize, mut scan: F) -> Result<f64>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<usize>>,
{
    let mut best = f64::INFINITY;
    for _ in 0..runs {
        let start = Instant::now();
        let n = scan().await?;
        best = best.min(start.elapsed().as_secs_f64());
        if n != expected {
            return Err(DataFusionError::Execution(format!(
                "the scan returned {n} rows, expected {expected}"
            )));
        }
    }
    Ok(best)
}

fn report(source: &str, client: &str, rows: usize, secs: f64) {
    println!(
        "| {source} | {client} | {rows} | {secs:.3} s | {:.0} |",
        rows as f64 / secs
    );
}

/// One `curl` request; the answer as JSON.
fn curl(method: &str, url: &str, body: &Value) -> Result<Value> {
    let out = Command::new("curl")
        .args([
            "-sS",
            "-X",
            method,
            url,
            "-H",
            "content-type: application/json",
        ])
        .arg("--data-binary")
        .arg(body.to_string())
        .output()
        .map_err(|e| DataFusionError::Execution(format!("curl could not run: {e}")))?;
    if !out.status.success() {
        return Err(DataFusionError::Execution(format!(
            "curl {method} {url}: {}",
            String::from_utf8_lossy(&out.stderr)
        )));
    }
    serde_json::from_slice(&out.stdout)
        .map_err(|e| DataFusionError::Execution(format!("curl {method} {url}: not JSON: {e}")))
}

/// The pages huntsql fetches (OpenSearch point in time, `search_after` on
/// `_shard_doc`), fetched by curl; returns the documents seen.
fn curl_pit_scan(url: &str, page_size: usize) -> Result<usize> {
    let pit = curl(
        "POST",
        &format!("{url}/events/_search/point_in_time?keep_alive=2m"),
        &json!({}),
    )?;
    let pit_id = pit["pit_id"]
        .as_str()
        .ok_or_else(|| DataFusionError::Execution(format!("no pit_id in {pit}")))?
        .to_string();
    let mut seen = 0;
    let mut after: Option<Value> = None;
    loop {
        let mut body = json!({
            "size": page_size,
            "pit": {"id": pit_id, "keep_alive": "2m"},
            "sort": [{"_shard_doc": "asc"}],
            "track_total_hits": false,
        });
        if let Some(after) = after.take() {
            body["search_after"] = after;
        }
        let page = curl("POST", &format!("{url}/_search"), &body)?;
        let hits = page["hits"]["hits"].as_array().cloned().unwrap_or_default();
        seen += hits.len();
        match hits.last().map(|h| h["sort"].clone()) {
            Some(sort) if hits.len() == page_size => after = Some(sort),
            _ => break,
        }
    }
    curl(
        "DELETE",
        &format!("{url}/_search/point_in_time"),
        &json!({"pit_id": [pit_id]}),
    )?;
    Ok(seen)
}

/// The SQL API's cursor pages, fetched by curl; returns the rows seen.
fn curl_sql_scan(url: &str, page_size: usize) -> Result<usize> {
    let mut body = json!({"query": "SELECT * FROM events", "fetch_size": page_size});
    let mut seen = 0;
    loop {
        let page = curl("POST", &format!("{url}/_sql?format=json"), &body)?;
        seen += page["rows"].as_array().map_or(0, Vec::len);
        match page["cursor"].as_str() {
            Some(cursor) if !cursor.is_empty() => body = json!({"cursor": cursor}),
            _ => break,
        }
    }
    Ok(seen)
}
