//! huntsql benchmarks. Build in release and run from the repository root:
//!
//! ```sh
//! cargo run --release -p huntsql-benchmarks -- startup
//! cargo run --release -p huntsql-benchmarks -- functions --rows 1000000
//! cargo run --release -p huntsql-benchmarks -- object-store --rows 2000000
//! ```
//!
//! `functions` amplifies the shared dev process events (or the embedded
//! sample when ../shared is absent) to the requested row count by repeating
//! them, and says so in its output.

use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::catalog::MemTable;
use datafusion::error::Result;
use datafusion::prelude::{ParquetReadOptions, SessionConfig, SessionContext};

mod dbscan;
mod object_store;

/// Each benchmarked function: a label, the SQL expression, and the input
/// column whose bytes count towards MB/s.
const FUNCTIONS: &[(&str, &str, &str)] = &[
    (
        "cmdline_tokens",
        "cmdline_tokens(CommandLine)",
        "CommandLine",
    ),
    (
        "cmdline_tokens_hash",
        "cmdline_tokens_hash(CommandLine)",
        "CommandLine",
    ),
    ("cmdline_score", "cmdline_score(CommandLine)", "CommandLine"),
    ("cmdline_len", "cmdline_len(CommandLine)", "CommandLine"),
    (
        "cmdline_log_len",
        "cmdline_log_len(CommandLine)",
        "CommandLine",
    ),
    ("path_score", "path_score(NewProcessName)", "NewProcessName"),
    (
        "path_log_score",
        "path_log_score(NewProcessName)",
        "NewProcessName",
    ),
    ("path_hash", "path_hash(NewProcessName)", "NewProcessName"),
    (
        "process_name",
        "process_name(NewProcessName)",
        "NewProcessName",
    ),
    (
        "is_system_session",
        "is_system_session(SubjectLogonId)",
        "SubjectLogonId",
    ),
];

/// Indicator extraction and base64 decoding: msticpy's slowest stages.
/// With msticpy's seconds on the 5,489 dev rows (timings.json) for the
/// per-row comparison.
const IOC_FUNCTIONS: &[(&str, &str, f64)] = &[
    ("extract_iocs", "extract_iocs(CommandLine)", 26.982),
    ("b64_unpack", "b64_unpack(CommandLine)", 1.404),
    ("b64_items", "b64_items(CommandLine)", 1.404),
];

/// The rows msticpy's timings.json was measured on.
const MSTICPY_DEV_ROWS: f64 = 5489.0;

/// The ten msticpy features in one pass, as add_process_features computes them.
const ALL_FEATURES: &str =
    "count(process_name(NewProcessName)), count(path_score(NewProcessName)), \
    count(path_log_score(NewProcessName)), count(path_hash(NewProcessName)), \
    count(cmdline_len(CommandLine)), count(cmdline_log_len(CommandLine)), \
    count(cmdline_tokens(CommandLine)), count(cmdline_score(CommandLine)), \
    count(cmdline_tokens_hash(CommandLine)), count(is_system_session(SubjectLogonId))";

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn arg_value(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

/// Start-up and exit of `huntsql -c "SELECT 1"`, best and median of N runs.
fn startup(args: &[String]) {
    let runs: usize = arg_value(args, "--runs")
        .and_then(|r| r.parse().ok())
        .unwrap_or(20);
    let binary = arg_value(args, "--binary")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("target/release/huntsql"));
    assert!(
        binary.exists(),
        "{} not found: run `cargo build --release` first",
        binary.display()
    );
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            let out = Command::new(&binary)
                .args(["-c", "SELECT 1"])
                .env("HUNTSQL_CONFIG", "/dev/null")
                .output()
                .expect("huntsql runs");
            assert!(out.status.success());
            start.elapsed()
        })
        .collect();
    times.sort();
    println!(
        "startup: huntsql -c \"SELECT 1\" ({}), {runs} runs: best {:.3} s, median {:.3} s, worst {:.3} s (target < 0.3 s)",
        binary.display(),
        times[0].as_secs_f64(),
        times[runs / 2].as_secs_f64(),
        times[runs - 1].as_secs_f64()
    );
}

