//! The execution plan of a Log Analytics scan: one partition per time chunk,
//! each running its KQL (with bounded concurrency, see the client) and
//! streaming the decoded rows into DataFusion. A chunk whose answer is cut
//! by the service limits is split in two and both halves are queried;
//! a cut that cannot be split fails the query naming the missing range.

use std::future::Future;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::TaskContext;
use datafusion::physical_expr::{EquivalenceProperties, PhysicalExpr};
use datafusion::physical_plan::execution_plan::{Boundedness, EmissionType};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{
    DisplayAs, DisplayFormatType, ExecutionPlan, Partitioning, PlanProperties,
    SendableRecordBatchStream,
};

use super::chunks::TimeRange;
use super::client::{LogAnalyticsClient, QueryOutcome};
use super::kql::quote_ident;

/// The runtime every Log Analytics request runs on, whichever runtime (or
/// none, while planning) asks: reqwest's connection pool must stay on one.
fn io_runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("huntsql-log-analytics")
            .enable_all()
            .build()
            .expect("cannot start the Log Analytics I/O runtime")
    })
}

/// Runs `f` on the I/O runtime and awaits it from any runtime.
pub async fn on_io<T: Send + 'static>(
    f: impl Future<Output = Result<T>> + Send + 'static,
) -> Result<T> {
    io_runtime().spawn(f).await.map_err(|e| {
        DataFusionError::Execution(format!("Log Analytics request task failed: {e}"))
    })?
}

/// Runs `f` on the I/O runtime and blocks this thread until it is done
/// (for planning, which is not async).
pub fn block_on_io<T: Send + 'static>(
    f: impl Future<Output = Result<T>> + Send + 'static,
) -> Result<T> {
    let (tx, rx) = std::sync::mpsc::channel();
    io_runtime().spawn(async move {
        let _ = tx.send(f.await);
    });
    rx.recv().map_err(|_| {
        DataFusionError::Execution("Log Analytics request task stopped without an answer".into())
    })?
}

/// What a scan queries.
#[derive(Debug, Clone)]
pub enum Target {
    /// A workspace table: `Table | where <chunk> <tail>`; chunks can split.
    Table {
        table: String,
        time_column: Option<String>,
        tail: String,
    },
    /// A user's KQL (`kql()`), with its timespan, as one chunk.
    Raw {
        kql: String,
        tail: String,
        timespan: Option<String>,
    },
}

/// Chunk progress on stderr for long pulls.
#[derive(Debug)]
struct Progress {
    label: String,
    enabled: bool,
    total: AtomicUsize,
    done: AtomicUsize,
    rows: AtomicU64,
    started: Instant,
    last: Mutex<Option<Instant>>,
}

impl Progress {
    fn chunk_done(&self, rows: usize) {
        let done = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        let rows = self.rows.fetch_add(rows as u64, Ordering::Relaxed) + rows as u64;
        let total = self.total.load(Ordering::Relaxed);
        if !self.enabled || total < 2 {
            return;
        }
        let elapsed = self.started.elapsed();
        if elapsed.as_secs_f64() < 2.0 {
            return;
        }
        let Ok(mut last) = self.last.lock() else {
            return;
        };
        let due = last.is_none_or(|t| t.elapsed().as_secs_f64() >= 1.0) || done == total;
        if due {
            *last = Some(Instant::now());
            eprintln!(
                "huntsql: {}: {done}/{total} chunks, {rows} rows, {:.1} s",
                self.label,
                elapsed.as_secs_f64()
            );
        }
    }
}

/// Scans a Log Analytics workspace; see the module documentation.
#[derive(Debug)]
pub struct LogAnalyticsExec {
    client: Arc<LogAnalyticsClient>,
    label: String,
    target: Target,
    chunks: Vec<TimeRange>,
    schema: SchemaRef,
    now: i64,
    progress: Arc<Progress>,
    properties: Arc<PlanProperties>,
}

impl LogAnalyticsExec {
    pub fn new(
        client: Arc<LogAnalyticsClient>,
        label: String,
        target: Target,
        chunks: Vec<TimeRange>,
        schema: SchemaRef,
        now: i64,
    ) -> Self {
        let chunks = if chunks.is_empty() {
            vec![TimeRange::ALL]
        } else {
            chunks
        };
        let properties = PlanProperties::new(
            EquivalenceProperties::new(Arc::clone(&schema)),
            Partitioning::UnknownPartitioning(chunks.len()),
            EmissionType::Incremental,
            Boundedness::Bounded,
        );
        let progress = Arc::new(Progress {
            label: label.clone(),
            enabled: client.options().progress,
            total: AtomicUsize::new(chunks.len()),
            done: AtomicUsize::new(0),
            rows: AtomicU64::new(0),
            started: Instant::now(),
            last: Mutex::new(None),
        });
        LogAnalyticsExec {
            client,
            label,
            target,
            chunks,
            schema,
            now,
            progress,
            properties: Arc::new(properties),
        }
    }

    /// The time chunks, one per partition.
    pub fn chunks(&self) -> &[TimeRange] {
        &self.chunks
    }

    /// The KQL sent for `range`.
    pub fn kql_for(&self, range: &TimeRange) -> String {
        kql_for(&self.target, range)
    }
}

