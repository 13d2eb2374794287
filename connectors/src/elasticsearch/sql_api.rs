//! The SQL API as a table: Elasticsearch's `POST /_sql?format=json`
//! (`columns` / `rows` / `cursor`, `POST /_sql/close`) and OpenSearch's
//! `POST /_plugins/_sql` (`schema` / `datarows` / `cursor`,
//! `POST /_plugins/_sql/close`).
//!
//! The first page is fetched while planning (its `columns` give the
//! schema); the scan continues with the cursor until the answer has none,
//! and closes the cursor when it stops early (LIMIT, cancel, error).

use std::fmt;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::catalog::{Session, TableProvider};
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::datasource::TableType;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::logical_expr::Expr;
use datafusion::physical_expr::{EquivalenceProperties, PhysicalExpr};
use datafusion::physical_plan::execution_plan::{Boundedness, EmissionType};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{
    DisplayAs, DisplayFormatType, ExecutionPlan, Partitioning, PlanProperties,
};
use reqwest::Method;
use serde_json::{json, Value};

use super::client::EsClient;
use super::config::Flavor;
use super::decode::{build_array, TextMode};
use super::scan::spawn_detached;

/// One SQL API query.
#[derive(Debug, Clone, PartialEq)]
pub struct SqlRequest {
    pub query: String,
    /// Query DSL every row must also match.
    pub filter: Option<Value>,
    /// `time_zone` (default `Z`).
    pub time_zone: String,
    pub fetch_size: usize,
}

/// One page of an answer.
#[derive(Debug, Clone, Default)]
pub struct SqlPage {
    /// `(name, type)`: only the first page has them.
    pub columns: Vec<(String, String)>,
    pub rows: Vec<Value>,
    pub cursor: Option<String>,
}

fn sql_path(flavor: Flavor) -> &'static str {
    match flavor {
        Flavor::Elasticsearch => "_sql?format=json",
        Flavor::OpenSearch => "_plugins/_sql?format=jdbc",
    }
}

fn close_path(flavor: Flavor) -> &'static str {
    match flavor {
        Flavor::Elasticsearch => "_sql/close",
        Flavor::OpenSearch => "_plugins/_sql/close",
    }
}

fn parse_page(answer: &Value) -> SqlPage {
    let columns = answer
        .get("columns")
        .or_else(|| answer.get("schema"))
        .and_then(Value::as_array)
        .map(|cols| {
            cols.iter()
                .map(|c| {
                    let name = c
                        .get("alias")
                        .or_else(|| c.get("name"))
                        .and_then(Value::as_str)
                        .unwrap_or("?")
                        .to_string();
                    let ty = c.get("type").and_then(Value::as_str).unwrap_or("keyword");
                    (name, ty.to_ascii_lowercase())
                })
                .collect()
        })
        .unwrap_or_default();
    let rows = answer
        .get("rows")
        .or_else(|| answer.get("datarows"))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let cursor = answer
        .get("cursor")
        .and_then(Value::as_str)
        .filter(|c| !c.is_empty())
        .map(String::from);
    SqlPage {
        columns,
        rows,
        cursor,
    }
}

/// `POST /_sql` with the query.
pub async fn first_page(
    client: &EsClient,
    flavor: Flavor,
    request: &SqlRequest,
) -> Result<SqlPage> {
    let mut body = json!({"query": request.query, "fetch_size": request.fetch_size});
    if flavor == Flavor::Elasticsearch {
        body["time_zone"] = json!(request.time_zone);
    }
    if let Some(filter) = &request.filter {
        body["filter"] = filter.clone();
    }
    let answer = client
        .request(Method::POST, sql_path(flavor), Some(&body))
        .await
        .map_err(|e| e.context("SQL API query"))?;
    Ok(parse_page(&answer))
}

/// `POST /_sql` with a cursor.
pub async fn next_page(client: &EsClient, flavor: Flavor, cursor: &str) -> Result<SqlPage> {
    let answer = client
        .request(
            Method::POST,
            sql_path(flavor),
            Some(&json!({"cursor": cursor})),
        )
        .await
        .map_err(|e| e.context("SQL API cursor"))?;
    Ok(parse_page(&answer))
}

