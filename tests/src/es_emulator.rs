//! A loopback emulator of Elasticsearch's SQL API and point-in-time search,
//! for tests: no real Elasticsearch can be installed here, and osmem-server
//! (tests/src/osmem.rs) speaks OpenSearch's URLs and has no SQL API.
//!
//! It is an emulator that follows Elastic's documented request and response
//! bodies, not Elasticsearch:
//! - SQL search API, `POST /_sql?format=json` with `query`, `fetch_size`,
//!   `time_zone`, `filter` or `cursor`; answers `{"columns":[{"name","type"}],
//!   "rows":[[...]],"cursor"}`, the cursor present only while rows remain:
//!   <https://www.elastic.co/guide/en/elasticsearch/reference/current/sql-search-api.html>,
//!   <https://www.elastic.co/guide/en/elasticsearch/reference/current/sql-pagination.html>
//! - Clear SQL cursor, `POST /_sql/close` `{"cursor"}` → `{"succeeded":true}`:
//!   <https://www.elastic.co/guide/en/elasticsearch/reference/current/clear-sql-cursor-api.html>
//! - SQL data types (keyword, text, ip, version, long, integer, short, byte,
//!   double, float, half_float, scaled_float, boolean, datetime, object, nested):
//!   <https://www.elastic.co/guide/en/elasticsearch/reference/current/sql-data-types.html>
//! - Point in time, `POST /<index>/_pit?keep_alive=` → `{"id"}`, `POST /_search`
//!   with `pit`, `sort` `_shard_doc` and `search_after`, `DELETE /_pit` `{"id"}`:
//!   <https://www.elastic.co/guide/en/elasticsearch/reference/current/point-in-time-api.html>,
//!   <https://www.elastic.co/guide/en/elasticsearch/reference/current/paginate-search-results.html>
//! - Error bodies `{"error":{"root_cause":[...],"type","reason"},"status"}`
//!   and 401 for missing or wrong credentials, `Authorization: ApiKey`:
//!   <https://www.elastic.co/guide/en/elasticsearch/reference/current/security-api-create-api-key.html>
//!
//! The rows come from DataFusion over the tables it is given; `_search`
//! supports only `match_all` (anything else is a 400, so a test cannot pass
//! on a query the emulator ignored) and the SQL `filter` only `term`.
//! Tests can make the next requests fail with 429 and read the request log,
//! the closed cursors and the closed points in time.

use crate::loopback::LoopbackServer;
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::{DataType, SchemaRef};
use datafusion::catalog::MemTable;
use datafusion::common::ScalarValue;
use datafusion::prelude::SessionContext;
use serde_json::{json, Map, Value};

/// A table the emulator serves (by SQL and as an index).
pub struct EmuTable {
    pub name: String,
    pub schema: SchemaRef,
    pub batches: Vec<RecordBatch>,
}

#[derive(Default)]
struct Shared {
    api_key: Option<String>,
    /// Answer as OpenSearch (`GET /` distribution, `/_plugins/_sql`).
    opensearch: bool,
    indices: Vec<String>,
    /// Column name → Elasticsearch type, over the type read from Arrow.
    es_types: HashMap<String, String>,
    fail_next: AtomicUsize,
    next_id: AtomicUsize,
    cursors: Mutex<HashMap<String, (Vec<Value>, usize)>>,
    closed_cursors: Mutex<Vec<String>>,
    pits: Mutex<HashMap<String, String>>,
    closed_pits: Mutex<Vec<String>>,
    requests: Mutex<Vec<String>>,
}

struct EmuState {
    shared: Arc<Shared>,
    ctx: SessionContext,
}

/// A running emulator on its own thread and runtime; stopped on drop.
pub struct EsEmulator {
    pub url: String,
    shared: Arc<Shared>,
    _server: LoopbackServer,
}

impl EsEmulator {
    /// Serves `tables`; requests need `Authorization: ApiKey <api_key>`
    /// when one is given.
    pub fn start(
        tables: Vec<EmuTable>,
        api_key: Option<&str>,
        es_types: HashMap<String, String>,
    ) -> EsEmulator {
        Self::start_flavor(tables, api_key, es_types, false)
    }

