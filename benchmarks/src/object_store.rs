//! `object-store`: a full scan of the same Parquet files from local disk
//! and from a local S3 server (s3s-fs, as in the tests), to show the
//! object-store path costs at most half the local throughput (issue 6).
//!
//! The files are the shared dev process events repeated to `--rows` rows
//! (AMPLIFIED, and said so), split into `--files` files; s3s-fs serves
//! them from its root directory, so both sides read the same bytes.

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use datafusion::arrow::array::RecordBatch;
use datafusion::error::{DataFusionError, Result};
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::parquet::file::properties::WriterProperties;
use datafusion::prelude::ParquetReadOptions;
use huntsql_engine::HuntSession;
use huntsql_tests::s3s::{S3Server, SECRET_KEY};

use huntsql_benchmarks::{arg_number, repo_root};

/// Reads every string column, so the scan decodes all of the file.
const SCAN: &str = "SELECT count(*), \
    sum(octet_length(CommandLine)), sum(octet_length(NewProcessName)), \
    sum(octet_length(ParentProcessName)), sum(octet_length(Computer)), \
    sum(octet_length(SubjectUserName)), sum(octet_length(SubjectLogonId)), \
    max(TimeGenerated), sum(EventID) FROM {table}";

pub async fn run(args: &[String]) -> Result<()> {
    let rows: usize = arg_number(args, "--rows", 2_000_000);
    let files: usize = arg_number(args, "--files", 8).max(1);
    let runs: usize = arg_number(args, "--runs", 5).max(1);

    let session = HuntSession::builder().build()?;
    let source = repo_root().join("../shared/data/process_events.dev.parquet");
    if !source.exists() {
        return Err(DataFusionError::Execution(format!(
            "{} not found: the object-store benchmark needs ../shared",
            source.display()
        )));
    }
    let base: Vec<RecordBatch> = session
        .context()
        .read_parquet(
            source.to_str().unwrap_or_default(),
            ParquetReadOptions::default(),
        )
        .await?
        .collect()
        .await?;

    let server = S3Server::start();
    let bucket = server.create_bucket("bench");
    let local = tempfile::tempdir()?;
    let bytes = write_files(&base, rows, files, local.path())?;
    // s3s-fs serves its root directory: the same files become objects.
    let remote = bucket.join("events");
    std::fs::create_dir_all(&remote)?;
    for entry in std::fs::read_dir(local.path())? {
        let entry = entry?;
        std::fs::copy(entry.path(), remote.join(entry.file_name()))?;
    }

    session
        .query(&format!(
            "CREATE EXTERNAL TABLE local_events STORED AS PARQUET LOCATION '{}/'",
            local.path().display()
        ))
        .await?;
    session
        .query(&format!(
            "CREATE EXTERNAL TABLE s3_events STORED AS PARQUET LOCATION 's3://bench/events/' {}",
            server.options_sql(SECRET_KEY)
        ))
        .await?;

    println!(
        "input: shared dev process events ({} real rows) repeated to {rows} rows: AMPLIFIED; \
         {files} Parquet files, {:.1} MB; {} cores; best of {runs} runs",
        base.iter().map(RecordBatch::num_rows).sum::<usize>(),
        bytes as f64 / 1e6,
        std::thread::available_parallelism().map_or(1, |n| n.get()),
    );
    println!("| source | best | median | rows/s | MB/s (file bytes) |");
    println!("|---|---|---|---|---|");
    let mut best = Vec::new();
    for (label, table) in [
        ("local disk", "local_events"),
        ("S3 (s3s-fs on 127.0.0.1)", "s3_events"),
    ] {
        let sql = SCAN.replace("{table}", table);
        let mut times = Vec::new();
        let mut counted = None;
        for _ in 0..runs {
            let start = Instant::now();
            let out = session.query(&sql).await?;
            times.push(start.elapsed().as_secs_f64());
            let n = datafusion::arrow::util::display::array_value_to_string(out[0].column(0), 0)?;
            counted = Some(n);
        }
        if counted.as_deref() != Some(rows.to_string().as_str()) {
            return Err(DataFusionError::Execution(format!(
                "{label}: the scan counted {counted:?} rows, expected {rows}"
            )));
        }
        times.sort_by(f64::total_cmp);
        let (b, median) = (times[0], times[runs / 2]);
        println!(
            "| {label} | {b:.3} s | {median:.3} s | {:.0} | {:.0} |",
            rows as f64 / b,
            bytes as f64 / 1e6 / b
        );
        best.push(b);
    }
    println!(
        "S3 throughput / local throughput: {:.2} (target at least 0.5)",
        best[0] / best[1]
    );
    drop(server);
    Ok(())
}

/// Writes `base` repeated to `rows` rows as `files` Parquet files; returns
/// their total size in bytes.
fn write_files(base: &[RecordBatch], rows: usize, files: usize, dir: &Path) -> Result<u64> {
    let schema = base[0].schema();
    let per_file = rows.div_ceil(files);
    let mut written = 0;
    let mut total_bytes = 0;
    let mut cycle = base.iter().cycle();
    for f in 0..files {
        let path = dir.join(format!("part-{f:03}.parquet"));
        let file = std::fs::File::create(&path)?;
        let props = WriterProperties::builder().build();
        let mut writer = ArrowWriter::try_new(file, Arc::clone(&schema), Some(props))?;
        let mut in_file = 0;
        while in_file < per_file && written < rows {
            let batch = cycle.next().expect("non-empty input");
            let take = batch.num_rows().min(per_file - in_file).min(rows - written);
            writer.write(&batch.slice(0, take))?;
            in_file += take;
            written += take;
        }
        writer.close()?;
        total_bytes += std::fs::metadata(&path)?.len();
    }
    Ok(total_bytes)
}
