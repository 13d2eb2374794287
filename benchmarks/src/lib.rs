//! What the benchmark command (`src/main.rs`) and the criterion
//! micro-benchmarks (`benches/functions.rs`) share: the functions measured
//! and the amplified input.

use std::path::PathBuf;

use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::error::Result;
use datafusion::prelude::{ParquetReadOptions, SessionContext};

/// Each benchmarked function: a label, the SQL expression, and the input
/// column whose bytes count towards MB/s.
pub const FUNCTIONS: &[(&str, &str, &str)] = &[
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
pub const IOC_FUNCTIONS: &[(&str, &str, f64)] = &[
    ("extract_iocs", "extract_iocs(CommandLine)", 26.982),
    ("b64_unpack", "b64_unpack(CommandLine)", 1.404),
    ("b64_items", "b64_items(CommandLine)", 1.404),
];

/// The rows msticpy's timings.json was measured on.
pub const MSTICPY_DEV_ROWS: f64 = 5489.0;

/// The ten msticpy features in one pass, as add_process_features computes them.
pub const ALL_FEATURES: &str =
    "count(process_name(NewProcessName)), count(path_score(NewProcessName)), \
    count(path_log_score(NewProcessName)), count(path_hash(NewProcessName)), \
    count(cmdline_len(CommandLine)), count(cmdline_log_len(CommandLine)), \
    count(cmdline_tokens(CommandLine)), count(cmdline_score(CommandLine)), \
    count(cmdline_tokens_hash(CommandLine)), count(is_system_session(SubjectLogonId))";

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The value of `--name N`, or `default` when absent or not a number.
pub fn arg_number(args: &[String], name: &str, default: usize) -> usize {
    arg_value(args, name)
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

pub fn arg_value(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

/// The process events, repeated to `rows` rows, in one partition.
pub async fn amplified_events(
    ctx: &SessionContext,
    rows: usize,
) -> Result<(Vec<RecordBatch>, String)> {
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

pub fn column_bytes(batches: &[RecordBatch], column: &str) -> usize {
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