    /// The same data behind OpenSearch's SQL plugin (`POST /_plugins/_sql`
    /// answering `schema` / `datarows` / `cursor`, `POST /_plugins/_sql/close`),
    /// as documented at
    /// <https://opensearch.org/docs/latest/search-plugins/sql/sql-ppl-api/> and
    /// <https://opensearch.org/docs/latest/search-plugins/sql/response-formats/>.
    pub fn start_opensearch(
        tables: Vec<EmuTable>,
        es_types: HashMap<String, String>,
    ) -> EsEmulator {
        Self::start_flavor(tables, None, es_types, true)
    }

    fn start_flavor(
        tables: Vec<EmuTable>,
        api_key: Option<&str>,
        es_types: HashMap<String, String>,
        opensearch: bool,
    ) -> EsEmulator {
        let shared = Arc::new(Shared {
            api_key: api_key.map(String::from),
            opensearch,
            indices: tables.iter().map(|t| t.name.clone()).collect(),
            es_types,
            ..Default::default()
        });
        let thread_shared = Arc::clone(&shared);
        // The SessionContext is made inside the server's runtime.
        let server = LoopbackServer::start(move || {
            let ctx = SessionContext::new();
            for t in tables {
                let table = MemTable::try_new(t.schema, vec![t.batches]).expect("table");
                ctx.register_table(t.name.as_str(), Arc::new(table))
                    .expect("register");
            }
            let state = Arc::new(EmuState {
                shared: thread_shared,
                ctx,
            });
            Router::new()
                .route("/", get(root))
                .route("/_cat/indices", get(cat_indices))
                .route("/_sql", post(sql))
                .route("/_sql/close", post(sql_close))
                .route("/_plugins/_sql", post(os_sql))
                .route("/_plugins/_sql/close", post(os_sql_close))
                .route("/_search", post(search))
                .route("/_pit", delete(pit_close))
                .route("/{index}/_pit", post(pit_open))
                .route("/{index}/_mapping", get(mapping))
                .with_state(state)
        });
        EsEmulator {
            url: server.url.clone(),
            shared,
            _server: server,
        }
    }

    /// The next `n` requests are answered 429 Too Many Requests.
    pub fn fail_next(&self, n: usize) {
        self.shared.fail_next.store(n, Ordering::SeqCst);
    }

    /// `METHOD /path[ kind]` of every request, in order.
    pub fn requests(&self) -> Vec<String> {
        self.shared.requests.lock().unwrap().clone()
    }

    pub fn closed_cursors(&self) -> Vec<String> {
        self.shared.closed_cursors.lock().unwrap().clone()
    }

    pub fn open_cursors(&self) -> usize {
        self.shared.cursors.lock().unwrap().len()
    }

    pub fn closed_pits(&self) -> Vec<String> {
        self.shared.closed_pits.lock().unwrap().clone()
    }

    pub fn open_pits(&self) -> usize {
        self.shared.pits.lock().unwrap().len()
    }
}

fn error(status: StatusCode, kind: &str, reason: &str) -> Response {
    let cause = json!({"type": kind, "reason": reason});
    (
        status,
        Json(json!({
            "error": {"root_cause": [cause], "type": kind, "reason": reason},
            "status": status.as_u16()
        })),
    )
        .into_response()
}

/// Logs the request, then applies the injected 429s and authentication.
fn gate(s: &Shared, headers: &HeaderMap, what: String) -> Option<Response> {
    s.requests.lock().unwrap().push(what.clone());
    let pending = s.fail_next.load(Ordering::SeqCst);
    if pending > 0 {
        s.fail_next.store(pending - 1, Ordering::SeqCst);
        return Some(error(
            StatusCode::TOO_MANY_REQUESTS,
            "es_rejected_execution_exception",
            "rejected execution of coordinating operation",
        ));
    }
    if let Some(key) = &s.api_key {
        let given = headers.get("authorization").and_then(|v| v.to_str().ok());
        let path = what.split(' ').nth(1).unwrap_or("/");
        match given {
            None => {
                return Some(error(
                    StatusCode::UNAUTHORIZED,
                    "security_exception",
                    &format!("missing authentication credentials for REST request [{path}]"),
                ))
            }
            Some(g) if g != format!("ApiKey {key}") => {
                return Some(error(
                    StatusCode::UNAUTHORIZED,
                    "security_exception",
                    "unable to authenticate with provided credentials and anonymous access is not allowed for this request",
                ))
            }
            _ => {}
        }
    }
    None
}