/// `POST /_sql/close`.
pub async fn close_cursor(client: &EsClient, flavor: Flavor, cursor: &str) -> Result<()> {
    client
        .request(
            Method::POST,
            close_path(flavor),
            Some(&json!({"cursor": cursor})),
        )
        .await
        .map(|_| ())
}

/// The Arrow type of an SQL API column type (Elasticsearch's and
/// OpenSearch's names).
pub fn sql_type(es_type: &str) -> (DataType, TextMode) {
    let ts = || DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into()));
    match es_type {
        "keyword" | "text" | "ip" | "version" | "constant_keyword" | "wildcard"
        | "match_only_text" | "string" | "time" | "binary" | "null" | "unsupported" => {
            (DataType::Utf8, TextMode::Text)
        }
        "long" => (DataType::Int64, TextMode::Text),
        "integer" => (DataType::Int32, TextMode::Text),
        "short" => (DataType::Int16, TextMode::Text),
        "byte" => (DataType::Int8, TextMode::Text),
        "unsigned_long" => (DataType::UInt64, TextMode::Text),
        "double" | "float" | "half_float" | "scaled_float" | "real" => {
            (DataType::Float64, TextMode::Text)
        }
        "boolean" => (DataType::Boolean, TextMode::Text),
        "datetime" | "date" | "timestamp" | "date_nanos" => (ts(), TextMode::Text),
        t if t.starts_with("interval") => (DataType::Utf8, TextMode::Text),
        // object, nested, geo_point, geo_shape, shape, struct, array, ...
        _ => (DataType::Utf8, TextMode::Json),
    }
}

/// The first page, kept from planning for the scan; its cursor is closed
/// if no scan takes it.
#[derive(Debug)]
struct Pending {
    client: EsClient,
    flavor: Flavor,
    page: Option<SqlPage>,
}

impl Drop for Pending {
    fn drop(&mut self) {
        if let Some(cursor) = self.page.take().and_then(|p| p.cursor) {
            let client = self.client.clone();
            let flavor = self.flavor;
            spawn_detached(async move {
                let _ = close_cursor(&client, flavor, &cursor).await;
            });
        }
    }
}

/// The result of an SQL API query as a table.
#[derive(Debug)]
pub struct EsSqlTable {
    client: EsClient,
    flavor: Flavor,
    request: SqlRequest,
    schema: SchemaRef,
    modes: Vec<TextMode>,
    pending: Arc<Mutex<Pending>>,
}

impl EsSqlTable {
    /// Runs the query's first page (on `planning_client`, which may live on
    /// another runtime) and keeps it for the scan, which goes on with `client`.
    pub async fn plan(
        client: EsClient,
        planning_client: &EsClient,
        request: SqlRequest,
    ) -> Result<Self> {
        let flavor = planning_client.flavor().await?;
        let page = first_page(planning_client, flavor, &request).await?;
        if page.columns.is_empty() {
            return Err(DataFusionError::Execution(
                "elasticsearch SQL API: the answer has no columns".into(),
            ));
        }
        let mut fields = Vec::new();
        let mut modes = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for (name, ty) in &page.columns {
            let (data_type, mode) = sql_type(ty);
            let mut unique = name.clone();
            let mut n = 2;
            while !seen.insert(unique.clone()) {
                unique = format!("{name}_{n}");
                n += 1;
            }
            fields.push(Field::new(unique, data_type, true));
            modes.push(mode);
        }
        Ok(Self {
            pending: Arc::new(Mutex::new(Pending {
                client: client.clone(),
                flavor,
                page: Some(page),
            })),
            client,
            flavor,
            request,
            schema: Arc::new(Schema::new(fields)),
            modes,
        })
    }
}

#[async_trait]
impl TableProvider for EsSqlTable {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }

    fn table_type(&self) -> TableType {
        TableType::Temporary
    }

    async fn scan(
        &self,
        _state: &dyn Session,
        projection: Option<&Vec<usize>>,
        _filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let projected = match projection {
            Some(p) => Arc::new(self.schema.project(p)?),
            None => Arc::clone(&self.schema),
        };
        let properties = PlanProperties::new(
            EquivalenceProperties::new(Arc::clone(&projected)),
            Partitioning::UnknownPartitioning(1),
            EmissionType::Incremental,
            Boundedness::Bounded,
        );
        Ok(Arc::new(EsSqlExec {
            client: self.client.clone(),
            flavor: self.flavor,
            request: self.request.clone(),
            schema: Arc::clone(&self.schema),
            modes: self.modes.clone(),
            projection: projection.cloned(),
            projected,
            limit,
            pending: Arc::clone(&self.pending),
            properties: Arc::new(properties),
        }))
    }
}

