//! huntsql benchmarks. Build in release and run from the repository root:
//!
//! ```sh
//! cargo run --release -p huntsql-benchmarks -- startup
//! cargo run --release -p huntsql-benchmarks -- functions --rows 1000000
//! cargo run --release -p huntsql-benchmarks -- object-store --rows 2000000
//! cargo run --release -p huntsql-benchmarks -- elastic --docs 50000
//! cargo run --release -p huntsql-benchmarks -- log-analytics --rows 200000
//! ```
//!
//! `functions` amplifies the shared dev process events (or the embedded
//! sample when ../shared is absent) to the requested row count by repeating
//! them, and says so in its output.

use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use datafusion::catalog::MemTable;
use datafusion::error::Result;
use datafusion::prelude::{SessionConfig, SessionContext};

use huntsql_benchmarks::{
    amplified_events, arg_value, column_bytes, repo_root, ALL_FEATURES, FUNCTIONS, IOC_FUNCTIONS,
    MSTICPY_DEV_ROWS,
};

mod dbscan;
mod elastic;
mod log_analytics;
mod object_store;

/// Start-up and exit of `huntsql -c "SELECT 1"`, best and median of N runs.
fn startup(args: &[String]) {
    let runs: usize = arg_value(args, "--runs")
        .and_then(|r| r.parse().ok())
        .unwrap_or(20);
    // The huntsql built beside this benchmark (CARGO_TARGET_DIR may point
    // anywhere), else the repository's target folder.
    let beside = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.join("huntsql")))
        .filter(|path| path.exists());
    let binary = arg_value(args, "--binary")
        .map(PathBuf::from)
        .or(beside)
        .unwrap_or_else(|| repo_root().join("target/release/huntsql"));
    if !binary.exists() {
        eprintln!(
            "{} not found: run `cargo build --release -p huntsql -p huntsql-benchmarks` first, or pass --binary PATH",
            binary.display()
        );
        std::process::exit(2);
    }
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

/// Rows/s and MB/s of each function on one core.
async fn functions(args: &[String]) -> Result<()> {
    let rows: usize = arg_value(args, "--rows")
        .and_then(|r| r.parse().ok())
        .unwrap_or(1_000_000);
    // `--only a,b`: just these functions (for a profiler).
    let only = arg_value(args, "--only");
    let wanted = |label: &str| {
        only.as_deref()
            .is_none_or(|o| o.split(',').any(|w| w.trim() == label))
    };
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
    // Best of `--runs` (default 3): this machine's timings vary by a third
    // from one run to the next.
    let runs: usize = arg_value(args, "--runs")
        .and_then(|r| r.parse().ok())
        .unwrap_or(3)
        .max(1);
    println!("input: {note}; one core; best of {runs} runs");
    println!("| function | rows/s | MB/s | time |");
    println!("|---|---|---|---|");
    let time = |sql: String| {
        let ctx = ctx.clone();
        async move {
            let mut best = f64::INFINITY;
            for _ in 0..runs {
                let start = Instant::now();
                let out = ctx.sql(&sql).await?.collect().await?;
                best = best.min(start.elapsed().as_secs_f64());
                assert_eq!(out[0].num_rows(), 1);
            }
            Ok::<f64, datafusion::error::DataFusionError>(best)
        }
    };
    for (label, expr, column) in FUNCTIONS.iter().filter(|f| wanted(f.0)) {
        let secs = time(format!("SELECT count({expr}) FROM events")).await?;
        let mb = column_bytes(&batches, column) as f64 / 1e6;
        println!(
            "| {label} | {:.0} | {:.0} | {secs:.3} s |",
            rows as f64 / secs,
            mb / secs
        );
    }
    for (label, expr, msticpy_secs) in IOC_FUNCTIONS.iter().filter(|f| wanted(f.0)) {
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
    if !wanted("all") {
        return Ok(());
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
        Some("elastic") => elastic::run(&args).await?,
        Some("log-analytics") => log_analytics::run(&args).await?,
        _ => {
            eprintln!("usage: huntsql-benchmarks startup [--runs N] [--binary PATH] | functions [--rows N] [--runs N] [--only NAME,...|all] | dbscan [--rows N,N,...] [--out DIR] | object-store [--rows N] [--files N] [--runs N] | elastic [--docs N] [--page-size N] [--runs N] | log-analytics [--rows N] [--rows-per-day N] [--runs N]");
            std::process::exit(2);
        }
    }
    Ok(())
}