async fn root(State(st): State<Arc<EmuState>>, headers: HeaderMap) -> Response {
    if let Some(r) = gate(&st.shared, &headers, "GET /".into()) {
        return r;
    }
    if st.shared.opensearch {
        return Json(json!({
            "name": "emulator", "cluster_name": "huntsql-emulator",
            "version": {"distribution": "opensearch", "number": "2.17.0"},
            "tagline": "The OpenSearch Project: https://opensearch.org/"
        }))
        .into_response();
    }
    Json(json!({
        "name": "emulator", "cluster_name": "huntsql-emulator",
        "version": {"number": "8.15.0", "build_flavor": "default"},
        "tagline": "You Know, for Search"
    }))
    .into_response()
}

async fn cat_indices(State(st): State<Arc<EmuState>>, headers: HeaderMap) -> Response {
    if let Some(r) = gate(&st.shared, &headers, "GET /_cat/indices".into()) {
        return r;
    }
    let rows: Vec<Value> = st
        .shared
        .indices
        .iter()
        .map(|i| json!({"index": i}))
        .collect();
    Json(Value::Array(rows)).into_response()
}

fn es_type(s: &Shared, name: &str, dt: &DataType) -> String {
    if let Some(t) = s.es_types.get(name) {
        return t.clone();
    }
    match dt {
        DataType::Int64 => "long",
        DataType::Int32 => "integer",
        DataType::Int16 => "short",
        DataType::Int8 => "byte",
        DataType::UInt64 => "unsigned_long",
        DataType::Float64 => "double",
        DataType::Float32 => "float",
        DataType::Boolean => "boolean",
        DataType::Timestamp(_, _) | DataType::Date32 | DataType::Date64 if s.opensearch => {
            "timestamp"
        }
        DataType::Timestamp(_, _) | DataType::Date32 | DataType::Date64 => "datetime",
        _ => "keyword",
    }
    .to_string()
}

/// `2024-01-02T03:04:05.678Z` for epoch milliseconds.
pub fn iso_millis(ms: i64) -> String {
    let days = ms.div_euclid(86_400_000);
    let rem = ms.rem_euclid(86_400_000);
    // Civil from days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3_600_000,
        rem / 60_000 % 60,
        rem / 1000 % 60,
        rem % 1000
    )
}

fn to_json(value: ScalarValue, es_type: &str) -> Value {
    if value.is_null() {
        return Value::Null;
    }
    if es_type == "timestamp" {
        // OpenSearch SQL: `2024-01-02 03:04:05.678`, UTC.
        if let Value::String(iso) = to_json(value, "datetime") {
            return json!(iso.replace('T', " ").trim_end_matches('Z'));
        }
        return Value::Null;
    }
    match value {
        ScalarValue::Boolean(Some(b)) => json!(b),
        ScalarValue::Int8(Some(v)) => json!(v),
        ScalarValue::Int16(Some(v)) => json!(v),
        ScalarValue::Int32(Some(v)) => json!(v),
        ScalarValue::Int64(Some(v)) => json!(v),
        ScalarValue::UInt64(Some(v)) => json!(v),
        ScalarValue::Float32(Some(v)) => json!(v),
        ScalarValue::Float64(Some(v)) => json!(v),
        ScalarValue::TimestampSecond(Some(v), _) => json!(iso_millis(v * 1000)),
        ScalarValue::TimestampMillisecond(Some(v), _) => json!(iso_millis(v)),
        ScalarValue::TimestampMicrosecond(Some(v), _) => json!(iso_millis(v.div_euclid(1000))),
        ScalarValue::TimestampNanosecond(Some(v), _) => json!(iso_millis(v.div_euclid(1_000_000))),
        ScalarValue::Utf8(Some(s))
        | ScalarValue::Utf8View(Some(s))
        | ScalarValue::LargeUtf8(Some(s)) => {
            if es_type == "object" || es_type == "nested" {
                serde_json::from_str(&s).unwrap_or(Value::String(s))
            } else {
                json!(s)
            }
        }
        other => json!(other.to_string()),
    }
}

fn rows_of(s: &Shared, batches: &[RecordBatch]) -> (Vec<Value>, Vec<Value>) {
    let Some(first) = batches.first() else {
        return (vec![], vec![]);
    };
    let schema = first.schema();
    let types: Vec<String> = schema
        .fields()
        .iter()
        .map(|f| es_type(s, f.name(), f.data_type()))
        .collect();
    let columns: Vec<Value> = schema
        .fields()
        .iter()
        .zip(&types)
        .map(|(f, t)| json!({"name": f.name(), "type": t}))
        .collect();
    let mut rows = Vec::new();
    for batch in batches {
        for r in 0..batch.num_rows() {
            let row: Vec<Value> = (0..batch.num_columns())
                .map(|c| {
                    let v = ScalarValue::try_from_array(batch.column(c).as_ref(), r)
                        .unwrap_or(ScalarValue::Null);
                    to_json(v, &types[c])
                })
                .collect();
            rows.push(Value::Array(row));
        }
    }
    (columns, rows)
}