/// Pages through an SQL API answer.
#[derive(Debug)]
pub struct EsSqlExec {
    client: EsClient,
    flavor: Flavor,
    request: SqlRequest,
    schema: SchemaRef,
    modes: Vec<TextMode>,
    projection: Option<Vec<usize>>,
    projected: SchemaRef,
    limit: Option<usize>,
    pending: Arc<Mutex<Pending>>,
    properties: Arc<PlanProperties>,
}

impl DisplayAs for EsSqlExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        write!(
            f,
            "EsSqlExec: url={}, api=/{}, fetch_size={}, query={:?}",
            self.client.config().display_url(),
            sql_path(self.flavor).split('?').next().unwrap_or_default(),
            self.request.fetch_size,
            self.request.query
        )?;
        if let Some(filter) = &self.request.filter {
            write!(f, ", filter={filter}")?;
        }
        if let Some(limit) = self.limit {
            write!(f, ", limit={limit}")?;
        }
        Ok(())
    }
}

impl ExecutionPlan for EsSqlExec {
    fn name(&self) -> &str {
        "EsSqlExec"
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
                "EsSqlExec has no children".into(),
            ))
        }
    }

    fn execute(
        &self,
        partition: usize,
        _context: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        if partition != 0 {
            return Err(DataFusionError::Internal(format!(
                "EsSqlExec has one partition, not {partition}"
            )));
        }
        self.client.warn_if_insecure();
        let first = self.pending.lock().ok().and_then(|mut p| p.page.take());
        let state = CursorState {
            client: self.client.clone(),
            flavor: self.flavor,
            request: self.request.clone(),
            schema: Arc::clone(&self.schema),
            modes: self.modes.clone(),
            projection: self.projection.clone(),
            limit: self.limit,
            first,
            started: false,
            cursor: None,
            produced: 0,
            done: false,
        };
        let stream = futures::stream::try_unfold(state, |mut state| async move {
            match state.next_batch().await? {
                Some(batch) => Ok(Some((batch, state))),
                None => Ok(None),
            }
        });
        Ok(Box::pin(RecordBatchStreamAdapter::new(
            Arc::clone(&self.projected),
            stream,
        )))
    }
}

struct CursorState {
    client: EsClient,
    flavor: Flavor,
    request: SqlRequest,
    schema: SchemaRef,
    modes: Vec<TextMode>,
    projection: Option<Vec<usize>>,
    limit: Option<usize>,
    first: Option<SqlPage>,
    started: bool,
    /// The open cursor; closed on early stop (see Drop).
    cursor: Option<String>,
    produced: usize,
    done: bool,
}

impl CursorState {
    async fn next_batch(&mut self) -> Result<Option<RecordBatch>> {
        if self.done {
            return Ok(None);
        }
        let mut page = if let Some(page) = self.first.take() {
            page
        } else if let Some(cursor) = self.cursor.take() {
            match next_page(&self.client, self.flavor, &cursor).await {
                Ok(p) => p,
                Err(e) => {
                    // Free the cursor where the cluster still answers.
                    self.cursor = Some(cursor);
                    return Err(e);
                }
            }
        } else if !self.started {
            first_page(&self.client, self.flavor, &self.request).await?
        } else {
            self.done = true;
            return Ok(None);
        };
        self.started = true;
        self.cursor = page.cursor.take();
        if let Some(limit) = self.limit {
            let room = limit.saturating_sub(self.produced);
            page.rows.truncate(room);
        }
        self.produced += page.rows.len();
        let reached = self.limit.is_some_and(|l| self.produced >= l);
        if page.rows.is_empty() || reached || self.cursor.is_none() {
            self.done = true;
            if let Some(cursor) = self.cursor.take() {
                let _ = close_cursor(&self.client, self.flavor, &cursor).await;
            }
            if page.rows.is_empty() {
                return Ok(None);
            }
        }
        let batch = rows_to_batch(&page.rows, &self.schema, &self.modes)?;
        Ok(Some(match &self.projection {
            Some(p) => batch.project(p)?,
            None => batch,
        }))
    }
}

