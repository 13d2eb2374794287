//! Criterion micro-benchmarks: each security function over the shared dev
//! process events repeated to 1,000,000 rows (AMPLIFIED), one core, as
//! rows/s (`cargo bench` prints elements/s) and MB/s of the input column
//! (a second group, bytes/s).
//!
//! ```sh
//! cargo bench -p huntsql-benchmarks --bench functions               # all
//! cargo bench -p huntsql-benchmarks --bench functions -- b64_items  # one
//! HUNTSQL_BENCH_ROWS=100000 cargo bench -p huntsql-benchmarks --bench functions
//! ```

use std::sync::Arc;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use datafusion::arrow::array::RecordBatch;
use datafusion::catalog::MemTable;
use datafusion::prelude::{SessionConfig, SessionContext};
use huntsql_benchmarks::{amplified_events, column_bytes, FUNCTIONS, IOC_FUNCTIONS};
use tokio::runtime::Runtime;

struct Input {
    ctx: SessionContext,
    batches: Vec<RecordBatch>,
    rows: usize,
}

fn input(runtime: &Runtime) -> Input {
    let rows: usize = std::env::var("HUNTSQL_BENCH_ROWS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(1_000_000);
    runtime.block_on(async {
        // One partition: the rate of one core.
        let config = SessionConfig::new()
            .with_target_partitions(1)
            .set_bool("datafusion.sql_parser.enable_ident_normalization", false);
        let ctx = SessionContext::new_with_config(config);
        huntsql_udfs::register_all(&ctx).expect("functions register");
        let (batches, note) = amplified_events(&ctx, rows)
            .await
            .expect("the input loads (../shared or the embedded sample)");
        eprintln!("input: {note}; one core");
        let table = MemTable::try_new(batches[0].schema(), vec![batches.clone()])
            .expect("an in-memory table");
        ctx.register_table("events", Arc::new(table))
            .expect("events registers");
        Input { ctx, batches, rows }
    })
}

/// Every function, as `count(f(column))` so the result is computed and
/// dropped without printing.
fn cases() -> Vec<(&'static str, String, &'static str)> {
    FUNCTIONS
        .iter()
        .map(|&(label, expr, column)| (label, format!("SELECT count({expr}) FROM events"), column))
        .chain(IOC_FUNCTIONS.iter().map(|&(label, expr, _)| {
            (
                label,
                format!("SELECT count({expr}) FROM events"),
                "CommandLine",
            )
        }))
        .collect()
}

fn run(runtime: &Runtime, ctx: &SessionContext, sql: &str) {
    let out = runtime
        .block_on(async { ctx.sql(sql).await?.collect().await })
        .expect("the query runs");
    assert_eq!(out.iter().map(RecordBatch::num_rows).sum::<usize>(), 1);
}

fn functions(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a tokio runtime");
    let input = input(&runtime);
    for (unit, per_bytes) in [("rows", false), ("bytes", true)] {
        let mut group = c.benchmark_group(format!("functions_{unit}"));
        group.sample_size(10).warm_up_time(Duration::from_secs(1));
        for (label, sql, column) in cases() {
            group.throughput(if per_bytes {
                Throughput::Bytes(column_bytes(&input.batches, column) as u64)
            } else {
                Throughput::Elements(input.rows as u64)
            });
            group.bench_function(label, |b| b.iter(|| run(&runtime, &input.ctx, &sql)));
        }
        group.finish();
    }
}

criterion_group!(benches, functions);
criterion_main!(benches);