fn new_id(s: &Shared, prefix: &str) -> String {
    let n = s.next_id.fetch_add(1, Ordering::SeqCst);
    format!("{prefix}{n:04}AAAAAAAA==")
}

async fn sql(
    State(st): State<Arc<EmuState>>,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
    body: Bytes,
) -> Response {
    let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let kind = if request.get("cursor").is_some() {
        "cursor"
    } else {
        "query"
    };
    if let Some(r) = gate(&st.shared, &headers, format!("POST /_sql {kind}")) {
        return r;
    }
    if params.get("format").map(String::as_str) != Some("json") {
        return error(
            StatusCode::BAD_REQUEST,
            "illegal_argument_exception",
            "emulator: format=json expected",
        );
    }
    sql_answer(&st, &request, false).await
}

async fn os_sql(
    State(st): State<Arc<EmuState>>,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
    body: Bytes,
) -> Response {
    let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let kind = if request.get("cursor").is_some() {
        "cursor"
    } else {
        "query"
    };
    if let Some(r) = gate(&st.shared, &headers, format!("POST /_plugins/_sql {kind}")) {
        return r;
    }
    if !st.shared.opensearch {
        return error(
            StatusCode::BAD_REQUEST,
            "illegal_argument_exception",
            "no handler found for uri [/_plugins/_sql]",
        );
    }
    if params.get("format").is_some_and(|f| f != "jdbc") {
        return error(
            StatusCode::BAD_REQUEST,
            "illegal_argument_exception",
            "emulator: format=jdbc expected",
        );
    }
    sql_answer(&st, &request, true).await
}

async fn os_sql_close(
    State(st): State<Arc<EmuState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(r) = gate(&st.shared, &headers, "POST /_plugins/_sql/close".into()) {
        return r;
    }
    close_cursor(&st, &body)
}

/// The answer to a query or cursor request: Elastic's `columns` / `rows`,
/// or OpenSearch's `schema` / `datarows` (`os`).
async fn sql_answer(st: &EmuState, request: &Value, os: bool) -> Response {
    let (columns_key, rows_key) = if os {
        ("schema", "datarows")
    } else {
        ("columns", "rows")
    };
    let s = &st.shared;
    if let Some(cursor) = request.get("cursor").and_then(Value::as_str) {
        let mut cursors = s.cursors.lock().unwrap();
        let Some((rows, fetch)) = cursors.remove(cursor) else {
            return error(
                StatusCode::NOT_FOUND,
                "search_context_missing_exception",
                &format!("No search context found for id [{cursor}]"),
            );
        };
        let take = fetch.min(rows.len());
        let page: Vec<Value> = rows[..take].to_vec();
        let rest: Vec<Value> = rows[take..].to_vec();
        let mut answer = json!({ rows_key: page });
        if !rest.is_empty() {
            let id = new_id(s, "cur");
            cursors.insert(id.clone(), (rest, fetch));
            answer["cursor"] = json!(id);
        }
        return Json(answer).into_response();
    }
    let Some(query) = request.get("query").and_then(Value::as_str) else {
        return error(
            StatusCode::BAD_REQUEST,
            "parsing_exception",
            "request body needs query or cursor",
        );
    };
    let fetch = request
        .get("fetch_size")
        .and_then(Value::as_u64)
        .unwrap_or(1000)
        .max(1) as usize;
    let mut query = query.to_string();
    if let Some(filter) = request.get("filter") {
        let Some((field, value)) = filter
            .get("term")
            .and_then(Value::as_object)
            .and_then(|t| t.iter().next())
        else {
            return error(
                StatusCode::BAD_REQUEST,
                "parsing_exception",
                "emulator: only term filters",
            );
        };
        let value = value.get("value").unwrap_or(value);
        let literal = match value {
            Value::String(v) => format!("'{}'", v.replace('\'', "''")),
            other => other.to_string(),
        };
        query = format!(
            "SELECT * FROM ({query}) AS f WHERE \"{}\" = {literal}",
            field.replace('"', "\"\"")
        );
    }
    let batches = match st.ctx.sql(&query).await {
        Ok(df) => df.collect().await,
        Err(e) => Err(e),
    };
    let batches = match batches {
        Ok(b) => b,
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                "verification_exception",
                &format!("Found 1 problem\nline 1:1: {e}"),
            )
        }
    };
    let (columns, rows) = rows_of(s, &batches);
    let take = fetch.min(rows.len());
    let mut answer = json!({ columns_key: columns, rows_key: rows[..take].to_vec() });
    if os {
        answer["total"] = json!(rows.len());
        answer["size"] = json!(take);
        answer["status"] = json!(200);
    }
    if rows.len() > take {
        let id = new_id(s, "cur");
        s.cursors
            .lock()
            .unwrap()
            .insert(id.clone(), (rows[take..].to_vec(), fetch));
        answer["cursor"] = json!(id);
    }
    Json(answer).into_response()
}

