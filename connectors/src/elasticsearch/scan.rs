//! Index scans: a point in time and `search_after` sorted by `_shard_doc`.
//!
//! Elasticsearch: `POST /<index>/_pit?keep_alive=`, `POST /_search` with
//! `pit`, `DELETE /_pit`. OpenSearch: `POST /<index>/_search/point_in_time`,
//! `DELETE /_search/point_in_time`. The point in time is closed when the
//! scan ends, fails or is dropped early (a LIMIT above it, a cancelled query).

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use datafusion::arrow::array::RecordBatchOptions;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::physical_expr::{EquivalenceProperties, PhysicalExpr};
use datafusion::physical_plan::execution_plan::{Boundedness, EmissionType};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{
    DisplayAs, DisplayFormatType, ExecutionPlan, Partitioning, PlanProperties,
};
use reqwest::Method;
use serde_json::{json, Value};

use super::client::EsClient;
use super::config::{encode_index, Flavor};
use super::decode::{build_array, lookup, TextMode};
use super::mapping::{EsField, Kind};

/// What one scan asks for.
#[derive(Debug, Clone)]
pub struct ScanSpec {
    pub index: String,
    pub query: Value,
    /// Projected columns, in output order.
    pub fields: Vec<EsField>,
    /// Whether `fields` holds every document field of the table: then the
    /// whole `_source` is asked for, which spares the server filtering each
    /// document by a list of every field (`SELECT *`).
    pub whole_source: bool,
    pub schema: SchemaRef,
    pub limit: Option<usize>,
    pub page_size: usize,
    /// Sliced scroll: this many partitions share one point in time, each
    /// reading `"slice": {"id": i, "max": slices}` (1 = no slicing; a scan
    /// with a LIMIT is never sliced).
    pub slices: usize,
}

impl ScanSpec {
    /// The partitions the scan runs as.
    pub fn partitions(&self) -> usize {
        if self.limit.is_some() {
            1
        } else {
            self.slices.max(1)
        }
    }
}

impl ScanSpec {
    /// `_source` filtering: the projected document fields, or `false`.
    fn source_filter(&self) -> Value {
        let includes: Vec<&str> = self
            .fields
            .iter()
            .filter(|f| f.kind != Kind::Meta)
            .map(|f| f.name.as_str())
            .collect();
        if includes.is_empty() {
            json!(false)
        } else if self.whole_source {
            json!(true)
        } else {
            json!({ "includes": includes })
        }
    }

    /// The search body without the point in time and `search_after`
    /// (shown by EXPLAIN).
    pub fn dsl(&self) -> Value {
        let size = self.limit.map_or(self.page_size, |l| l.min(self.page_size));
        json!({
            "query": self.query,
            "_source": self.source_filter(),
            "size": size,
            "sort": [{"_shard_doc": "asc"}],
            "track_total_hits": false,
        })
    }
}

/// The scan's physical plan node.
#[derive(Debug)]
pub struct EsScanExec {
    client: EsClient,
    spec: Arc<ScanSpec>,
    pit: Arc<PitShare>,
    properties: Arc<PlanProperties>,
}

impl EsScanExec {
    pub fn new(client: EsClient, spec: ScanSpec) -> Self {
        let properties = PlanProperties::new(
            EquivalenceProperties::new(Arc::clone(&spec.schema)),
            Partitioning::UnknownPartitioning(spec.partitions()),
            EmissionType::Incremental,
            Boundedness::Bounded,
        );
        Self {
            pit: Arc::new(PitShare {
                client: client.clone(),
                index: spec.index.clone(),
                opening: tokio::sync::Mutex::new(()),
                state: std::sync::Mutex::new((None, 0)),
            }),
            client,
            spec: Arc::new(spec),
            properties: Arc::new(properties),
        }
    }

    pub fn spec(&self) -> &ScanSpec {
        &self.spec
    }
}

impl DisplayAs for EsScanExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        write!(
            f,
            "EsScanExec: url={}, index={}, page_size={}",
            self.client.config().display_url(),
            self.spec.index,
            self.spec.page_size
        )?;
        if let Some(limit) = self.spec.limit {
            write!(f, ", limit={limit}")?;
        }
        if self.spec.partitions() > 1 {
            write!(f, ", slices={}", self.spec.partitions())?;
        }
        write!(f, ", dsl={}", self.spec.dsl())
    }
}

impl ExecutionPlan for EsScanExec {
    fn name(&self) -> &str {
        "EsScanExec"
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
        children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        if children.is_empty() {
            Ok(self)
        } else {
            Err(DataFusionError::Internal(
                "EsScanExec has no children".into(),
            ))
        }
    }