impl Drop for CursorState {
    fn drop(&mut self) {
        if let Some(cursor) = self.cursor.take() {
            let client = self.client.clone();
            let flavor = self.flavor;
            spawn_detached(async move {
                let _ = close_cursor(&client, flavor, &cursor).await;
            });
        }
    }
}

/// SQL API rows (arrays of values) as a batch.
pub fn rows_to_batch(
    rows: &[Value],
    schema: &SchemaRef,
    modes: &[TextMode],
) -> Result<RecordBatch> {
    let mut columns = Vec::with_capacity(schema.fields().len());
    for (i, (field, mode)) in schema.fields().iter().zip(modes).enumerate() {
        columns.push(build_array(
            field.data_type(),
            *mode,
            rows.iter().map(|r| r.get(i)),
        )?);
    }
    Ok(RecordBatch::try_new(Arc::clone(schema), columns)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::util::pretty::pretty_format_batches;

    #[test]
    fn es_and_opensearch_answers_decode_with_their_types() {
        let es = parse_page(&json!({
            "columns": [
                {"name": "k", "type": "keyword"}, {"name": "t", "type": "text"},
                {"name": "ip", "type": "ip"}, {"name": "v", "type": "version"},
                {"name": "l", "type": "long"}, {"name": "i", "type": "integer"},
                {"name": "s", "type": "short"}, {"name": "b", "type": "byte"},
                {"name": "d", "type": "double"}, {"name": "f", "type": "float"},
                {"name": "h", "type": "half_float"}, {"name": "sf", "type": "scaled_float"},
                {"name": "ok", "type": "boolean"}, {"name": "ts", "type": "datetime"},
                {"name": "o", "type": "object"}, {"name": "n", "type": "nested"}
            ],
            "rows": [["a", "b c", "10.0.0.1", "1.2.3", 9007199254740993_i64, 7, 3, -1, 1.5, 2.5, 0.5, 12.25, true,
                      "2024-05-06T07:08:09.123Z", {"x": 1}, [{"y": "z"}]],
                     [null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null]],
            "cursor": "abc"
        }));
        assert_eq!(es.cursor.as_deref(), Some("abc"));
        let fields: Vec<Field> = es
            .columns
            .iter()
            .map(|(n, t)| Field::new(n, sql_type(t).0, true))
            .collect();
        let modes: Vec<TextMode> = es.columns.iter().map(|(_, t)| sql_type(t).1).collect();
        let schema = Arc::new(Schema::new(fields));
        let batch = rows_to_batch(&es.rows, &schema, &modes).unwrap();
        let types: Vec<String> = schema
            .fields()
            .iter()
            .map(|f| f.data_type().to_string())
            .collect();
        assert_eq!(
            types,
            [
                "Utf8",
                "Utf8",
                "Utf8",
                "Utf8",
                "Int64",
                "Int32",
                "Int16",
                "Int8",
                "Float64",
                "Float64",
                "Float64",
                "Float64",
                "Boolean",
                "Timestamp(ms, \"UTC\")",
                "Utf8",
                "Utf8"
            ]
        );
        let text = pretty_format_batches(&[batch]).unwrap().to_string();
        assert!(text.contains("| a | b c | 10.0.0.1 | 1.2.3 | 9007199254740993 | 7 | 3 | -1 | 1.5 | 2.5 | 0.5 | 12.25 | true | 2024-05-06T07:08:09.123Z | {\"x\":1} | [{\"y\":\"z\"}] |"), "{text}");
        let os = parse_page(&json!({
            "schema": [{"name": "process.name", "alias": "p", "type": "keyword"}, {"name": "@timestamp", "type": "timestamp"}],
            "datarows": [["cmd.exe", "2024-05-06 07:08:09.123"]],
            "total": 1, "size": 1, "status": 200
        }));
        assert_eq!(
            os.columns,
            vec![
                ("p".to_string(), "keyword".to_string()),
                ("@timestamp".to_string(), "timestamp".to_string())
            ]
        );
        assert!(os.cursor.is_none());
        assert_eq!(os.rows.len(), 1);
    }
}