async fn sql_close(State(st): State<Arc<EmuState>>, headers: HeaderMap, body: Bytes) -> Response {
    if let Some(r) = gate(&st.shared, &headers, "POST /_sql/close".into()) {
        return r;
    }
    close_cursor(&st, &body)
}

fn close_cursor(st: &EmuState, body: &Bytes) -> Response {
    let request: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let Some(cursor) = request.get("cursor").and_then(Value::as_str) else {
        return error(
            StatusCode::BAD_REQUEST,
            "parsing_exception",
            "cursor is required",
        );
    };
    let existed = st.shared.cursors.lock().unwrap().remove(cursor).is_some();
    st.shared
        .closed_cursors
        .lock()
        .unwrap()
        .push(cursor.to_string());
    Json(json!({"succeeded": existed})).into_response()
}

async fn pit_open(
    State(st): State<Arc<EmuState>>,
    headers: HeaderMap,
    Path(index): Path<String>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    if let Some(r) = gate(&st.shared, &headers, format!("POST /{index}/_pit")) {
        return r;
    }
    if !params.contains_key("keep_alive") {
        return error(
            StatusCode::BAD_REQUEST,
            "action_request_validation_exception",
            "Validation Failed: 1: [keep_alive] is not specified;",
        );
    }
    if !st.ctx.table_exist(index.as_str()).unwrap_or(false) {
        return error(
            StatusCode::NOT_FOUND,
            "index_not_found_exception",
            &format!("no such index [{index}]"),
        );
    }
    let id = new_id(&st.shared, "pit");
    st.shared.pits.lock().unwrap().insert(id.clone(), index);
    Json(json!({"id": id})).into_response()
}

async fn pit_close(State(st): State<Arc<EmuState>>, headers: HeaderMap, body: Bytes) -> Response {
    if let Some(r) = gate(&st.shared, &headers, "DELETE /_pit".into()) {
        return r;
    }
    let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let Some(id) = request.get("id").and_then(Value::as_str) else {
        return error(
            StatusCode::BAD_REQUEST,
            "parsing_exception",
            "id is required",
        );
    };
    let freed = st.shared.pits.lock().unwrap().remove(id).is_some();
    st.shared.closed_pits.lock().unwrap().push(id.to_string());
    Json(json!({"succeeded": true, "num_freed": usize::from(freed)})).into_response()
}

fn nest(flat: Vec<(String, Value)>) -> Value {
    let mut root = Map::new();
    for (name, value) in flat {
        if value.is_null() {
            continue;
        }
        let mut node = &mut root;
        let parts: Vec<&str> = name.split('.').collect();
        for part in &parts[..parts.len() - 1] {
            node = node
                .entry(part.to_string())
                .or_insert_with(|| Value::Object(Map::new()))
                .as_object_mut()
                .expect("object");
        }
        node.insert(parts[parts.len() - 1].to_string(), value);
    }
    Value::Object(root)
}