/// The process events, repeated to `rows` rows, in one partition.
async fn amplified_events(ctx: &SessionContext, rows: usize) -> Result<(Vec<RecordBatch>, String)> {
    let shared = repo_root().join("../shared/data/process_events.dev.parquet");
    let (path, origin) = if shared.exists() {
        (shared, "shared dev process events")
    } else {
        (
            repo_root().join("data/sample/process_events.parquet"),
            "embedded sample",
        )
    };
    let base = ctx
        .read_parquet(path.to_str().unwrap(), ParquetReadOptions::default())
        .await?
        .select_columns(&["CommandLine", "NewProcessName", "SubjectLogonId"])?
        .collect()
        .await?;
    let base_rows: usize = base.iter().map(|b| b.num_rows()).sum();
    let mut batches = Vec::new();
    let mut total = 0;
    'fill: loop {
        for b in &base {
            if total >= rows {
                break 'fill;
            }
            let take = b.num_rows().min(rows - total);
            batches.push(b.slice(0, take));
            total += take;
        }
    }
    let note = format!("{origin} ({base_rows} real rows) repeated to {total} rows: AMPLIFIED");
    Ok((batches, note))
}

fn column_bytes(batches: &[RecordBatch], column: &str) -> usize {
    batches
        .iter()
        .map(|b| {
            let array = b.column_by_name(column).expect("column");
            let array = array.as_string_view();
            (0..array.len())
                .filter(|&i| array.is_valid(i))
                .map(|i| array.value(i).len())
                .sum::<usize>()
        })
        .sum()
}

/// Rows/s and MB/s of each function on one core.
async fn functions(args: &[String]) -> Result<()> {
    let rows: usize = arg_value(args, "--rows")
        .and_then(|r| r.parse().ok())
        .unwrap_or(1_000_000);
    let config = SessionConfig::new()
        .with_target_partitions(1)
        .set_bool("datafusion.sql_parser.enable_ident_normalization", false);
    let ctx = SessionContext::new_with_config(config);
    huntsql_udfs::register_all(&ctx)?;
    let (batches, note) = amplified_events(&ctx, rows).await?;
    let schema = batches[0].schema();
    ctx.register_table(
        "events",
        Arc::new(MemTable::try_new(schema, vec![batches.clone()])?),
    )?;
    println!("input: {note}; one core");
    println!("| function | rows/s | MB/s | time |");
    println!("|---|---|---|---|");
    let time = |sql: String| {
        let ctx = ctx.clone();
        async move {
            let start = Instant::now();
            let out = ctx.sql(&sql).await?.collect().await?;
            let elapsed = start.elapsed().as_secs_f64();
            assert_eq!(out[0].num_rows(), 1);
            Ok::<f64, datafusion::error::DataFusionError>(elapsed)
        }
    };
    for (label, expr, column) in FUNCTIONS {
        let secs = time(format!("SELECT count({expr}) FROM events")).await?;
        let mb = column_bytes(&batches, column) as f64 / 1e6;
        println!(
            "| {label} | {:.0} | {:.0} | {secs:.3} s |",
            rows as f64 / secs,
            mb / secs
        );
    }
    for (label, expr, msticpy_secs) in IOC_FUNCTIONS {
        let secs = time(format!("SELECT count({expr}) FROM events")).await?;
        let mb = column_bytes(&batches, "CommandLine") as f64 / 1e6;
        let per_row = secs / rows as f64;
        let msticpy_per_row = msticpy_secs / MSTICPY_DEV_ROWS;
        println!(
            "| {label} | {:.0} | {:.0} | {secs:.3} s ({:.0}x msticpy per row; target 1,000x) |",
            rows as f64 / secs,
            mb / secs,
            msticpy_per_row / per_row
        );
    }
    let secs = time(format!("SELECT {ALL_FEATURES} FROM events")).await?;
    println!(
        "| all ten msticpy features | {:.0} | - | {secs:.3} s (target < 1 s for 1,000,000 rows) |",
        rows as f64 / secs
    );
    Ok(())
}

#[tokio::main]
async fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("startup") => startup(&args),
        Some("functions") => functions(&args).await?,
        Some("dbscan") => dbscan::run(&args).await?,
        Some("object-store") => object_store::run(&args).await?,
        _ => {
            eprintln!("usage: huntsql-benchmarks startup [--runs N] [--binary PATH] | functions [--rows N] | dbscan [--rows N,N,...] [--out DIR] | object-store [--rows N] [--files N] [--runs N]");
            std::process::exit(2);
        }
    }
    Ok(())
}
