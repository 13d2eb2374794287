//! `dbscan_cluster` on uniform random 3-D points (eps 0.01, min_samples 5),
//! the set-up issue 5 compares with scikit-learn.
//!
//! For each size the points and huntsql's labels are written as Parquet
//! under `--out` (default `target/tmp/dbscan-bench`), so
//! `benchmarks/peers/sklearn_dbscan.py` times scikit-learn on the very same
//! points and checks that its labels are identical.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use datafusion::arrow::array::{AsArray, Float64Array, Int64Array, RecordBatch};
use datafusion::arrow::datatypes::{DataType, Field, Int64Type, Schema};
use datafusion::catalog::MemTable;
use datafusion::error::Result;
use datafusion::prelude::{SessionConfig, SessionContext};

use huntsql_benchmarks::{arg_value, repo_root};

const EPS: f64 = 0.01;
const MIN_SAMPLES: usize = 5;
/// Independent partitions in the all-cores run.
const PARTITIONS: usize = 16;

/// `n` points uniform in the unit cube, from a fixed seed (xorshift64*), so
/// every run and every peer sees the same points.
fn points(n: usize) -> Result<RecordBatch> {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        (state.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    };
    let (mut x, mut y, mut z) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    for _ in 0..n {
        x.push(next());
        y.push(next());
        z.push(next());
    }
    let schema = Arc::new(Schema::new(vec![
        Field::new("id", DataType::Int64, false),
        Field::new("x", DataType::Float64, false),
        Field::new("y", DataType::Float64, false),
        Field::new("z", DataType::Float64, false),
    ]));
    Ok(RecordBatch::try_new(
        schema,
        vec![
            Arc::new(Int64Array::from_iter_values(0..n as i64)),
            Arc::new(Float64Array::from(x)),
            Arc::new(Float64Array::from(y)),
            Arc::new(Float64Array::from(z)),
        ],
    )?)
}

fn context(partitions: usize) -> Result<SessionContext> {
    let config = SessionConfig::new()
        .with_target_partitions(partitions)
        .set_bool("datafusion.sql_parser.enable_ident_normalization", false);
    let ctx = SessionContext::new_with_config(config);
    huntsql_udfs::register_all(&ctx)?;
    Ok(ctx)
}

/// Clusters (distinct non-negative labels) and noise rows of a result whose
/// second column is the label.
fn summary(batches: &[RecordBatch]) -> (usize, usize) {
    let mut clusters = std::collections::HashSet::new();
    let mut noise = 0;
    for b in batches {
        let labels = datafusion::arrow::compute::cast(b.column(1), &DataType::Int64)
            .expect("integer labels");
        let labels = labels.as_primitive::<Int64Type>();
        for i in 0..labels.len() {
            match labels.value(i) {
                -1 => noise += 1,
                l => {
                    clusters.insert(l);
                }
            }
        }
    }
    (clusters.len(), noise)
}

pub(crate) async fn run(args: &[String]) -> Result<()> {
    let sizes: Vec<usize> = arg_value(args, "--rows")
        .map(|v| v.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![10_000, 100_000, 1_000_000]);
    let out = arg_value(args, "--out")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("target/tmp/dbscan-bench"));
    std::fs::create_dir_all(&out)?;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "dbscan_cluster({EPS}, {MIN_SAMPLES}, 'none', x, y, z) on uniform random 3-D points (fixed seed)"
    );
    println!("| rows | one partition, one core | clusters | noise | {PARTITIONS} partitions (id % {PARTITIONS}), {cores} cores |");
    println!("|---|---|---|---|---|");
    for n in sizes {
        let batch = points(n)?;
        let ctx = context(1)?;
        ctx.register_table(
            "points",
            Arc::new(MemTable::try_new(batch.schema(), vec![vec![batch]])?),
        )?;
        let sql = format!(
            "SELECT id, dbscan_cluster({EPS}, {MIN_SAMPLES}, 'none', x, y, z) OVER () AS cluster FROM points"
        );
        let start = Instant::now();
        let labels = ctx.sql(&sql).await?.collect().await?;
        let one = start.elapsed().as_secs_f64();
        let (clusters, noise) = summary(&labels);

        let parallel = context(cores)?;
        parallel.register_table("points", ctx.table_provider("points").await?)?;
        let sql = format!(
            "SELECT id, dbscan_cluster({EPS}, {MIN_SAMPLES}, 'none', x, y, z) OVER (PARTITION BY id % {PARTITIONS}) AS cluster FROM points"
        );
        let start = Instant::now();
        let rows: usize = parallel
            .sql(&sql)
            .await?
            .collect()
            .await?
            .iter()
            .map(|b| b.num_rows())
            .sum();
        let many = start.elapsed().as_secs_f64();
        assert_eq!(rows, n);
        println!("| {n} | {one:.3} s | {clusters} | {noise} | {many:.3} s |");

        // The points and labels, for scikit-learn on the same input.
        let dir = out.display();
        ctx.sql(&format!(
            "COPY points TO '{dir}/points_{n}.parquet' STORED AS PARQUET"
        ))
        .await?
        .collect()
        .await?;
        ctx.register_table(
            "labels",
            Arc::new(MemTable::try_new(labels[0].schema(), vec![labels])?),
        )?;
        ctx.sql(&format!(
            "COPY labels TO '{dir}/labels_{n}.parquet' STORED AS PARQUET"
        ))
        .await?
        .collect()
        .await?;
        ctx.deregister_table("labels")?;
    }
    println!("points and labels written to {}", out.display());
    Ok(())
}
