//! The embedded sample's process events in an Elastic-like shape (dotted
//! ECS-style names), for the Elasticsearch tests: the same rows go to
//! osmem-server through `_bulk`, to the SQL emulator, and to a local
//! DataFusion table that the results are compared with.

use std::sync::Arc;

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::MemTable;
use datafusion::common::ScalarValue;
use huntsql_engine::HuntSession;
use serde_json::{json, Map, Value};

/// The columns, in the order [`EVENTS_SQL`] gives them.
pub const COLUMNS: &str = r#"row_id, "@timestamp", "event.code", "event.sequence", "host.name", "process.executable", "process.command_line", "process.parent.executable", "process.elevated", "user.name", "user.domain", "user.logon_id", "risk.score", tags"#;

/// The sample's `process_events` reshaped.
pub const EVENTS_SQL: &str = r#"
SELECT CAST(row_number() OVER (ORDER BY TimeGenerated, CommandLine, NewProcessId, Computer) AS BIGINT) AS row_id,
       arrow_cast(TimeGenerated, 'Timestamp(ms, "UTC")') AS "@timestamp",
       EventID AS "event.code",
       CAST(row_number() OVER (ORDER BY TimeGenerated, CommandLine, NewProcessId, Computer) * 3 AS BIGINT) AS "event.sequence",
       Computer AS "host.name",
       NewProcessName AS "process.executable",
       CommandLine AS "process.command_line",
       ParentProcessName AS "process.parent.executable",
       TokenElevationType = '%%1937' AS "process.elevated",
       SubjectUserName AS "user.name",
       SubjectDomainName AS "user.domain",
       SubjectLogonId AS "user.logon_id",
       CAST(length(CommandLine) % 97 AS DOUBLE) / 4.0 AS "risk.score",
       _attack AS tags
FROM process_events"#;

/// The Elasticsearch mapping of those columns.
pub fn events_mapping() -> Value {
    json!({"mappings": {"properties": {
        "row_id": {"type": "long"},
        "@timestamp": {"type": "date"},
        "event": {"properties": {"code": {"type": "integer"}, "sequence": {"type": "long"}}},
        "host": {"properties": {"name": {"type": "keyword"}}},
        "process": {"properties": {
            "executable": {"type": "keyword"},
            "command_line": {"type": "text", "fields": {"keyword": {"type": "keyword", "ignore_above": 1024}}},
            "parent": {"properties": {"executable": {"type": "keyword"}}},
            "elevated": {"type": "boolean"}
        }},
        "user": {"properties": {"name": {"type": "keyword"}, "domain": {"type": "keyword"}, "logon_id": {"type": "keyword"}}},
        "risk": {"properties": {"score": {"type": "double"}}},
        "tags": {"type": "keyword"}
    }}})
}

/// The reshaped events (sorted by `row_id`).
pub async fn sample_events() -> (SchemaRef, Vec<RecordBatch>) {
    let session = HuntSession::builder()
        .with_sample(true)
        .build()
        .expect("session");
    let df = session
        .sql(&format!("SELECT * FROM ({EVENTS_SQL}) ORDER BY row_id"))
        .await
        .expect("events sql");
    let schema: SchemaRef = Arc::new(df.schema().as_arrow().clone());
    let batches = df.collect().await.expect("events");
    (schema, batches)
}

/// A session with the events as the local table `local_events`.
pub fn register_local(session: &HuntSession, schema: &SchemaRef, batches: &[RecordBatch]) {
    let table = MemTable::try_new(Arc::clone(schema), vec![batches.to_vec()]).expect("memtable");
    session
        .register_table("local_events", Arc::new(table))
        .expect("register local_events");
}

/// JSON for one value, timestamps as ISO 8601 milliseconds in UTC.
pub fn scalar_json(value: ScalarValue) -> Value {
    if value.is_null() {
        return Value::Null;
    }
    match value {
        ScalarValue::Boolean(Some(b)) => json!(b),
        ScalarValue::Int32(Some(v)) => json!(v),
        ScalarValue::Int64(Some(v)) => json!(v),
        ScalarValue::Float64(Some(v)) => json!(v),
        ScalarValue::TimestampMillisecond(Some(v), _) => json!(crate::es_emulator::iso_millis(v)),
        ScalarValue::Utf8(Some(s))
        | ScalarValue::Utf8View(Some(s))
        | ScalarValue::LargeUtf8(Some(s)) => json!(s),
        other => json!(other.to_string()),
    }
}

/// Documents with nested objects for dotted names (NULLs left out).
pub fn documents(batches: &[RecordBatch]) -> Vec<Value> {
    let mut docs = Vec::new();
    for batch in batches {
        let schema = batch.schema();
        for r in 0..batch.num_rows() {
            let mut root = Map::new();
            for (c, field) in schema.fields().iter().enumerate() {
                let v = scalar_json(
                    ScalarValue::try_from_array(batch.column(c).as_ref(), r).expect("value"),
                );
                if v.is_null() {
                    continue;
                }
                let parts: Vec<&str> = field.name().split('.').collect();
                let mut node = &mut root;
                for p in &parts[..parts.len() - 1] {
                    node = node
                        .entry(p.to_string())
                        .or_insert_with(|| Value::Object(Map::new()))
                        .as_object_mut()
                        .expect("object");
                }
                node.insert(parts[parts.len() - 1].to_string(), v);
            }
            docs.push(Value::Object(root));
        }
    }
    docs
}

/// Creates `index` with `mapping` and loads `docs` through `_bulk`
/// (ids from `id_field`), refreshed.
pub async fn bulk_load(url: &str, index: &str, mapping: &Value, docs: &[Value], id_field: &str) {
    let http = reqwest::Client::new();
    let r = http
        .put(format!("{url}/{index}"))
        .json(mapping)
        .send()
        .await
        .expect("create index");
    assert!(
        r.status().is_success(),
        "create index: {}",
        r.text().await.unwrap_or_default()
    );
    for chunk in docs.chunks(1000) {
        let mut body = String::new();
        for doc in chunk {
            let id = doc
                .get(id_field)
                .map(|v| v.to_string().trim_matches('"').to_string());
            body.push_str(&json!({"index": {"_index": index, "_id": id}}).to_string());
            body.push('\n');
            body.push_str(&doc.to_string());
            body.push('\n');
        }
        let r = http
            .post(format!("{url}/_bulk?refresh=true"))
            .header("content-type", "application/x-ndjson")
            .body(body)
            .send()
            .await
            .expect("bulk");
        let answer: Value = r.json().await.expect("bulk answer");
        assert_eq!(answer["errors"], json!(false), "bulk errors: {answer}");
    }
}