    fn execute(
        &self,
        partition: usize,
        _context: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        let partitions = self.spec.partitions();
        if partition >= partitions {
            return Err(DataFusionError::Internal(format!(
                "EsScanExec has {partitions} partition(s), not partition {partition}"
            )));
        }
        self.client.warn_if_insecure();
        let state = ScanState {
            client: self.client.clone(),
            spec: Arc::clone(&self.spec),
            share: Arc::clone(&self.pit),
            slice: (partitions > 1).then_some((partition, partitions)),
            pit: None,
            search_after: None,
            produced: 0,
            done: false,
        };
        let stream = futures::stream::try_unfold(state, |mut state| async move {
            match state.next_page().await? {
                Some(batch) => Ok(Some((batch, state))),
                None => Ok(None),
            }
        });
        Ok(Box::pin(RecordBatchStreamAdapter::new(
            Arc::clone(&self.spec.schema),
            stream,
        )))
    }
}

struct ScanState {
    client: EsClient,
    spec: Arc<ScanSpec>,
    share: Arc<PitShare>,
    /// `(id, max)` of a sliced scan.
    slice: Option<(usize, usize)>,
    /// The point-in-time id this partition uses (latest one returned), while
    /// it holds a share of it.
    pit: Option<String>,
    search_after: Option<Value>,
    produced: usize,
    done: bool,
}

impl ScanState {
    async fn next_page(&mut self) -> Result<Option<RecordBatch>> {
        if self.done {
            return Ok(None);
        }
        let remaining = self.spec.limit.map(|l| l.saturating_sub(self.produced));
        if remaining == Some(0) {
            self.finish().await;
            return Ok(None);
        }
        if self.pit.is_none() {
            self.pit = Some(self.share.acquire().await?);
        }
        let size = remaining.map_or(self.spec.page_size, |r| r.min(self.spec.page_size));
        let mut body = self.spec.dsl();
        body["size"] = json!(size);
        let pit = self.pit.clone().unwrap_or_default();
        body["pit"] = json!({"id": pit, "keep_alive": self.client.config().keep_alive});
        if let Some((id, max)) = self.slice {
            body["slice"] = json!({"id": id, "max": max});
        }
        if let Some(after) = &self.search_after {
            body["search_after"] = after.clone();
        }
        let answer = self
            .client
            .request(Method::POST, "_search", Some(&body))
            .await
            .map_err(|e| e.context(format!("scanning index '{}'", self.spec.index)))?;
        if let (Some(id), Some(p)) = (answer.get("pit_id").and_then(Value::as_str), &mut self.pit) {
            *p = id.to_string();
        }
        check_shards(&answer, &self.spec.index)?;
        let hits = answer
            .pointer("/hits/hits")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default();
        if hits.is_empty() {
            self.finish().await;
            return Ok(None);
        }
        let batch = hits_to_batch(hits, &self.spec.fields, &self.spec.schema)?;
        self.produced += hits.len();
        match hits.last().and_then(|h| h.get("sort")) {
            Some(sort) => self.search_after = Some(sort.clone()),
            None => {
                return Err(DataFusionError::Execution(format!(
                    "elasticsearch: index '{}': the search answer has no sort values to page on",
                    self.spec.index
                )))
            }
        }
        if hits.len() < size || self.spec.limit.is_some_and(|l| self.produced >= l) {
            self.finish().await;
        }
        Ok(Some(batch))
    }

    async fn finish(&mut self) {
        self.done = true;
        if self.pit.take().is_some() {
            if let Some(mut last) = self.share.release() {
                last.close().await;
            }
        }
    }
}

impl Drop for ScanState {
    fn drop(&mut self) {
        if self.pit.take().is_some() {
            // The last partition to stop deletes the point in time (PitGuard's drop).
            drop(self.share.release());
        }
    }
}

/// One point in time shared by the partitions (slices) of a scan: opened by
/// the first, deleted when the last one stops.
#[derive(Debug)]
struct PitShare {
    client: EsClient,
    index: String,
    opening: tokio::sync::Mutex<()>,
    state: std::sync::Mutex<(Option<PitGuard>, usize)>,
}

impl PitShare {
    async fn acquire(&self) -> Result<String> {
        let _opening = self.opening.lock().await;
        if let Ok(mut state) = self.state.lock() {
            if let Some(id) = state.0.as_ref().map(|g| g.id.clone()) {
                state.1 += 1;
                return Ok(id);
            }
        }
        let guard = PitGuard::open(&self.client, &self.index).await?;
        let id = guard.id.clone();
        let mut state = self
            .state
            .lock()
            .map_err(|_| DataFusionError::Internal("point-in-time state poisoned".into()))?;
        state.0 = Some(guard);
        state.1 += 1;
        Ok(id)
    }

    /// Gives a share back; the last one gets the point in time to close.
    fn release(&self) -> Option<PitGuard> {
        let mut state = self.state.lock().ok()?;
        state.1 = state.1.saturating_sub(1);
        if state.1 == 0 {
            state.0.take()
        } else {
            None
        }
    }
}