fn kql_for(target: &Target, range: &TimeRange) -> String {
    match target {
        Target::Table {
            table,
            time_column,
            tail,
        } => {
            let mut kql = quote_ident(table);
            if let Some(filter) = time_column.as_deref().and_then(|c| range.kql_filter(c)) {
                kql.push_str("\n| where ");
                kql.push_str(&filter);
            }
            kql.push_str(tail);
            kql
        }
        Target::Raw { kql, tail, .. } => format!("{kql}{tail}"),
    }
}

fn timespan_for(target: &Target, range: &TimeRange) -> Option<String> {
    match target {
        Target::Table { time_column, .. } => time_column.as_ref().and_then(|_| range.timespan()),
        Target::Raw { timespan, .. } => timespan.clone(),
    }
}

impl DisplayAs for LogAnalyticsExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        let first = self.chunks.first().copied().unwrap_or(TimeRange::ALL);
        let kql = self.kql_for(&first).replace('\n', " ");
        write!(
            f,
            "LogAnalyticsExec: source={}, chunks={}",
            self.label,
            self.chunks.len()
        )?;
        if self.chunks.len() > 1 {
            let last = self.chunks.last().copied().unwrap_or(TimeRange::ALL);
            write!(
                f,
                ", range={}",
                TimeRange {
                    start: first.start,
                    end: last.end
                }
                .describe()
            )?;
            write!(f, ", kql (first chunk)={kql}")?;
        } else {
            write!(f, ", kql={kql}")?;
        }
        if let Some(span) = timespan_for(&self.target, &first) {
            write!(f, ", timespan={span}")?;
        }
        Ok(())
    }
}

impl ExecutionPlan for LogAnalyticsExec {
    fn name(&self) -> &str {
        "LogAnalyticsExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![]
    }

    fn apply_expressions(
        &self,
        _f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        Ok(TreeNodeRecursion::Continue)
    }

    fn with_new_children(
        self: Arc<Self>,
        _children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        Ok(self)
    }

    fn execute(
        &self,
        partition: usize,
        _context: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        let range = *self.chunks.get(partition).ok_or_else(|| {
            DataFusionError::Internal(format!(
                "LogAnalyticsExec: no partition {partition} of {}",
                self.chunks.len()
            ))
        })?;
        let state = ChunkState {
            client: Arc::clone(&self.client),
            label: self.label.clone(),
            target: self.target.clone(),
            schema: Arc::clone(&self.schema),
            now: self.now,
            progress: Arc::clone(&self.progress),
            stack: vec![range],
        };
        let stream = futures::stream::unfold(state, |mut state| async move {
            let item = state.next_batch().await?;
            if item.is_err() {
                state.stack.clear();
            }
            Some((item, state))
        });
        Ok(Box::pin(RecordBatchStreamAdapter::new(
            Arc::clone(&self.schema),
            stream,
        )))
    }
}

struct ChunkState {
    client: Arc<LogAnalyticsClient>,
    label: String,
    target: Target,
    schema: SchemaRef,
    now: i64,
    progress: Arc<Progress>,
    /// Ranges still to query, the next one last.
    stack: Vec<TimeRange>,
}

impl ChunkState {
    async fn next_batch(&mut self) -> Option<Result<RecordBatch>> {
        loop {
            let range = self.stack.pop()?;
            let kql = kql_for(&self.target, &range);
            let span = timespan_for(&self.target, &range);
            let client = Arc::clone(&self.client);
            let answer = on_io(async move { client.query_body(&kql, span.as_deref()).await })
                .await
                .and_then(|body| self.client.read_answer(&body, &self.schema));
            let splittable = matches!(
                &self.target,
                Target::Table {
                    time_column: Some(_),
                    ..
                }
            );
            match answer {
                Err(e) => {
                    return Some(Err(DataFusionError::Execution(format!(
                        "{} (rows of {} not read): {}",
                        self.label,
                        range.describe(),
                        e.strip_backtrace()
                    ))))
                }
                Ok(QueryOutcome::Complete(batch)) => {
                    self.progress.chunk_done(batch.num_rows());
                    return Some(Ok(batch));
                }
                Ok(QueryOutcome::Partial { message, limit }) => {
                    if limit && splittable {
                        if let Some((first, second)) = range.split(self.now) {
                            self.progress.total.fetch_add(1, Ordering::Relaxed);
                            self.stack.push(second);
                            self.stack.push(first);
                            continue;
                        }
                    }
                    let advice = if splittable {
                        "the range cannot be split further (one tick of time holds more rows than the service returns)"
                    } else if matches!(self.target, Target::Raw { .. }) {
                        "kql() does not split its query: narrow the time range, add `| take`/`| summarize`, \
                         or read the table as source.Table with a time filter, which huntsql splits"
                    } else {
                        "the table has no time column to split on: add filters or a LIMIT"
                    };
                    return Some(Err(DataFusionError::Execution(format!(
                        "{}: the rows of {} are missing: Log Analytics returned partial results ({message}); {advice}",
                        self.label,
                        range.describe()
                    ))));
                }
            }
        }
    }
}