async fn search(State(st): State<Arc<EmuState>>, headers: HeaderMap, body: Bytes) -> Response {
    if let Some(r) = gate(&st.shared, &headers, "POST /_search".into()) {
        return r;
    }
    let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let Some(pit) = request.pointer("/pit/id").and_then(Value::as_str) else {
        return error(
            StatusCode::BAD_REQUEST,
            "illegal_argument_exception",
            "emulator: only point-in-time searches",
        );
    };
    let Some(index) = st.shared.pits.lock().unwrap().get(pit).cloned() else {
        return error(
            StatusCode::NOT_FOUND,
            "search_context_missing_exception",
            &format!("No search context found for id [{pit}]"),
        );
    };
    match request.get("query") {
        None => {}
        Some(q) if q.get("match_all").is_some() => {}
        Some(q) => {
            return error(
                StatusCode::BAD_REQUEST,
                "parsing_exception",
                &format!("emulator: unsupported query {q}"),
            )
        }
    }
    if request.get("sort") != Some(&json!([{"_shard_doc": "asc"}])) {
        return error(
            StatusCode::BAD_REQUEST,
            "illegal_argument_exception",
            "emulator: sort must be [{\"_shard_doc\":\"asc\"}]",
        );
    }
    let size = request.get("size").and_then(Value::as_u64).unwrap_or(10) as usize;
    let after = request
        .pointer("/search_after/0")
        .and_then(Value::as_i64)
        .map_or(0, |a| a + 1) as usize;
    let batches = match st.ctx.table(index.as_str()).await {
        Ok(df) => df.collect().await.unwrap_or_default(),
        Err(e) => {
            return error(
                StatusCode::NOT_FOUND,
                "index_not_found_exception",
                &e.to_string(),
            )
        }
    };
    let (columns, rows) = rows_of(&st.shared, &batches);
    let names: Vec<String> = columns
        .iter()
        .map(|c| c["name"].as_str().unwrap_or_default().to_string())
        .collect();
    let includes: Option<Vec<String>> = match request.get("_source") {
        Some(Value::Bool(false)) => Some(vec![]),
        Some(s) => s.get("includes").and_then(Value::as_array).map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(String::from)
                .collect()
        }),
        None => None,
    };
    let hits: Vec<Value> = rows
        .iter()
        .enumerate()
        .skip(after)
        .take(size)
        .map(|(i, row)| {
            let flat: Vec<(String, Value)> = names
                .iter()
                .zip(row.as_array().into_iter().flatten())
                .filter(|(n, _)| includes.as_ref().is_none_or(|inc| inc.iter().any(|i| i == *n)))
                .map(|(n, v)| (n.clone(), v.clone()))
                .collect();
            json!({"_index": index, "_id": format!("doc-{i}"), "_score": null, "_source": nest(flat), "sort": [i]})
        })
        .collect();
    Json(json!({
        "pit_id": pit, "took": 1, "timed_out": false,
        "_shards": {"total": 1, "successful": 1, "skipped": 0, "failed": 0},
        "hits": {"max_score": null, "hits": hits}
    }))
    .into_response()
}

async fn mapping(
    State(st): State<Arc<EmuState>>,
    headers: HeaderMap,
    Path(index): Path<String>,
) -> Response {
    if let Some(r) = gate(&st.shared, &headers, format!("GET /{index}/_mapping")) {
        return r;
    }
    let table = match st.ctx.table_provider(index.as_str()).await {
        Ok(t) => t,
        Err(_) => {
            return error(
                StatusCode::NOT_FOUND,
                "index_not_found_exception",
                &format!("no such index [{index}]"),
            )
        }
    };
    let flat: Vec<(String, Value)> = table
        .schema()
        .fields()
        .iter()
        .map(|f| {
            let t = match es_type(&st.shared, f.name(), f.data_type()).as_str() {
                "datetime" | "timestamp" => "date".to_string(),
                t => t.to_string(),
            };
            (f.name().clone(), json!({"type": t}))
        })
        .collect();
    // Turn {"a.b": def} into {"a": {"properties": {"b": def}}}.
    let mut properties = Map::new();
    for (name, def) in flat {
        let parts: Vec<&str> = name.split('.').collect();
        let mut node = &mut properties;
        for part in &parts[..parts.len() - 1] {
            node = node
                .entry(part.to_string())
                .or_insert_with(|| json!({"properties": {}}))
                .get_mut("properties")
                .and_then(Value::as_object_mut)
                .expect("properties");
        }
        node.insert(parts[parts.len() - 1].to_string(), def);
    }
    Json(json!({ index: {"mappings": {"properties": properties}} })).into_response()
}

#[cfg(test)]
mod tests {
    #[test]
    fn iso_millis_formats_utc() {
        assert_eq!(super::iso_millis(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            super::iso_millis(1_704_164_645_678),
            "2024-01-02T03:04:05.678Z"
        );
        assert_eq!(
            super::iso_millis(951_782_400_000),
            "2000-02-29T00:00:00.000Z"
        );
    }
}