fn check_shards(answer: &Value, index: &str) -> Result<()> {
    if answer.get("timed_out").and_then(Value::as_bool) == Some(true) {
        return Err(DataFusionError::Execution(format!(
            "elasticsearch: index '{index}': the search timed out on the cluster; results would be partial"
        )));
    }
    let failed = answer
        .pointer("/_shards/failed")
        .and_then(Value::as_u64)
        .unwrap_or(0);
    if failed > 0 {
        let reason = answer
            .pointer("/_shards/failures/0/reason/reason")
            .and_then(Value::as_str)
            .unwrap_or("no reason given");
        return Err(DataFusionError::Execution(format!(
            "elasticsearch: index '{index}': {failed} shard(s) failed ({reason}); results would be partial"
        )));
    }
    Ok(())
}

/// Decodes search hits into a batch of the projected columns.
pub fn hits_to_batch(
    hits: &[Value],
    fields: &[EsField],
    schema: &SchemaRef,
) -> Result<RecordBatch> {
    if fields.is_empty() {
        return Ok(RecordBatch::try_new_with_options(
            Arc::clone(schema),
            vec![],
            &RecordBatchOptions::new().with_row_count(Some(hits.len())),
        )?);
    }
    let null = Value::Null;
    let mut columns = Vec::with_capacity(fields.len());
    for (field, arrow_field) in fields.iter().zip(schema.fields()) {
        let values: Vec<Option<Cow<Value>>> = hits
            .iter()
            .map(|hit| match field.kind {
                Kind::Meta => hit.get(field.name.as_str()).map(Cow::Borrowed),
                _ => lookup(hit.get("_source").unwrap_or(&null), &field.name),
            })
            .collect();
        let mode = if field.kind == Kind::Json {
            TextMode::Json
        } else {
            TextMode::Text
        };
        columns.push(build_array(
            arrow_field.data_type(),
            mode,
            values.iter().map(|v| v.as_deref()),
        )?);
    }
    Ok(RecordBatch::try_new(Arc::clone(schema), columns)?)
}

/// An open point in time; closed on `close` or, if still open, on drop.
#[derive(Debug)]
struct PitGuard {
    client: EsClient,
    flavor: Flavor,
    id: String,
    open: bool,
}

impl PitGuard {
    async fn open(client: &EsClient, index: &str) -> Result<Self> {
        let flavor = client.flavor().await?;
        let keep_alive = &client.config().keep_alive;
        let index_path = encode_index(index)?;
        let (path, key) = match flavor {
            Flavor::Elasticsearch => (format!("{index_path}/_pit?keep_alive={keep_alive}"), "id"),
            Flavor::OpenSearch => (
                format!("{index_path}/_search/point_in_time?keep_alive={keep_alive}"),
                "pit_id",
            ),
        };
        let answer = client
            .request(Method::POST, &path, None)
            .await
            .map_err(|e| e.context(format!("opening a point in time on index '{index}'")))?;
        let id = answer.get(key).and_then(Value::as_str).ok_or_else(|| {
            DataFusionError::Execution(format!(
                "elasticsearch: index '{index}': the point-in-time answer has no '{key}'"
            ))
        })?;
        Ok(PitGuard {
            client: client.clone(),
            flavor,
            id: id.to_string(),
            open: true,
        })
    }

    async fn close(&mut self) {
        if self.open {
            self.open = false;
            // A failed close only leaves the PIT to expire after keep_alive.
            let _ = close_pit(&self.client, self.flavor, &self.id).await;
        }
    }
}

async fn close_pit(client: &EsClient, flavor: Flavor, id: &str) -> Result<Value> {
    match flavor {
        Flavor::Elasticsearch => {
            client
                .request(Method::DELETE, "_pit", Some(&json!({"id": id})))
                .await
        }
        Flavor::OpenSearch => {
            client
                .request(
                    Method::DELETE,
                    "_search/point_in_time",
                    Some(&json!({"pit_id": [id]})),
                )
                .await
        }
    }
}

impl Drop for PitGuard {
    fn drop(&mut self) {
        if self.open {
            self.open = false;
            let client = self.client.clone();
            let flavor = self.flavor;
            let id = std::mem::take(&mut self.id);
            spawn_detached(async move {
                let _ = close_pit(&client, flavor, &id).await;
            });
        }
    }
}

/// Runs clean-up work (closing a point in time or a cursor) without
/// waiting for it: on the current Tokio runtime, else on a helper thread.
pub fn spawn_detached(work: impl std::future::Future<Output = ()> + Send + 'static) {
    match tokio::runtime::Handle::try_current() {
        Ok(handle) => {
            handle.spawn(work);
        }
        Err(_) => {
            let _ = std::thread::Builder::new()
                .name("huntsql-es-cleanup".into())
                .spawn(move || {
                    if let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                    {
                        rt.block_on(work);
                    }
                });
        }
    }
}
